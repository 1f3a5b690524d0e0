"""RIFF chunk walking, and the carrier methods the WAV and AVI carriers share.

A RIFF file is ``RIFF <size> <form>`` followed by chunks ``<id> <size> <data> [pad]``;
``LIST <size> <type>`` chunks nest more chunks. Both carriers store the label twice:

* a top-level chunk with id ``AIGC`` holding the payload (UTF-8) — the carrier the TC260
  guide names, which generic RIFF tools keep but do not display;
* an ``AIGC`` entry in the ``LIST/INFO`` chunk (NUL-terminated like every INFO string),
  which independent readers do show: ffprobe as the format tag ``AIGC``, ExifTool as
  ``RIFF:Unknown_AIGC`` (with ``-u``; the value with ``-b``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aisec.label.carriers._io import fail, max_items, read_range
from aisec.label.carriers.base import KEY, CarrierError, CarrierHit

LABEL_ID = KEY.encode("ascii")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: its id, where its 8-byte header starts and its declared data size.
    ``form`` is the list type of a ``RIFF``/``LIST`` chunk (``b"INFO"``, ``b"movi"``)."""

    id: bytes
    offset: int
    size: int
    form: bytes | None = None

    @property
    def data_start(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        """End of the chunk including its pad byte."""
        return self.data_start + self.size + (self.size & 1)


@dataclass(frozen=True, slots=True)
class RiffFile:
    """The top-level chunks of the first ``RIFF`` form of a file."""

    form: bytes
    chunks: tuple[Chunk, ...]
    riff_end: int  # end of the first RIFF form (with pad)
    size: int  # of the whole file


class RiffReader:
    """Walks the chunks of one file, naming the format in every error."""

    def __init__(self, fh: BinaryIO, path: Path, fmt: str) -> None:
        self.fh, self.path, self.fmt = fh, path, fmt
        fh.seek(0, 2)
        self.size = fh.tell()

    def fail(self, problem: str) -> CarrierError:
        """A :class:`CarrierError` naming the file and the format."""
        return fail(self.path, self.fmt, problem)

    def read_at(self, offset: int, size: int, what: str) -> bytes:
        """Exactly ``size`` bytes at ``offset``."""
        self.fh.seek(offset)
        data = self.fh.read(size)
        if len(data) != size:
            raise self.fail(f"the file is truncated inside {what} (offset {offset})")
        return data

    def top(self, form: bytes) -> RiffFile:
        """Parse the ``RIFF`` header (which must have ``form``) and its chunks."""
        self.fh.seek(0)
        head = self.fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != form:
            if head[:4] == b"RF64":
                raise self.fail("RF64 (over 4 GiB) files are not supported")
            name = form.decode("ascii").strip()
            raise self.fail(f"no 'RIFF' header with form type '{name}'; not a {self.fmt} file")
        (size,) = struct.unpack_from("<I", head, 4)
        end = 8 + size
        if end > self.size:
            raise self.fail(
                f"the RIFF header declares {end} bytes but the file has {self.size} (truncated?)"
            )
        return RiffFile(form, tuple(self.walk(12, end)), end + (size & 1), self.size)

    def walk(self, start: int, end: int) -> Iterator[Chunk]:
        """The chunks between ``start`` and ``end`` (not recursing)."""
        pos, left = start, max_items(end - start)
        while pos < end:
            if end - pos < 8:
                # A short tail inside a RIFF form: some writers leave junk there.
                return
            left -= 1
            if left < 0:
                raise self.fail(f"too many chunks in the {end - start} bytes at offset {start}")
            cid, size = struct.unpack("<4sI", self.read_at(pos, 8, "a chunk header"))
            if not all(0x20 <= b < 0x7F for b in cid):
                raise self.fail(f"invalid chunk id {cid!r} at offset {pos}")
            form = None
            if cid in (b"RIFF", b"LIST"):
                if size < 4:
                    raise self.fail(f"{cid.decode()} chunk at offset {pos} is too short")
                form = self.read_at(pos + 8, 4, "a list type")
            chunk = Chunk(cid, pos, size, form)
            data_end = chunk.data_start + size
            if data_end > end:
                raise self.fail(
                    f"chunk '{cid.decode()}' at offset {pos} ({size} bytes) runs past the "
                    "end of its container (file truncated?)"
                )
            yield chunk
            # A missing pad byte after the very last chunk is a common writer slip.
            pos = min(chunk.end, end) if data_end >= end - 1 else chunk.end

    def children(self, chunk: Chunk) -> list[Chunk]:
        """The chunks inside a ``LIST`` chunk."""
        return list(self.walk(chunk.data_start + 4, chunk.data_start + chunk.size))

    def data(self, chunk: Chunk) -> bytes:
        """A chunk's data (for small chunks: INFO, headers, labels)."""
        return self.read_at(chunk.data_start, chunk.size, f"chunk '{chunk.id.decode()}'")

    def stream(self, start: int, end: int) -> Iterator[bytes]:
        """The bytes between ``start`` and ``end``, in pieces."""
        return read_range(self.fh, self.path, self.fmt, start, end)

    def copy(self, out: BinaryIO, start: int, end: int) -> None:
        """Copy the bytes between ``start`` and ``end`` to ``out``."""
        for piece in self.stream(start, end):
            out.write(piece)

    def chunk_bytes(self, chunk: Chunk) -> Iterator[bytes]:
        """A chunk's header, data and pad byte (a missing final pad byte is added)."""
        yield from self.stream(chunk.offset, min(chunk.end, self.size))
        if chunk.end > self.size:
            yield b"\x00"

    def write_pieces(self, out: BinaryIO, pieces: Iterable[bytes | Chunk]) -> None:
        """Write ``pieces`` to ``out``: new bytes as they are, chunks of this file copied
        whole (see :meth:`chunk_bytes`)."""
        for piece in pieces:
            if isinstance(piece, bytes):
                out.write(piece)
            else:
                for part in self.chunk_bytes(piece):
                    out.write(part)

    def copy_rest(self, out: BinaryIO, riff: RiffFile) -> None:
        """Copy whatever follows the first ``RIFF`` form (``AVIX`` extensions, trailing
        bytes) to ``out``."""
        self.copy(out, min(riff.riff_end, riff.size), riff.size)


def pieces_size(pieces: Iterable[bytes | Chunk]) -> int:
    """How many bytes :meth:`RiffReader.write_pieces` writes for ``pieces``."""
    return sum(len(p) if isinstance(p, bytes) else p.end - p.offset for p in pieces)


def make_chunk(cid: bytes, data: bytes) -> bytes:
    """A chunk with its header and pad byte."""
    return cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")


def label_chunk(payload: str) -> bytes:
    """The top-level ``AIGC`` chunk."""
    return make_chunk(LABEL_ID, payload.encode("utf-8"))


def is_info(chunk: Chunk) -> bool:
    """True for a ``LIST/INFO`` chunk."""
    return chunk.id == b"LIST" and chunk.form == b"INFO"


def new_info(payload: str) -> bytes:
    """A ``LIST/INFO`` chunk holding only the label."""
    return make_chunk(b"LIST", b"INFO" + make_chunk(LABEL_ID, payload.encode("utf-8") + b"\x00"))


def relabel_info(reader: RiffReader, chunk: Chunk, payload: str | None) -> bytes | None:
    """The ``LIST/INFO`` chunk without its ``AIGC`` entries, plus one for ``payload``;
    None when nothing would be left in it."""
    parts = []
    for entry in reader.children(chunk):
        if entry.id != LABEL_ID:
            parts.append(b"".join(reader.chunk_bytes(entry)))
    if payload is not None:
        parts.append(make_chunk(LABEL_ID, payload.encode("utf-8") + b"\x00"))
    if not parts:
        return None
    return make_chunk(b"LIST", b"INFO" + b"".join(parts))


def _decode(reader: RiffReader, raw: bytes, where: str) -> str:
    try:
        return raw.rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError:
        raise reader.fail(f"the AIGC {where} is not valid UTF-8") from None


def label_hits(reader: RiffReader, chunks: tuple[Chunk, ...], prefix: str) -> list[CarrierHit]:
    """Labels in top-level ``AIGC`` chunks and ``LIST/INFO`` entries, in file order."""
    hits = []
    for chunk in chunks:
        if chunk.id == LABEL_ID:
            text = _decode(reader, reader.data(chunk), "chunk")
            hits.append(CarrierHit(f"{prefix}:chunk", text))
        elif is_info(chunk):
            for entry in reader.children(chunk):
                if entry.id == LABEL_ID:
                    text = _decode(reader, reader.data(entry), "INFO entry")
                    hits.append(CarrierHit(f"{prefix}:INFO", text))
    return hits


def riff_header(form: bytes, body_size: int, reader: RiffReader) -> bytes:
    """``RIFF <size> <form>`` for a body of ``body_size`` bytes after the form type."""
    size = 4 + body_size
    if size > 0xFFFFFFFF:
        raise reader.fail("the labelled file would exceed the 4 GiB RIFF limit")
    return b"RIFF" + struct.pack("<I", size) + form


class RiffCarrier:
    """What the WAV and AVI carriers share: sniffing the form type and reading the label.
    A subclass sets ``name``, ``extensions``, ``form`` and ``fmt``, and writes."""

    name: str
    extensions: tuple[str, ...]
    #: The RIFF form type: ``b"WAVE"``, ``b"AVI "``.
    form: bytes
    #: The format as error messages name it: ``"WAV"``, ``"AVI"``.
    fmt: str

    def sniff(self, head: bytes) -> bool:
        """``RIFF`` with the carrier's form type."""
        return head[:4] == b"RIFF" and head[8:12] == self.form

    def read(self, path: Path) -> list[CarrierHit]:
        """The ``AIGC`` chunk(s) and INFO entries, in file order."""
        with path.open("rb") as fh:
            reader = RiffReader(fh, path, self.fmt)
            return label_hits(reader, reader.top(self.form).chunks, self.name)
