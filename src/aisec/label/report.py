"""Batch reports for ``aisec label add|verify|propagate --report PATH``.

The format follows the extension: ``.csv`` (one row per file), ``.json`` (a summary and
every row) or ``.html`` (one self-contained page: inline style, no script, no network;
every value escaped). Reports are written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aisec.errors import InputError
from aisec.io.atomic import atomic_writer

Row = dict[str, Any]
REPORT_SUFFIXES = (".csv", ".json", ".html")
_LABEL_FIELDS = ("Label", "ContentProducer", "ProduceID", "ContentPropagator", "PropagateID")
CSV_COLUMNS = (
    "file",
    "out",
    "op",
    "format",
    "verdict",
    "status",
    *_LABEL_FIELDS,
    "signature",
    "problems",
    "notes",
    "resumed",
)


def check_report_path(path: Path) -> None:
    """Refuse an extension we cannot write, before any file is touched."""
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise InputError(
            f"--report {path}: unknown report type {path.suffix!r}; use .csv, .json or .html"
        )


def summary(rows: Sequence[Row]) -> list[tuple[str, str, int]]:
    """(verdict, format, count) for every combination present, sorted."""
    counts = Counter((str(r.get("verdict")), str(r.get("format") or "-")) for r in rows)
    return [(v, f, n) for (v, f), n in sorted(counts.items())]


def _flat(row: Row) -> dict[str, str]:
    label = row.get("label") or {}
    flat = {col: "" if row.get(col) is None else str(row.get(col)) for col in CSV_COLUMNS}
    for name in _LABEL_FIELDS:
        flat[name] = str(label.get(name, ""))
    flat["problems"] = "; ".join(map(str, row.get("problems") or []))
    flat["notes"] = "; ".join(map(str, row.get("notes") or []))
    flat["resumed"] = "yes" if row.get("resumed") else ""
    return flat


def render_csv(rows: Sequence[Row]) -> str:
    """One line per file, the columns of :data:`CSV_COLUMNS`."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_flat(row))
    return buf.getvalue()


def render_json(rows: Sequence[Row], op: str, generated: str) -> str:
    """``{"tool", "op", "generated", "summary": [...], "files": [rows]}``."""
    doc = {
        "tool": "aisec label",
        "op": op,
        "generated": generated,
        "files_total": len(rows),
        "summary": [{"verdict": v, "format": f, "files": n} for v, f, n in summary(rows)],
        "files": list(rows),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f0f0f0}td.n{text-align:right}
.compliant,.labelled,.propagated{color:#070}.noncompliant,.failed,.inconclusive{color:#b00}
.not_found{color:#a60}
"""


def render_html(rows: Sequence[Row], op: str, generated: str) -> str:
    """A self-contained page: summary by verdict and format, then one row per file."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>aisec label {e(op)} report</title><style>{_STYLE}</style></head><body>",
        f"<h1>aisec label {e(op)}</h1>",
        f"<p>{len(rows)} file(s), generated {e(generated)}.</p>",
        "<h2>Summary</h2><table><tr><th>verdict</th><th>format</th><th>files</th></tr>",
    ]
    for verdict, fmt, n in summary(rows):
        parts.append(
            f'<tr><td class="{e(verdict)}">{e(verdict)}</td><td>{e(fmt)}</td>'
            f'<td class="n">{n}</td></tr>'
        )
    parts.append("</table><h2>Files</h2><table><tr>")
    columns = [c for c in CSV_COLUMNS if c not in ("op", "status")]
    parts.extend(f"<th>{e(c)}</th>" for c in columns)
    parts.append("</tr>")
    for row in rows:
        flat = _flat(row)
        cells = "".join(
            f'<td class="{e(flat["verdict"])}">{e(flat[c])}</td>'
            if c == "verdict"
            else f"<td>{e(flat[c])}</td>"
            for c in columns
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table></body></html>\n")
    return "\n".join(parts)


def write_report(path: Path, rows: Sequence[Row], op: str) -> None:
    """Write the report for ``rows`` in the format ``path``'s extension names."""
    check_report_path(path)
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = render_csv(rows)
    elif suffix == ".json":
        text = render_json(rows, op, generated)
    else:
        text = render_html(rows, op, generated)
    _write_atomic(path, text)


def _write_atomic(path: Path, text: str) -> None:
    with atomic_writer(path) as fh:
        fh.write(text)
