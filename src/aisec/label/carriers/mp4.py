"""MP4, MOV and M4A: the label is an iTunes-style freeform item
``moov/udta/meta/ilst/----`` with mean ``com.apple.iTunes`` and name ``AIGC`` (a UTF-8
``data`` atom).

Why this and not QuickTime ``mdta`` keys: both live in ``moov/udta/meta``, but the
freeform item is what mutagen (a maintained library) writes, and every independent
reader shows it under the plain key: ffprobe as the format tag ``AIGC``, ExifTool as
``iTunes:AIGC``, mutagen as ``MP4(path)["----:com.apple.iTunes:AIGC"]`` — for MP4, M4A
and QuickTime MOV alike. Reading accepts an ``AIGC`` freeform item under any mean.

mutagen does the writing on the copy: it rebuilds ``ilst``, keeps a padding ``free``
atom, and when ``moov`` grows in front of ``mdat`` (``-movflags +faststart`` files) it
shifts the media and fixes every ``stco``/``co64`` chunk offset (and ``tfhd`` base
offsets of fragmented files). The media bytes are moved in chunks, never loaded whole.
Before mutagen sees a file, the box structure is walked here, so truncated files and
impossible box sizes are refused with a specific message.

Files whose ``moov/udta/meta`` already uses QuickTime ``mdta`` keys (what
``ffmpeg -movflags use_metadata_tags -metadata AIGC=...`` writes) keep that layout: the
``AIGC`` key and its ``ilst`` item are replaced here by hand (ffprobe: format tag
``AIGC``; ExifTool: ``Keys:AIGC``), the other keys are renumbered with their values
untouched, and ``stco``/``co64`` offsets are fixed when ``moov`` precedes ``mdat``.
Adding an iTunes item there instead would leave a second label ffprobe cannot see.

``content`` is the sample descriptions (each track's ``stsd`` box: codec and decoder
configuration) followed by the payload of every ``mdat`` box in file order.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aisec.label.carriers._io import max_items, read_range
from aisec.label.carriers.base import KEY, CarrierError, CarrierHit

_ITEM = f"----:com.apple.iTunes:{KEY}"
#: Boxes whose children are boxes (``meta`` has 4 bytes of version/flags first).
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"mvex"}
#: Major brands of HEIF/AVIF still images, which share the box format but not this carrier.
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
_QUICKTIME_HEADS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True, slots=True)
class _Box:
    kind: bytes
    offset: int
    header: int  # 8, or 16 with a 64-bit size
    size: int  # whole box

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload_start(self) -> int:
        return self.offset + self.header


def _fail(path: Path, problem: str) -> CarrierError:
    return CarrierError(f"{path}: MP4: {problem}")


def _boxes(path: Path, data: bytes | None, fh: BinaryIO | None, start: int, end: int) -> list[_Box]:
    """The boxes between ``start`` and ``end`` of ``data`` (or of the file ``fh``)."""
    boxes = []
    pos, left = start, max_items(end - start)
    while pos < end:
        left -= 1
        if left < 0:
            raise _fail(path, f"too many boxes in the {end - start} bytes at offset {start}")
        if end - pos < 8:
            raise _fail(path, f"{end - pos} stray bytes at offset {pos} (truncated box?)")
        if data is not None:
            head = data[pos : pos + 16]
        else:
            assert fh is not None
            fh.seek(pos)
            head = fh.read(min(16, end - pos))
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1:
            if len(head) < 16:
                raise _fail(path, f"box {kind!r} at offset {pos} is cut short")
            (size,) = struct.unpack(">Q", head[8:16])
            header = 16
        elif size == 0:
            size = end - pos  # runs to the end of the file (or its parent)
        if size < header:
            raise _fail(path, f"box {kind!r} at offset {pos} has an impossible size {size}")
        if pos + size > end:
            raise _fail(
                path,
                f"box {kind!r} at offset {pos} ({size} bytes) runs past the end of its "
                "container (file truncated?)",
            )
        boxes.append(_Box(kind, pos, header, size))
        pos += size
    return boxes


def _children(path: Path, data: bytes, box: _Box) -> list[_Box]:
    """Child boxes of a container box held in ``data`` (offsets relative to ``data``)."""
    start = box.offset + box.header
    # ISO ``meta`` is a full box (4 bytes of version and flags before its children);
    # QuickTime's is not: tell them apart by where the ``hdlr`` child starts.
    if box.kind == b"meta" and data[start + 4 : start + 8] != b"hdlr":
        start += 4
    return _boxes(path, data, None, start, box.end)


@dataclass(frozen=True, slots=True)
class _Layout:
    top: list[_Box]
    moov: _Box
    moov_data: bytes  # the whole moov box


def _layout(fh: BinaryIO, path: Path) -> _Layout:
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    head = fh.read(8)
    if len(head) < 8 or not (head[4:8] == b"ftyp" or head[4:8] in _QUICKTIME_HEADS):
        raise _fail(path, "no 'ftyp' or 'moov' box at the start; not an MP4/MOV file")
    top = _boxes(path, None, fh, 0, size)
    moovs = [b for b in top if b.kind == b"moov"]
    if len(moovs) != 1:
        raise _fail(path, f"expected one 'moov' box, found {len(moovs)}")
    moov = moovs[0]
    fh.seek(moov.offset)
    moov_data = fh.read(moov.size)
    layout = _Layout(top, moov, moov_data)
    _check_moov(path, layout)
    return layout


def _check_moov(path: Path, layout: _Layout) -> None:
    """Walk every container box in ``moov`` so bad sizes fail here, not in mutagen."""
    pending = [_Box(b"moov", 0, layout.moov.header, layout.moov.size)]
    while pending:
        box = pending.pop()
        for child in _children(path, layout.moov_data, box):
            if child.kind in _CONTAINERS or (child.kind == b"meta" and box.kind == b"udta"):
                pending.append(child)


def _udta_meta(path: Path, layout: _Layout) -> list[_Box]:
    """The children of ``moov/udta/meta`` (empty when there is none)."""
    data = layout.moov_data
    moov = _Box(b"moov", 0, layout.moov.header, layout.moov.size)
    for udta in (b for b in _children(path, data, moov) if b.kind == b"udta"):
        for meta in (b for b in _children(path, data, udta) if b.kind == b"meta"):
            return _children(path, data, meta)
    return []


def _mdta_labels(path: Path, layout: _Layout) -> list[str] | None:
    """Values of an ``AIGC`` key when ``moov/udta/meta`` holds QuickTime ``mdta`` keys
    (what ``ffmpeg -movflags use_metadata_tags`` writes); None for iTunes-style metadata."""
    data, kids = layout.moov_data, _udta_meta(path, layout)
    hdlr = next((k for k in kids if k.kind == b"hdlr"), None)
    if hdlr is None or data[hdlr.offset + 16 : hdlr.offset + 20] != b"mdta":
        return None
    names: dict[int, bytes] = {}
    keys = next((k for k in kids if k.kind == b"keys"), None)
    if keys is not None:
        pos = keys.payload_start + 8
        for index in range(1, 1 + int.from_bytes(data[pos - 4 : pos], "big")):
            size = int.from_bytes(data[pos : pos + 4], "big")
            if size < 8 or pos + size > keys.end:
                raise _fail(path, "the QuickTime 'keys' box is malformed")
            names[index] = data[pos + 8 : pos + size]
            pos += size
    values = []
    for ilst in (k for k in kids if k.kind == b"ilst"):
        for item in _children(path, data, ilst):
            if names.get(int.from_bytes(item.kind, "big"), b"").upper() != KEY.encode():
                continue
            for atom in _children(path, data, item):
                if atom.kind == b"data" and atom.size >= 16:
                    raw = data[atom.payload_start + 8 : atom.end]
                    try:
                        values.append(raw.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise _fail(path, "the AIGC key's value is not valid UTF-8") from None
    return values


# -- QuickTime 'mdta' keys, edited by hand (mutagen does not know them) ----------------


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _replace(path: Path, data: bytes, chain: list[_Box], new: bytes) -> bytearray:
    """``data`` with ``chain[-1]`` replaced by ``new``; its ancestors grow to match."""
    target = chain[-1]
    delta = len(new) - target.size
    out = bytearray(data[: target.offset] + new + data[target.end :])
    for box in chain[:-1]:
        if box.header == 16:
            struct.pack_into(">Q", out, box.offset + 8, box.size + delta)
        elif box.size + delta < 1 << 32:
            struct.pack_into(">I", out, box.offset, box.size + delta)
        else:
            raise _fail(path, f"box {box.kind!r} would exceed 4 GiB")
    return out


def _relabel_keys(path: Path, layout: _Layout, payload: str | None) -> bytearray:
    """``moov`` with the ``AIGC`` QuickTime key and its ``ilst`` item replaced or
    removed; the other keys are renumbered and keep their values byte for byte."""
    data = layout.moov_data
    moov = _Box(b"moov", 0, layout.moov.header, layout.moov.size)
    udta = next(b for b in _children(path, data, moov) if b.kind == b"udta")
    meta = next(b for b in _children(path, data, udta) if b.kind == b"meta")
    kids = _children(path, data, meta)
    keys = next((k for k in kids if k.kind == b"keys"), None)
    entries: list[bytes] = []
    if keys is not None:
        pos = keys.payload_start + 8
        while pos < keys.end:
            size = int.from_bytes(data[pos : pos + 4], "big")
            if size < 8 or pos + size > keys.end:
                raise _fail(path, "the QuickTime 'keys' box is malformed")
            entries.append(data[pos : pos + size])
            pos += size
    kept = [i for i, e in enumerate(entries, 1) if e[8:].upper() != KEY.encode()]
    renumber = {old: new for new, old in enumerate(kept, 1)}
    new_entries = [entries[i - 1] for i in kept]
    items = []
    for ilst in (k for k in kids if k.kind == b"ilst"):
        for item in _children(path, data, ilst):
            new_index = renumber.get(int.from_bytes(item.kind, "big"))
            if new_index is not None:
                items.append(
                    _box(new_index.to_bytes(4, "big"), data[item.payload_start : item.end])
                )
    if payload is not None:
        new_entries.append(struct.pack(">I4s", 8 + len(KEY), b"mdta") + KEY.encode())
        value = _box(b"data", struct.pack(">II", 1, 0) + payload.encode("utf-8"))  # 1: UTF-8
        items.append(_box(len(new_entries).to_bytes(4, "big"), value))
    flags = data[keys.payload_start : keys.payload_start + 4] if keys else bytes(4)
    new_keys = _box(b"keys", flags + struct.pack(">I", len(new_entries)) + b"".join(new_entries))
    new_ilst = _box(b"ilst", b"".join(items))
    # The children keep their order; a missing keys or ilst box is added at the end, and
    # the items of several ilst boxes (invalid, but seen) are merged into the first.
    body = [data[meta.payload_start : kids[0].offset] if kids else bytes(4)]
    placed: set[bytes] = set()
    for kid in kids:
        if kid.kind in (b"keys", b"ilst"):
            if kid.kind not in placed:
                body.append(new_keys if kid.kind == b"keys" else new_ilst)
                placed.add(kid.kind)
        else:
            body.append(data[kid.offset : kid.end])
    body += [new_keys] if b"keys" not in placed else []
    body += [new_ilst] if b"ilst" not in placed else []
    return _replace(path, data, [moov, udta, meta], _box(b"meta", b"".join(body)))


def _shift_chunk_offsets(path: Path, moov: bytearray, header: int, after: int, delta: int) -> None:
    """Add ``delta`` to every ``stco``/``co64`` chunk offset at or past ``after``."""
    data = bytes(moov)
    pending = [_Box(b"moov", 0, header, len(moov))]
    while pending:
        box = pending.pop()
        for child in _children(path, data, box):
            if child.kind in (b"trak", b"mdia", b"minf", b"stbl"):
                pending.append(child)
            elif child.kind in (b"stco", b"co64"):
                width = 4 if child.kind == b"stco" else 8
                count = int.from_bytes(
                    data[child.payload_start + 4 : child.payload_start + 8], "big"
                )
                start = child.payload_start + 8
                if start + count * width > child.end:
                    raise _fail(path, f"the {child.kind.decode()} box is truncated")
                for at in range(start, start + count * width, width):
                    offset = int.from_bytes(data[at : at + width], "big")
                    if offset >= after:
                        if offset + delta >= 1 << (8 * width):
                            raise _fail(path, "a chunk offset would overflow 'stco'")
                        moov[at : at + width] = (offset + delta).to_bytes(width, "big")


def _fragment_offsets(path: Path, fh: BinaryIO, layout: _Layout) -> list[tuple[int, int, int]]:
    """(file position, width, value) of every absolute offset in the fragments after
    ``moov``: ``tfhd`` base data offsets and ``tfra`` moof offsets."""
    found = []
    for box in layout.top:
        if box.offset < layout.moov.offset or box.kind not in (b"moof", b"mfra"):
            continue
        fh.seek(box.offset)
        data = fh.read(box.size)
        outer = _Box(box.kind, 0, box.header, box.size)
        for child in _children(path, data, outer):
            if child.kind == b"traf":
                for tfhd in (b for b in _children(path, data, child) if b.kind == b"tfhd"):
                    if tfhd.size >= 24 and data[tfhd.offset + 11] & 1:
                        at = tfhd.offset + 16
                        found.append((box.offset + at, 8, int.from_bytes(data[at : at + 8], "big")))
            elif child.kind == b"tfra" and child.size >= 24:
                wide = data[child.payload_start] == 1
                sizes = int.from_bytes(
                    data[child.payload_start + 8 : child.payload_start + 12], "big"
                )
                count = int.from_bytes(
                    data[child.payload_start + 12 : child.payload_start + 16], "big"
                )
                entry = (16 if wide else 8) + sum(((sizes >> s) & 3) + 1 for s in (4, 2, 0))
                pos = child.payload_start + 16
                if pos + count * entry > child.end:
                    raise _fail(path, "the 'tfra' box is truncated")
                width = 8 if wide else 4
                for at in range(pos + width, pos + count * entry, entry):
                    found.append(
                        (box.offset + at, width, int.from_bytes(data[at : at + width], "big"))
                    )
    return found


def _sample_descriptions(path: Path, layout: _Layout) -> Iterator[bytes]:
    data = layout.moov_data
    moov = _Box(b"moov", 0, layout.moov.header, layout.moov.size)
    for trak in (b for b in _children(path, data, moov) if b.kind == b"trak"):
        boxes = [trak]
        for kind in (b"mdia", b"minf", b"stbl", b"stsd"):
            boxes = [b for b in _children(path, data, boxes[0]) if b.kind == kind]
            if not boxes:
                break
        else:
            yield data[boxes[0].offset : boxes[0].end]


def _is_label_key(key: str) -> bool:
    parts = key.split(":", 2)
    return len(parts) == 3 and parts[0] == "----" and parts[2].upper() == KEY


def _open(path: Path, where: Path) -> Any:
    """mutagen's ``MP4`` for ``path`` (untyped); errors name ``where``."""
    from mutagen import MutagenError
    from mutagen.mp4 import MP4

    try:
        return MP4(path)  # type: ignore[no-untyped-call]
    except (MutagenError, ValueError, struct.error, IndexError) as exc:
        raise _fail(where, f"cannot read the metadata ({exc})") from None


class Mp4Carrier:
    """Label carrier for MP4, MOV and M4A (iTunes freeform item ``AIGC``)."""

    name = "mp4"
    extensions = (".mp4", ".m4v", ".m4a", ".m4b", ".mov", ".qt", ".3gp")

    def sniff(self, head: bytes) -> bool:
        """An ``ftyp`` box of a non-image brand, or a QuickTime file's first atom."""
        if head[4:8] == b"ftyp":
            return head[8:12] not in _IMAGE_BRANDS
        return head[4:8] in {b"moov", b"mdat", b"wide"}

    def read(self, path: Path) -> list[CarrierHit]:
        """Every value of every ``AIGC`` freeform item, and of an ``AIGC`` QuickTime key."""
        with path.open("rb") as fh:
            layout = _layout(fh, path)
        hits = [CarrierHit("mp4:keys", v) for v in _mdta_labels(path, layout) or []]
        tags = _open(path, path).tags
        if tags is None:
            return hits
        for key, values in tags.items():
            if _is_label_key(key):
                for value in values:
                    try:
                        hits.append(CarrierHit("mp4:ilst", bytes(value).decode("utf-8")))
                    except UnicodeDecodeError:
                        raise _fail(path, "the AIGC item is not valid UTF-8") from None
        return hits

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the ``AIGC`` item replaced or removed."""
        from mutagen import MutagenError
        from mutagen.mp4 import AtomDataType, MP4FreeForm

        with src.open("rb") as fh:
            layout = _layout(fh, src)
        if _mdta_labels(src, layout) is not None:
            # mutagen would add an iTunes item that ffprobe ignores beside QuickTime keys.
            self._write_keys(src, dst, layout, payload)
            return
        with src.open("rb") as fh:
            fragments = _fragment_offsets(src, fh, layout)
        shutil.copyfile(src, dst)
        audio = _open(dst, src)
        if audio.tags is None:
            if payload is None:
                return
            audio.add_tags()
        tags = audio.tags
        assert tags is not None
        old = [key for key in tags if _is_label_key(key)]
        for key in old:
            del tags[key]
        if payload is not None:
            value = MP4FreeForm(payload.encode("utf-8"), dataformat=AtomDataType.UTF8)  # type: ignore[no-untyped-call]
            tags[_ITEM] = [value]
        elif not old:
            return
        try:
            audio.save()
        except (MutagenError, ValueError, struct.error, IndexError) as exc:
            raise _fail(src, f"cannot write the metadata ({exc})") from None
        # mutagen fixes stco/co64, but in fragmented files only the first fragment's
        # tfhd (and no tfra): set every fragment offset from the source's value.
        delta = dst.stat().st_size - layout.top[-1].end
        if fragments and delta:
            with dst.open("r+b") as fh:
                for at, width, offset in fragments:
                    if offset >= layout.moov.offset:
                        fh.seek(at + delta)
                        fh.write((offset + delta).to_bytes(width, "big"))

    def _write_keys(self, src: Path, dst: Path, layout: _Layout, payload: str | None) -> None:
        """Label a file whose ``moov/udta/meta`` holds QuickTime ``mdta`` keys."""
        moov = layout.moov
        new = _relabel_keys(src, layout, payload)
        delta = len(new) - moov.size
        later = [b.kind for b in layout.top if b.offset > moov.offset]
        if delta and any(k in (b"moof", b"sidx", b"mfra") for k in later):
            raise _fail(src, "fragmented files with QuickTime keys after 'moov' are not supported")
        if delta and b"mdat" in later:
            _shift_chunk_offsets(src, new, moov.header, moov.offset, delta)
        with src.open("rb") as fin, dst.open("wb") as fout:
            for piece in read_range(fin, src, "MP4", 0, moov.offset):
                fout.write(piece)
            fout.write(new)
            for piece in read_range(fin, src, "MP4", moov.end, layout.top[-1].end):
                fout.write(piece)

    def content(self, path: Path) -> Iterator[bytes]:
        """Sample descriptions, then every ``mdat`` payload in file order."""
        with path.open("rb") as fh:
            layout = _layout(fh, path)
            yield from _sample_descriptions(path, layout)
            for box in layout.top:
                if box.kind != b"mdat":
                    continue
                yield from read_range(fh, path, "MP4", box.payload_start, box.end)


CARRIER = Mp4Carrier()
