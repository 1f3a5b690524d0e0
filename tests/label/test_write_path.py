"""The write path: plans, the kernel and in-memory copies, the read-back and its checks
(a label that did not land, a short write), permissions, and the fast paths of the label
model (which must agree with the general ones)."""

from __future__ import annotations

import errno
import io
import json
import os
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from label_samples import OTHER_XMP, USCC, noise
from PIL import Image

from aisec.label import files
from aisec.label.carriers import _io, jpeg, tiff
from aisec.label.carriers.base import CarrierError, Plan
from aisec.label.carriers.registry import carrier_for
from aisec.label.model import AigcLabel, LabelError, label_problems, parse_label
from aisec.label.service import COMPLIANT, add_label, remove_label, verify_file


def _jpeg(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    noise(size).save(path, quality=95)
    return path


def _pixels(path: Path) -> bytes:
    with Image.open(path) as im:
        return im.tobytes()


def _no_temp_left(folder: Path) -> bool:
    return not list(folder.glob(".*aisec-tmp"))


# --- plans and the read-back -------------------------------------------------------------


def test_jpeg_plan_is_three_pieces_and_head_ends_at_the_first_scan(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _jpeg(tmp_path / "a.jpg")
    data = path.read_bytes()
    plan = jpeg.CARRIER.plan(data, path, sample_label.to_json())
    assert len(plan.pieces) == 3 and isinstance(plan.pieces[1], bytes)
    out = io.BytesIO()
    _io.write_plan(plan, data, out)
    written = out.getvalue()
    assert len(written) == plan.size
    assert plan.head is not None and written[plan.head - 2 : plan.head] == b"\xff\xda"
    hits = jpeg.CARRIER.read_back(written[: plan.head], path)
    assert [h.payload for h in hits] == [sample_label.to_json()]
    assert jpeg.CARRIER.read_buf(written, path) == hits


def test_read_back_catches_a_label_that_did_not_land(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _jpeg(tmp_path / "a.jpg")
    original = path.read_bytes()
    real_plan = jpeg.JpegCarrier.plan

    def unchanged(self: jpeg.JpegCarrier, buf: _io.Buf, src: Path, payload: str | None) -> Plan:
        # the label is planned but the file is written as it was, header read-back and all
        planned = real_plan(self, buf, src, payload)
        first_scan = original.index(b"\xff\xda") + 2
        return replace(planned, pieces=[(0, len(buf))], head=first_scan)

    monkeypatch.setattr(jpeg.JpegCarrier, "plan", unchanged)
    with pytest.raises(CarrierError, match="did not read back as written") as err:
        add_label(path, sample_label)
    assert "was not changed" in str(err.value)
    assert path.read_bytes() == original and _no_temp_left(tmp_path)


def test_read_back_catches_another_label(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _jpeg(tmp_path / "a.jpg")
    original = path.read_bytes()
    real_plan = jpeg.JpegCarrier.plan
    other = AigcLabel("2", "SOMEONE", "other").to_json()

    def wrong(self: jpeg.JpegCarrier, buf: _io.Buf, src: Path, payload: str | None) -> Plan:
        return real_plan(self, buf, src, other)

    monkeypatch.setattr(jpeg.JpegCarrier, "plan", wrong)
    with pytest.raises(CarrierError, match="did not read back as written"):
        add_label(path, sample_label)
    assert path.read_bytes() == original and _no_temp_left(tmp_path)


def test_read_back_catches_a_short_write(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _jpeg(tmp_path / "a.jpg")
    original = path.read_bytes()
    real_emit = _io.emit

    def short(fd: int, plan: Plan, buf: _io.Buf, src_fd: int, src: Path) -> None:
        real_emit(fd, plan, buf, src_fd, src)
        os.ftruncate(fd, plan.size - 1)

    monkeypatch.setattr(files, "emit", short)
    with pytest.raises(CarrierError, match=r"bytes written, \d+ planned"):
        add_label(path, sample_label)
    assert path.read_bytes() == original and _no_temp_left(tmp_path)


def test_tiff_read_back_reads_ifd0_of_the_written_file(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = tmp_path / "a.tif"
    noise((64, 48)).save(path)
    data = path.read_bytes()
    plan = tiff.CARRIER.plan(data, path, sample_label.to_json())
    out = io.BytesIO()
    _io.write_plan(plan, data, out)
    written = out.getvalue()
    assert plan.head == len(written) == plan.size
    assert [h.payload for h in tiff.CARRIER.read_back(written, path)] == [sample_label.to_json()]
    # the header's IFD0 offset is a patch: left unpatched, no label reads back
    unpatched = written[:4] + data[4:8] + written[8:]
    assert tiff.CARRIER.read_back(unpatched, path) == []


def test_jpeg_with_xmp_after_the_first_scan_is_read_back_whole(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    path = _jpeg(tmp_path / "late.jpg")
    data = path.read_bytes()
    body = b"http://ns.adobe.com/xap/1.0/\x00" + OTHER_XMP
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    path.write_bytes(data[:-2] + segment + data[-2:])  # an XMP segment just before EOI
    plan = jpeg.CARRIER.plan(path.read_bytes(), path, sample_label.to_json())
    assert plan.head is None  # the label stays after the scan: read the whole file back
    add_label(path, sample_label)
    result = verify_file(path)
    assert result.verdict == COMPLIANT and result.label == sample_label
    assert b"KeepMe" in path.read_bytes()


# --- large files: mapped, copied by the kernel, or through memory -------------------------


@pytest.mark.parametrize("suffix", [".tif", ".jpg", ".png", ".webp", ".gif"])
def test_large_files_round_trip(tmp_path: Path, suffix: str, sample_label: AigcLabel) -> None:
    path = tmp_path / f"big{suffix}"
    image = noise((400, 300))
    image.convert("P").save(path) if suffix == ".gif" else image.save(path)
    assert path.stat().st_size > _io.SMALL  # mapped, and big ranges copied by the kernel
    before = _pixels(path)
    add_label(path, sample_label)
    assert verify_file(path).verdict == COMPLIANT
    assert _pixels(path) == before
    add_label(path, AigcLabel("2", "ACME", "again"))
    assert verify_file(path).label == AigcLabel("2", "ACME", "again")
    remove_label(path)
    assert verify_file(path).verdict == "not_found" and _pixels(path) == before


@pytest.mark.parametrize("err", [errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP])
def test_copy_through_memory_when_the_kernel_cannot(
    tmp_path: Path, err: int, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.tif"
    noise((400, 300)).save(path)
    before = _pixels(path)

    def unsupported(*args: object, **kwargs: object) -> int:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, "copy_file_range", unsupported, raising=False)
    out = tmp_path / "out.tif"  # another file: in place, a TIFF is appended to, not copied
    add_label(path, sample_label, out=out)
    assert verify_file(out).verdict == COMPLIANT and _pixels(out) == before


def test_a_source_that_shrinks_while_copied_is_refused(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.tif"
    noise((400, 300)).save(path)
    original = path.read_bytes()
    monkeypatch.setattr(os, "copy_file_range", lambda *a, **k: 0, raising=False)
    out = tmp_path / "out.tif"  # another file: in place, a TIFF is appended to, not copied
    with pytest.raises(CarrierError, match="got shorter") as err:
        add_label(path, sample_label, out=out)
    assert "was not changed" in str(err.value)
    assert path.read_bytes() == original and not out.exists() and _no_temp_left(tmp_path)


def test_short_writes_are_completed(
    tmp_path: Path, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _jpeg(tmp_path / "a.jpg", (200, 150))
    expected = tmp_path / "expected.jpg"
    add_label(path, sample_label, out=expected)
    real_writev = os.writev

    def dribble(fd: int, parts: list[bytes]) -> int:
        first = next(p for p in parts if len(p))
        return real_writev(fd, [bytes(first)[:1000]])

    monkeypatch.setattr(os, "writev", dribble)
    add_label(path, sample_label)
    assert path.read_bytes() == expected.read_bytes()


@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_a_failed_write_leaves_the_file_and_no_temporary(
    tmp_path: Path, suffix: str, sample_label: AigcLabel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / f"big{suffix}"
    noise((400, 300)).save(path)  # mapped: every view of it must be let go on the way out
    original = path.read_bytes()
    real_writev = os.writev
    calls = []

    def full_disk(fd: int, parts: list[bytes]) -> int:
        calls.append(fd)
        if len(calls) == 1:  # a short write first, then the disk is full
            return real_writev(fd, [bytes(next(p for p in parts if len(p)))[:100]])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "writev", full_disk)
    with pytest.raises(OSError, match="No space left"):
        add_label(path, sample_label)
    assert path.read_bytes() == original and _no_temp_left(tmp_path)


def test_permissions_are_kept(tmp_path: Path, sample_label: AigcLabel) -> None:
    for mode in (0o640, 0o604, 0o755):
        path = _jpeg(tmp_path / f"m{mode:o}.jpg")
        path.chmod(mode)
        add_label(path, sample_label)
        assert path.stat().st_mode & 0o7777 == mode


def test_relabelling_gives_the_same_bytes_as_labelling_once(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    for suffix in (".jpg", ".png", ".webp", ".gif", ".tif"):
        first, once = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        noise((64, 48)).save(first)
        once.write_bytes(first.read_bytes())
        add_label(first, AigcLabel("2", "ACME", "first"))
        add_label(first, sample_label)
        add_label(once, sample_label)
        if suffix == ".tif":  # the old packet's place is zeroed, so compare the labels
            assert carrier_for(first).read(first) == carrier_for(once).read(once)
        else:
            assert first.read_bytes() == once.read_bytes(), suffix


# --- the label model's fast paths agree with the general ones ------------------------------

FIELDS = [
    ("1", USCC, "job-1", "", "", "", ""),
    ("3", "A" * 128, "x" * 256, "r" * 1024, "P", "p", "s" * 1024),
    ("1", 'say "hi"', "back\\slash", "", "", "", ""),
    ("7", USCC, "job-1", "", "", "", ""),
    ("1", "", "job-1", "", "", "", ""),
    ("1", "   ", "job-1", "", "", "", ""),
    ("1", USCC, "job-1", "", "P", "", ""),
    ("1", USCC, "naïve", "", "", "", ""),
    ("1", USCC, "tab\there", "", "", "", ""),
    ("1", "A" * 129, "job", "", "", "", ""),
    ("1", "A" * 128, '"' * 256, "\\" * 1024, "P" * 128, '"' * 256, "\\" * 1024),
    ("1", USCC, 7, "", "", "", ""),
]


@pytest.mark.parametrize("fields", FIELDS)
def test_label_validation_matches_label_problems(fields: tuple[object, ...]) -> None:
    names = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
             "PropagateID", "ReservedCode2")  # fmt: skip
    problems = label_problems(dict(zip(names, fields, strict=True)))  # type: ignore[arg-type]
    if problems:
        with pytest.raises(LabelError) as err:
            AigcLabel(*fields)  # type: ignore[arg-type]
        assert str(err.value) == "invalid AIGC label: " + "; ".join(problems)
    else:
        AigcLabel(*fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        AigcLabel("1", USCC, "job-1").to_json(),
        AigcLabel("1", 'say "hi"', "back\\slash").to_json(),
        AigcLabel("2", USCC, "job", "sig", "P", "p", "sig2").to_json(),
        " " + AigcLabel("1", USCC, "job-1").to_json(),
        '{"Label":"7","ContentProducer":"x","ProduceID":"y","ReservedCode1":"",'
        '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
        '{"Label":"1","ContentProducer":"","ProduceID":"y","ReservedCode1":"",'
        '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
    ],
)
def test_parse_label_fast_path_matches_json(text: str) -> None:
    def slow(t: str) -> object:
        data = json.loads(t)
        try:
            label = AigcLabel.from_dict(data)
        except LabelError as exc:
            return str(exc)
        return (label, t == label.to_json())

    try:
        parsed = parse_label(text)
    except LabelError as exc:
        assert slow(text) == str(exc)
        return
    assert slow(text) == (parsed.label, parsed.canonical)
    assert parsed.shape == "bare"
    assert parsed.notes == ()
