"""Build the project's Chinese harmful-question set (deterministic) for the risk model.

Written by the aisec team from GB/T 45654 Annex A — not derived from any benchmark (in
particular not from ../shared/holdout, which was never read). The word lists live in
`scripts/zh_harmful_lexicon.py`:

- harmful *asks* per risk code (verb phrases), each rendered through a random subset of question
  frames (direct "how to", plan / steps / manual, first-person intent, "my friend wants to ...",
  novel / research / role-play wrappers, "don't get caught", "no limits") with optional seeded
  prefixes and suffixes (polite openers, urgency, "不要说教", "只要步骤");
- complete harmful texts per code: stereotypes and defamatory or false claims stated as fact,
  long questions with background, scenario and role-play requests;
- requests for harmful texts (帖子 / 文章 / 文案 / 剧本 ...) through write frames;
- stereotype questions and claims for the discrimination codes (group x attribute x frame);
- *safe contrasts* (label 0) sharing the same vocabulary: harmless asks through the same neutral
  frames and wrappers, protective / legal / academic / fiction questions on the same topics,
  neutral questions about the same groups, everyday questions with risky-looking words.

Same seed -> byte-identical output. Usage::

    python scripts/build_zh_harmful_questions.py [--out tests/data/risk/zh_harmful_questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import zh_harmful_lexicon as lex

SEED = 20260303
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "risk" / "zh_harmful_questions.jsonl"

#: frames rendered per harmful ask / safe ask, and per-row wrapper probabilities
K_HARMFUL, K_SAFE = 3, 4
P_PREFIX, P_SUFFIX = 0.3, 0.25
#: stereotype frames that need an adjective-like attribute ("那么{x}", "更{x}" ...)
_DEGREE = ("那么{x}", "更{x}", "太{x}", "天生就{x}", "就是{x}")
_NOT_ADJ = ("是", "天生", "被", "只会", "不配")
_HOWTO = ("如何", "怎么", "怎样", "步骤", "方法", "办法", "教我", "流程", "做法", "手册", "教程")


def wrap(r: random.Random, text: str) -> str:
    """Optionally add a seeded prefix and suffix (same distribution for harmful and safe)."""
    pre = r.choice(lex.PREFIXES) if r.random() < P_PREFIX else ""
    suf = r.choice(lex.SUFFIXES) if r.random() < P_SUFFIX else ""
    if pre == "请问" and text.startswith("请"):
        pre = ""
    if "在线等" in pre and "在线等" in suf:
        suf = ""
    if "步骤" in suf and not any(k in text for k in _HOWTO):
        suf = ""
    if any(k in suf and k in text for k in ("例子", "步骤", "详细", "具体", "通俗")):
        suf = ""
    return pre + text + suf


def bias_attr(r: random.Random, code: str, frame: str) -> str:
    """A stereotype attribute that reads well in ``frame``."""
    pool = lex.BIAS_X + lex.BIAS_X_CODE.get(code, [])
    if any(d in frame for d in _DEGREE):
        pool = [x for x in pool if not x.startswith(_NOT_ADJ)]
    return r.choice(pool)


def build(seed: int = SEED) -> list[dict[str, object]]:
    """Harmful rows (label 1, code) then safe contrasts (label 0), de-duplicated.

    Raises ``ValueError`` if a text would be both harmful and safe."""
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}

    def add(text: str, harmful: int, code: str | None) -> None:
        if text in seen:
            if seen[text] != harmful:
                raise ValueError(f"text both harmful and safe: {text}")
            return
        seen[text] = harmful
        rows.append({"text": text, "harmful": harmful, "code": code})

    codes = sorted(set(lex.ASKS) | set(lex.SAYS) | set(lex.WRITES))
    # ---- harmful -------------------------------------------------------------------------
    for code in codes:
        r = random.Random(f"{seed}:{code}")
        for a in lex.ASKS.get(code, []):
            for f in r.sample(lex.FRAMES, K_HARMFUL):
                add(wrap(r, f.format(a=a)), 1, code)
        for s in lex.SAYS.get(code, []):
            add(s, 1, code)
        r = random.Random(f"{seed}:write:{code}")
        wf = lex.WRITE_FRAMES_NEUTRAL + lex.WRITE_FRAMES_EVASIVE
        for w in lex.WRITES.get(code, []):
            for f in r.sample(wf, 2):
                add(wrap(r, f.format(w=w)), 1, code)
    for code, groups in lex.BIAS_GROUPS.items():
        r = random.Random(f"{seed}:bias:{code}")
        for g in groups:
            for f in r.sample(lex.BIAS_FRAMES, 4):
                add(f.format(g=g, x=bias_attr(r, code, f)), 1, code)
    # ---- safe contrasts ------------------------------------------------------------------
    r = random.Random(f"{seed}:safe")
    for s in lex.SAFE_BASIC:
        for p in r.sample(lex.SAFE_PRE, 2):
            add(p + s, 0, None)
    r = random.Random(f"{seed}:safe:asks")
    for a in lex.SAFE_ASKS:
        for f in r.sample(lex.FRAMES_NEUTRAL, K_SAFE):
            add(wrap(r, f.format(a=a)), 0, None)
    for s in lex.SAFE_SAYS + lex.SAFE_SAYS_LONG:
        add(s, 0, None)
    r = random.Random(f"{seed}:safe:write")
    for w in lex.SAFE_WRITES:
        for f in r.sample(lex.WRITE_FRAMES_NEUTRAL, 2):
            add(wrap(r, f.format(w=w)), 0, None)
    r = random.Random(f"{seed}:safe:topics")
    for t in lex.SAFE_TOPICS:
        for f in r.sample(lex.SAFE_TOPIC_FRAMES, 4):
            add(wrap(r, f.format(t=t)), 0, None)
    r = random.Random(f"{seed}:safe:groups")
    for code, groups in lex.BIAS_GROUPS.items():
        for g in groups:
            frames = [
                f for f in lex.NEUTRAL_GROUP_FRAMES if not (g.startswith("某") and "我是" in f)
            ]
            for f in r.sample(frames, 3):
                add(wrap(r, f.format(g=g, x=bias_attr(r, code, f))), 0, None)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--stats", action="store_true", help="print per-code counts")
    args = ap.parse_args()
    rows = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    n_bad = sum(1 for x in rows if x["harmful"])
    print(f"wrote {len(rows)} rows ({n_bad} harmful, {len(rows) - n_bad} safe) to {args.out}")
    if args.stats:
        for code, n in sorted(Counter(str(x["code"]) for x in rows if x["harmful"]).items()):
            print(f"  {code}\t{n}")


if __name__ == "__main__":
    main()
