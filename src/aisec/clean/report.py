"""The run report: one self-contained HTML file (inline CSS and SVG, nothing fetched)
and a JSON summary for machines."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from aisec.io import atomic_writer

_CSS = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;"
    "text-align:left}td.n{text-align:right}.bad{color:#b00020;font-weight:600}"
    ".ok{color:#1b5e20;font-weight:600}code{font-size:12px}"
)


def bar_chart(items: list[tuple[str, int]], width: int = 640) -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return "<p>none</p>"
    top = max(v for _, v in items) or 1
    row, label_w = 20, 260
    h = row * len(items) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img">']
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        w = max(1, int((width - label_w - 60) * value / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{html.escape(label[:40])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 6}" fill="#3f6fb5"/>'
            f'<text x="{label_w + w + 4}" y="{y + 14}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{v}</td>'
            if isinstance(v, (int, float))
            else f"<td>{html.escape(str(v))}</td>"
            for v in r
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The machine summary: totals, per-source figures, counts, details, global results."""
    keys = ("input", "kept", "dropped", "quarantined", "by_source", "counts", "details")
    out = {k: manifest[k] for k in keys}
    out.update(
        invariant=manifest["invariant"],
        sources=manifest["sources"],
        global_steps=manifest["global"],
        step_versions=manifest["step_versions"],
        aisec_version=manifest["aisec_version"],
        ledger=manifest["ledger"],
        sampling=manifest.get("sampling"),
    )
    return out


def render(manifest: dict[str, Any]) -> str:
    """The HTML report of a run."""
    m = manifest
    inv = m["invariant"]
    parts = [
        f"<!doctype html><html lang=en><meta charset=utf-8><title>aisec clean — "
        f"{html.escape(m['recipe']['name'])}</title><style>{_CSS}</style><body>",
        f"<h1>aisec clean report — {html.escape(m['recipe']['name'])}</h1>",
        f"<p>aisec {html.escape(str(m['aisec_version']))}, started {html.escape(m['started'])}. "
        f"Input {m['input']} records: kept {m['kept']}, dropped {m['dropped']}, "
        f"quarantined {m['quarantined']}. Invariant input = kept + dropped + quarantined: "
        + ('<span class="ok">holds</span>' if inv["ok"] else '<span class="bad">BROKEN</span>')
        + f". Ledger: {m['ledger']['lines']} lines, head <code>{m['ledger']['head'][:16]}…</code>.</p>",
        "<h2>Sources</h2>",
        _table(
            [
                "source",
                "type",
                "licence / contract",
                "collection",
                "input",
                "kept",
                "dropped",
                "quarantined",
            ],
            [
                [s["name"], s["type"], s["licence"] or "—", s["collection"] or "—"]
                + [
                    m["by_source"].get(s["name"], {}).get(k, 0)
                    for k in ("input", "kept", "dropped", "quarantined")
                ]
                for s in m["sources"]
            ],
        ),
    ]
    gate = m["global"].get("source_gate", {}).get("sources", {})
    if gate:
        parts.append("<h2>Source gate (harmful rate)</h2>")
        limit = m["global"]["source_gate"]["max_harmful_rate"]
        parts.append(
            _table(
                ["source", "checked", "flagged", "rate", f"rejected (> {limit:.0%})"],
                [
                    [s, g["checked"], g["flagged"], g["rate"], "yes" if g["rejected"] else "no"]
                    for s, g in gate.items()
                ],
            )
        )
    parts.append("<h2>Records removed or changed, per step</h2>")
    per_step = [(step, sum(v.values())) for step, v in m["counts"].items()]
    parts.append(bar_chart(per_step))
    parts.append("<h2>Per step and reason</h2>")
    rows = [
        [step, reason, n]
        for step, v in m["counts"].items()
        for reason, n in sorted(v.items(), key=lambda kv: -kv[1])
    ]
    parts.append(_table(["step", "action:reason", "records"], rows))
    for step, title in (("pii", "PII kinds found"), ("harmful", "Risk codes (harmful step)")):
        det = m["details"].get(step, {})
        if det:
            parts.append(f"<h2>{title}</h2>")
            parts.append(bar_chart(sorted(det.items(), key=lambda kv: -kv[1])[:25]))
    near = m["global"].get("near_dedup", {})
    if near:
        parts.append("<h2>Near-duplicate clusters</h2>")
        parts.append(
            f"<p>{near.get('clusters', 0)} clusters, {near.get('duplicates', 0)} duplicates removed, "
            f"{near.get('skipped', 0)} texts without letters skipped.</p>"
        )
        sizes = [(f"size {k}", int(v)) for k, v in near.get("cluster_sizes", {}).items()]
        parts.append(bar_chart(sizes[:20]))
        largest = near.get("largest_clusters", [])
        if largest:
            parts.append(
                _table(["kept record", "cluster size"], [[c["kept"], c["size"]] for c in largest])
            )
    triggers = m["global"].get("poison", {}).get("triggers", [])
    if triggers:
        parts.append("<h2>Poisoning: trigger n-grams</h2>")
        parts.append(
            _table(
                ["trigger", "payload", "records", "sources"],
                [
                    [t["trigger"], t["payload"], t["records"], ", ".join(t["sources"])]
                    for t in triggers
                ],
            )
        )
    parts.append("<h2>Versions</h2>")
    parts.append(_table(["step", "version"], [[k, v] for k, v in m["step_versions"].items()]))
    parts.append("<h2>Outputs</h2>")
    parts.append(
        _table(
            ["file", "records", "sha256"],
            [[o["path"], o["records"], o["sha256"][:16] + "…"] for o in m["outputs"]],
        )
    )
    parts.append(sampling_section(m.get("sampling") or {}))
    parts.append("</body></html>")
    return "\n".join(parts)


def _cert_row(name: str, c: dict[str, Any], rule: str) -> list[Any]:
    rate = "—" if c["pass_rate"] is None else f"{c['pass_rate']:.2%}"
    lo, hi = c["ci95"]
    return [
        name,
        rule,
        c["size"],
        c["passed"],
        c["failed"],
        rate,
        f"{lo:.2%} – {hi:.2%}",
        c["result"].upper() + ("" if not c["reasons"] else ": " + "; ".join(c["reasons"])),
    ]


def sampling_section(sampling: dict[str, Any]) -> str:
    """The sampling inspection results and certificates (guide 4 sampling acceptance)."""
    parts = ["<h2>Sampling inspection and certificate</h2>"]
    rows = []
    tech = sampling.get("technical")
    manual = sampling.get("manual")
    if tech:
        rule = (
            f"technical: ≥ {tech['required_fraction']:.0%} of the output re-checked by "
            f"{' + '.join(tech['method'])}, pass rate ≥ {tech['threshold']:.0%}"
        )
        rows.append(_cert_row("technical", tech, rule))
    if manual:
        rule = (
            f"manual: ≥ {manual['required_size']} random items reviewed, "
            f"pass rate ≥ {manual['threshold']:.0%}"
        )
        rows.append(_cert_row("manual", manual, rule))
    parts.append(
        _table(
            [
                "sampling",
                "rule",
                "sampled",
                "passed",
                "failed",
                "pass rate",
                "95 % CI (Wilson)",
                "certificate",
            ],
            rows,
        )
    )
    for name, c in (("technical", tech), ("manual", manual)):
        if c:
            cls = "ok" if c["result"] == "pass" else "bad"
            parts.append(
                f'<p>Certificate ({name}): <span class="{cls}">{c["result"].upper()}</span>'
                + (f" — seed {c['seed']}" if "seed" in c else "")
                + (
                    f", population {c['population']}, sampled {c['size']} ({c['fraction']:.1%})"
                    if name == "technical"
                    else f", population {c['population']}, reviewers "
                    f"{html.escape(', '.join(c.get('reviewers', {})))}, sheet "
                    f"<code>{html.escape(c.get('sheet', ''))}</code> "
                    f"(sha256 {c.get('sheet_sha256', '')[:16]}…), imported {c.get('imported', '')}"
                )
                + ".</p>"
            )
            if c.get("risk_codes"):
                parts.append(bar_chart(sorted(c["risk_codes"].items(), key=lambda kv: -kv[1])[:20]))
    if not manual:
        parts.append(
            "<p>Manual sampling: not reviewed yet. Draw the sheet with <code>aisec clean sample "
            "RUN</code> (≥ 4,000 random kept items), fill in verdict, risk code and reviewer, "
            "and import it with <code>aisec clean review RUN SHEET</code>; this section then "
            "shows the manual certificate (pass rate ≥ 96 %).</p>"
        )
    return "\n".join(parts)


def write_report(run: Path, manifest: dict[str, Any]) -> None:
    """Write ``report.html`` and ``summary.json`` into the run folder."""
    with atomic_writer(run / "report.html") as fh:
        fh.write(render(manifest))
    with atomic_writer(run / "summary.json") as fh:
        json.dump(summary(manifest), fh, ensure_ascii=False, indent=1)
