"""TIFF: the label in the XMP packet of tag 700 (``XMLPacket``) in the first IFD.

Nothing in the original file moves, so every offset stays valid: the file is copied,
the new XMP packet and a new first IFD (the old entries with tag 700 replaced) are
appended, and the header is pointed at the new IFD. The replaced packet's bytes are
zeroed so a removed label does not linger. When the old packet and IFD are already the
file's tail (aisec wrote them), they are cut off first, so relabelling does not grow the
file. Classic TIFF in either byte order; BigTIFF is refused with a clear error.

The copy is one range of the source, left to the kernel (``copy_file_range``: shared, not
copied, on filesystems with reflinks); the header and the old packet are patched after
it. The read-back after a write reads the header, IFD0 and its packet, not the image.

When nothing is cut, the plan is an ``in_place`` one (see
:class:`~aisec.label.carriers.base.Plan`): labelling a file in place then skips the copy —
the packet and IFD0 are appended to the file itself, and the header's 4-byte IFD0 offset,
an aligned write, is the commit (libtiff's ``TIFFRewriteDirectory`` does the same). Until
it is written the file is the old TIFF with unreferenced bytes after it. A file with a
tail aisec appended before is rewritten, which cuts the tail: the first label appends, a
relabel compacts, so relabelling does not grow the file.

Signatures cover, for every IFD in the main chain, the tags that define the image
(size, samples, compression, colour map, ICC profile, ...) and the strip or tile data
they point to — not the offsets themselves, so a tool that relocates data keeps the
digest.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from aisec.label.carriers import _xmp
from aisec.label.carriers._io import Buf, Pieces, fail, mapped, pieces, write_mapped
from aisec.label.carriers.base import CarrierHit, FileName, Plan

_XMP_TAG = 700
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_IMAGE_TAGS = frozenset(
    {254, 256, 257, 258, 259, 262, 266, 277, 278, 284, 317, 320, 322, 323, 338, 339, 347,
     530, 531, 532, 34675}
)  # fmt: skip
_DATA = ((273, 279), (324, 325))  # (offsets, byte counts): strips, tiles
_MAX_IFDS = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    tag: int
    type: int
    count: int
    raw: bytes  # the 4-byte value/offset field as stored
    value_at: int  # where the value bytes are (inside the entry when they fit)
    length: int  # value length in bytes


class _Ifd(NamedTuple):
    offset: int
    entries: list[_Entry]
    next_offset: int

    @property
    def size(self) -> int:
        return 2 + 12 * len(self.entries) + 4


class _Tiff:
    def __init__(self, buf: Buf, path: FileName) -> None:
        self.buf, self.path = buf, path
        order = buf[:2]
        if order not in (b"II", b"MM"):
            raise fail(path, "tiff", "not a TIFF file (bad byte order mark)")
        self.e = "<" if order == b"II" else ">"
        if len(buf) < 8:
            raise fail(path, "tiff", "truncated header")
        (magic,) = struct.unpack(self.e + "H", buf[2:4])
        if magic == 43:
            raise fail(path, "tiff", "BigTIFF is not supported yet")
        if magic != 42:
            raise fail(path, "tiff", f"not a TIFF file (magic {magic})")
        (self.first,) = struct.unpack(self.e + "I", buf[4:8])
        # IFDs may overlap and tags may share values, so a small file can make a walk
        # parse the same bytes again and again; a walk may parse at most twice the file.
        self.budget = 2 * len(buf) + 64

    def _spend(self, n: int) -> None:
        self.budget -= n
        if self.budget < 0:
            raise fail(
                self.path,
                "tiff",
                "IFDs or tag values overlap (more directory data than the file holds)",
            )

    def ifd(self, offset: int) -> _Ifd:
        buf, size = self.buf, len(self.buf)
        if offset < 8 or offset + 2 > size:
            raise fail(self.path, "tiff", f"IFD offset {offset} is outside the file (truncated?)")
        (count,) = struct.unpack(self.e + "H", buf[offset : offset + 2])
        end = offset + 2 + 12 * count
        if end + 4 > size:
            raise fail(self.path, "tiff", f"truncated IFD at byte {offset}")
        self._spend(end + 4 - offset)
        entries = []
        for i in range(count):
            at = offset + 2 + 12 * i
            tag, typ, n = struct.unpack(self.e + "HHI", buf[at : at + 8])
            length = n * _TYPE_SIZES.get(typ, 1)
            if length <= 4:
                value_at = at + 8
            else:
                (value_at,) = struct.unpack(self.e + "I", buf[at + 8 : at + 12])
                if value_at + length > size:
                    raise fail(self.path, "tiff", f"tag {tag} data runs past the end (truncated?)")
            entries.append(_Entry(tag, typ, n, buf[at + 8 : at + 12], value_at, length))
        (next_offset,) = struct.unpack(self.e + "I", buf[end : end + 4])
        return _Ifd(offset, entries, next_offset)

    def chain(self) -> Iterator[_Ifd]:
        offset, seen = self.first, set[int]()
        while offset and len(seen) < _MAX_IFDS:
            if offset in seen:
                raise fail(self.path, "tiff", "IFD chain loops")
            seen.add(offset)
            ifd = self.ifd(offset)
            yield ifd
            offset = ifd.next_offset

    def value(self, e: _Entry) -> bytes:
        return self.buf[e.value_at : e.value_at + e.length]

    def ints(self, e: _Entry) -> list[int]:
        code = {3: "H", 4: "I", 13: "I", 1: "B", 7: "B"}.get(e.type)
        if code is None:
            raise fail(self.path, "tiff", f"tag {e.tag} has unexpected type {e.type}")
        self._spend(e.length)
        return list(struct.unpack(f"{self.e}{e.count}{code}", self.value(e)))

    def data_ranges(self, ifd: _Ifd) -> Iterator[tuple[int, int]]:
        """(offset, length) of every strip or tile; refuses data past the end."""
        by_tag = {e.tag: e for e in ifd.entries}
        for offsets_tag, counts_tag in _DATA:
            if offsets_tag in by_tag and counts_tag in by_tag:
                offsets = self.ints(by_tag[offsets_tag])
                counts = self.ints(by_tag[counts_tag])
                if len(offsets) != len(counts):
                    raise fail(self.path, "tiff", "strip/tile offsets and byte counts differ")
                for off, n in zip(offsets, counts, strict=True):
                    if off + n > len(self.buf):
                        raise fail(self.path, "tiff", "image data runs past the end (truncated)")
                    yield off, n

    def validated_chain(self) -> list[_Ifd]:
        """Every IFD of the main chain, with all image data inside the file."""
        ifds = list(self.chain())
        if not ifds:
            raise fail(self.path, "tiff", "no image file directory")
        for ifd in ifds:
            for _ in self.data_ranges(ifd):
                pass
        return ifds

    def pack_ifd(self, entries: list[_Entry], values: dict[int, int], next_offset: int) -> bytes:
        out = [struct.pack(self.e + "H", len(entries))]
        for e in entries:
            raw = struct.pack(self.e + "I", values[e.tag]) if e.tag in values else e.raw
            out.append(struct.pack(self.e + "HHI", e.tag, e.type, e.count) + raw)
        out.append(struct.pack(self.e + "I", next_offset))
        return b"".join(out)


class TiffCarrier:
    """TIFF XMP (tag 700)."""

    name = "tiff"
    extensions = (".tif", ".tiff")

    def sniff(self, head: bytes) -> bool:
        """TIFF byte-order mark and magic 42 (or 43, to refuse BigTIFF clearly)."""
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

    def read(self, path: Path) -> list[CarrierHit]:
        """Labels in IFD0's XMP packet."""
        with mapped(path, "tiff") as buf:
            return self.read_buf(buf, path)

    def read_buf(self, buf: Buf, path: FileName) -> list[CarrierHit]:
        """``read`` on the file's bytes."""
        tiff = _Tiff(buf, path)
        return self._labels(tiff, tiff.validated_chain()[0], path)

    def read_back(self, head: Buf, path: FileName) -> list[CarrierHit]:
        """Labels in IFD0 of a file this carrier just wrote (its plan's ``head`` is the
        whole file): the header, IFD0 and the packet it points to, not the other IFDs or
        the image data, which were checked before and copied as they were."""
        tiff = _Tiff(head, path)
        return self._labels(tiff, tiff.ifd(tiff.first), path)

    @staticmethod
    def _labels(tiff: _Tiff, ifd0: _Ifd, path: FileName) -> list[CarrierHit]:
        xmp = next((e for e in ifd0.entries if e.tag == _XMP_TAG), None)
        if xmp is None:
            return []
        try:
            return [CarrierHit("tiff:xmp", v) for v in _xmp.labels_in(tiff.value(xmp))]
        except _xmp.XmpError as exc:
            raise fail(path, "tiff", str(exc)) from None

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy, append the new XMP and IFD0, repoint the header (see module docstring)."""
        write_mapped(self.plan, src, dst, payload, "tiff")

    def plan(self, buf: Buf, src: FileName, payload: str | None) -> Plan:
        """The file as it is (one range), the new XMP and IFD0 after it; patches: the
        header's IFD0 offset (first: the commit of an in-place write) and the zeroed old
        packet. In place unless a tail is cut (the file then changes before its end)."""
        tiff = _Tiff(buf, src)
        ifds = tiff.validated_chain()
        ifd0 = ifds[0]
        old_entry = next((e for e in ifd0.entries if e.tag == _XMP_TAG), None)
        old = tiff.value(old_entry) if old_entry is not None else None
        try:
            new = _xmp.merge(old, payload)
        except _xmp.XmpError as exc:
            raise fail(src, "tiff", str(exc)) from None
        # cut a tail aisec appended before: [old XMP][pad][old IFD0] at the very end
        keep = len(buf)
        if ifd0.offset + ifd0.size == len(buf):
            keep = ifd0.offset
            if old_entry is not None and old_entry.length > 4:
                gap = ifd0.offset - (old_entry.value_at + old_entry.length)
                if 0 <= gap <= 1:
                    keep = old_entry.value_at
        entries = [e for e in ifd0.entries if e.tag != _XMP_TAG]
        pos = keep + (keep & 1)
        tail = [b"\0" * (pos - keep)]
        values: dict[int, int] = {}
        if new is not None:
            entries.append(_Entry(_XMP_TAG, 1, len(new), b"", 0, len(new)))
            entries.sort(key=lambda e: e.tag)
            values[_XMP_TAG] = pos
            tail.append(new)
            pos += len(new)
            if pos & 1:
                tail.append(b"\0")
                pos += 1
        ifd = tiff.pack_ifd(entries, values, ifd0.next_offset)
        tail.append(ifd)
        pieces = Pieces()
        pieces.copy(0, keep)
        pieces.add(b"".join(tail))
        patches = [(4, struct.pack(tiff.e + "I", pos))]  # the commit comes first
        if old_entry is not None and old_entry.length > 4 and old_entry.value_at < keep:
            patches.append((old_entry.value_at, b"\0" * old_entry.length))
        # head: the whole file
        return Plan(pieces.items, patches, head=pos + len(ifd), in_place=keep == len(buf))

    def content(self, path: Path) -> Iterator[bytes]:
        """Image-defining tags and strip/tile data of every IFD in the main chain."""
        with mapped(path, "tiff") as buf:
            tiff = _Tiff(buf, path)
            for ifd in tiff.chain():
                for e in ifd.entries:
                    if e.tag in _IMAGE_TAGS:
                        yield struct.pack(">HHI", e.tag, e.type, e.count) + tiff.value(e)
                for off, n in tiff.data_ranges(ifd):
                    yield from pieces(buf, off, off + n)


CARRIER = TiffCarrier()
