"""Matroska and WebM: the label is a global ``Tags/Tag/SimpleTag`` with ``TagName`` ``AIGC``
and ``TagString`` the payload (the ``Tag`` has empty ``Targets``: it applies to the file).

Independent readers: ffprobe shows it as the format tag ``AIGC``, ExifTool as
``Matroska:Aigc``; mkvinfo/mkvextract list it as any other tag.

No library writes Matroska tags without remuxing, so the EBML structure is walked here
(element headers and encoding: :mod:`aisec.label.carriers._ebml`). Writing keeps every
element of the segment in order and byte for byte, except:

* the first ``Tags`` element before the first ``Cluster`` loses any ``AIGC`` SimpleTag
  and gains the new one (a ``Tags`` element is created there if there is none); ``Tags``
  elsewhere lose their ``AIGC`` SimpleTags;
* ``Void`` elements before the first ``Cluster`` are slack: the head is rebuilt and
  padded with one ``Void`` so the clusters stay where they were. Only when the head
  outgrows its slack do the clusters move (a 4 KiB ``Void`` is then left for next time);
* the ``SeekHead`` is rebuilt with the new positions, and ``Cues`` (cluster positions)
  are rebuilt whenever a cluster moved. A ``CRC-32`` child of a rebuilt element is
  recomputed.

Clusters are copied in chunks, never held in memory; unknown-size (live) segments and
clusters are walked to their end. A ``Position`` element inside a moved cluster is not
updated (it is optional, and muxers such as ffmpeg do not write it).

``content`` is each track's ``CodecPrivate`` (decoder configuration) and every
``Cluster`` (the audio/video blocks), in file order.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aisec.label.carriers import _ebml
from aisec.label.carriers._io import fail, max_items, read_range
from aisec.label.carriers.base import KEY, CarrierError, CarrierHit

_EBML = 0x1A45DFA3
_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_SEEKHEAD, _SEEK, _SEEK_ID, _SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
_TRACKS, _TRACK_ENTRY, _CODEC_PRIVATE = 0x1654AE6B, 0xAE, 0x63A2
_TAGS, _TAG, _TARGETS, _SIMPLE_TAG = 0x1254C367, 0x7373, 0x63C0, 0x67C8
_TAG_NAME, _TAG_STRING = 0x45A3, 0x4487
_CLUSTER, _CUES = 0x1F43B675, 0x1C53BB6B
_CUE_POINT, _CUE_TRACK_POSITIONS, _CUE_REFERENCE = 0xBB, 0xB7, 0xDB
#: Cue children holding segment positions (CueClusterPosition, CueCodecState, CueRefCluster).
_CUE_POSITIONS = {0xF1, 0xEA, 0x97}
_LEVEL1 = {
    _SEEKHEAD,
    0x1549A966,  # Info
    _TRACKS,
    _TAGS,
    _CLUSTER,
    _CUES,
    0x1043A770,  # Chapters
    0x1941A469,  # Attachments
}
_RESERVE = 4096


@dataclass(frozen=True, slots=True)
class _Element:
    id: int
    offset: int
    header: int  # bytes of ID + size
    size: int  # data size (resolved for unknown-size elements)

    @property
    def data_start(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.data_start + self.size


def _fail(path: Path, problem: str) -> CarrierError:
    return fail(path, "Matroska", problem)


# -- Walking the file ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    segment: _Element
    segment_size_width: int  # 0 when the segment size is unknown
    elements: tuple[_Element, ...]
    file_size: int


class _Walker:
    def __init__(self, fh: BinaryIO, path: Path) -> None:
        self.fh, self.path = fh, path
        fh.seek(0, 2)
        self.size = fh.tell()

    def header(self, pos: int, end: int) -> tuple[int, int, int]:
        self.fh.seek(pos)
        buf = self.fh.read(min(12, end - pos))
        parsed = _ebml.parse_header(buf, 0)
        if parsed is None:
            raise _fail(self.path, f"invalid element header at offset {pos}")
        return parsed

    def read(self, element: _Element) -> bytes:
        self.fh.seek(element.data_start)
        data = self.fh.read(element.size)
        if len(data) != element.size:
            raise _fail(self.path, f"the file is truncated inside the element at {element.offset}")
        return data

    def stream(self, start: int, end: int) -> Iterator[bytes]:
        return read_range(self.fh, self.path, "Matroska", start, end)

    def layout(self) -> _Layout:
        eid, size, header = self.header(0, self.size) if self.size >= 2 else (0, 0, 0)
        if eid != _EBML or size == _ebml.UNKNOWN or header + size > self.size:
            raise _fail(self.path, "no EBML header at the start; not a Matroska/WebM file")
        ebml = self.read(_Element(eid, 0, header, size))
        try:
            doctype = next(
                ebml[o + h : o + h + s] for i, o, h, s in _ebml.children(ebml) if i == _DOCTYPE
            )
        except (ValueError, StopIteration):
            raise _fail(self.path, "the EBML header has no readable DocType") from None
        if doctype.rstrip(b"\x00") not in (b"matroska", b"webm"):
            raise _fail(self.path, f"DocType {doctype!r} is not matroska or webm")
        pos = header + size
        while True:
            if pos >= self.size:
                raise _fail(self.path, "no Segment element (file truncated?)")
            eid, size, header = self.header(pos, self.size)
            if eid == _SEGMENT:
                break
            if eid != _ebml.VOID or size == _ebml.UNKNOWN:
                raise _fail(self.path, f"unexpected element 0x{eid:X} before the Segment")
            pos += header + size
        id_len = len(_ebml.encode_id(_SEGMENT))
        width = 0 if size == _ebml.UNKNOWN else header - id_len
        end = self.size if size == _ebml.UNKNOWN else pos + header + size
        if end > self.size:
            raise _fail(
                self.path,
                f"the Segment declares {end} bytes but the file has {self.size} (truncated?)",
            )
        segment = _Element(_SEGMENT, pos, header, end - pos - header)
        elements = tuple(self.walk(segment.data_start, end))
        return _Layout(segment, width, elements, self.size)

    def walk(self, start: int, end: int) -> Iterator[_Element]:
        pos, left = start, max_items(end - start)
        while pos < end:
            left -= 1
            if left < 0:
                raise _fail(
                    self.path, f"too many elements in the {end - start} bytes of the Segment"
                )
            eid, size, header = self.header(pos, end)
            if size == _ebml.UNKNOWN:
                if eid != _CLUSTER:
                    raise _fail(self.path, f"element 0x{eid:X} at offset {pos} has no size")
                size = self._unknown_cluster_size(pos + header, end)
            element = _Element(eid, pos, header, size)
            if element.end > end:
                raise _fail(
                    self.path,
                    f"element 0x{eid:X} at offset {pos} ({size} bytes) runs past the end "
                    "of the Segment (file truncated?)",
                )
            yield element
            pos = element.end

    def _unknown_cluster_size(self, start: int, end: int) -> int:
        """A live-stream cluster ends where the next top-level element begins."""
        pos = start
        while pos < end:
            eid, size, header = self.header(pos, end)
            if eid in _LEVEL1 or eid == _EBML:
                break
            if size == _ebml.UNKNOWN or pos + header + size > end:
                raise _fail(self.path, f"cluster child at offset {pos} is cut short (truncated?)")
            pos += header + size
        return pos - start


# -- Tags ------------------------------------------------------------------------------


def _simple_tag_name(data: bytes, offset: int, header: int, size: int) -> str:
    for eid, o, h, s in _ebml.children(data, offset + header, offset + header + size):
        if eid == _TAG_NAME:
            return data[o + h : o + h + s].decode("utf-8", "replace")
    return ""


def _label_tag(payload: str) -> bytes:
    simple = _ebml.element(_TAG_NAME, KEY.encode()) + _ebml.element(
        _TAG_STRING, payload.encode("utf-8")
    )
    return _ebml.element(_TAG, _ebml.element(_TARGETS, b"") + _ebml.element(_SIMPLE_TAG, simple))


def _relabel_tags(data: bytes, payload: str | None) -> bytes | None:
    """A Tags element (from its data) without AIGC SimpleTags, plus one for ``payload``;
    None when no Tag is left."""
    kept: list[bytes] = []
    had_crc = False
    for eid, offset, header, size in _ebml.children(data):
        raw = data[offset : offset + header + size]
        if eid == _ebml.CRC32:
            had_crc = True
            continue
        if eid != _TAG:
            kept.append(raw)
            continue
        parts, simple_before, simple_after = [], 0, 0
        for cid, co, ch, cs in _ebml.children(data, offset + header, offset + header + size):
            if cid == _SIMPLE_TAG:
                simple_before += 1
                if _simple_tag_name(data, co, ch, cs).upper() == KEY:
                    continue
                simple_after += 1
            parts.append(data[co : co + ch + cs])
        if simple_after == simple_before:
            kept.append(raw)
        elif simple_after:
            kept.append(_ebml.element(_TAG, b"".join(parts)))
    if payload is not None:
        kept.append(_label_tag(payload))
    if not any(k.startswith(_ebml.encode_id(_TAG)) for k in kept):
        return None
    return _ebml.master(_TAGS, kept, had_crc)


def _tag_hits(data: bytes) -> list[CarrierHit]:
    hits = []
    for eid, offset, header, size in _ebml.children(data):
        if eid != _TAG:
            continue
        for cid, co, ch, cs in _ebml.children(data, offset + header, offset + header + size):
            if cid != _SIMPLE_TAG or _simple_tag_name(data, co, ch, cs).upper() != KEY:
                continue
            for gid, go, gh, gs in _ebml.children(data, co + ch, co + ch + cs):
                if gid == _TAG_STRING:
                    text = data[go + gh : go + gh + gs].rstrip(b"\x00").decode("utf-8")
                    hits.append(CarrierHit("matroska:SimpleTag", text))
    return hits


# -- SeekHead and Cues -----------------------------------------------------------------


def _rebuild_seekhead(
    data: bytes, remap: Callable[[int], int | None], extra: list[tuple[int, int]]
) -> bytes:
    """The SeekHead with every position remapped (entries whose target is gone are
    dropped) and ``extra`` (id, new position) entries added; positions use 8 bytes so
    the size does not depend on them."""
    seeks: list[bytes] = []
    had_crc = False
    for eid, offset, header, size in _ebml.children(data):
        if eid == _ebml.CRC32:
            had_crc = True
        elif eid == _SEEK:
            fields = {
                cid: data[co + ch : co + ch + cs]
                for cid, co, ch, cs in _ebml.children(data, offset + header, offset + header + size)
            }
            target = remap(int.from_bytes(fields.get(_SEEK_POSITION, b""), "big"))
            if _SEEK_ID in fields and target is not None:
                seeks.append(_seek(fields[_SEEK_ID], target))
    seeks += [_seek(_ebml.encode_id(eid), position) for eid, position in extra]
    return _ebml.master(_SEEKHEAD, seeks, had_crc)


def _position(value: int) -> bytes:
    """A segment position on 8 bytes; ValueError (a malformed element) if it cannot be."""
    if value >= 1 << 64:
        raise ValueError(f"position {value} does not fit in 8 bytes")
    return value.to_bytes(8, "big")


def _seek(seek_id: bytes, position: int) -> bytes:
    return _ebml.element(
        _SEEK,
        _ebml.element(_SEEK_ID, seek_id) + _ebml.element(_SEEK_POSITION, _position(position)),
    )


#: the masters `_rebuild_cues` opens, by depth: CuePoint > CueTrackPositions > CueReference
_CUE_NESTING = (_CUE_POINT, _CUE_TRACK_POSITIONS, _CUE_REFERENCE)


def _rebuild_cues(data: bytes, remap: Callable[[int], int | None]) -> bytes:
    """Cues with every cluster position remapped (8-byte values). Only the nesting the
    format has is opened (`_CUE_NESTING`): a file that nests cue points in cue points a
    thousand deep is copied as it is there, not followed until the stack runs out."""

    def rebuild(start: int, end: int, depth: int = 0) -> list[bytes]:
        out = []
        for eid, offset, header, size in _ebml.children(data, start, end):
            if eid == _ebml.CRC32:
                continue
            if depth < len(_CUE_NESTING) and eid == _CUE_NESTING[depth]:
                inner = rebuild(offset + header, offset + header + size, depth + 1)
                out.append(_ebml.element(eid, b"".join(inner)))
            elif eid in _CUE_POSITIONS:
                old = int.from_bytes(data[offset + header : offset + header + size], "big")
                new = remap(old)
                out.append(_ebml.element(eid, _position(old if new is None else new)))
            else:
                out.append(data[offset : offset + header + size])
        return out

    had_crc = any(eid == _ebml.CRC32 for eid, *_ in _ebml.children(data))
    return _ebml.master(_CUES, rebuild(0, len(data)), had_crc)


# -- The carrier -----------------------------------------------------------------------


class MatroskaCarrier:
    """Label carrier for Matroska and WebM (global SimpleTag ``AIGC``)."""

    name = "matroska"
    extensions = (".mkv", ".mka", ".mk3d", ".webm")

    def sniff(self, head: bytes) -> bool:
        """The EBML magic number (DocType is checked when the file is read)."""
        return head.startswith(b"\x1a\x45\xdf\xa3")

    def read(self, path: Path) -> list[CarrierHit]:
        """Every ``AIGC`` SimpleTag, in file order."""
        with path.open("rb") as fh:
            walker = _Walker(fh, path)
            hits: list[CarrierHit] = []
            for element in walker.layout().elements:
                if element.id == _TAGS:
                    try:
                        hits += _tag_hits(walker.read(element))
                    except (ValueError, UnicodeDecodeError) as exc:
                        raise _fail(
                            path, f"the Tags element at {element.offset} is malformed ({exc})"
                        ) from None
            return hits

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the ``AIGC`` SimpleTag replaced or removed."""
        with src.open("rb") as fin:
            walker = _Walker(fin, src)
            layout = walker.layout()
            try:
                plan = self._plan(walker, layout, payload)
            except ValueError as exc:
                raise _fail(src, f"a metadata element is malformed ({exc})") from None
            with dst.open("wb") as fout:
                for part in walker.stream(0, layout.segment.offset):
                    fout.write(part)
                fout.write(_ebml.encode_id(_SEGMENT))
                total = sum(len(p) if isinstance(p, bytes) else p.end - p.offset for p in plan)
                if layout.segment_size_width:
                    width = layout.segment_size_width
                    fout.write(
                        _ebml.encode_size(total, width if total < (1 << (7 * width)) - 1 else 8)
                    )
                else:
                    fout.write(b"\x01\xff\xff\xff\xff\xff\xff\xff")
                for piece in plan:
                    if isinstance(piece, bytes):
                        fout.write(piece)
                    else:
                        for part in walker.stream(piece.offset, piece.end):
                            fout.write(part)
                for part in walker.stream(layout.segment.end, layout.file_size):
                    fout.write(part)

    def _plan(
        self, walker: _Walker, layout: _Layout, payload: str | None
    ) -> list[bytes | _Element]:
        """The new segment body: rendered bytes for rebuilt elements, elements to copy."""
        elements, seg_start = layout.elements, layout.segment.data_start
        head_end = next((e.offset for e in elements if e.id == _CLUSTER), layout.segment.end)
        head: list[_Piece] = []
        tail: list[_Piece] = []
        dropped: set[int] = set()  # old positions of elements left out
        pending = payload
        for element in elements:
            in_head = element.offset < head_end
            part = head if in_head else tail
            if in_head and element.id == _ebml.VOID:
                dropped.add(element.offset - seg_start)
                continue  # slack, given back as one Void below
            if element.id == _TAGS:
                new = _relabel_tags(walker.read(element), pending if in_head else None)
                pending = None if in_head else pending
                if new is None:
                    dropped.add(element.offset - seg_start)
                else:
                    part.append(_Piece(element, new))
                continue
            kind = {_SEEKHEAD: "seekhead", _CUES: "cues"}.get(element.id, "copy")
            part.append(_Piece(element, element, kind))
        created = None
        if pending is not None:
            created = _Piece(None, _ebml.master(_TAGS, [_label_tag(pending)], False))
            head.append(created)
        seekheads = [p for p in head + tail if p.kind == "seekhead"]
        # A created Tags element gets an entry in the first SeekHead.
        extra = {id(seekheads[0]): _TAGS} if created is not None and seekheads else {}

        def render(piece: _Piece, remap: Callable[[int], int | None]) -> None:
            assert piece.source is not None
            data = walker.read(piece.source)
            if piece.kind == "cues":
                piece.body = _rebuild_cues(data, remap)
            else:
                at = created.new_position if created is not None else None
                more = [(extra[id(piece)], at or 0)] if id(piece) in extra else []
                piece.body = _rebuild_seekhead(data, remap, more)

        # Position-dependent elements write positions on 8 bytes, so a first render
        # with the old positions (and the same entries dropped) gives their final size.
        def sizing(old: int) -> int | None:
            return None if old in dropped else old

        for piece in head + tail:
            if piece.kind == "seekhead" or (piece.kind == "cues" and piece in head):
                render(piece, sizing)
        new_head = sum(p.size for p in head)
        slack = head_end - seg_start - new_head
        if slack:
            head.append(_Piece(None, _ebml.void(slack if slack >= 2 else _RESERVE)))
        pieces = head + tail
        moved = _positions(pieces, seg_start)
        clusters = [e.offset - seg_start for e in elements if e.id == _CLUSTER]
        if any(moved.get(old) != old for old in clusters):
            for piece in tail:
                if piece.kind == "cues":
                    render(piece, sizing)
            moved = _positions(pieces, seg_start)
        else:
            for piece in tail:
                if piece.kind == "cues":
                    piece.kind = "copy"
        remap = _remapper(moved, dropped)
        if created is not None:
            created.new_position = _created_position(pieces, created)
        for piece in pieces:
            if piece.kind in ("seekhead", "cues"):
                render(piece, remap)
        return [p.body for p in pieces]

    def content(self, path: Path) -> Iterator[bytes]:
        """Each track's CodecPrivate, then every Cluster, in file order."""
        with path.open("rb") as fh:
            walker = _Walker(fh, path)
            elements = walker.layout().elements
            for element in elements:
                if element.id == _TRACKS:
                    data = walker.read(element)
                    try:
                        for eid, offset, header, size in _ebml.children(data):
                            if eid != _TRACK_ENTRY:
                                continue
                            for cid, co, ch, cs in _ebml.children(
                                data, offset + header, offset + header + size
                            ):
                                if cid == _CODEC_PRIVATE:
                                    yield data[co + ch : co + ch + cs]
                    except ValueError as exc:
                        raise _fail(path, f"the Tracks element is malformed ({exc})") from None
            for element in elements:
                if element.id == _CLUSTER:
                    yield from walker.stream(element.offset, element.end)


@dataclass(slots=True, eq=False)
class _Piece:
    """One element of the new segment body: copied from ``source`` or rendered."""

    source: _Element | None
    body: bytes | _Element
    kind: str = "bytes"  # "copy", "bytes", "seekhead" or "cues" (rendered from source)
    new_position: int | None = None  # for a created element

    @property
    def size(self) -> int:
        if isinstance(self.body, bytes):
            return len(self.body)
        return self.body.end - self.body.offset


def _positions(pieces: list[_Piece], seg_start: int) -> dict[int, int]:
    """Old segment-relative position of each kept element -> its new position."""
    moved, running = {}, 0
    for piece in pieces:
        if piece.source is not None:
            moved[piece.source.offset - seg_start] = running
        running += piece.size
    return moved


def _created_position(pieces: list[_Piece], created: _Piece) -> int:
    running = 0
    for piece in pieces:
        if piece is created:
            return running
        running += piece.size
    raise AssertionError("created element not in the plan")


def _remapper(moved: dict[int, int], dropped: set[int]) -> Callable[[int], int | None]:
    """Old segment position -> new one; None for an element that was left out."""
    starts = sorted(moved)

    def remap(old: int) -> int | None:
        if old in moved:
            return moved[old]
        if old in dropped:
            return None
        # A position inside a copied element (rare): keep its offset within it.
        k = bisect.bisect_right(starts, old) - 1
        return None if k < 0 else moved[starts[k]] + old - starts[k]

    return remap


CARRIER = MatroskaCarrier()
