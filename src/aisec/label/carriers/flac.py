"""FLAC: the label is a Vorbis comment ``AIGC=<payload>`` in the VORBIS_COMMENT block.

Independent readers: ffprobe shows it as the format tag ``AIGC``, mutagen as
``FLAC(path)["AIGC"]``, ExifTool as ``Vorbis:Aigc``.

The metadata blocks are walked by hand (they are a flat list of typed, length-prefixed
blocks), so every other block and every other comment stays byte for byte as it was; the
audio frames are copied in chunks. :func:`parse_vorbis_comment` and
:func:`build_vorbis_comment` are shared with the Ogg carrier.

``content`` is the STREAMINFO block (sample rate, channels, the MD5 of the decoded audio)
followed by the audio frames; a trailing ID3v1 tag is metadata and left out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aisec.label.carriers._io import read_range
from aisec.label.carriers.base import KEY, CarrierError, CarrierHit

_MAGIC = b"fLaC"
_STREAMINFO = 0
_VORBIS_COMMENT = 4
#: How far back from the end to look for the start of the last audio frame when
#: STREAMINFO does not give the maximum frame size.
_TAIL_WINDOW = 1 << 20
#: Most bytes the search for the last frame runs its (pure Python) CRC-16 over, and most
#: candidate frame headers it looks at: a STREAMINFO claiming 16 MiB frames and a tail
#: of header look-alikes would otherwise cost seconds per megabyte.
_CRC_BUDGET = 4 << 20
_MAX_CANDIDATES = 1 << 16


# -- Vorbis comments (shared with ogg.py) -------------------------------------------


@dataclass(frozen=True, slots=True)
class VorbisComment:
    """A parsed Vorbis comment: the vendor string and the raw ``KEY=value`` entries."""

    vendor: bytes
    entries: tuple[bytes, ...]


def parse_vorbis_comment(data: bytes, where: str) -> tuple[VorbisComment, int]:
    """Parse a Vorbis comment at the start of ``data``; return it and its length."""
    try:
        (vlen,) = struct.unpack_from("<I", data, 0)
        pos = 4 + vlen
        vendor = data[4:pos]
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        entries = []
        for _ in range(count):
            (elen,) = struct.unpack_from("<I", data, pos)
            pos += 4
            if pos + elen > len(data):
                raise struct.error("entry runs past the end")
            entries.append(data[pos : pos + elen])
            pos += elen
        if len(vendor) != vlen:
            raise struct.error("vendor string runs past the end")
    except struct.error:
        raise CarrierError(f"{where}: the Vorbis comment is truncated or malformed") from None
    return VorbisComment(vendor, tuple(entries)), pos


def build_vorbis_comment(vendor: bytes, entries: tuple[bytes, ...] | list[bytes]) -> bytes:
    """Serialise a Vorbis comment (without the Ogg framing bit)."""
    parts = [struct.pack("<I", len(vendor)), vendor, struct.pack("<I", len(entries))]
    for entry in entries:
        parts += [struct.pack("<I", len(entry)), entry]
    return b"".join(parts)


def is_label_entry(entry: bytes) -> bool:
    """True for an ``AIGC=...`` entry (Vorbis comment keys are case-insensitive)."""
    name, sep, _ = entry.partition(b"=")
    return bool(sep) and name.upper() == KEY.encode()


def label_entry(payload: str) -> bytes:
    """The ``AIGC=<payload>`` entry (Vorbis comments are UTF-8)."""
    return KEY.encode() + b"=" + payload.encode("utf-8")


def relabel_entries(entries: tuple[bytes, ...], payload: str | None) -> list[bytes]:
    """``entries`` without any label entry, plus one for ``payload`` at the end."""
    kept = [e for e in entries if not is_label_entry(e)]
    if payload is not None:
        kept.append(label_entry(payload))
    return kept


def label_hits(comment: VorbisComment, carrier: str, where: str) -> list[CarrierHit]:
    """One hit per ``AIGC=`` entry."""
    hits = []
    for entry in comment.entries:
        if is_label_entry(entry):
            value = entry.partition(b"=")[2]
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                raise CarrierError(f"{where}: the AIGC comment is not valid UTF-8") from None
            hits.append(CarrierHit(carrier, text))
    return hits


# -- FLAC structure ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Block:
    kind: int
    offset: int  # of the 4-byte block header
    length: int  # of the block data


@dataclass(frozen=True, slots=True)
class _Layout:
    prefix: int  # bytes of leading ID3v2 tag(s) before "fLaC"
    blocks: tuple[_Block, ...]
    audio_start: int
    audio_end: int  # before a trailing ID3v1 tag


def _fail(path: Path, problem: str) -> CarrierError:
    return CarrierError(f"{path}: FLAC: {problem}")


def _read_at(fh: BinaryIO, offset: int, size: int, path: Path, what: str) -> bytes:
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise _fail(path, f"file is truncated inside {what} (offset {offset})")
    return data


def _skip_id3v2(fh: BinaryIO, path: Path) -> int:
    """Length of ID3v2 tags some tools put before ``fLaC`` (0 when there is none)."""
    pos = 0
    while True:
        fh.seek(pos)
        head = fh.read(10)
        if len(head) < 10 or head[:3] != b"ID3":
            return pos
        size = 0
        for byte in head[6:10]:
            if byte & 0x80:
                raise _fail(path, "the leading ID3v2 tag has an invalid size")
            size = (size << 7) | byte
        pos += 10 + size + (10 if head[5] & 0x10 else 0)


def _layout(fh: BinaryIO, path: Path) -> _Layout:
    fh.seek(0, 2)
    size = fh.tell()
    prefix = _skip_id3v2(fh, path)
    fh.seek(prefix)
    if fh.read(4) != _MAGIC:
        raise _fail(path, "no 'fLaC' signature; not a FLAC file")
    blocks: list[_Block] = []
    pos = prefix + 4
    while True:
        header = _read_at(fh, pos, 4, path, "a metadata block header")
        kind = header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if kind == 127:
            raise _fail(path, f"invalid metadata block type 127 at offset {pos}")
        if pos + 4 + length > size:
            raise _fail(path, f"metadata block at offset {pos} runs past the end of the file")
        if not blocks and (kind != _STREAMINFO or length != 34):
            raise _fail(path, "the first metadata block is not a 34-byte STREAMINFO")
        blocks.append(_Block(kind, pos, length))
        pos += 4 + length
        if header[0] & 0x80:
            break
    end = size
    if size - pos >= 128:
        fh.seek(size - 128)
        if fh.read(3) == b"TAG":
            end = size - 128
    layout = _Layout(prefix, tuple(blocks), pos, end)
    _check_last_frame(fh, path, layout)
    return layout


# CRC-8 (poly 0x07) over a frame header, CRC-16 (poly 0x8005) over a whole frame.
def _crc_table(poly: int, width: int) -> tuple[int, ...]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
        table.append(crc)
    return tuple(table)


_CRC8 = _crc_table(0x07, 8)
_CRC16 = _crc_table(0x8005, 16)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _frame_header_length(buf: bytes, pos: int) -> int:
    """Length of a valid frame header (with its CRC-8) at ``buf[pos]``, or 0."""
    if len(buf) - pos < 6 or buf[pos] != 0xFF or buf[pos + 1] & 0xFE != 0xF8:
        return 0
    bs_code, sr_code = buf[pos + 2] >> 4, buf[pos + 2] & 0x0F
    if bs_code == 0 or sr_code == 15 or buf[pos + 3] >> 4 > 10 or buf[pos + 3] & 1:
        return 0
    first = buf[pos + 4]
    extra = 0
    if first >= 0x80:
        extra = next((n for n in range(1, 7) if not (first << n) & 0x80), 0) - 1
        if extra <= 0:
            return 0
    n = pos + 5 + extra
    n += {6: 1, 7: 2}.get(bs_code, 0) + {12: 1, 13: 2, 14: 2}.get(sr_code, 0)
    if n >= len(buf) or _crc8(buf[pos:n]) != buf[n]:
        return 0
    return n + 1 - pos


def _check_last_frame(fh: BinaryIO, path: Path, layout: _Layout) -> None:
    """A file cut inside its audio ends with a partial frame whose CRC-16 fails."""
    audio = layout.audio_end - layout.audio_start
    if audio == 0:
        return
    streaminfo = _read_at(fh, layout.blocks[0].offset + 4, 34, path, "STREAMINFO")
    max_frame = int.from_bytes(streaminfo[7:10], "big")
    window = min(audio, max_frame + 16 if max_frame else _TAIL_WINDOW)
    tail = _read_at(fh, layout.audio_end - window, window, path, "the audio frames")
    pos, tried, budget = len(tail), 0, _CRC_BUDGET
    for _ in range(_MAX_CANDIDATES):
        # a frame header starts 0xFF 0xF8 or 0xFF 0xF9 (the sync code)
        pos = max(tail.rfind(b"\xff\xf8", 0, pos + 1), tail.rfind(b"\xff\xf9", 0, pos + 1))
        if pos < 0 or tried >= 16:
            break
        if _frame_header_length(tail, pos):
            tried += 1
            frame = tail[pos:]
            budget -= len(frame)
            if budget < 0:
                break
            if len(frame) > 2 and _crc16(frame[:-2]) == int.from_bytes(frame[-2:], "big"):
                return
    raise _fail(path, "the last audio frame is incomplete or damaged (file truncated?)")


class FlacCarrier:
    """Label carrier for FLAC files (Vorbis comment ``AIGC``)."""

    name = "flac"
    extensions = (".flac",)

    def sniff(self, head: bytes) -> bool:
        """``fLaC`` at the start, or an ID3v2 tag (which some tools put first; the MP3
        carrier claims those too and the extension decides)."""
        return head.startswith((_MAGIC, b"ID3"))

    def _comments(self, fh: BinaryIO, path: Path, layout: _Layout) -> list[VorbisComment]:
        found = []
        for block in layout.blocks:
            if block.kind == _VORBIS_COMMENT:
                data = _read_at(fh, block.offset + 4, block.length, path, "VORBIS_COMMENT")
                comment, used = parse_vorbis_comment(data, f"{path}: FLAC")
                if used != len(data):
                    raise _fail(path, "VORBIS_COMMENT block length does not match its entries")
                found.append(comment)
        return found

    def read(self, path: Path) -> list[CarrierHit]:
        """Every ``AIGC`` comment, in file order."""
        with path.open("rb") as fh:
            layout = _layout(fh, path)
            hits = []
            for comment in self._comments(fh, path, layout):
                hits += label_hits(comment, "flac:vorbis_comment", f"{path}: FLAC")
            return hits

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the ``AIGC`` comment replaced or removed."""
        with src.open("rb") as fin:
            layout = _layout(fin, src)
            blocks: list[tuple[int, bytes | _Block]] = []
            placed = False
            for block in layout.blocks:
                if block.kind != _VORBIS_COMMENT:
                    blocks.append((block.kind, block))
                    continue
                data = _read_at(fin, block.offset + 4, block.length, src, "VORBIS_COMMENT")
                comment, _ = parse_vorbis_comment(data, f"{src}: FLAC")
                entries = relabel_entries(comment.entries, None if placed else payload)
                placed = True
                blocks.append((_VORBIS_COMMENT, build_vorbis_comment(comment.vendor, entries)))
            if not placed and payload is not None:
                new = build_vorbis_comment(b"aisec", [label_entry(payload)])
                blocks.insert(1, (_VORBIS_COMMENT, new))
            with dst.open("wb") as fout:
                fout.writelines(read_range(fin, src, "FLAC", 0, layout.prefix + 4))
                for index, (kind, body) in enumerate(blocks):
                    last = 0x80 if index == len(blocks) - 1 else 0
                    length = body.length if isinstance(body, _Block) else len(body)
                    if length >= 1 << 24:
                        raise _fail(src, "the Vorbis comment would exceed 16 MiB")
                    fout.write(bytes([last | kind]) + length.to_bytes(3, "big"))
                    if isinstance(body, _Block):
                        fout.writelines(
                            read_range(
                                fin, src, "FLAC", body.offset + 4, body.offset + 4 + body.length
                            )
                        )
                    else:
                        fout.write(body)
                fin.seek(0, 2)
                fout.writelines(read_range(fin, src, "FLAC", layout.audio_start, fin.tell()))

    def content(self, path: Path) -> Iterator[bytes]:
        """STREAMINFO, then the audio frames."""
        with path.open("rb") as fh:
            layout = _layout(fh, path)
            first = layout.blocks[0]
            yield _read_at(fh, first.offset + 4, first.length, path, "STREAMINFO")
            yield from read_range(fh, path, "FLAC", layout.audio_start, layout.audio_end)


CARRIER = FlacCarrier()
