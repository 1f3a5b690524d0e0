"""A generated Chinese near-duplicate benchmark for ``bench/near_dup.py``: seeded, deterministic.

Base documents are built from the Chinese text in ``../shared/data`` (read by path, never
copied into the repository):

* ``zh-kdconv``: each film/music/travel dialogue is a forum post (utterances grouped into
  paragraphs); travel knowledge-base descriptions are encyclopaedia entries;
* ``zh-prompts-plexpt``: user questions grouped into Q&A round-ups, and one-question
  short posts;
* ``zh-xinhua-dict``: idiom lessons (word, explanation, example) and xiehouyu lists.

Each base is published on one of a few sites: the site's header/navigation and footer
wrap the body. Bases are sampled without replacement, and a base is dropped when 20 % or
more of its 8-grams already occur in an earlier base, so unrelated bases are not
accidental duplicates.

Near-duplicates ("reposts", gold = same cluster as their base) apply 1–3 of: the whole
text or some paragraphs in traditional characters (OpenCC ``s2t``), full-width letters,
digits and punctuation, zero-width characters sprinkled in, an inserted advertisement,
paragraphs reordered, the last paragraph(s) cut (at most ~20 % of the body), re-spacing.
A repost stays on its base's site (same boilerplate).

Hard non-duplicates: every other document on the same site shares the boilerplate. In the
short posts (a body of ``short_min`` characters or more: 40 by default, 15 for the "hard"
variant) the boilerplate is up to two thirds (hard: four fifths) of the raw text; with
bodies that short, two different posts of one site are 60–75 % similar by character
shingles, so the hard variant tests how a method weighs boilerplate.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

SITES = [
    (
        "旅游攻略网",
        "首页 | 目的地 | 攻略 | 游记 | 问答 | 酒店 | 机票 | 登录 注册",
        "版权所有 © 旅游攻略网 京ICP备12345678号 联系我们 关于我们 广告合作 免责声明",
    ),
    (
        "影音论坛",
        "影音论坛 > 电影 > 音乐 > 综艺 > 讨论区 | 发帖 | 搜索 | 我的消息",
        "本帖内容仅代表作者观点 · 影音论坛 2008-2024 · 举报 · 用户协议 · 隐私政策",
    ),
    (
        "知识问答社区",
        "知识问答社区 提问 回答 话题 专栏 热榜 | 下载App | 登录后查看更多优质内容",
        "相关问题推荐 · 知识问答社区 © 2024 · 违法和不良信息举报电话 010-12345678",
    ),
    (
        "汉语学习园地",
        "汉语学习园地｜成语大全｜歇后语｜诗词｜字典｜在线练习｜每日一学",
        "汉语学习园地 版权所有 未经授权禁止转载 · 网站地图 · 意见反馈 · 沪ICP备87654321号",
    ),
    (
        "生活百科",
        "生活百科 · 健康 · 美食 · 教育 · 科技 · 财经 · 更多频道 ▼",
        "免责声明：本站内容来自网友投稿，如有侵权请联系删除。生活百科 ©2024",
    ),
    (
        "新闻资讯网",
        "新闻资讯网 要闻 国内 国际 社会 科技 体育 娱乐 | 客户端下载",
        "责任编辑：小编 · 新闻资讯网 · 举报邮箱：jubao@example.com · 转载请注明出处",
    ),
]

ADS = [
    "【广告】关注微信公众号“好物推荐”，回复1领取新人红包！",
    "限时优惠：扫码加V信 abc12345，免费领取全套学习资料。",
    "本文由某某App独家赞助，下载App即送100元优惠券，点击链接了解详情。",
    "推广：专业代写论文，价格实惠，联系QQ 123456789。",
    "转发本文到朋友圈集赞30个，即可免费获得精美礼品一份。",
    "【热门推荐】月入过万不是梦，加入我们的兼职群，详情私信。",
]

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]


@dataclass
class Doc:
    """One benchmark document; ``cluster`` is the gold cluster (its base's number)."""

    id: str
    text: str
    cluster: int
    site: int
    kind: str  # base kind, or "repost"
    transforms: list[str] = field(default_factory=list)


def _need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(
            f"benchmark source data not found: {path}\n"
            "near_dup_gen reads Chinese text from ../shared/data (zh-kdconv, zh-xinhua-dict, "
            "zh-prompts-plexpt); put that folder beside the repository or pass --data."
        )
    return path


def _load(data: Path) -> dict[str, list[list[str]]]:
    """Paragraph lists of candidate base bodies, by kind."""
    kd = _need(data / "zh-kdconv")
    dialogues = []
    for name in ("film", "music", "travel"):
        for split in ("dev", "test"):
            for conv in json.loads((kd / f"{name}_{split}.json").read_text("utf-8")):
                msgs = [m["message"].strip() for m in conv["messages"] if m["message"].strip()]
                dialogues.append([" ".join(msgs[i : i + 3]) for i in range(0, len(msgs), 3)])
    kb = json.loads((kd / "kb_travel.json").read_text("utf-8"))
    infos = [t[2] for v in kb.values() for t in v if t[1] == "Information" and len(t[2]) > 80]
    xh = _need(data / "zh-xinhua-dict")
    idioms = json.loads((xh / "idiom_partial.json").read_text("utf-8"))
    riddles = json.loads((xh / "xiehouyu.json").read_text("utf-8"))
    pp = _need(data / "zh-prompts-plexpt")
    questions = [
        json.loads(line)["question"].strip()
        for line in (pp / "questions_sample50k.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    return {
        "dialogue": dialogues,
        "info": [[s] for s in infos],
        "idiom": [
            [f"{i['word']}（{i['pinyin']}）：{i['explanation']} 例：{i['example']}"]
            for i in idioms
            if i.get("explanation") and i.get("example")
        ],
        "riddle": [[f"{r['riddle']}——{r['answer']}"] for r in riddles],
        "question": [[q] for q in questions if 15 <= len(q) <= 200],
    }


def _bases(
    pools: dict[str, list[list[str]]], rng: random.Random, n: int, short_min: int
) -> list[tuple[str, list[str]]]:
    """``n`` base bodies (kind, paragraphs), mixed over the kinds."""
    for pool in pools.values():
        rng.shuffle(pool)
    take = {k: iter(v) for k, v in pools.items()}
    out: list[tuple[str, list[str]]] = []
    weights = [
        ("dialogue", 0.2),
        ("info", 0.15),
        ("idiom", 0.15),
        ("riddle", 0.1),
        ("qa", 0.25),
        ("short", 0.15),
    ]
    kinds = [k for k, _ in weights]
    w = [x for _, x in weights]
    while len(out) < n:
        kind = rng.choices(kinds, w)[0]
        try:
            if kind == "dialogue":
                paras = next(take["dialogue"])
            elif kind == "info":
                paras = [next(take["info"])[0] for _ in range(rng.randint(1, 2))]
            elif kind == "idiom":
                paras = [next(take["idiom"])[0] for _ in range(rng.randint(3, 5))]
            elif kind == "riddle":
                rows = [next(take["riddle"])[0] for _ in range(rng.randint(8, 14))]
                paras = ["；".join(rows[i : i + 4]) + "。" for i in range(0, len(rows), 4)]
            elif kind == "qa":
                qs = [next(take["question"])[0] for _ in range(rng.randint(4, 8))]
                paras = [f"问题{i + 1}：{q}" for i, q in enumerate(qs)]
            else:  # a short post: questions up to at least short_min characters of body
                body = next(take["question"])[0]
                while len(body) < short_min:
                    body += next(take["question"])[0]
                paras = [body]
        except StopIteration:
            weights = [(k, x) for k, x in weights if k != kind]
            kinds, w = [k for k, _ in weights], [x for _, x in weights]
            if not kinds:
                break
            continue
        out.append((kind, paras))
    return out


def _grams(text: str, n: int = 8) -> set[str]:
    t = "".join(c for c in text if c.isalnum())
    return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}


def _distinct(bases: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Drop a base when ≥ 20 % of its 8-grams occur in an earlier base."""
    seen: set[str] = set()
    out = []
    for kind, paras in bases:
        g = _grams("".join(paras))
        if len(g & seen) >= 0.2 * len(g):
            continue
        seen |= g
        out.append((kind, paras))
    return out


def _wrap(site: int, paras: list[str]) -> str:
    _, head, foot = SITES[site]
    return "\n".join([head, *paras, foot])


_FULL = {
    c: chr(ord(c) + 0xFEE0)
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!?:;()"
}
_HALF_PUNCT = str.maketrans(
    {"，": ",", "。": ".", "：": ":", "；": ";", "？": "?", "！": "!", "（": "(", "）": ")"}
)


def _repost(paras: list[str], rng: random.Random, s2t: object) -> tuple[list[str], list[str]]:
    """One near-duplicate of a body: 1–3 transforms."""
    ops = rng.sample(
        ["trad", "width", "zero_width", "ad", "reorder", "truncate", "spacing"], rng.randint(1, 3)
    )
    out = list(paras)
    convert = s2t.convert  # type: ignore[attr-defined]
    for op in ops:
        if op == "trad":
            if rng.random() < 0.6:
                out = [convert(p) for p in out]
            else:
                out = [convert(p) if rng.random() < 0.5 else p for p in out]
        elif op == "width":
            if rng.random() < 0.5:
                out = ["".join(_FULL.get(c, c) for c in p) for p in out]
            else:
                out = [p.translate(_HALF_PUNCT) for p in out]
        elif op == "zero_width":
            rate = rng.uniform(0.03, 0.1)
            out = [
                "".join(c + (rng.choice(ZERO_WIDTH) if rng.random() < rate else "") for c in p)
                for p in out
            ]
        elif op == "ad":
            ad = rng.choice(ADS)
            if len(out) > 1 and rng.random() < 0.6:
                out.insert(rng.randint(0, len(out)), ad)
            else:
                i = rng.randrange(len(out))
                cut = rng.randint(0, len(out[i]))
                out[i] = out[i][:cut] + ad + out[i][cut:]
        elif op == "reorder" and len(out) > 1:
            i, j = rng.sample(range(len(out)), 2)
            out[i], out[j] = out[j], out[i]
        elif op == "truncate":
            total = sum(len(p) for p in out)
            budget = int(total * rng.uniform(0.05, 0.2))
            while budget > 0 and out:
                if len(out[-1]) <= budget and len(out) > 1:
                    budget -= len(out.pop())
                else:
                    out[-1] = out[-1][: len(out[-1]) - budget]
                    budget = 0
        elif op == "spacing":
            out = [" ".join(p) if rng.random() < 0.3 else p.replace("，", " ， ") for p in out]
    return out, ops


def generate(
    n_bases: int = 5000, seed: int = 20240901, data: Path = DATA, short_min: int = 40
) -> list[Doc]:
    """The benchmark documents (bases and reposts interleaved, as a crawl would see them)."""
    import opencc

    rng = random.Random(seed)
    pools = _load(data)
    bases = _distinct(_bases(pools, rng, n_bases, short_min))
    s2t = opencc.OpenCC("s2t")
    docs: list[Doc] = []
    for c, (kind, paras) in enumerate(bases):
        site = rng.randrange(len(SITES))
        docs.append(Doc(f"b{c:05d}", _wrap(site, paras), c, site, kind))
        if rng.random() < 0.4:
            for r in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
                body, ops = _repost(paras, rng, s2t)
                docs.append(Doc(f"b{c:05d}r{r}", _wrap(site, body), c, site, "repost", ops))
    rng.shuffle(docs)
    return docs


def gold_pairs(docs: list[Doc]) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of documents in the same gold cluster."""
    by: dict[int, list[int]] = {}
    for i, d in enumerate(docs):
        by.setdefault(d.cluster, []).append(i)
    return {(a, b) for m in by.values() for x, a in enumerate(m) for b in m[x + 1 :]}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bases", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20240901)
    ap.add_argument("--out", type=Path, default=None, help="write JSONL here")
    args = ap.parse_args()
    ds = generate(args.bases, args.seed)
    print(f"{len(ds)} documents, {len(gold_pairs(ds))} gold pairs")
    if args.out:
        with args.out.open("w", encoding="utf-8") as fh:
            for d in ds:
                fh.write(json.dumps(d.__dict__, ensure_ascii=False) + "\n")
