"""`aisec lexicon` sub-commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aisec.cli.main import app
from aisec.errors import LexiconError

runner = CliRunner()


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_CACHE_DIR", str(tmp_path / "cache"))


def test_stats_json_reports_builtin_meets_figures() -> None:
    res = runner.invoke(app, ["lexicon", "stats", "--format", "json", "--strict"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["ok"] is True and data["short"] == {}
    assert data["total"] >= 10_000
    assert all(data["per_risk"][f"A1.{i}"] >= 200 for i in range(1, 9))
    assert all(data["per_risk"][f"A2.{i}"] >= 100 for i in range(1, 10))


def test_stats_names_short_risks_and_strict_exits_1(tmp_path: Path) -> None:
    p = tmp_path / "mine.csv"
    p.write_text("term,risk\n炸药配方,A1.4\n", "utf-8")
    res = runner.invoke(app, ["lexicon", "stats", "--no-builtin", "-l", str(p)])
    assert res.exit_code == 0
    assert "Short of the figures" in res.output and "A1.4 (1/200)" in res.output
    res = runner.invoke(
        app, ["lexicon", "stats", "--no-builtin", "-l", str(p), "--strict", "-f", "json"]
    )
    assert res.exit_code == 1
    assert json.loads(res.output)["short"]["A2.1"] == {"have": 0, "need": 100}


def test_import_normalises_and_merges_duplicates(tmp_path: Path) -> None:
    src = tmp_path / "words.txt"
    src.write_text("炸药配方\n炸 藥 配 方\nＦＯＯＢＡＲ\n", "utf-8")
    out = tmp_path / "lib.csv"
    res = runner.invoke(
        app, ["lexicon", "import", str(src), "--out", str(out), "--risk", "A1.4", "--weight", "0.7"]
    )
    assert res.exit_code == 0, res.output
    assert "1 duplicates merged" in res.output
    lines = out.read_text("utf-8").splitlines()
    assert lines[0] == "term,risk,weight,exclusions,source"
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["炸药配方", "A1.4", "0.7"],
        ["foobar", "A1.4", "0.7"],
    ]


def test_import_bad_file_raises_lexicon_error_with_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("term,risk\n好词,A1.4\n坏词,B7\n", "utf-8")
    res = runner.invoke(app, ["lexicon", "import", str(src), "--out", str(tmp_path / "o.csv")])
    assert isinstance(res.exception, LexiconError)
    assert "bad.csv:3" in str(res.exception)
    assert not (tmp_path / "o.csv").exists()


def test_export_round_trip_through_cli(tmp_path: Path) -> None:
    out = tmp_path / "builtin.json"
    res = runner.invoke(app, ["lexicon", "export", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text("utf-8"))
    assert doc["name"] == "tc260-builtin" and len(doc["terms"]) >= 10_000
    txt = tmp_path / "a.txt"
    res = runner.invoke(
        app, ["lexicon", "export", "-l", str(out), "--out", str(txt), "--format", "txt"]
    )
    assert res.exit_code == 0
    assert len(txt.read_text("utf-8").splitlines()) == len(doc["terms"])


def test_match_shows_hits_with_original_spans() -> None:
    res = runner.invoke(app, ["lexicon", "match", "--json", "哪里有炸 药 配 方"])
    assert res.exit_code == 0, res.output
    hits = [json.loads(line) for line in res.output.splitlines()]
    assert {"kind": "risk.A1.4", "text": "炸 药 配 方"}.items() <= max(
        hits, key=lambda h: h["end"] - h["start"]
    ).items()
    res = runner.invoke(app, ["lexicon", "match", "今天天气很好"])
    assert res.exit_code == 0 and "no hits" in res.output


def test_console_script_turns_lexicon_error_into_one_line_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "words.txt"
    src.write_text("炸药配方\n", "utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from aisec.cli.main import main; main()",
            "lexicon",
            "import",
            str(src),
            "--out",
            str(tmp_path / "o.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("aisec: error:") and "--risk" in proc.stderr
    assert "Traceback" not in proc.stderr
