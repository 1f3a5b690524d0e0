"""Labelling a TIFF in place: the new XMP packet and IFD0 are appended to the file itself
and the header's IFD0 offset is the commit, so no copy of the image is made. On real
files: the result is byte for byte what the rewrite gives, independent readers see the
label, pixels are untouched; relabelling goes through the rewrite (the file does not
grow); a hard-linked file or a symlink is rewritten, not edited; a failure before the
commit leaves the file's bytes as they were; and every byte state a crash can leave reads
as the old file or the new one."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from label_samples import OTHER_XMP, USCC, noise
from PIL import Image

from aisec.label import files
from aisec.label.carriers import _io, _xmp, tiff
from aisec.label.carriers.base import CarrierError, Plan
from aisec.label.model import AigcLabel
from aisec.label.service import COMPLIANT, NOT_FOUND, add_label, remove_label, verify_file


def _tiff(path: Path, size: tuple[int, int] = (400, 300), **save: Any) -> Path:
    noise(size).save(path, **save)
    return path


def _be_multipage(path: Path) -> Path:
    frames = [noise((120, 90), seed) for seed in (1, 2)]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_lzw",
                   tiffinfo={305: "KeepSoft"})  # fmt: skip
    return path


def _labelled_by_pillow(path: Path, label: AigcLabel) -> Path:
    """A TIFF whose XMP packet (with ``label`` and another tool's property) lies inside
    the file, before the image data, as another tool writes it."""
    xmp = _xmp.merge(OTHER_XMP, label.to_json())
    assert xmp is not None
    return _tiff(path, tiffinfo={700: xmp})


def _frames(path: Path) -> list[bytes]:
    with Image.open(path) as im:
        out = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(im.tobytes())
        return out


def _content(path: Path) -> str:
    return hashlib.sha256(b"".join(tiff.CARRIER.content(path))).hexdigest()


def _ifd0(data: bytes) -> int:
    order = "<" if data[:2] == b"II" else ">"
    return int(struct.unpack(order + "I", data[4:8])[0])


def _no_temp_left(folder: Path) -> bool:
    return not list(folder.glob(".*aisec-tmp"))


MAKERS: dict[str, Callable[[Path], Path]] = {
    "large": _tiff,  # mapped; the read-back goes through a copy-on-write mapping
    "small": lambda p: _tiff(p, (32, 24)),  # below _io.SMALL: read into memory
    "be-lzw-2pages": _be_multipage,
}


# --- labelling in place ------------------------------------------------------------------


@pytest.mark.parametrize("kind", MAKERS)
def test_in_place_label_appends_and_keeps_the_image(
    tmp_path: Path,
    kind: str,
    sample_label: AigcLabel,
    exif_tags: Callable[[Path], dict[str, Any]],
) -> None:
    path = MAKERS[kind](tmp_path / "a.tif")
    original = path.read_bytes()
    inode = path.stat().st_ino
    frames, digest = _frames(path), _content(path)
    rewritten = tmp_path / "rewritten.tif"
    add_label(path, sample_label, out=rewritten)  # the rewrite path, for comparison

    add_label(path, sample_label)

    data = path.read_bytes()
    assert path.stat().st_ino == inode  # edited, not replaced
    assert data == rewritten.read_bytes()  # the same bytes the rewrite gives
    # nothing before the old end moved: only the header's IFD0 offset changed
    assert data[:4] == original[:4] and data[8 : len(original)] == original[8:]
    assert _ifd0(data) >= len(original) and _ifd0(data) % 2 == 0
    result = verify_file(path)
    assert result.verdict == COMPLIANT and result.label == sample_label
    tags = exif_tags(path)
    assert json.loads(tags["XMP-TC260:Aigc"]) == sample_label.as_dict()
    assert not any("Warning" in k for k in tags), tags
    assert _frames(path) == frames and _content(path) == digest
    assert _no_temp_left(tmp_path)


def test_in_place_relabel_of_another_tools_packet_clears_it_and_keeps_its_properties(
    tmp_path: Path, sample_label: AigcLabel, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    old = AigcLabel("2", "SOMEONE", "old-label")
    path = _labelled_by_pillow(tmp_path / "a.tif", old)
    original = path.read_bytes()
    old_packet = _xmp.merge(OTHER_XMP, old.to_json())
    assert old_packet is not None and old_packet in original
    at = original.index(old_packet)
    inode, frames = path.stat().st_ino, _frames(path)

    add_label(path, sample_label)

    data = path.read_bytes()
    assert path.stat().st_ino == inode
    assert data[at : at + len(old_packet)] == b"\0" * len(old_packet)  # no old label lingers
    assert b"old-label" not in data
    result = verify_file(path)
    assert result.verdict == COMPLIANT and result.label == sample_label
    tags = exif_tags(path)
    assert json.loads(tags["XMP-TC260:Aigc"]) == sample_label.as_dict()
    assert tags["XMP-xmp:CreatorTool"] == "KeepMe"
    assert _frames(path) == frames


def test_relabel_is_a_rewrite_and_the_file_does_not_grow(
    tmp_path: Path, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    path = _tiff(tmp_path / "a.tif")
    frames = _frames(path)
    add_label(path, AigcLabel("1", USCC, "job-0000"))
    inode, size = path.stat().st_ino, path.stat().st_size
    for i in range(1, 6):
        label = AigcLabel("1", USCC, f"job-{i:04d}")  # the same length every time
        add_label(path, label)
        assert path.stat().st_ino != inode  # the tail aisec appended is cut: a rewrite
        inode = path.stat().st_ino
        assert path.stat().st_size == size  # compacted, not appended again
        assert verify_file(path).label == label
    assert json.loads(exif_tags(path)["XMP-TC260:Aigc"])["ProduceID"] == "job-0005"
    remove_label(path)
    assert verify_file(path).verdict == NOT_FOUND and _frames(path) == frames
    assert path.stat().st_size < size and _no_temp_left(tmp_path)


def test_a_hard_linked_file_is_rewritten_not_edited(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _tiff(tmp_path / "a.tif")
    other = tmp_path / "other-name.tif"
    os.link(path, other)
    original = path.read_bytes()

    add_label(path, sample_label)

    assert other.read_bytes() == original  # the other name keeps the old file
    assert verify_file(other).verdict == NOT_FOUND
    assert path.stat().st_ino != other.stat().st_ino and other.stat().st_nlink == 1
    assert verify_file(path).label == sample_label


def test_a_symlink_is_replaced_not_followed(tmp_path: Path, sample_label: AigcLabel) -> None:
    target = _tiff(tmp_path / "target.tif")
    link = tmp_path / "link.tif"
    link.symlink_to(target.name)
    original = target.read_bytes()

    add_label(link, sample_label)

    assert target.read_bytes() == original  # as the rename always did
    assert not link.is_symlink() and verify_file(link).label == sample_label


def test_another_output_is_rewritten_and_the_source_left_alone(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _tiff(tmp_path / "a.tif")
    original, inode = path.read_bytes(), path.stat().st_ino
    add_label(path, sample_label, out=tmp_path / "out.tif")
    assert path.read_bytes() == original and path.stat().st_ino == inode
    assert verify_file(tmp_path / "out.tif").label == sample_label


# --- a failure before the commit ----------------------------------------------------------


def _unchanged(path: Path, original: bytes, inode: int) -> bool:
    st = path.stat()
    return st.st_ino == inode and st.st_size == len(original) and path.read_bytes() == original


def test_a_label_that_does_not_read_back_leaves_the_file(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _labelled_by_pillow(tmp_path / "a.tif", AigcLabel("2", "SOMEONE", "old"))
    original, inode = path.read_bytes(), path.stat().st_ino
    monkeypatch.setattr(tiff.TiffCarrier, "read_back", lambda self, head, p: [])
    with pytest.raises(CarrierError, match="did not read back as written") as err:
        add_label(path, sample_label)
    assert "was not changed" in str(err.value)
    assert _unchanged(path, original, inode) and _no_temp_left(tmp_path)


def test_a_short_append_is_caught_and_cut_back(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _tiff(tmp_path / "a.tif")
    original, inode = path.read_bytes(), path.stat().st_ino
    real_append = _io.append

    def short(fd: int, data: list[bytes], at: int) -> None:
        real_append(fd, [b"".join(data)[:-1]], at)

    monkeypatch.setattr(files, "append", short)
    with pytest.raises(CarrierError, match=r"bytes written, \d+ planned"):
        add_label(path, sample_label)
    assert _unchanged(path, original, inode)


@pytest.mark.parametrize("where", ["append", "flush"])
def test_an_io_error_before_the_commit_leaves_the_file(
    tmp_path: Path, where: str, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _tiff(tmp_path / "a.tif")
    original, inode = path.read_bytes(), path.stat().st_ino
    real_writev = os.writev

    def full_disk(fd: int, parts: list[bytes]) -> int:  # some bytes land, then no space
        if len(parts[0]) > 100:
            return real_writev(fd, [bytes(parts[0])[:100]])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def failing_flush(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    if where == "append":
        monkeypatch.setattr(os, "writev", full_disk)
    else:
        monkeypatch.setattr(files, "_datasync", failing_flush)
    expected = os.strerror(errno.ENOSPC if where == "append" else errno.EIO)
    with pytest.raises(OSError, match=expected):
        add_label(path, sample_label)
    assert _unchanged(path, original, inode) and _no_temp_left(tmp_path)


def test_bigtiff_is_refused_and_left_alone(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "big.tif"
    path.write_bytes(b"II+\x00\x08\x00\x00\x00" + struct.pack("<Q", 16) + b"\0" * 64)
    original, inode = path.read_bytes(), path.stat().st_ino
    with pytest.raises(CarrierError, match="BigTIFF is not supported"):
        add_label(path, sample_label)
    assert _unchanged(path, original, inode) and _no_temp_left(tmp_path)


# --- crash consistency ---------------------------------------------------------------------


def _states(original: bytes, plan: Plan) -> tuple[list[bytes], list[bytes]]:
    """The byte states an in-place write passes through: (before the commit: the append
    cut anywhere; after it: the clearing cut anywhere)."""
    new = plan.appended(len(original))
    assert new is not None
    tail = b"".join(new)
    cuts = sorted({0, 1, 2, len(tail) // 2, len(tail) - 8, len(tail) - 1, len(tail)})
    before = [original + tail[:k] for k in cuts]
    (offset, commit), *cleanup = plan.patches
    committed = bytearray(original + tail)
    committed[offset : offset + len(commit)] = commit
    after = [bytes(committed)]
    for at, zeros in cleanup:
        for k in (1, len(zeros) // 2, len(zeros)):
            state = bytearray(after[-1])
            state[at : at + k] = zeros[:k]
            after.append(bytes(state))
    return before, after


def test_every_state_a_crash_can_leave_reads_as_the_old_or_the_new_file(
    tmp_path: Path, sample_label: AigcLabel, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    old = AigcLabel("2", "SOMEONE", "old")
    path = _labelled_by_pillow(tmp_path / "a.tif", old)
    original = path.read_bytes()
    frames, digest = _frames(path), _content(path)
    plan = tiff.CARRIER.plan(original, path, sample_label.to_json())
    assert plan.in_place and len(plan.patches) == 2  # the commit, then the old packet
    before, after = _states(original, plan)
    state = tmp_path / "state.tif"
    for expected, states in ((old, before), (sample_label, after)):
        for i, data in enumerate(states):
            state.write_bytes(data)
            result = verify_file(state)
            assert result.verdict == COMPLIANT and result.label == expected, (expected, i)
            assert _frames(state) == frames and _content(state) == digest
    state.write_bytes(before[-1])  # appended in full, not committed: an independent reader
    assert json.loads(exif_tags(state)["XMP-TC260:Aigc"]) == old.as_dict()


_CRASH = """
import os, sys
from aisec.label import files
from aisec.label.model import AigcLabel
from aisec.label.service import add_label

flushes, die_at = [0], int(sys.argv[2])
real = files._datasync

def flush(fd):
    flushes[0] += 1
    if flushes[0] == die_at:
        os._exit(9)  # killed: nothing is cleaned up
    real(fd)

files._datasync = flush
add_label(sys.argv[1], AigcLabel("1", "91350100M000100Y43", "new"))
"""


@pytest.mark.parametrize(("die_at", "expect"), [(1, "old"), (2, "new")])
def test_a_process_killed_around_the_commit_leaves_a_valid_file(
    tmp_path: Path, die_at: int, expect: str, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    # 1: after the append and its read-back, before the commit; 2: after the commit,
    # before the old packet is cleared
    old = AigcLabel("2", "SOMEONE", "old")
    path = _labelled_by_pillow(tmp_path / "a.tif", old)
    original = path.read_bytes()
    frames = _frames(path)
    run = subprocess.run([sys.executable, "-c", _CRASH, str(path), str(die_at)], timeout=120)
    assert run.returncode == 9
    data = path.read_bytes()
    assert len(data) > len(original) and _no_temp_left(tmp_path)
    result = verify_file(path)
    assert result.verdict == COMPLIANT and result.label is not None
    assert result.label.produce_id == expect
    assert json.loads(exif_tags(path)["XMP-TC260:Aigc"])["ProduceID"] == expect
    assert _frames(path) == frames
    if expect == "old":
        assert data[: len(original)] == original  # the old file, bytes after it ignored
    # labelling again works from either state
    add_label(path, AigcLabel("1", USCC, "again"))
    assert verify_file(path).label == AigcLabel("1", USCC, "again")
    assert _frames(path) == frames


# --- the plan's shape ----------------------------------------------------------------------


def test_only_a_well_shaped_in_place_plan_is_applied_in_place() -> None:
    good = Plan([(0, 100), b"new"], [(4, b"\0\0\0\x64")], head=103, in_place=True)
    assert good.appended(100) == [b"new"]
    assert good.appended(99) is None  # not the whole source
    assert Plan([(0, 100), b"new"], [(4, b"\0\0\0\x64")], head=103).appended(100) is None
    for bad in (
        Plan([(0, 90), b"new"], [(4, b"\0\0\0\x64")], in_place=True),  # a cut source
        Plan([(0, 100), (0, 4)], [(4, b"\0\0\0\x64")], in_place=True),  # a copied range
        Plan([(0, 100)], [(4, b"\0\0\0\x64")], in_place=True),  # nothing appended
        Plan([(0, 100), b"new"], [], in_place=True),  # no commit
        Plan([(0, 100), b"new"], [(2, b"\0\0\0\x64")], in_place=True),  # misaligned
        Plan([(0, 100), b"new"], [(4, b"\0\0\0")], in_place=True),  # not 1, 2, 4 or 8 bytes
        Plan([(0, 100), b"new"], [(100, b"\0\0\0\x64")], in_place=True),  # past the source
    ):
        assert bad.appended(100) is None, bad


def test_the_tiff_plan_is_in_place_unless_it_cuts_a_tail(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _tiff(tmp_path / "a.tif")
    data = path.read_bytes()
    assert tiff.CARRIER.plan(data, path, sample_label.to_json()).appended(len(data))
    add_label(path, sample_label)
    labelled = path.read_bytes()
    plan = tiff.CARRIER.plan(labelled, path, sample_label.to_json())
    assert not plan.in_place and plan.appended(len(labelled)) is None


# --- another process at the same file -----------------------------------------------------


def test_a_file_grown_since_it_was_read_is_rewritten(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _tiff(tmp_path / "a.tif")
    with files.Source(path) as source:
        with path.open("ab") as fh:  # another writer appends after aisec read the file
            fh.write(b"\0\0")
        tmp = files.write_temp(source, path, path, sample_label.to_json())
    assert tmp is not None  # not committed in place: a temporary file to rename
    files.install(tmp, path)
    assert verify_file(path).label == sample_label and _no_temp_left(tmp_path)


def test_a_file_locked_by_another_process_is_rewritten(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _tiff(tmp_path / "a.tif")
    inode = path.stat().st_ino
    with path.open("rb") as other:  # another open file description: flock conflicts
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        add_label(path, sample_label)  # not waited for
    assert path.stat().st_ino != inode and verify_file(path).label == sample_label
