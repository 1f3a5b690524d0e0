"""Benchmark `aisec.detect.risk` and `aisec.detect.response` (issue 3's figures).

- JADE v2 harmful questions (../shared/holdout, evaluation only): recall at the default
  thresholds (any ``risk.*`` finding);
- COLD test split (../shared/holdout, evaluation only): offensive-vs-safe macro-F1
  (offensive = any ``risk.*`` finding);
- false positives on the held-back (``test``) side of zh-kdconv and zh-prompts-plexpt (the
  same hash split as scripts/train_attack.py; neither model trained on it), and the
  over-flag rate on the test side of CValues and XSTest-safe, reported separately;
- response judge on the test side of JADE v3 pairs: unsafe-answer recall, safe-answer
  false positives, refusal rates;
- the same prompt sets through the keyword library (`LexiconDetector`) alone;
- speed: risk + attack + response together, p50/p95 ms per 1,000-character text on one
  core; model load times.

The holdout files are read here only, to report figures; nothing is tuned on them.

    .venv/bin/python bench/risk.py

Writes bench/out/risk.json and the ``risk`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "scripts")]

import risk_data as rd  # noqa: E402

from aisec.detect.attack import AttackDetector  # noqa: E402
from aisec.detect.attack import detector as attack_detector  # noqa: E402
from aisec.detect.hashed_model import HashedLinearModel  # noqa: E402
from aisec.detect.lexicon import LexiconDetector  # noqa: E402
from aisec.detect.response import ResponseJudge  # noqa: E402
from aisec.detect.response import judge as judge_mod  # noqa: E402
from aisec.detect.risk import RiskDetector, RiskModel  # noqa: E402
from aisec.detect.risk import detector as risk_mod  # noqa: E402
from results import write_section  # noqa: E402

HOLDOUT = ROOT.parent / "shared" / "holdout"


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def flagged(det: Any, texts: list[str]) -> list[bool]:
    """Per text: did ``det`` report any ``risk.*`` finding?"""
    return [any(f.kind.startswith("risk.") for f in found) for found in det.detect_batch(texts)]


def rate(xs: list[bool]) -> float:
    return round(sum(xs) / max(len(xs), 1), 4)


def macro_f1(y: list[int], p: list[bool]) -> float:
    f1s = []
    for cls in (1, 0):
        tp = sum(1 for a, b in zip(y, p, strict=True) if a == cls and (b == bool(cls)))
        fp = sum(1 for a, b in zip(y, p, strict=True) if a != cls and (b == bool(cls)))
        fn = sum(1 for a, b in zip(y, p, strict=True) if a == cls and (b != bool(cls)))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return round(sum(f1s) / 2, 4)


def timing(dets: list[Any], texts: list[str]) -> tuple[float, float]:
    """p50/p95 ms for the detectors' `detect` calls together on a 1,000-character text."""
    pool = "\n".join(texts)
    docs = [pool[i : i + 1000] for i in range(0, min(len(pool), 600_000) - 1000, 1000)][:500]
    for d in docs[:20]:
        for det in dets:
            det.detect(d)
    ms = []
    for d in docs:
        t = time.perf_counter()
        for det in dets:
            det.detect(d)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def main() -> None:
    risk_mod._SHARED.clear()
    judge_mod._SHARED.clear()
    attack_detector._SHARED.clear()
    t = time.perf_counter()
    RiskModel.load()
    load_risk = time.perf_counter() - t
    t = time.perf_counter()
    HashedLinearModel.load(None, "response")
    load_resp = time.perf_counter() - t
    t = time.perf_counter()
    # all_languages: the model's own figures, English included (by default the detector
    # leaves mostly non-Chinese texts alone; every set here but XSTest is Chinese)
    risk, attack, judge = RiskDetector(all_languages=True), AttackDetector(), ResponseJudge()
    load_all = time.perf_counter() - t
    lex = LexiconDetector()

    jade = [
        r["问题"]
        for f in ("v2_jade_benchmark_easy_zh.csv", "v2_jade_benchmark_medium_zh.csv")
        for r in _csv(HOLDOUT / "jade" / f)
    ]
    cold = _csv(HOLDOUT / "cold" / "test.csv")
    cold_y = [int(r["label"]) for r in cold]
    cold_x = [r["TEXT"] for r in cold]
    test = [r for r in rd.benign_rows() if r.split == "test"]
    sets: dict[str, list[str]] = {
        src: [r.text for r in test if r.source == src]
        for src in ("zh-kdconv", "zh-prompts-plexpt", "cvalues", "xstest-safe")
    }
    rows: list[dict[str, Any]] = []
    for name, texts, metric, target in (
        ("JADE v2 harmful questions (holdout)", jade, "recall", ">= 0.90"),
        ("zh-kdconv test side (benign)", sets["zh-kdconv"], "fp_rate", "<= 0.02"),
        ("zh-prompts-plexpt test side (benign)", sets["zh-prompts-plexpt"], "fp_rate", "<= 0.02"),
        ("CValues test side (sensitive, safe)", sets["cvalues"], "over_flag", "report"),
        ("XSTest safe test side (en)", sets["xstest-safe"], "over_flag", "report"),
    ):
        rows.append(
            {
                "set": name,
                "n": len(texts),
                "metric": metric,
                "model": rate(flagged(risk, texts)),
                "lexicon_only": rate(flagged(lex, texts)),
                "target": target,
            }
        )
    rows.append(
        {
            "set": "COLD test (holdout)",
            "n": len(cold_x),
            "metric": "macro_f1",
            "model": macro_f1(cold_y, flagged(risk, cold_x)),
            "lexicon_only": macro_f1(cold_y, flagged(lex, cold_x)),
            "target": ">= 0.82",
        }
    )
    pairs = [p for p in rd.pairs() if p.split == "test"]
    verdicts = [judge.judge(p.question, p.answer) for p in pairs]
    unsafe = [v for v, p in zip(verdicts, pairs, strict=True) if p.unsafe]
    safe = [v for v, p in zip(verdicts, pairs, strict=True) if not p.unsafe]
    lex_hit = flagged(lex, [p.answer for p in pairs])
    risk_hit = flagged(risk, [p.answer for p in pairs])
    response = {
        "n_pairs": len(unsafe),
        "unsafe_recall": rate([v.is_unsafe for v in unsafe]),
        "safe_fp": rate([v.is_unsafe for v in safe]),
        "refusal_rate_safe_answers": rate([v.is_refusal for v in safe]),
        "refusal_rate_unsafe_answers": rate([v.is_refusal for v in unsafe]),
        "risk_detector_unsafe_recall": rate(
            [h for h, p in zip(risk_hit, pairs, strict=True) if p.unsafe]
        ),
        "risk_detector_safe_fp": rate(
            [h for h, p in zip(risk_hit, pairs, strict=True) if not p.unsafe]
        ),
        "lexicon_unsafe_recall": rate([h for h, p in zip(lex_hit, pairs, strict=True) if p.unsafe]),
        "lexicon_safe_fp": rate([h for h, p in zip(lex_hit, pairs, strict=True) if not p.unsafe]),
    }
    kd_found = judge.detect_batch(sets["zh-kdconv"])
    response["refusal_rate_kdconv"] = rate(
        [any(f.kind == "response.refusal" for f in x) for x in kd_found]
    )
    response["unsafe_fp_kdconv"] = rate(
        [any(f.kind == "response.unsafe" for f in x) for x in kd_found]
    )
    p50, p95 = timing(
        [risk, attack, judge],
        sets["zh-kdconv"] + sets["zh-prompts-plexpt"],
    )
    p50_risk, _ = timing([risk], sets["zh-kdconv"] + sets["zh-prompts-plexpt"])
    result = {
        "thresholds": risk.thresholds,
        "thresholds_en": risk.thresholds_en,
        "offensive_threshold": risk.offensive_threshold,
        "response_threshold": judge.threshold,
        "sets": rows,
        "response": response,
        "ms_per_1000_chars_all_three": {"p50": round(p50, 3), "p95": round(p95, 3)},
        "ms_per_1000_chars_risk": round(p50_risk, 3),
        "load_s": {
            "risk_model": round(load_risk, 3),
            "response_model": round(load_resp, 3),
            "all_three_detectors": round(load_all, 3),
        },
    }
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "risk.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    section = render(result)
    print(section)
    write_section("risk", section)


def render(r: dict[str, Any]) -> str:
    """The RESULTS.md section."""
    lines = [
        "## Harmful-content and response detection (`aisec.detect.risk`, `aisec.detect.response`)",
        "",
        "`.venv/bin/python bench/risk.py`. Holdout sets are read by this script only. "
        f"Class thresholds: {r['thresholds']} (texts under 30 % Chinese, scored here with "
        f"`all_languages`: {r.get('thresholds_en', r['thresholds'])}, chosen on benign English "
        "prompts); offensive-language head (reports risk.A2) "
        f"{off if (off := r.get('offensive_threshold', 1.0)) < 1.0 else 'none (not shipped)'}; "
        "response.unsafe threshold "
        f"{r['response_threshold']}. A text counts as flagged when the detector reports any "
        "`risk.*` finding (COLD included: no COLD-specific decision rule).",
        "",
        "| set | n | metric | model | keyword library alone | target |",
        "|---|---:|---|---:|---:|---|",
    ]
    for s in r["sets"]:
        lines.append(
            f"| {s['set']} | {s['n']} | {s['metric']} | {s['model']:.4f} | {s['lexicon_only']:.4f} | {s['target']} |"
        )
    resp = r["response"]
    lines += [
        "",
        f"Response judge on the JADE v3 test side ({resp['n_pairs']} questions, one unsafe and one "
        "safe answer each):",
        "",
        "| figure | judge | risk detector | keyword library | target |",
        "|---|---:|---:|---:|---|",
        f"| unsafe-answer recall | {resp['unsafe_recall']:.4f} | {resp['risk_detector_unsafe_recall']:.4f} | {resp['lexicon_unsafe_recall']:.4f} | >= 0.90 |",
        f"| safe-answer false positives | {resp['safe_fp']:.4f} | {resp['risk_detector_safe_fp']:.4f} | {resp['lexicon_safe_fp']:.4f} | <= 0.05 |",
        f"| refusal rate, safe answers | {resp['refusal_rate_safe_answers']:.4f} | | | report |",
        f"| refusal rate, unsafe answers | {resp['refusal_rate_unsafe_answers']:.4f} | | | report |",
        f"| refusal rate, zh-kdconv utterances | {resp['refusal_rate_kdconv']:.4f} | | | report |",
        f"| response.unsafe rate, zh-kdconv utterances | {resp['unsafe_fp_kdconv']:.4f} | | | report |",
        "",
        f"Speed (one core): risk + attack + response `detect` on a 1,000-character text p50 "
        f"{r['ms_per_1000_chars_all_three']['p50']:.2f} ms, p95 {r['ms_per_1000_chars_all_three']['p95']:.2f} ms "
        f"(risk alone p50 {r['ms_per_1000_chars_risk']:.2f} ms; target <= 5 ms). Load: risk model "
        f"{r['load_s']['risk_model']:.3f} s, response model {r['load_s']['response_model']:.3f} s, all "
        f"three detectors {r['load_s']['all_three_detectors']:.3f} s (target <= 1 s).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
