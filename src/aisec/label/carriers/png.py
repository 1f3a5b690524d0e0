"""PNG: an ``iTXt`` chunk with keyword ``AIGC`` plus the XMP packet (``iTXt``
``XML:com.adobe.xmp``), both placed right after ``IHDR``.

The file is walked chunk by chunk; image chunks are copied untouched, so pixels never
change. ``tEXt``/``zTXt``/``iTXt`` chunks keyed ``AIGC`` written by other tools are read
(and replaced on write). Signatures cover the image-defining chunks (see
:data:`_CONTENT_CHUNKS`), never text or time chunks.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from aisec.label.carriers import _xmp
from aisec.label.carriers._io import Buf, Pieces, fail, mapped, pieces, write_mapped
from aisec.label.carriers.base import KEY, CarrierHit, FileName, Plan

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_KEY = b"XML:com.adobe.xmp"
#: Largest text a compressed text chunk may inflate to (a label or an XMP packet is far
#: smaller; a few KB of deflate data could otherwise inflate to gigabytes).
_MAX_TEXT = 16 << 20
_TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")
# Chunks that define what the image looks like (critical chunks, transparency, colour,
# APNG animation). Everything else (text, time, physical size, EXIF) is metadata.
_CONTENT_CHUNKS = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
        b"sBIT", b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
    }
)  # fmt: skip


class _Chunk(NamedTuple):
    ctype: bytes
    start: int  # offset of the length field
    data_start: int
    end: int  # offset after the CRC


def _walk(buf: Buf, path: FileName) -> Iterator[_Chunk]:
    size = len(buf)
    if buf[:8] != SIGNATURE:
        raise fail(path, "png", "not a PNG file (bad signature)")
    pos = 8
    seen_iend = False
    while pos < size:
        if pos + 8 > size:
            raise fail(path, "png", f"truncated chunk header at byte {pos}")
        length, ctype = struct.unpack(">I4s", buf[pos : pos + 8])
        if length > 0x7FFFFFFF or not ctype.isalpha():
            raise fail(path, "png", f"corrupt chunk header at byte {pos}")
        end = pos + 12 + length
        if end > size:
            raise fail(path, "png", f"truncated {ctype.decode('latin-1')} chunk at byte {pos}")
        yield _Chunk(ctype, pos, pos + 8, end)
        pos = end
        if ctype == b"IEND":
            seen_iend = True
            break
    if not seen_iend:
        raise fail(path, "png", "truncated file: no IEND chunk")


def _checked(buf: Buf, chunk: _Chunk, path: FileName) -> bytes:
    body = buf[chunk.start + 4 : chunk.end - 4]
    (crc,) = struct.unpack(">I", buf[chunk.end - 4 : chunk.end])
    if zlib.crc32(body) != crc:
        raise fail(
            path, "png", f"CRC mismatch in {chunk.ctype.decode()} chunk at byte {chunk.start}"
        )
    return body[4:]


def _inflate(data: bytes, ctype: bytes, path: FileName) -> bytes:
    """``zlib.decompress(data)``, refusing more than :data:`_MAX_TEXT` bytes of output."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, _MAX_TEXT)
    if not inflater.eof:
        if len(out) >= _MAX_TEXT:
            raise fail(
                path, "png", f"{ctype.decode()} chunk inflates to more than {_MAX_TEXT} bytes"
            )
        raise zlib.error("incomplete or truncated stream")
    return out


def _text_value(ctype: bytes, data: bytes, path: FileName) -> tuple[bytes, str]:
    """(keyword, text) of a tEXt/zTXt/iTXt chunk."""
    keyword, sep, rest = data.partition(b"\0")
    if not sep:
        raise fail(path, "png", f"{ctype.decode()} chunk without a keyword separator")
    try:
        if ctype == b"tEXt":
            return keyword, rest.decode("latin-1")
        if ctype == b"zTXt":
            return keyword, _inflate(rest[1:], ctype, path).decode("latin-1")
        flag, _method = rest[0], rest[1]
        _lang, _, rest = rest[2:].partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        if flag:
            text = _inflate(text, ctype, path)
        return keyword, text.decode("utf-8")
    except (zlib.error, IndexError, UnicodeDecodeError) as exc:
        raise fail(path, "png", f"unreadable {ctype.decode()} chunk ({exc})") from None


def _chunk_bytes(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def _itxt(keyword: bytes, text: bytes) -> bytes:
    return _chunk_bytes(b"iTXt", keyword + b"\0\0\0\0\0" + text)


class PngCarrier:
    """PNG text chunk ``AIGC`` and XMP."""

    name = "png"
    extensions = (".png", ".apng")

    def sniff(self, head: bytes) -> bool:
        """PNG signature."""
        return head.startswith(SIGNATURE)

    def read(self, path: Path) -> list[CarrierHit]:
        """Text chunks keyed AIGC and XMP labels, in file order."""
        with mapped(path, "png") as buf:
            return self.read_buf(buf, path)

    def read_buf(self, buf: Buf, path: FileName) -> list[CarrierHit]:
        """``read`` on the mapped file."""
        hits: list[CarrierHit] = []
        for chunk in _walk(buf, path):
            if chunk.ctype not in _TEXT_TYPES:
                continue
            key = buf[chunk.data_start : chunk.data_start + 80].partition(b"\0")[0]
            if key not in (KEY.encode(), _XMP_KEY):
                continue
            keyword, text = _text_value(chunk.ctype, _checked(buf, chunk, path), path)
            if keyword == _XMP_KEY:
                try:
                    values = _xmp.labels_in(text.encode("utf-8"))
                except _xmp.XmpError as exc:
                    raise fail(path, "png", str(exc)) from None
                hits.extend(CarrierHit("png:xmp", v) for v in values)
            else:
                hits.append(CarrierHit(f"png:{chunk.ctype.decode()}", text))
        return hits

    def read_back(self, head: Buf, path: FileName) -> list[CarrierHit]:
        """``read_buf`` (a plan never gives a ``head``)."""
        return self.read_buf(head, path)

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the label chunks replaced; image chunks untouched."""
        write_mapped(self.plan, src, dst, payload, "png")

    def plan(self, buf: Buf, src: FileName, payload: str | None) -> Plan:
        """The chunks as they are, the label chunks replaced (new ones after IHDR)."""
        chunks = list(_walk(buf, src))
        xmp_chunk: _Chunk | None = None
        old_xmp: bytes | None = None
        for chunk in chunks:
            if chunk.ctype == b"iTXt" and buf[chunk.data_start :].startswith(_XMP_KEY + b"\0"):
                if xmp_chunk is not None:
                    raise fail(src, "png", "two XMP chunks; refusing to guess which one counts")
                xmp_chunk = chunk
                _, text = _text_value(chunk.ctype, _checked(buf, chunk, src), src)
                old_xmp = text.encode("utf-8")
        try:
            new_xmp = _xmp.merge(old_xmp, payload)
        except _xmp.XmpError as exc:
            raise fail(src, "png", str(exc)) from None
        pieces = Pieces()
        pieces.copy(0, len(SIGNATURE))
        for chunk in chunks:
            if chunk is xmp_chunk:
                if new_xmp is not None:
                    pieces.add(_itxt(_XMP_KEY, new_xmp))
                continue
            if chunk.ctype in _TEXT_TYPES:
                key = buf[chunk.data_start : chunk.data_start + 80].partition(b"\0")[0]
                if key == KEY.encode():
                    continue
            pieces.copy(chunk.start, chunk.end)
            if chunk.ctype == b"IHDR":
                if payload is not None:
                    pieces.add(_itxt(KEY.encode(), payload.encode("utf-8")))
                if new_xmp is not None and xmp_chunk is None:
                    pieces.add(_itxt(_XMP_KEY, new_xmp))
        return Plan(pieces.items)

    def content(self, path: Path) -> Iterator[bytes]:
        """Type, length and data of every image-defining chunk, in file order."""
        with mapped(path, "png") as buf:
            for chunk in _walk(buf, path):
                if chunk.ctype in _CONTENT_CHUNKS:
                    yield (
                        buf[chunk.start + 4 : chunk.start + 8] + buf[chunk.start : chunk.start + 4]
                    )
                    yield from pieces(buf, chunk.data_start, chunk.end - 4)


CARRIER = PngCarrier()
