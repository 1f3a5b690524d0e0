"""Sampling inspection (guide 4, sampling acceptance ≈):

* **technical sampling** — at least 10 % of the kept output is re-checked by the keyword
  library (and the risk classifier when the recipe's ``harmful`` step enables it) at the
  end of every run; pass rate ≥ 98 %. Each shard draws ``ceil(10 % × kept)`` of its kept
  records with a generator seeded by the recipe's seed and the shard number, so the draw
  does not depend on the executor or on timing.
* **manual sampling** — `draw_sample` draws ≥ 4,000 random kept records (all of them if
  fewer) into a review sheet (XLSX and CSV: id, source, text, verdict, risk code,
  reviewer, note); `import_review` reads the filled sheet back, validates it and computes
  the pass rate with a Wilson 95 % interval; pass rate ≥ 96 %.

Both end in a pass/fail certificate written into the manifest (``sampling``) and the
report. Pass/fail follows the standard's wording: the sample is large enough and its
observed pass rate reaches the threshold; the interval is reported beside it, with
whether its lower bound also reaches the threshold.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import json
import math
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisec.clean.formats import Doc, SourceReader, file_format
from aisec.clean.ledger import MANIFEST
from aisec.clean.recipe import FieldMap
from aisec.errors import AisecError
from aisec.io import atomic_writer

#: pack tc260-2026-01, guide 4 "sampling acceptance" (≈; see REQUIREMENTS.md)
MANUAL_MIN_ITEMS = 4000
MANUAL_PASS_RATE = 0.96
TECHNICAL_FRACTION = 0.10
TECHNICAL_PASS_RATE = 0.98
Z95 = 1.959963984540054

COLUMNS = ("id", "source", "text", "verdict", "risk code", "reviewer", "note")
PASS_WORDS = {"pass", "p", "ok", "yes", "通过", "合格"}
FAIL_WORDS = {"fail", "f", "no", "不通过", "不合格"}
XLSX_CELL_MAX = 32767
SAMPLING_DIR = "sampling"


class SamplingError(AisecError):
    """A sample cannot be drawn, or a review sheet is unreadable or inconsistent."""


def wilson(passed: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a pass rate (``(0, 1)`` for an empty sample)."""
    if n <= 0:
        return (0.0, 1.0)
    p = passed / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def certificate(
    kind: str, passed: int, n: int, required: int, threshold: float, population: int
) -> dict[str, Any]:
    """Pass/fail against a threshold, with the sample-size requirement and the reasons."""
    rate = passed / n if n else None
    lo, hi = wilson(passed, n)
    reasons = []
    if population == 0:
        reasons.append("no kept records to sample")
    elif n < required:
        reasons.append(f"sample of {n} below the required {required}")
    if rate is not None and rate < threshold:
        reasons.append(f"pass rate {rate:.2%} below {threshold:.0%}")
    return {
        "kind": kind,
        "result": "fail" if reasons else "pass",
        "reasons": reasons,
        "size": n,
        "required_size": required,
        "population": population,
        "passed": passed,
        "failed": n - passed,
        "pass_rate": None if rate is None else round(rate, 6),
        "ci95": [round(lo, 6), round(hi, 6)],
        "threshold": threshold,
        "lower_bound_meets_threshold": n > 0 and lo >= threshold,
    }


# ----------------------------------------------------------------- technical sampling


def technical_size(kept: int) -> int:
    """How many of a shard's kept records technical sampling re-checks."""
    return math.ceil(kept * TECHNICAL_FRACTION)


def technical_pick(seed: int, shard: int, kept: int) -> list[int]:
    """The positions (in the shard's kept order) technical sampling re-checks."""
    rng = random.Random(f"technical:{seed}:{shard}")  # noqa: S311 -- seeded, reproducible
    return sorted(rng.sample(range(kept), technical_size(kept)))


def technical_summary(
    shard_results: list[dict[str, Any]], seed: int, method: list[str]
) -> dict[str, Any]:
    """Sum the shards' technical re-checks into the run's certificate."""
    checked = sum(r["checked"] for r in shard_results)
    flagged = sum(r["flagged"] for r in shard_results)
    population = sum(r["population"] for r in shard_results)
    codes: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    for r in shard_results:
        codes.update(r["codes"])
        failures.extend(r["failures"])
    cert = certificate(
        "technical",
        checked - flagged,
        checked,
        math.ceil(population * TECHNICAL_FRACTION),
        TECHNICAL_PASS_RATE,
        population,
    )
    return {
        **cert,
        "method": method,
        "seed": seed,
        "fraction": round(checked / population, 6) if population else 0.0,
        "required_fraction": TECHNICAL_FRACTION,
        "risk_codes": dict(codes.most_common()),
        "failures": failures[:50],
    }


# ----------------------------------------------------------------- kept output


def read_manifest(run: Path) -> dict[str, Any]:
    """A run's manifest (a clear error when the folder is not a finished run)."""
    try:
        data: dict[str, Any] = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SamplingError(f"{run}: no {MANIFEST}; not a finished aisec clean run") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise SamplingError(f"{run / MANIFEST}: cannot read ({exc})") from exc
    return data


def iter_kept(run: Path, manifest: dict[str, Any]) -> Iterator[Doc]:
    """The kept records of a run, read back from its output files in manifest order."""
    fields = {
        (s.get("name") or Path(s["path"]).name): FieldMap(**s.get("fields", {}))
        for s in manifest["recipe"]["sources"]
    }
    for n, out in enumerate(manifest["outputs"]):
        path = run / out["path"]
        source = out.get("source") or out["path"].split("/")[1]
        reader = SourceReader(
            [(path, out["path"])],
            file_format(path, "auto"),
            fields.get(source, FieldMap()),
            source,
            n,
        )
        for item in reader:
            if isinstance(item, Doc):
                yield item


# ----------------------------------------------------------------- manual sampling


@dataclass
class Draw:
    """A drawn manual sample and where its sheets are."""

    seed: int
    size: int
    population: int
    xlsx: Path
    csv: Path
    meta: Path


def _clean_cell(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    text = str(ILLEGAL_CHARACTERS_RE.sub("", text))
    if len(text) > XLSX_CELL_MAX:
        text = text[: XLSX_CELL_MAX - 40] + " …[truncated; full text in the CSV]"
    return text


def draw_sample(run: Path, size: int | None = None, seed: int | None = None) -> Draw:
    """Draw a seeded random sample of the kept output into ``sampling/`` as XLSX + CSV."""
    manifest = read_manifest(run)
    population = int(manifest["kept"])
    if population == 0:
        raise SamplingError(f"{run}: the run kept no records; nothing to sample")
    if size is not None and size < 1:
        raise SamplingError("--size must be at least 1")
    seed = int(manifest["recipe"].get("seed", 0)) if seed is None else seed
    n = min(population, MANUAL_MIN_ITEMS if size is None else size)
    rng = random.Random(f"manual:{seed}")  # noqa: S311 -- seeded, reproducible by design
    picks = set(rng.sample(range(population), n))
    rows: list[tuple[str, str, str]] = []
    for i, doc in enumerate(iter_kept(run, manifest)):
        if i in picks:
            rows.append((doc.id, doc.source, doc.text))
    if len(rows) != n:
        raise SamplingError(
            f"{run}: the output holds fewer records than the manifest's kept {population}; "
            "check the run with `aisec clean verify`"
        )
    folder = run / SAMPLING_DIR
    stem = f"manual-{seed}-{n}"
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for rid, src, text in rows:
        w.writerow([rid, src, text, "", "", "", ""])
    with atomic_writer(folder / f"{stem}.csv") as fh:
        fh.write("\ufeff" + buf.getvalue())  # a BOM, so spreadsheet programs read UTF-8
    _write_xlsx(folder / f"{stem}.xlsx", rows)
    meta = {
        "seed": seed,
        "size": n,
        "population": population,
        "required_size": min(population, MANUAL_MIN_ITEMS),
        "items": [[src, rid] for rid, src, _ in rows],
        "text_sha256": hashlib.sha256("\n".join(t for _, _, t in rows).encode("utf-8")).hexdigest(),
    }
    with atomic_writer(folder / f"{stem}.json") as fh:
        json.dump(meta, fh, ensure_ascii=False, indent=1)
    return Draw(
        seed,
        n,
        population,
        folder / f"{stem}.xlsx",
        folder / f"{stem}.csv",
        folder / f"{stem}.json",
    )


def _write_xlsx(path: Path, rows: list[tuple[str, str, str]]) -> None:
    openpyxl = importlib.import_module("openpyxl")
    dv_mod = importlib.import_module("openpyxl.worksheet.datavalidation")
    styles = importlib.import_module("openpyxl.styles")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "review"
    ws.append(list(COLUMNS))
    for rid, src, text in rows:
        ws.append([_clean_cell(rid), _clean_cell(src), _clean_cell(text), None, None, None, None])
    for col, width in zip("ABCDEFG", (18, 12, 90, 10, 12, 14, 30), strict=True):
        ws.column_dimensions[col].width = width
    wrap = styles.Alignment(wrap_text=True, vertical="top")
    for (cell,) in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        cell.alignment = wrap
    ws.freeze_panes = "A2"
    dv = dv_mod.DataValidation(type="list", formula1='"pass,fail"', allow_blank=True)
    dv.error = "verdict: pass or fail"
    ws.add_data_validation(dv)
    dv.add(f"D2:D{len(rows) + 1}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    tmp.replace(path)


# ----------------------------------------------------------------- review import


def _read_sheet(sheet: Path) -> list[list[str]]:
    suffix = sheet.suffix.lower()
    if not sheet.exists():
        raise SamplingError(f"review sheet not found: {sheet}")
    if suffix == ".csv":
        try:
            text = sheet.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SamplingError(f"{sheet}: not UTF-8 text ({exc}); save the CSV as UTF-8") from exc
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    if suffix in (".xlsx", ".xlsm"):
        openpyxl = importlib.import_module("openpyxl")
        try:
            wb = openpyxl.load_workbook(sheet, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise SamplingError(f"{sheet}: not a readable XLSX workbook ({exc})") from exc
        ws = wb.worksheets[0]
        rows = [
            ["" if v is None else _cell_str(v) for v in row]
            for row in ws.iter_rows(values_only=True)
        ]
        wb.close()
        return rows
    raise SamplingError(f"{sheet}: a review sheet is .xlsx or .csv, not {suffix or 'no suffix'}")


def _cell_str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


@dataclass
class _Row:
    n: int
    rid: str
    source: str
    verdict: str
    risk: str
    reviewer: str
    note: str


def _parse(rows: list[list[str]], sheet: Path) -> tuple[list[_Row], list[str]]:
    if not rows or not any(rows[0]):
        raise SamplingError(f"{sheet}: empty sheet (no header row)")
    header = [h.strip().lower().replace("_", " ") for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SamplingError(
            f"{sheet}: row 1: missing column(s) {', '.join(missing)}; the header must be "
            + ", ".join(COLUMNS)
        )
    col = {c: header.index(c) for c in COLUMNS}
    from aisec.taxonomy import load_taxonomy

    risks = load_taxonomy().risks
    problems: list[str] = []
    parsed: list[_Row] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        cell = {c: (row[i] if i < len(row) else "") for c, i in col.items()}
        verdict_raw = cell["verdict"].strip().lower()
        verdict = (
            "pass" if verdict_raw in PASS_WORDS else "fail" if verdict_raw in FAIL_WORDS else ""
        )
        risk = cell["risk code"].strip().removeprefix("risk.").upper()
        if not cell["id"]:
            problems.append(f"row {n}: no id")
        if not verdict_raw:
            problems.append(f"row {n}: no verdict (write pass or fail)")
        elif not verdict:
            problems.append(f"row {n}: verdict {cell['verdict']!r} is not pass or fail")
        if verdict == "fail" and not risk:
            problems.append(f"row {n}: a fail verdict needs a risk code (e.g. A1.4)")
        if risk and risk not in risks:
            problems.append(
                f"row {n}: unknown risk code {cell['risk code']!r} (GB/T 45654: A1.1 … E2)"
            )
        if verdict == "pass" and risk:
            problems.append(
                f"row {n}: risk code {risk} on a pass verdict (fail it, or clear the code)"
            )
        if not cell["reviewer"]:
            problems.append(f"row {n}: no reviewer")
        parsed.append(
            _Row(n, cell["id"], cell["source"], verdict, risk, cell["reviewer"], cell["note"])
        )
    return parsed, problems


def _find_draw(run: Path, keys: set[tuple[str, str]]) -> tuple[Path, dict[str, Any]]:
    """The drawn sample a sheet belongs to: the draw sharing most rows with it, and of
    those the one that differs least (so a renamed sheet is still recognised)."""
    best: tuple[tuple[int, int], Path, dict[str, Any]] | None = None
    for meta_path in sorted((run / SAMPLING_DIR).glob("manual-*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        items = {(s, i) for s, i in meta["items"]}
        score = (len(items & keys), -len(items ^ keys))
        if best is None or score > best[0]:
            best = (score, meta_path, meta)
    if best is None:
        raise SamplingError(f"{run}: no drawn sample; run `aisec clean sample {run}` first")
    return best[1], best[2]


def import_review(run: Path, sheet: Path) -> dict[str, Any]:
    """Import a filled review sheet: validate it against the drawn sample, compute the pass
    rate (Wilson 95 %) and the certificate; update the manifest and the report."""
    manifest = read_manifest(run)
    rows, problems = _parse(_read_sheet(sheet), sheet)
    keys = {(r.source, r.rid) for r in rows}
    meta_path, meta = _find_draw(run, keys)
    drawn = {(s, i) for s, i in meta["items"]}
    seen: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r.source, r.rid)
        if r.rid and key not in drawn:
            problems.append(
                f"row {r.n}: id {r.rid!r} (source {r.source!r}) is not in the sample "
                f"{meta_path.name}"
            )
        if key in seen:
            problems.append(f"row {r.n}: id {r.rid!r} repeats row {seen[key]}")
        seen.setdefault(key, r.n)
    absent = [k for s, i in meta["items"] if (k := (s, i)) not in seen]
    if absent:
        s, i = absent[0]
        problems.append(
            f"{len(absent)} sampled item(s) have no row (first: id {i!r}, source {s!r})"
        )
    if problems:
        shown = "\n  ".join(problems[:25])
        more = f"\n  … and {len(problems) - 25} more" if len(problems) > 25 else ""
        raise SamplingError(f"{sheet}: {len(problems)} problem(s):\n  {shown}{more}")
    passed = sum(r.verdict == "pass" for r in rows)
    cert = certificate(
        "manual",
        passed,
        len(rows),
        int(meta["required_size"]),
        MANUAL_PASS_RATE,
        int(meta["population"]),
    )
    result = {
        **cert,
        "seed": meta["seed"],
        "sample": meta_path.name,
        "sheet": sheet.name,
        "sheet_sha256": hashlib.sha256(sheet.read_bytes()).hexdigest(),
        "reviewers": dict(Counter(r.reviewer for r in rows).most_common()),
        "risk_codes": dict(Counter(r.risk for r in rows if r.verdict == "fail").most_common()),
        "failures": [
            {
                "id": r.rid,
                "source": r.source,
                "risk": r.risk,
                "reviewer": r.reviewer,
                "note": r.note,
            }
            for r in rows
            if r.verdict == "fail"
        ][:100],
        "imported": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    sampling = dict(manifest.get("sampling") or {})
    sampling["manual"] = result
    manifest["sampling"] = sampling
    with atomic_writer(run / MANIFEST) as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
    with atomic_writer(run / SAMPLING_DIR / "review.json") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=1)
    from aisec.clean.report import write_report

    write_report(run, manifest)
    return result
