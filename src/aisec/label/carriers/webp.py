"""WebP: the label in the XMP packet (RIFF chunk ``XMP ``), which needs the extended
format: a simple (``VP8 ``/``VP8L``-only) file gets a ``VP8X`` header chunk whose canvas
size and alpha flag come from the bitstream header, so decoders see the same image.

Chunks are copied untouched; only ``VP8X`` flags, the ``XMP `` chunk and the RIFF size
change. Signatures cover the image chunks (``VP8 ``, ``VP8L``, ``ALPH``, ``ANIM``,
``ANMF``, ``ICCP``), not ``EXIF``/``XMP `` or unknown chunks.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from aisec.label.carriers import _xmp
from aisec.label.carriers._io import Buf, Pieces, fail, mapped, pieces, write_mapped
from aisec.label.carriers.base import CarrierHit, FileName, Plan

_CONTENT = frozenset({b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_IMAGE = frozenset({b"VP8 ", b"VP8L", b"ANMF"})
_HEADER = struct.Struct("<4sI")
_new = tuple.__new__  # a NamedTuple without its Python-level constructor
_XMP_FLAG, _ALPHA_FLAG, _ICC_FLAG, _EXIF_FLAG, _ANIM_FLAG = 0x04, 0x10, 0x20, 0x08, 0x02


class _Chunk(NamedTuple):
    fourcc: bytes
    start: int
    data_start: int
    size: int  # data size (without the pad byte)
    end: int  # after the pad byte


def _walk(buf: Buf, path: FileName) -> list[_Chunk]:
    if len(buf) < 12 or buf[:4] != b"RIFF" or buf[8:12] != b"WEBP":
        raise fail(path, "webp", "not a WebP file (no RIFF/WEBP header)")
    (riff_size,) = struct.unpack("<I", buf[4:8])
    end_of_riff = 8 + riff_size
    if end_of_riff > len(buf):
        raise fail(path, "webp", f"truncated file: RIFF says {end_of_riff} bytes, found {len(buf)}")
    chunks: list[_Chunk] = []
    pos = 12
    has_image = False
    while pos < end_of_riff:
        if pos + 8 > end_of_riff:
            raise fail(path, "webp", f"truncated chunk header at byte {pos}")
        fourcc, size = _HEADER.unpack_from(buf, pos)
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > end_of_riff:
            raise fail(path, "webp", f"truncated {fourcc.decode('latin-1')!r} chunk at byte {pos}")
        chunks.append(_new(_Chunk, (fourcc, pos, pos + 8, size, min(end, end_of_riff))))
        has_image = has_image or fourcc in _IMAGE
        pos = end
    if not has_image:
        raise fail(path, "webp", "no image data chunk (VP8/VP8L/ANMF)")
    return chunks


def _chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


def _vp8x_for_simple(buf: Buf, image: _Chunk, path: FileName) -> bytearray:
    """A VP8X payload describing a simple file's single image."""
    head = buf[image.data_start : image.data_start + 10]
    if image.fourcc == b"VP8L":
        if len(head) < 5 or head[0] != 0x2F:
            raise fail(path, "webp", "corrupt VP8L header")
        (bits,) = struct.unpack("<I", head[1:5])
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        flags = _ALPHA_FLAG if (bits >> 28) & 1 else 0
    else:
        if len(head) < 10 or head[3:6] != b"\x9d\x01\x2a":
            raise fail(path, "webp", "corrupt VP8 key frame header")
        w, h = struct.unpack("<HH", head[6:10])
        width, height, flags = w & 0x3FFF, h & 0x3FFF, 0
        if not width or not height:
            raise fail(path, "webp", f"VP8 key frame header gives a {width}x{height} image")
    payload = bytearray(10)
    payload[0] = flags
    payload[4:7] = (width - 1).to_bytes(3, "little")
    payload[7:10] = (height - 1).to_bytes(3, "little")
    return payload


class WebpCarrier:
    """WebP XMP chunk."""

    name = "webp"
    extensions = (".webp",)

    def sniff(self, head: bytes) -> bool:
        """RIFF form type WEBP."""
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"

    def read(self, path: Path) -> list[CarrierHit]:
        """Labels in the XMP chunk(s)."""
        with mapped(path, "webp") as buf:
            return self.read_buf(buf, path)

    def read_buf(self, buf: Buf, path: FileName) -> list[CarrierHit]:
        """``read`` on the mapped file."""
        hits: list[CarrierHit] = []
        for c in _walk(buf, path):
            if c.fourcc == b"XMP ":
                try:
                    values = _xmp.labels_in(buf[c.data_start : c.data_start + c.size])
                except _xmp.XmpError as exc:
                    raise fail(path, "webp", str(exc)) from None
                hits.extend(CarrierHit("webp:xmp", v) for v in values)
        return hits

    def read_back(self, head: Buf, path: FileName) -> list[CarrierHit]:
        """``read_buf``: the XMP chunk goes last, so a plan never gives a ``head``."""
        return self.read_buf(head, path)

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy with the XMP chunk replaced (and VP8X created or its XMP flag updated)."""
        write_mapped(self.plan, src, dst, payload, "webp")

    def plan(self, buf: Buf, src: FileName, payload: str | None) -> Plan:
        """The RIFF header and VP8X chunk, the other chunks as they are, the XMP chunk."""
        chunks = _walk(buf, src)
        xmps = [c for c in chunks if c.fourcc == b"XMP "]
        if len(xmps) > 1:
            raise fail(src, "webp", "two XMP chunks; refusing to guess which one counts")
        old = buf[xmps[0].data_start : xmps[0].data_start + xmps[0].size] if xmps else None
        try:
            new = _xmp.merge(old, payload)
        except _xmp.XmpError as exc:
            raise fail(src, "webp", str(exc)) from None
        flags_chunk = self._flags_chunk(buf, chunks, src, new is not None)
        body_size = 4 + sum(c.end - c.start for c in chunks if c.fourcc not in (b"VP8X", b"XMP "))
        body_size += len(flags_chunk)
        xmp_chunk = _chunk(b"XMP ", new) if new is not None else b""
        body_size += len(xmp_chunk)
        pieces = Pieces()
        pieces.add(b"RIFF" + struct.pack("<I", body_size) + b"WEBP" + flags_chunk)
        for c in chunks:
            if c.fourcc not in (b"VP8X", b"XMP "):
                pieces.copy(c.start, c.end)
        pieces.add(xmp_chunk)  # XMP goes last (WebP container spec order)
        return Plan(pieces.items)

    def _flags_chunk(self, buf: Buf, chunks: list[_Chunk], src: FileName, has_xmp: bool) -> bytes:
        """The VP8X chunk to write (empty when the file stays in the simple format)."""
        vp8x = next((c for c in chunks if c.fourcc == b"VP8X"), None)
        if vp8x is None and not has_xmp:
            return b""
        if vp8x is None:
            images = [c for c in chunks if c.fourcc in (b"VP8 ", b"VP8L")]
            if len(images) != 1:
                raise fail(src, "webp", "a simple WebP file must hold exactly one image chunk")
            header = _vp8x_for_simple(buf, images[0], src)
            header[0] |= _XMP_FLAG
            return _chunk(b"VP8X", bytes(header))
        if not has_xmp and self._simple_again(buf, chunks, vp8x, src):
            return b""  # nothing needs the extended format any more
        header = bytearray(buf[vp8x.data_start : vp8x.data_start + vp8x.size])
        if len(header) < 10:
            raise fail(src, "webp", "VP8X chunk is too short")
        header[0] = (header[0] | _XMP_FLAG) if has_xmp else header[0] & ~_XMP_FLAG
        return _chunk(b"VP8X", bytes(header))

    @staticmethod
    def _simple_again(buf: Buf, chunks: list[_Chunk], vp8x: _Chunk, path: FileName) -> bool:
        """True when the file is one VP8/VP8L image whose VP8X header says nothing the
        bitstream does not (so dropping VP8X decodes the same)."""
        rest = [c for c in chunks if c.fourcc not in (b"VP8X", b"XMP ")]
        if len(rest) != 1 or rest[0].fourcc not in (b"VP8 ", b"VP8L"):
            return False
        header = bytearray(buf[vp8x.data_start : vp8x.data_start + vp8x.size])
        header[0] &= ~_XMP_FLAG
        return bytes(header) == bytes(_vp8x_for_simple(buf, rest[0], path))

    def content(self, path: Path) -> Iterator[bytes]:
        """The image chunks (header and data), in file order."""
        with mapped(path, "webp") as buf:
            for c in _walk(buf, path):
                if c.fourcc in _CONTENT:
                    yield from pieces(buf, c.start, c.data_start + c.size)


CARRIER = WebpCarrier()
