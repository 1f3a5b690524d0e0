"""Rendering of ``bench/pii.py`` results: the Markdown section of ``bench/RESULTS.md``, the
figures it checks against, and the atomic file writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# fmt: off
TARGET_MBPS = 20.0
STRUCTURED = ("pii.cn_id_card", "pii.cn_mobile", "pii.bank_card", "pii.uscc", "pii.passport",
              "pii.hk_macau_permit", "pii.car_plate")
TARGETS = {k: 0.99 for k in (*STRUCTURED, "pii.email", "pii.ipv4", "pii.ipv6")} | {
    f"{k} ({lang})": 0.85 for k in ("pii.person_name", "pii.address") for lang in ("zh", "en")}
# fmt: on


# --- output ------------------------------------------------------------------------------


def _ok(good: bool) -> str:
    return "✓" if good else "✗"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _cells(s: dict[str, Any] | None) -> tuple[str, ...]:
    return ("–",) * 3 if s is None else tuple(f"{s[k]:.3f}" for k in ("p", "r", "f1"))


def render_markdown(res: dict[str, Any]) -> str:
    """The ``bench/RESULTS.md`` section (without the markers)."""
    meta, gen = res["meta"], res["generated"]
    a, pr = gen["aisec"]["per_kind"], gen.get("presidio", {}).get("per_kind", {})
    out = [
        "## PII detection: aisec vs Microsoft Presidio",
        "",
        f"Run {meta['date']}, one CPU core: `{meta['command']}`. aisec {meta['aisec_version']} "
        f"(`PiiDetector` {meta['detector_version']}, findings with score ≥ {meta['threshold']}); "
        f"presidio-analyzer {meta['presidio_version']} (score ≥ {meta['presidio_threshold']}).",
        "",
        f"### Generated zh/en set ({gen['lines']:,} lines, {gen['no_pii_lines']:,} without PII, "
        f"seed {meta['seed']}, `bench/pii_gen.py`)",
        "",
        _row("kind", "gold", "aisec P", "aisec R", "aisec F1", "aisec exact", "Presidio P",
             "Presidio R", "Presidio F1", "target F1", "check"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]  # fmt: skip
    for kind in [*sorted(k for k in a if k != "micro"), "micro"]:
        s, t = a[kind], TARGETS.get(kind)
        name = "**micro**" if kind == "micro" else f"`{kind}`"
        check = _ok(s["f1"] >= t) if t else ""
        target = f"≥ {t}" if t else ""
        out.append(_row(name, s["gold"], *_cells(s), f"{s['exact']:.3f}",
                        *_cells(pr.get(kind)), target, check))  # fmt: skip
    out += ["", "Hard negatives (look-alikes that must not be detected; a hit = a prediction of "
            "any `pii.*` kind overlapping one):", "",
            _row("look-alike", "n", "aisec hits", "Presidio hits", "check (aisec = 0)"),
            "|---|---:|---:|---:|:-:|"]  # fmt: skip
    pneg = gen.get("presidio", {}).get("negatives", {})
    for t, v in gen["aisec"]["negatives"].items():
        out.append(_row(f"`{t}`", v["n"], v["hit"], pneg.get(t, {}).get("hit", "–"), _ok(not v["hit"])))  # fmt: skip
    out += ["", "### en-pii-presidio (Presidio's synthetic English set)", ""]
    en = res.get("en_pii_presidio")
    if en is None:
        out.append("Skipped: the data file was not found.")
    else:
        ea, ep = en["aisec"]["all"], en.get("presidio", {}).get("all", {})
        out += [
            f"{en['rows']:,} sentences. Evaluated labels (claimed by at least one of the two "
            f"tools as run here): {', '.join(en['evaluated_labels'])}. Not evaluated (neither "
            f"detects them here): {', '.join(en['not_evaluated'])}.",
            "",
            _row("label", "gold", "aisec P", "aisec R", "aisec F1", "Presidio P", "Presidio R",
                 "Presidio F1"),
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        for lb in [*en["evaluated_labels"], "micro"]:
            name = "**micro**" if lb == "micro" else lb
            out.append(_row(name, ea[lb]["gold"], *_cells(ea[lb]), *_cells(ep.get(lb))))
        if ep:
            fa, fp = ea["micro"]["f1"], ep["micro"]["f1"]
            out += ["", f"Micro F1: aisec **{fa:.3f}** vs Presidio **{fp:.3f}**; target aisec > "
                    f"Presidio: {_ok(fa > fp)}. On the labels both claim "
                    f"({', '.join(en['labels_both_claim'])}): aisec {en['aisec']['both']['f1']:.3f} "
                    f"vs Presidio {en['presidio']['both']['f1']:.3f}. Presidio micro F1 by score "
                    f"threshold: {en['presidio']['micro_f1_by_threshold']}."]  # fmt: skip
    tp = res["throughput"]
    out += ["", "### Throughput (one core; MB = 10^6 bytes of UTF-8 input)", "",
            f"The generated mixed zh/en lines ({tp['lines']['aisec']['bytes'] / 1e6:.2f} MB), "
            f"timed as single lines and joined into ~{tp['doc_bytes']:,}-byte documents (call "
            "overhead amortised, as when cleaning a corpus). Only the detect calls are timed.", "",
            _row("texts", "aisec MB/s", "aisec chars/s", "Presidio MB/s", "Presidio chars/s",
                 "aisec / Presidio", "target", "check"),
            "|---|---:|---:|---:|---:|---:|---:|:-:|"]  # fmt: skip
    labels = {
        "lines": "generated lines, one call each", "docs": "generated ~4 KB documents",
        "batch": "generated lines, aisec detect_batch",
        "batch_python": "generated lines, detect_batch, pure-Python candidate pass",
        "benign": "benign mixed zh/en, detect_batch",
    }  # fmt: skip
    if not meta.get("compiled_pass"):
        labels = {k: v + " (pure-Python pass: C pass not built)" for k, v in labels.items()}
    # the target is throughput on text in bulk; one call per short line measures the cost
    # of a call, and the pure-Python pass is the fallback where the C parts are not built
    bulk = ("docs", "batch", "benign")
    for unit in [u for u in ("lines", "docs", "batch", "batch_python", "benign") if u in tp]:
        ta, tpr = tp[unit]["aisec"], tp[unit].get("presidio")
        pc = (f"{tpr['mb_per_s']:.3f}", f"{tpr['chars_per_s']:,}") if tpr else ("–", "–")
        ratio = f"{tp[unit]['ratio']:.0f}×" if tpr else "–"
        target, check = (
            (f"≥ {TARGET_MBPS:g} MB/s", _ok(ta["mb_per_s"] >= TARGET_MBPS))
            if unit in bulk
            else ("–", "–")
        )
        out.append(_row(f"{labels[unit]} ({tp[unit]['texts']:,})", f"{ta['mb_per_s']:.2f}",
                        f"{ta['chars_per_s']:,}", *pc, ratio, target, check))  # fmt: skip
    if "lines" in tp and "batch" in tp:
        lines, batch = tp["lines"]["aisec"], tp["batch"]["aisec"]
        per_call = (lines["seconds"] - batch["seconds"]) / tp["lines"]["texts"] * 1e6
        out += ["", f"The target ({TARGET_MBPS:g} MB/s per core) is throughput on text in bulk: "
                "the documents, the batched lines and the benign text. One call per line (about "
                f"{lines['bytes'] / tp['lines']['texts']:.0f} bytes) adds about {per_call:.1f} µs "
                "per call, which `detect_batch` (the API for many texts, used by `aisec scan` and "
                "cleaning) spreads over a batch; the pure-Python candidate pass is the fallback "
                "where the C parts are not built."]  # fmt: skip
    out += ["", "Scoring: a prediction is a true positive when its (mapped) kind equals a gold "
            "span's and the two overlap; recall counts gold spans overlapped by a same-kind "
            "prediction; exact = share of found gold spans matched to the character. Presidio "
            "ran offline with a blank spaCy `en` tokenizer and its pattern/rule recognisers "
            f"only ({', '.join(meta['presidio_recognizers'])}; phone regions plus CN). Its NER "
            "recogniser needs a downloaded spaCy model, so it finds no names or addresses here; "
            "it has no recognisers for Chinese IDs, USCC, plates, passports or permits, and runs "
            "on Chinese text with its `en` recognisers. Mapping to aisec kinds: CREDIT_CARD → "
            "bank_card, PHONE_NUMBER → cn_mobile or cn_landline by shape, IP_ADDRESS → ipv4 or "
            "ipv6, US_PASSPORT → passport, EMAIL_ADDRESS → email. Details and example misses: "
            "`bench/out/pii.json`."]  # fmt: skip
    return "\n".join(out)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def update_results(path: Path, section: str) -> None:
    """Replace the ``pii`` section of ``RESULTS.md`` (create the file if missing)."""
    start, end = "<!-- pii:start -->", "<!-- pii:end -->"
    block = f"{start}\n{section}\n{end}"
    header = "# Benchmark results\n\nEach section is written by its script in `bench/`.\n"
    text = path.read_text(encoding="utf-8") if path.exists() else header
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_atomic(path, text)
