"""Sampling inspection: technical sampling in every manifest, seeded manual draws, the
review sheet round trip (XLSX and CSV), thresholds, and clear errors on bad sheets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from aisec.clean.ledger import verify_run
from aisec.clean.pipeline import CleaningRun
from aisec.clean.recipe import Recipe, default_recipe
from aisec.clean.sampling import (
    COLUMNS,
    SamplingError,
    certificate,
    draw_sample,
    import_review,
    technical_pick,
    wilson,
)
from aisec.cli.main import app

LONG_ZH = "城市交通的发展正在改变居民的出行方式，新的地铁线路已经开通，公交站点也重新规划。"


def _rows(n: int, harmful: bool = False) -> list[dict[str, str]]:
    words = ["river", "forest", "market", "bridge", "garden", "harbour", "museum", "tower"]
    out = []
    for i in range(n):
        text = (
            f"Document {i} describes the {words[i % 8]} and the {words[(i * 3 + 1) % 8]} "
            f"of town {i * 7919 % 10007} with unique words w{i}a w{i}b w{i}c w{i}d."
        )
        if harmful:
            text = f"第{i}篇：{LONG_ZH}教你制作冰毒的方法，编号{i * 31}。"
        out.append({"id": f"d{i}", "text": text})
    return out


def _make_run(root: Path, rows: list[dict[str, str]], **recipe: Any) -> dict[str, Any]:
    src = root / "in" / "a.jsonl"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    base = default_recipe([src.parent], root / "out").model_dump()
    base.update(recipe)
    return CleaningRun(Recipe.model_validate(base), jobs=1).execute().manifest


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sampling")
    _make_run(root, _rows(60))
    return root / "out"


def test_wilson_and_certificate_thresholds() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(10, 10)
    assert round(lo, 4) == 0.7225 and round(hi, 9) == 1.0
    lo, hi = wilson(96, 100)
    assert round(lo, 4) == 0.9016 and round(hi, 4) == 0.9843
    assert certificate("manual", 3840, 4000, 4000, 0.96, 10**6)["result"] == "pass"  # 96.0 %
    low = certificate("manual", 3839, 4000, 4000, 0.96, 10**6)
    assert low["result"] == "fail" and "below 96%" in low["reasons"][0]
    small = certificate("manual", 3999, 3999, 4000, 0.96, 10**6)
    assert small["result"] == "fail" and "below the required 4000" in small["reasons"][0]
    assert certificate("technical", 98, 100, 100, 0.98, 1000)["result"] == "pass"
    assert certificate("technical", 97, 100, 100, 0.98, 1000)["result"] == "fail"
    assert certificate("technical", 0, 0, 0, 0.98, 0)["result"] == "fail"


def test_technical_sampling_in_every_manifest(run: Path) -> None:
    m = json.loads((run / "manifest.json").read_text())
    tech = m["sampling"]["technical"]
    assert tech["population"] == m["kept"] and tech["size"] >= 0.10 * m["kept"]
    assert tech["method"] == ["keywords (lexicon)"]
    assert tech["result"] == "pass" and tech["threshold"] == 0.98
    assert m["sampling"]["manual"] is None
    assert "Certificate (technical)" in (run / "report.html").read_text()
    assert technical_pick(1, 0, 95) == technical_pick(1, 0, 95)
    assert len(technical_pick(1, 0, 95)) == 10 and technical_pick(1, 0, 0) == []


def test_technical_sampling_fails_when_harmful_content_was_kept(tmp_path: Path) -> None:
    steps = [{"name": "normalize"}]  # no harmful step: the re-check finds what is left
    m = _make_run(tmp_path, _rows(30, harmful=True), steps=steps)
    tech = m["sampling"]["technical"]
    assert tech["size"] == 3 and tech["failed"] == 3 and tech["result"] == "fail"
    assert tech["risk_codes"] == {"risk.A1.8": 3} and tech["failures"][0]["id"].startswith("d")
    assert verify_run(tmp_path / "out").ok


def test_sample_is_seeded_and_deterministic(run: Path) -> None:
    a = draw_sample(run, size=20, seed=5)
    first = a.csv.read_bytes()
    b = draw_sample(run, size=20, seed=5)
    assert b.csv.read_bytes() == first and a.size == 20
    c = draw_sample(run, size=20, seed=6)
    ids = lambda p: [r[0] for r in csv.reader(io.StringIO(p.read_text("utf-8-sig")))][1:]  # noqa: E731
    assert ids(c.csv) != ids(a.csv)
    full = draw_sample(run)  # default: 4,000, or all kept records when fewer
    manifest = json.loads((run / "manifest.json").read_text())
    assert full.size == manifest["kept"] == full.population
    ws = openpyxl.load_workbook(full.xlsx).active
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert ws.max_row == full.size + 1


def _fill_xlsx(path: Path, fails: dict[int, str], reviewer: str = "王审核") -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 4, "fail" if r in fails else "pass")
        ws.cell(r, 5, fails.get(r))
        ws.cell(r, 6, reviewer)
    wb.save(path)


def test_sheet_round_trip_xlsx_and_csv(run: Path) -> None:
    d = draw_sample(run)
    _fill_xlsx(d.xlsx, {3: "A1.8"})
    r = import_review(run, d.xlsx)
    assert r["size"] == d.size and r["failed"] == 1 and r["result"] == "pass"
    assert r["risk_codes"] == {"A1.8": 1} and r["reviewers"] == {"王审核": d.size}
    lo, hi = r["ci95"]
    assert lo < r["pass_rate"] < hi
    m = json.loads((run / "manifest.json").read_text())
    assert m["sampling"]["manual"]["result"] == "pass"
    assert m["sampling"]["technical"]["result"] == "pass"
    assert "Certificate (manual)" in (run / "report.html").read_text()
    assert verify_run(run).ok
    # the CSV: three fails out of ~57 is below 96 %
    rows = list(csv.reader(io.StringIO(d.csv.read_text("utf-8-sig"))))
    for i, row in enumerate(rows[1:], start=2):
        row[3:6] = ["不通过", "risk.A2.1", "li"] if i in (2, 5, 9) else ["通过", "", "li"]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    sheet = run / "filled.csv"
    sheet.write_text(buf.getvalue(), "utf-8")
    r = import_review(run, sheet)
    assert r["failed"] == 3 and r["result"] == "fail" and "below 96%" in r["reasons"][0]
    res = CliRunner().invoke(app, ["clean", "review", str(run), str(sheet)])
    assert res.exit_code == 1 and "FAIL" in res.output


def test_bad_sheets_give_clear_errors(run: Path) -> None:
    d = draw_sample(run, size=10, seed=3)
    wb = openpyxl.load_workbook(d.xlsx)
    ws = wb.active
    for r in range(2, 12):
        ws.cell(r, 4, "pass")
        ws.cell(r, 6, "li")
    ws.cell(3, 4, "maybe")
    ws.cell(4, 4, "fail")  # no risk code
    ws.cell(5, 4, "fail")
    ws.cell(5, 5, "Z9.9")
    ws.cell(6, 6).value = None
    ws.cell(7, 1, "not-a-sampled-id")
    bad = run / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(SamplingError) as err:
        import_review(run, bad)
    msg = str(err.value)
    assert "row 3: verdict 'maybe' is not pass or fail" in msg
    assert "row 4: a fail verdict needs a risk code" in msg
    assert "row 5: unknown risk code 'Z9.9'" in msg
    assert "row 6: no reviewer" in msg
    assert "row 7: id 'not-a-sampled-id'" in msg and "1 sampled item(s) have no row" in msg
    no_col = run / "nocol.csv"
    no_col.write_text("id,source,text,verdict\nd1,in,x,pass\n", "utf-8")
    with pytest.raises(SamplingError, match=r"row 1: missing column\(s\) risk code, reviewer"):
        import_review(run, no_col)
    with pytest.raises(SamplingError, match=r"a review sheet is \.xlsx or \.csv"):
        import_review(run, d.meta)
    res = CliRunner().invoke(app, ["clean", "review", str(run), str(bad)])
    assert res.exit_code != 0


def test_cli_sample(run: Path) -> None:
    res = CliRunner().invoke(app, ["clean", "sample", str(run), "--size", "5", "--seed", "9"])
    assert res.exit_code == 0, res.output
    assert "drew 5 of" in res.output and (run / "sampling" / "manual-9-5.xlsx").exists()
