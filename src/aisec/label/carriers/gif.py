"""GIF: the label in an XMP packet stored the way the XMP specification (part 3) puts it
in GIF: an application extension ``XMP DataXMP`` holding the raw packet followed by the
258-byte "magic trailer" that lets ordinary sub-block readers skip it.

The file is walked block by block; image data, palettes, graphic control and other
extensions are copied untouched. A GIF87a file that gains the extension is marked
GIF89a (extensions are a GIF89a feature); nothing else in the header changes.
Signatures cover the screen descriptor, palettes, images, graphic control, plain text
and looping (``NETSCAPE2.0``) blocks, not comments or other application extensions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from aisec.label.carriers import _xmp
from aisec.label.carriers._io import Buf, Pieces, fail, mapped, pieces, write_mapped
from aisec.label.carriers.base import CarrierHit, FileName, Plan

_XMP_APP = b"\x21\xff\x0bXMP DataXMP"
_TRAILER = bytes([1, *range(255, -1, -1), 0])  # magic trailer incl. the block terminator
_KEEP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


class _Block(NamedTuple):
    kind: int  # 0x21 extension, 0x2C image, 0x3B trailer
    label: int  # extension label (0 for images and the trailer)
    start: int
    end: int


def _sub_blocks_end(buf: Buf, pos: int, path: FileName) -> int:
    size = len(buf)
    while True:
        if pos >= size:
            raise fail(path, "gif", "truncated file: data sub-blocks run past the end")
        n = buf[pos]
        pos += 1
        if n == 0:
            return pos
        pos += n


def _walk(buf: Buf, path: FileName) -> tuple[int, list[_Block]]:
    """(end of the logical screen descriptor and global palette, blocks to the trailer)."""
    if buf[:6] not in (b"GIF87a", b"GIF89a"):
        raise fail(path, "gif", "not a GIF file (bad signature)")
    if len(buf) < 13:
        raise fail(path, "gif", "truncated file: no logical screen descriptor")
    packed = buf[10]
    pos = 13 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)
    blocks: list[_Block] = []
    size = len(buf)
    while True:
        if pos >= size:
            raise fail(path, "gif", "truncated file: no trailer (0x3B)")
        kind = buf[pos]
        if kind == 0x3B:
            blocks.append(_Block(kind, 0, pos, pos + 1))
            return (13 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)), blocks
        if kind == 0x21:
            if pos + 2 > size:
                raise fail(path, "gif", f"truncated extension at byte {pos}")
            end = _sub_blocks_end(buf, pos + 2, path)
            blocks.append(_Block(kind, buf[pos + 1], pos, end))
        elif kind == 0x2C:
            if pos + 11 > size:
                raise fail(path, "gif", f"truncated image descriptor at byte {pos}")
            flags = buf[pos + 9]
            data = pos + 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
            end = _sub_blocks_end(buf, data + 1, path)
            blocks.append(_Block(kind, 0, pos, end))
        else:
            raise fail(path, "gif", f"unknown block type 0x{kind:02x} at byte {pos}")
        pos = end


def _is_xmp(buf: Buf, b: _Block) -> bool:
    return buf[b.start : b.start + len(_XMP_APP)] == _XMP_APP


def _packet(buf: Buf, b: _Block, path: FileName) -> bytes:
    data_start, data_end = b.start + len(_XMP_APP), b.end - len(_TRAILER)
    if data_end < data_start or buf[data_end : b.end] != _TRAILER:
        raise fail(path, "gif", "XMP application extension without the XMP magic trailer")
    return buf[data_start:data_end]


class GifCarrier:
    """GIF XMP application extension."""

    name = "gif"
    extensions = (".gif",)

    def sniff(self, head: bytes) -> bool:
        """GIF87a / GIF89a signature."""
        return head[:6] in (b"GIF87a", b"GIF89a")

    def read(self, path: Path) -> list[CarrierHit]:
        """Labels in the XMP extension(s)."""
        with mapped(path, "gif") as buf:
            return self.read_buf(buf, path)

    def read_buf(self, buf: Buf, path: FileName) -> list[CarrierHit]:
        """``read`` on the mapped file."""
        hits: list[CarrierHit] = []
        _, blocks = _walk(buf, path)
        for b in blocks:
            if _is_xmp(buf, b):
                try:
                    values = _xmp.labels_in(_packet(buf, b, path))
                except _xmp.XmpError as exc:
                    raise fail(path, "gif", str(exc)) from None
                hits.extend(CarrierHit("gif:xmp", v) for v in values)
        return hits

    def read_back(self, head: Buf, path: FileName) -> list[CarrierHit]:
        """``read_buf`` (a plan never gives a ``head``)."""
        return self.read_buf(head, path)

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy with the XMP extension replaced (or added after the global palette)."""
        write_mapped(self.plan, src, dst, payload, "gif")

    def plan(self, buf: Buf, src: FileName, payload: str | None) -> Plan:
        """The blocks as they are, the XMP extension replaced or added."""
        screen_end, blocks = _walk(buf, src)
        xmps = [b for b in blocks if _is_xmp(buf, b)]
        if len(xmps) > 1:
            raise fail(src, "gif", "two XMP extensions; refusing to guess which one counts")
        old = _packet(buf, xmps[0], src) if xmps else None
        try:
            new = _xmp.merge(old, payload)
        except _xmp.XmpError as exc:
            raise fail(src, "gif", str(exc)) from None
        if new is not None and b"\x00" in new:
            raise fail(src, "gif", "the XMP packet contains NUL bytes")
        block = b"" if new is None else _XMP_APP + new + _TRAILER
        pieces = Pieces()
        if block:
            pieces.add(b"GIF89a")
        else:
            pieces.copy(0, 6)
        pieces.copy(6, screen_end)
        if not xmps:
            pieces.add(block)
        for b in blocks:
            if xmps and b is xmps[0]:
                pieces.add(block)
            else:
                pieces.copy(b.start, b.end)
        pieces.copy(blocks[-1].end, len(buf))
        return Plan(pieces.items)

    def content(self, path: Path) -> Iterator[bytes]:
        """Screen descriptor, palettes, images and rendering extensions (not the version
        bytes, which labelling a GIF87a file changes)."""
        with mapped(path, "gif") as buf:
            screen_end, blocks = _walk(buf, path)
            yield buf[6:screen_end]
            for b in blocks:
                if b.kind == 0x21 and b.label == 0xFE:
                    continue  # comment
                if (
                    b.kind == 0x21
                    and b.label == 0xFF
                    and buf[b.start + 3 : b.start + 14] not in _KEEP_APPS
                ):
                    continue  # XMP and other application data
                yield from pieces(buf, b.start, b.end)


CARRIER = GifCarrier()
