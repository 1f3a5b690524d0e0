"""Train the response judge (`aisec.detect.response`) from ../shared/data.

Deterministic: the `risk_data` hash split (JADE v3 by question), lbfgs, fixed seed. Two
logistic heads over the answer's hashed character 1–4-grams:

- ``unsafe``: JADE v3 unsafe answers (1) vs JADE v3 safe-and-helpful answers and benign
  Chinese/English text (0: zh-kdconv, zh-prompts-plexpt, zh-xinhua-dict, en-prompts-awesome);
- ``refusal``: weak labels from the refusal rules (`refusal_rule_score` >= 0.95 → 1), so the
  model generalises the rules' phrasings; at run time refusal = max(rules, model).

The ``unsafe`` threshold is the lowest score (>= 0.2) flagging at most `SAFE_FP` of the
validation safe answers and `BENIGN_FP` of each benign Chinese validation set. Writes
``weights.npy`` (float16) + ``model.json`` into ``src/aisec/packs/response/``.

    python scripts/train_response.py [--data ../shared/data] [--out src/aisec/packs/response]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "scripts")]

import risk_data as rd  # noqa: E402
from train_attack import write_model  # noqa: E402
from train_risk import _balanced, featurize  # noqa: E402

from aisec.detect.ngram import BITS, NGRAMS  # noqa: E402
from aisec.detect.response.refusal import STRONG, refusal_rule_score  # noqa: E402

OUT = ROOT / "src" / "aisec" / "packs" / "response"
SEED = 20260303
C = 4.0
SAFE_FP = 0.03
BENIGN_FP = 0.005
FLOOR = 0.2
BENIGN = ("zh-kdconv", "zh-prompts-plexpt", "zh-xinhua-dict", "en-prompts-awesome")
MAX_PER_BENIGN = 8000  # per source and split, a fixed hash-ordered sample keeps training fast


def load(data: Path = rd.DATA) -> list[rd.Row]:
    """Answers (JADE v3) and benign texts; ``harmful`` = unsafe answer."""
    if "holdout" in data.resolve().parts:
        raise SystemExit("refusing to read ../shared/holdout")
    rows = [
        rd.Row(p.answer, p.unsafe, None, "jade-v3-unsafe" if p.unsafe else "jade-v3-safe", p.split)
        for p in rd.pairs(data)
    ]
    by: dict[tuple[str, str], list[rd.Row]] = {}
    for r in rd.benign_rows(data):
        if r.source in BENIGN:
            by.setdefault((r.source, r.split), []).append(r)
    for key in sorted(by):
        rows += by[key][:MAX_PER_BENIGN]
    return rows


#: one BLAS thread: the same weights on any number of cores (see `train_attack.fit`)
@threadpool_limits.wrap(limits=1)
def train(rows: list[rd.Row], out: Path, bits: int = BITS, max_iter: int = 300) -> dict[str, Any]:
    """Fit both heads on ``train``, calibrate on ``valid``, measure on ``test``; write."""
    t0 = time.perf_counter()
    tr = [r for r in rows if r.split == "train"]
    va = [r for r in rows if r.split == "valid"]
    te = [r for r in rows if r.split == "test"]
    x = featurize([r.text for r in tr], bits)
    rw = np.asarray([3.0 if r.source.startswith("jade") else 1.0 for r in tr])
    w = np.zeros((1 << bits, 2), dtype=np.float32)
    b = np.zeros(2, dtype=np.float32)
    for col, y in enumerate(
        (
            np.asarray([r.harmful for r in tr]),
            np.asarray([int(refusal_rule_score(r.text) >= STRONG) for r in tr]),
        )
    ):
        clf = LogisticRegression(C=C, max_iter=max_iter, tol=1e-5)
        clf.fit(x, y, sample_weight=_balanced(y, rw, 2))
        w[:, col] = clf.coef_[0]
        b[col] = clf.intercept_[0]

    def unsafe(part: list[rd.Row]) -> np.ndarray:
        z = featurize([r.text for r in part], bits) @ w[:, 0].astype(np.float16).astype(np.float64)
        return np.asarray(1.0 / (1.0 + np.exp(-(z + b[0]))))

    sv = unsafe(va)
    t = FLOOR
    for src, budget in (("jade-v3-safe", SAFE_FP), *((s, BENIGN_FP) for s in BENIGN)):
        s = np.sort([v for v, r in zip(sv, va, strict=True) if r.source == src])
        if len(s) == 0:
            continue
        k = max(1, int(np.floor(budget * len(s))))
        t = max(t, float(s[len(s) - k - 1]) + 1e-4)
    threshold = round(min(t, 0.95), 4)
    st = unsafe(te)
    metrics: dict[str, Any] = {}
    for src in sorted({r.source for r in te}):
        idx = [i for i, r in enumerate(te) if r.source == src]
        key = "recall" if te[idx[0]].harmful else "flag_rate"
        metrics[src] = {"n": len(idx), key: round(float((st[idx] >= threshold).mean()), 4)}
    sizes: dict[str, dict[str, int]] = {}
    for r in rows:
        sizes.setdefault(r.source, {"train": 0, "valid": 0, "test": 0})[r.split] += 1
    card: dict[str, Any] = {
        "name": "aisec-response",
        "version": "1",
        "task": "answer unsafe vs safe, refusal vs answer (zh, en)",
        "heads": [
            {"name": "unsafe", "labels": ["unsafe"]},
            {"name": "refusal", "labels": ["refusal"]},
        ],
        "bias": [round(float(v), 6) for v in b],
        "threshold": threshold,
        "refusal_threshold": 0.5,
        "threshold_rule": (
            f"unsafe: lowest score (>= {FLOOR}) flagging at most {SAFE_FP:.0%} of validation "
            f"JADE v3 safe answers and {BENIGN_FP:.1%} of each benign validation set; refusal: "
            "max(rule score, model) >= 0.5"
        ),
        "hashing": {"bits": bits, "ngrams": list(NGRAMS), "features": "as aisec-risk"},
        "model": {
            "family": "two logistic regressions (scikit-learn lbfgs) over the answer's n-grams",
            "C": C,
            "refusal_labels": "weak: refusal_rule_score >= 0.95",
            "source_weights": "JADE v3 answers x3; classes balanced",
        },
        "seed": SEED,
        "weights": {"file": "weights.npy", "dtype": "float16", "shape": list(w.shape)},
        "data": {k: {"source": rd.SOURCES.get(k, k), **v} for k, v in sorted(sizes.items())},
        "metrics_test": metrics,
        "holdout_read": False,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    write_model(out, w.astype(np.float16), card)
    return card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=rd.DATA)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    np.random.seed(SEED)
    card = train(load(args.data), args.out)
    print(json.dumps({k: v for k, v in card.items() if k != "bias"}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
