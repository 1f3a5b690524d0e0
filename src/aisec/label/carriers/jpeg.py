"""JPEG: the label in the XMP packet of an ``APP1`` segment
(``http://ns.adobe.com/xap/1.0/``), element ``TC260:AIGC``.

The file is walked segment by segment up to the end of image (``EOI``), through the
entropy-coded scans, so a truncated file is refused before anything is written. Only the
XMP segment changes: other segments, the scans and any bytes after ``EOI`` (e.g. an
appended motion-photo video) are copied untouched. Extended XMP segments are kept as
they are. When a file has no XMP yet, the new segment goes after the leading
``APP0`` (JFIF) and ``APP1`` (Exif) segments. The written file is three pieces: the
source up to the XMP segment, the new segment, the rest of the source.

After a write, the label is read back from the segments before the first scan
(``read_back``), where the one XMP segment a write leaves lies — unless the source had
it after a scan, where it stays and the whole file is read back.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from aisec.label.carriers import _xmp
from aisec.label.carriers._io import Buf, Pieces, fail, mapped, pieces, write_mapped
from aisec.label.carriers.base import CarrierHit, FileName, Plan

_XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
_EXIF_SIG = b"Exif\x00"
_MAX_SEGMENT = 0xFFFF - 2
# Markers without a length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8), 0xD8, 0xD9})
# In entropy-coded data, 0xFF is followed by 0x00 (stuffing), a restart marker or fill.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SOS, _EOI = 0xDA, 0xD9
# Markers followed by a length and nothing else to look at (not SOS, not fill bytes).
_PLAIN = frozenset(range(256)) - _STANDALONE - {_SOS, 0xFF}
_MARKER = struct.Struct(">BBH")
_new = tuple.__new__  # a NamedTuple without its Python-level constructor


class _Segment(NamedTuple):
    marker: int
    start: int  # offset of the 0xFF
    end: int  # offset after the segment (for SOS: after the entropy-coded data)
    body: int  # offset after the marker and length (== end for markers without a length)

    def is_app(self, n: int) -> bool:
        return self.marker == 0xE0 + n


def _walk(buf: Buf, path: FileName, header_only: bool = False) -> tuple[list[_Segment], int]:
    """All segments up to and including EOI, and the offset after EOI. ``header_only``:
    the segments before the first scan (SOS) and the offset where it starts, without
    reading on (so ``buf`` may end right after that SOS marker)."""
    size = len(buf)
    if buf[:2] != b"\xff\xd8":
        raise fail(path, "jpeg", "not a JPEG file (no SOI marker)")
    segments: list[_Segment] = []
    pos = 2
    run_start = -1  # where a run of 0xFF fill bytes began
    while True:
        if run_start < 0 and pos + 4 <= size:  # the common case, in fewer steps
            ff, marker, length = _MARKER.unpack_from(buf, pos)
            if ff == 0xFF and marker in _PLAIN:
                end = pos + 2 + length
                if length < 2 or end > size:
                    raise fail(
                        path, "jpeg", f"truncated or corrupt segment 0xFF{marker:02X} at byte {pos}"
                    )
                segments.append(_new(_Segment, (marker, pos, end, pos + 4)))
                pos = end
                continue
        if pos + 2 > size:
            raise fail(path, "jpeg", "truncated file: no EOI marker")
        if buf[pos] != 0xFF:
            raise fail(path, "jpeg", f"expected a marker at byte {pos}, found 0x{buf[pos]:02x}")
        marker = buf[pos + 1]
        if marker == 0xFF:  # fill byte before a marker: it stays with the segment
            if run_start < 0:
                run_start = pos
            pos += 1
            continue
        start = pos if run_start < 0 else run_start
        run_start = -1
        if marker == _EOI:
            segments.append(_Segment(marker, start, pos + 2, pos + 2))
            return segments, pos + 2
        if marker in _STANDALONE:
            segments.append(_Segment(marker, start, pos + 2, pos + 2))
            pos += 2
            continue
        if marker == _SOS and header_only:
            return segments, start
        if pos + 4 > size:
            raise fail(path, "jpeg", f"truncated segment header at byte {pos}")
        end = pos + 2 + (buf[pos + 2] << 8 | buf[pos + 3])
        if end < pos + 4 or end > size:
            raise fail(path, "jpeg", f"truncated or corrupt segment 0xFF{marker:02X} at byte {pos}")
        if marker == _SOS:
            found = _NEXT_MARKER.search(buf, end)
            if found is None:
                raise fail(path, "jpeg", "truncated file: image data ends without an EOI marker")
            end = found.start()
        segments.append(_Segment(marker, start, end, pos + 4))
        pos = end


def _is_xmp(buf: Buf, seg: _Segment) -> bool:
    return seg.marker == 0xE1 and buf[seg.body : seg.body + len(_XMP_SIG)] == _XMP_SIG


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def _labels(buf: Buf, segments: list[_Segment], path: FileName) -> list[CarrierHit]:
    hits: list[CarrierHit] = []
    for seg in segments:
        if seg.marker == 0xE1 and _is_xmp(buf, seg):
            packet = buf[seg.body + len(_XMP_SIG) : seg.end]
            try:
                hits.extend(CarrierHit("jpeg:xmp", v) for v in _xmp.labels_in(packet))
            except _xmp.XmpError as exc:
                raise fail(path, "jpeg", str(exc)) from None
    return hits


def _insert_at(buf: Buf, segments: list[_Segment]) -> int:
    """Where a new XMP segment goes: after the leading JFIF/Exif segments."""
    at = 2
    for seg in segments:
        if not (seg.is_app(0) or (seg.is_app(1) and buf[seg.body : seg.body + 6] == _EXIF_SIG)):
            break
        at = seg.end
    return at


class JpegCarrier:
    """JPEG XMP (APP1)."""

    name = "jpeg"
    extensions = (".jpg", ".jpeg", ".jpe", ".jfif")

    def sniff(self, head: bytes) -> bool:
        """SOI followed by a marker."""
        return head.startswith(b"\xff\xd8\xff")

    def read(self, path: Path) -> list[CarrierHit]:
        """Labels in the XMP segment(s), in file order."""
        with mapped(path, "jpeg") as buf:
            return self.read_buf(buf, path)

    def read_buf(self, buf: Buf, path: FileName) -> list[CarrierHit]:
        """``read`` on the file's bytes."""
        segments, _ = _walk(buf, path)
        return _labels(buf, segments, path)

    def read_back(self, head: Buf, path: FileName) -> list[CarrierHit]:
        """Labels in the segments before the first scan: the plan gives a ``head`` only
        when that is where the one XMP segment it writes lies."""
        segments, _ = _walk(head, path, header_only=True)
        return _labels(head, segments, path)

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy with the XMP segment replaced; every other byte is copied as it is."""
        write_mapped(self.plan, src, dst, payload, "jpeg")

    def plan(self, buf: Buf, src: FileName, payload: str | None) -> Plan:
        """The file up to the XMP segment, the new segment, the rest in one piece."""
        segments, _ = _walk(buf, src)
        xmp_segs = [s for s in segments if _is_xmp(buf, s)]
        if len(xmp_segs) > 1:
            raise fail(src, "jpeg", "two standard XMP segments; refusing to guess which counts")
        old = buf[xmp_segs[0].body + len(_XMP_SIG) : xmp_segs[0].end] if xmp_segs else None
        try:
            new = _xmp.merge(old, payload)
        except _xmp.XmpError as exc:
            raise fail(src, "jpeg", str(exc)) from None
        # checked before the segment is built: its 2-byte length cannot hold more
        if new is not None and len(_XMP_SIG) + len(new) + 2 > _MAX_SEGMENT:
            raise fail(src, "jpeg", "the XMP packet would exceed one APP1 segment (64 KiB)")
        new_seg = b"" if new is None else _segment(0xE1, _XMP_SIG + new)
        if xmp_segs:
            cut, resume = xmp_segs[0].start, xmp_segs[0].end
        else:
            cut = resume = _insert_at(buf, segments)
        pieces = Pieces()
        pieces.copy(0, cut)
        pieces.add(new_seg)
        pieces.copy(resume, len(buf))
        # read back the header when the label lies in it: up to the first SOS marker
        sos = next((s for s in segments if s.marker == _SOS), None)
        head = None
        if sos is not None and sos.start >= resume:
            head = sos.body - 2 + len(new_seg) - (resume - cut)
        return Plan(pieces.items, head=head)

    def content(self, path: Path) -> Iterator[bytes]:
        """Every segment but APPn and COM (keeping APP2 ICC and APP14 Adobe, which change
        how pixels decode), the scans, and anything after EOI."""
        with mapped(path, "jpeg") as buf:
            segments, eoi_end = _walk(buf, path)
            for seg in segments:
                if 0xE0 <= seg.marker <= 0xEF or seg.marker == 0xFE:
                    sig = buf[seg.body : seg.body + 12]
                    if not (
                        (seg.is_app(2) and sig.startswith(b"ICC_PROFILE"))
                        or (seg.is_app(14) and sig.startswith(b"Adobe"))
                    ):
                        continue
                yield from pieces(buf, seg.start, seg.end)
            yield from pieces(buf, eoi_end, len(buf))


CARRIER = JpegCarrier()
