"""Platform intake and the review queue, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from aisec.label.carriers.registry import carrier_for
from aisec.label.intake import ReviewError, decide, intake, review_queue, sha256_file
from aisec.label.model import AigcLabel
from aisec.label.service import add_label, verify_file
from aisec.label.sign import Algorithm, load_public_key, load_signing_key, write_keypair
from aisec.store import Store, open_store

USCC = "91350100M000100Y43"
PLATFORM = "PLATFORM-1"
AISEC = Path(sys.executable).parent / "aisec"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as s:
        yield s


def _image(path: Path, shade: int = 90) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), (shade, 90, 200)).save(path)
    return path


def _keys(tmp_path: Path, name: str, algorithm: Algorithm) -> tuple[Path, Path]:
    return write_keypair(algorithm, tmp_path / name)


def test_intake_labelled_png_is_1_and_propagated_keeping_producer(
    store: Store, tmp_path: Path
) -> None:
    producer_key, producer_pub = _keys(tmp_path, "producer", Algorithm.sm2)
    platform_key, platform_pub = _keys(tmp_path, "platform", Algorithm.ecdsa_p256)
    png = _image(tmp_path / "up" / "a.png")
    written = add_label(png, AigcLabel("1", USCC, "job-1"), key=load_signing_key(producer_key))
    before = sha256_file(png)

    out = intake(png, PLATFORM, store=store, key=load_signing_key(platform_key))
    assert (out.label, out.verdict, out.propagated, out.skipped) == ("1", "compliant", True, False)
    assert out.notice is not None and "人工智能生成合成" in out.notice

    after = verify_file(png, [load_public_key(producer_pub), load_public_key(platform_pub)])
    assert after.verdict == "compliant" and after.signature == "valid"
    assert after.label is not None
    # the producer's fields and signature are exactly as they were
    assert after.label.label == "1"
    assert after.label.content_producer == written.content_producer
    assert after.label.produce_id == written.produce_id
    assert after.label.reserved_code1 == written.reserved_code1
    assert after.label.content_propagator == PLATFORM
    assert after.signatures == {"ReservedCode1": "valid", "ReservedCode2": "valid"}

    (row,) = review_queue(store)
    assert row.sha256 == before and row.sha256_out == sha256_file(png) != before
    assert row.propagate_id == after.label.propagate_id
    assert row.evidence["rule"] == "implicit label verified"
    assert row.evidence["implicit"]["label"]["ProduceID"] == "job-1"
    assert row.evidence["propagation"]["signed"] is True


def test_intake_declared_file_is_2_and_left_untouched(store: Store, tmp_path: Path) -> None:
    png = _image(tmp_path / "declared.png")
    before = sha256_file(png)
    out = intake(png, PLATFORM, "ai", store=store)
    assert (out.label, out.verdict, out.propagated) == ("2", "not_found", False)
    assert out.notice is not None and "可能" in out.notice
    assert sha256_file(png) == before
    (row,) = review_queue(store)
    assert row.declaration == "ai"
    assert row.evidence["propagation"]["written"] is False


def test_intake_explicit_notice_only_is_3(store: Store, tmp_path: Path) -> None:
    md = tmp_path / "story.md"
    md.write_text("# 一个故事\n\n正文。\n\n本文由人工智能生成。\n", encoding="utf-8")
    out = intake(md, PLATFORM, store=store)
    assert (out.label, out.verdict) == ("3", "not_found")
    assert out.notice is not None and "疑似" in out.notice
    (row,) = review_queue(store)
    text_check = next(x for x in row.evidence["explicit"] if x["check"] == "text notice")
    assert text_check == {"check": "text notice", "found": True, "line": "本文由人工智能生成。"}
    assert row.evidence["rule"] == "suspected: an explicit AI notice"


def test_intake_unverifiable_label_is_3_even_if_declared_not_ai(
    store: Store, tmp_path: Path
) -> None:
    png = _image(tmp_path / "src.png")
    bad = tmp_path / "bad.png"
    carrier_for(png).write(png, bad, '{"Label":"7"}')
    out = intake(bad, PLATFORM, "not-ai", store=store)
    assert (out.label, out.verdict, out.propagated) == ("3", "noncompliant", False)
    (row,) = review_queue(store)
    assert "does not verify" in row.evidence["rule"]
    assert row.evidence["conflicts"] and "not-ai" in row.evidence["conflicts"][0]


def test_intake_unlabelled_image_is_not_classified(store: Store, tmp_path: Path) -> None:
    png = _image(tmp_path / "plain.png", shade=10)
    out = intake(png, PLATFORM, "unknown", store=store)
    assert (out.label, out.verdict, out.notice) == (None, "not_found", None)
    (row,) = review_queue(store)
    assert row.label is None and row.declaration is None and row.status == "pending"


def test_intake_resumes_by_sha256(store: Store, tmp_path: Path) -> None:
    png = _image(tmp_path / "a.png")
    add_label(png, AigcLabel("1", USCC, "job-1"))
    first = intake(png, PLATFORM, store=store)
    assert first.propagated  # the file changed: its new digest must still count as done
    again = intake(png, PLATFORM, store=store)
    assert again.skipped and again.id == first.id and again.label == "1"
    other_platform = intake(png, "PLATFORM-2", store=store)
    assert not other_platform.skipped
    forced = intake(png, PLATFORM, store=store, again=True)
    assert not forced.skipped and forced.id not in (first.id, other_platform.id)
    assert len(review_queue(store, None)) == 3


def test_review_lists_and_records_decisions(store: Store, tmp_path: Path) -> None:
    a = intake(_image(tmp_path / "a.png", 1), PLATFORM, "ai", store=store)
    b = intake(_image(tmp_path / "b.png", 2), PLATFORM, "ai", store=store)
    assert [r.id for r in review_queue(store)] == [a.id, b.id]

    row = decide(store, a.id, approve=False, reviewer="alice", note="not AI, a photo")
    assert row.status == "rejected"
    assert [r.id for r in review_queue(store)] == [b.id]
    (rejected,) = review_queue(store, "rejected")
    (action,) = rejected.reviews
    assert (action.decision, action.reviewer, action.note) == (
        "rejected", "alice", "not AI, a photo",
    )  # fmt: skip
    assert action.decided_at is not None

    decide(store, a.id, approve=True, reviewer="bob")  # a later decision supersedes
    (approved,) = review_queue(store, "approved")
    assert [r.reviewer for r in approved.reviews] == ["alice", "bob"]

    with pytest.raises(ReviewError, match="no review item with id 999"):
        decide(store, 999, approve=True, reviewer="bob")
    with pytest.raises(ReviewError, match="status"):
        review_queue(store, "maybe")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(AISEC), *args], capture_output=True, text=True, timeout=180)


def test_intake_cli_end_to_end(db_url: str, tmp_path: Path) -> None:
    up = tmp_path / "up"
    add_label(_image(up / "a.png"), AigcLabel("1", USCC, "job-1"))
    (up / "sub").mkdir()
    (up / "sub" / "t.txt").write_text("人工智能合成的内容\n正文\n", encoding="utf-8")
    (up / "skip.bin").write_bytes(b"\0")

    r = _run("label", "intake", str(up), "--platform", USCC, "--db", db_url, "-f", "json")
    assert r.returncode == 0, r.stderr
    got = {Path(x["file"]).name: x for x in json.loads(r.stdout)}
    assert set(got) == {"a.png", "t.txt"}
    assert (got["a.png"]["label"], got["a.png"]["propagated"]) == ("1", True)
    assert got["t.txt"]["label"] == "3"
    assert "2 taken in, 0 already decided" in r.stderr

    r = _run("label", "review", "--db", db_url, "--format", "json")
    items = json.loads(r.stdout)
    assert r.returncode == 0 and [x["status"] for x in items] == ["pending", "pending"]
    first = items[0]["id"]
    r = _run(
        "label", "review", "decide", str(first), "--approve", "--reviewer", "carol",
        "--note", "label checked", "--db", db_url,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = _run("label", "review", "--status", "approved", "--db", db_url, "-f", "json")
    (item,) = json.loads(r.stdout)
    assert item["reviews"][0]["reviewer"] == "carol" and item["id"] == first

    r = _run("label", "review", "decide", "12345", "--reject", "--reviewer", "x", "--db", db_url)
    assert r.returncode == 2 and r.stderr.startswith("aisec: error: no review item")
