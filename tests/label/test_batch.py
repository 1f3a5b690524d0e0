"""Batch runs: parallel = sequential, resume, a killed run, reports, one bad file."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image

from aisec.label.batch import BatchJob, BatchSpec, StateFile, run_batch
from aisec.label.report import write_report

AISEC = Path(sys.executable).parent / "aisec"
USCC = "91350100M000100Y43"
ADD = ["--producer", USCC, "--produce-id", "job-{stem}"]


def _images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / ("sub" if i % 3 == 0 else "") / f"img{i:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 24), (i % 256, 90, 200)).save(path)
        paths.append(path)
    return sorted(paths)


def _aisec(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AISEC), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def _jobs(paths: list[Path]) -> list[BatchJob]:
    return [BatchJob(i, str(p), None, f"job-{p.stem}") for i, p in enumerate(paths)]


def _relative(rows: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    return [{**r, "file": str(Path(r["file"]).relative_to(root))} for r in rows]


def test_parallel_rows_equal_sequential_in_input_order(tmp_path: Path) -> None:
    spec = BatchSpec("add", producer=USCC, produce_id="job-{stem}")
    one = _images(tmp_path / "a", 12)
    two = _images(tmp_path / "b", 12)
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nshort")
    (tmp_path / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nshort")
    one.insert(5, tmp_path / "a" / "broken.png")
    two.insert(5, tmp_path / "b" / "broken.png")
    seq = run_batch(spec, _jobs(one), workers=1)
    par = run_batch(spec, _jobs(two), workers=2)
    strip = [
        {k: v for k, v in r.items() if k != "problems"} for r in _relative(seq, tmp_path / "a")
    ]
    assert strip == [
        {k: v for k, v in r.items() if k != "problems"} for r in _relative(par, tmp_path / "b")
    ]
    assert [r["file"] for r in par] == [str(p) for p in two]
    assert [r["status"] for r in par].count("failed") == 1 and par[5]["status"] == "failed"
    verify = run_batch(BatchSpec("verify"), _jobs(two), workers=2)
    assert [r["verdict"] for r in verify].count("compliant") == 12


def test_resume_skips_done_unchanged_and_redoes_changed(tmp_path: Path) -> None:
    paths = _images(tmp_path / "m", 6)
    spec = BatchSpec("add", producer=USCC, produce_id="job-{stem}")
    state = StateFile(tmp_path / "state.jsonl", spec.fingerprint())
    first = run_batch(spec, _jobs(paths), state=state)
    assert all(r["status"] == "ok" and not r["resumed"] for r in first)
    Image.new("RGB", (32, 24), (1, 2, 3)).save(paths[2])  # changed: no label any more
    again = run_batch(spec, _jobs(paths), state=state, resume=True)
    assert [r["resumed"] for r in again] == [True, True, False, True, True, True]
    # other options: nothing is reused
    other = BatchSpec("add", producer=USCC, produce_id="other-{stem}")
    fresh = run_batch(
        other, _jobs(paths), state=StateFile(state.path, other.fingerprint()), resume=True
    )
    assert not any(r["resumed"] for r in fresh)


def test_killed_run_resumes_with_every_file_done_once(tmp_path: Path) -> None:
    paths = _images(tmp_path / "m", 60)
    report, journal = tmp_path / "r.json", tmp_path / "r.json.state.jsonl"
    # slow each file down so the kill lands mid-run; the patch lives in this child only
    slow = (
        "import sys, time; import aisec.label.service as s; orig = s.add_label\n"
        "def slow(*a, **k):\n    time.sleep(0.03); return orig(*a, **k)\n"
        "s.add_label = slow\nfrom aisec.cli.main import app\n"
        "sys.argv = ['aisec'] + sys.argv[1:]; app()\n"
    )
    args = ["label", "add", str(tmp_path / "m"), *ADD, "--jobs", "1", "--report", str(report)]
    proc = subprocess.Popen([sys.executable, "-c", slow, *args], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count("\n") >= 10:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = journal.read_text().count("\n")
    assert 10 <= done_before < len(paths) and not report.exists()

    r = _aisec(*args, "--resume")
    assert r.returncode == 0, r.stderr
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(e["path"] for e in entries) == sorted(str(p) for p in paths)  # once each
    rows = json.loads(report.read_text())["files"]
    assert len(rows) == len(paths) and sum(r["resumed"] for r in rows) == done_before
    v = _aisec("label", "verify", tmp_path / "m", "--format", "json")
    assert v.returncode == 0 and len(json.loads(v.stdout)) == len(paths)


def test_reports_in_three_formats(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    _images(folder, 3)
    odd = folder / "<b>&'x\".png"
    Image.new("RGB", (8, 8)).save(odd)
    r = _aisec("label", "add", folder, *ADD, "--report", tmp_path / "add.csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "add.csv").read_text())))
    assert len(rows) == 4 and {row["verdict"] for row in rows} == {"labelled"}
    assert str(odd) in {row["file"] for row in rows}

    r = _aisec("label", "verify", folder, "-j", "2", "--report", tmp_path / "v.json")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "v.json").read_text())
    assert doc["summary"] == [{"verdict": "compliant", "format": "png", "files": 4}]
    assert {f["file"] for f in doc["files"]} == {str(p) for p in folder.rglob("*.png")}

    r = _aisec("label", "verify", folder, "--report", tmp_path / "v.html")
    page = (tmp_path / "v.html").read_text()
    assert html.escape(str(odd)) in page and str(odd) not in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for p in folder.rglob("*.png"):
        assert html.escape(str(p)) in page
    bad = _aisec("label", "verify", folder, "--report", tmp_path / "v.txt")
    assert bad.returncode == 2 and "use .csv, .json or .html" in bad.stderr


def test_one_bad_file_is_one_failed_row_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    paths = _images(folder, 5)
    bad = folder / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    before = bad.read_bytes()
    r = _aisec("label", "add", folder, *ADD, "-j", "2", "--report", tmp_path / "r.json")
    assert r.returncode == 2
    assert r.stderr.count("aisec: error:") == 1 and "bad.png" in r.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    failed = [row for row in rows if row["status"] == "failed"]
    assert [row["file"] for row in failed] == [str(bad)] and bad.read_bytes() == before
    v = _aisec("label", "verify", *paths, "--format", "json")
    assert v.returncode == 0 and {x["verdict"] for x in json.loads(v.stdout)} == {"compliant"}


def test_write_report_rows_round_trip(tmp_path: Path) -> None:
    row = {"file": "a<b>.png", "out": None, "op": "verify", "format": "png", "verdict": "x&y",
           "status": "ok", "label": None, "problems": ["p1", "p2"], "notes": [], "resumed": False}  # fmt: skip
    for ext in ("csv", "json", "html"):
        write_report(tmp_path / f"r.{ext}", [row], "verify")
    assert "a&lt;b&gt;.png" in (tmp_path / "r.html").read_text()
    assert json.loads((tmp_path / "r.json").read_text())["files"][0]["problems"] == ["p1", "p2"]
    assert next(csv.DictReader((tmp_path / "r.csv").open()))["problems"] == "p1; p2"
