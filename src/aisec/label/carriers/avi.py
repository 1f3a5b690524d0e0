"""AVI: the label is a top-level RIFF chunk ``AIGC`` plus an ``AIGC`` entry in
``LIST/INFO`` (see :mod:`aisec.label.carriers.riff` for who reads which).

Both live between the ``hdrl`` header list and the ``movi`` list, where players read the
INFO list. That region usually ends with a ``JUNK`` chunk (ffmpeg reserves 1 KiB), which
absorbs the label so ``movi`` does not move. When the label does not fit, ``movi`` and
everything after it move: the legacy ``idx1`` index is patched when its offsets are
absolute (relative ones need nothing), and a new 1 KiB ``JUNK`` reserve is left for the
next edit. Files with an OpenDML index (``indx`` chunks or ``AVIX`` extensions, used
beyond 1 GiB) hold absolute offsets inside the media; they are labelled only when the
label fits in the reserve, otherwise refused with a clear message.

``content`` is the stream headers (``avih``, ``strh``, ``strf``, ``strd``, ``vprp``) and
the ``movi`` lists (the audio/video chunks) of every RIFF form.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from aisec.label.carriers.riff import (
    LABEL_ID,
    Chunk,
    RiffCarrier,
    RiffFile,
    RiffReader,
    is_info,
    label_chunk,
    make_chunk,
    new_info,
    pieces_size,
    relabel_info,
    riff_header,
)

_FORM = b"AVI "
_RESERVE = 1024
_HEADERS = (b"avih", b"strh", b"strf", b"strd", b"vprp")
#: ``hdrl`` holds ``strl`` lists; deeper ``hdrl``/``strl`` nesting is not AVI
_MAX_DEPTH = 8


def _find(chunks: tuple[Chunk, ...], cid: bytes, form: bytes) -> int | None:
    return next((i for i, c in enumerate(chunks) if c.id == cid and c.form == form), None)


def _extensions(reader: RiffReader, start: int) -> list[Chunk]:
    """The ``RIFF AVIX`` forms after the first one (OpenDML files over 1 GiB)."""
    found = []
    while start + 12 <= reader.size:
        head = reader.read_at(start, 12, "a RIFF header")
        if head[:4] != b"RIFF" or head[8:12] != b"AVIX":
            break
        chunk = next(reader.walk(start, reader.size))
        found.append(chunk)
        start = chunk.end
    return found


def _has_odml_index(reader: RiffReader, riff: RiffFile, hdrl: Chunk) -> bool:
    """True when absolute file offsets live inside the headers or the media (OpenDML)."""
    if _extensions(reader, riff.riff_end):
        return True
    return any(
        chunk.id == b"LIST"
        and chunk.form == b"strl"
        and any(c.id == b"indx" for c in reader.children(chunk))
        for chunk in reader.children(hdrl)
    )


def _idx1_is_absolute(reader: RiffReader, idx1: Chunk, movi: Chunk) -> bool:
    """Legacy index entries count from the ``movi`` type field, or (some writers) from
    the start of the file: tell which by where the first entry's chunk id is found."""
    if idx1.size < 16:
        return False
    ckid, _flags, offset, _size = struct.unpack(
        "<4sIII", reader.read_at(idx1.data_start, 16, "idx1")
    )
    relative = movi.data_start + offset
    if relative + 4 <= reader.size and reader.read_at(relative, 4, "movi") == ckid:
        return False
    return offset + 4 <= reader.size and bool(reader.read_at(offset, 4, "movi") == ckid)


def _shifted_idx1(reader: RiffReader, idx1: Chunk, delta: int) -> bytes:
    data = bytearray(reader.data(idx1))
    for pos in range(0, len(data) - 15, 16):
        (offset,) = struct.unpack_from("<I", data, pos + 8)
        if offset + delta > 0xFFFFFFFF:
            raise reader.fail(f"idx1 entry offset {offset} would exceed 4 GiB once 'movi' moves")
        struct.pack_into("<I", data, pos + 8, offset + delta)
    return make_chunk(b"idx1", bytes(data))


class AviCarrier(RiffCarrier):
    """Label carrier for AVI files (RIFF chunk and INFO entry ``AIGC``)."""

    name = "avi"
    extensions = (".avi",)
    form = _FORM
    fmt = "AVI"

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the label chunk and INFO entry replaced or removed."""
        with src.open("rb") as fin:
            reader = RiffReader(fin, src, self.fmt)
            riff = reader.top(_FORM)
            chunks = riff.chunks
            hdrl, movi = _find(chunks, b"LIST", b"hdrl"), _find(chunks, b"LIST", b"movi")
            if hdrl is None or movi is None or hdrl > movi:
                raise reader.fail("no 'hdrl' list followed by a 'movi' list")
            region = self._region(reader, chunks[hdrl + 1 : movi], payload)
            room = chunks[movi].offset - chunks[hdrl].end
            if len(region) == room:
                filler = b""
            elif len(region) + 8 <= room:
                filler = make_chunk(b"JUNK", bytes(room - len(region) - 8))
            elif _has_odml_index(reader, riff, chunks[hdrl]):
                raise reader.fail(
                    f"the label needs {len(region)} bytes before the 'movi' list but only "
                    f"{room} are free, and the file's OpenDML index holds absolute offsets "
                    "that would break if 'movi' moved"
                )
            else:
                filler = make_chunk(b"JUNK", bytes(_RESERVE))
            delta = len(region) + len(filler) - room
            tail: list[bytes | Chunk] = []
            for chunk in chunks[movi:]:
                absolute = chunk.id == b"idx1" and _idx1_is_absolute(reader, chunk, chunks[movi])
                tail.append(_shifted_idx1(reader, chunk, delta) if delta and absolute else chunk)
            body = chunks[hdrl].end - 12 + len(region) + len(filler) + pieces_size(tail)
            with dst.open("wb") as fout:
                fout.write(riff_header(_FORM, body, reader))
                reader.copy(fout, 12, chunks[hdrl].end)
                fout.write(region + filler)
                reader.write_pieces(fout, tail)
                reader.copy_rest(fout, riff)

    def _region(self, reader: RiffReader, chunks: tuple[Chunk, ...], payload: str | None) -> bytes:
        """The chunks between ``hdrl`` and ``movi``, relabelled, without ``JUNK``."""
        parts: list[bytes] = []
        placed = False
        for chunk in chunks:
            if chunk.id in (LABEL_ID, b"JUNK"):
                continue
            if is_info(chunk):
                info = relabel_info(reader, chunk, None if placed else payload)
                placed = placed or payload is not None
                if info is not None:
                    parts.append(info)
            else:
                parts.append(b"".join(reader.chunk_bytes(chunk)))
        if payload is not None:
            if not placed:
                parts.append(new_info(payload))
            parts.append(label_chunk(payload))
        return b"".join(parts)

    def content(self, path: Path) -> Iterator[bytes]:
        """Stream headers, then the ``movi`` lists of every RIFF form."""
        with path.open("rb") as fh:
            reader = RiffReader(fh, path, self.fmt)
            riff = reader.top(_FORM)
            yield from self._headers(reader, riff.chunks)
            forms = [list(riff.chunks)]
            forms += [reader.children(c) for c in _extensions(reader, riff.riff_end)]
            for chunks in forms:
                for chunk in chunks:
                    if chunk.id == b"LIST" and chunk.form == b"movi":
                        yield from reader.stream(chunk.offset, chunk.data_start + chunk.size)

    def _headers(
        self, reader: RiffReader, chunks: tuple[Chunk, ...] | list[Chunk], depth: int = 0
    ) -> Iterator[bytes]:
        for chunk in chunks:
            if chunk.id == b"LIST" and chunk.form in (b"hdrl", b"strl"):
                if depth >= _MAX_DEPTH:
                    raise reader.fail(f"header lists nested too deeply at offset {chunk.offset}")
                yield from self._headers(reader, reader.children(chunk), depth + 1)
            elif chunk.id in _HEADERS:
                yield from reader.stream(chunk.offset, chunk.data_start + chunk.size)


CARRIER = AviCarrier()
