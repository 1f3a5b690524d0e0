"""Exact and near-duplicate detection (aisec.clean)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import opencc
import pytest

from aisec.clean import (
    DedupError,
    ExactDedup,
    NearDedup,
    NearDedupConfig,
    band_layout,
    candidate_probability,
    shingle_text,
)

BASE = (
    "故宫又称紫禁城，是明清两代的皇宫，也是古老中国的标志和象征。当你置身于气势磅礴的宫殿之中，"
    "会感受到历史的厚重与皇家的威严。故宫的建筑依据其布局与功用分为外朝与内廷两大部分，"
    "外朝以太和殿、中和殿、保和殿三大殿为中心，是皇帝举行朝会的地方。内廷以乾清宫、交泰殿、"
    "坤宁宫为中心，是皇帝和后妃们居住的地方。参观故宫建议预留一整天的时间，从午门进入，神武门离开。"
)
OTHER = [
    "西湖位于浙江省杭州市西部，是中国大陆首批国家重点风景名胜区和中国十大风景名胜之一。"
    "西湖三面环山，面积约六点三九平方千米，湖中被孤山、白堤、苏堤、杨公堤分隔，形成了"
    "外西湖、西里湖、北里湖、小南湖及岳湖等五片水面。苏堤春晓、曲院风荷、平湖秋月、断桥残雪"
    "等景观被称为西湖十景，每年吸引大量游客前来观光游览。",
    "《恋恋笔记本》是导演尼克卡萨维茨二零零四年的一部爱情片，改编于美国小说家尼古拉斯斯帕克斯"
    "的同名小说。该片讲述一对青梅竹马在二次世界大战后历劫重逢，这段刻骨铭心的故事由一名天天来"
    "探望住在疗养院病人的老先生笔记本中娓娓道出，随着故事水落石出，观众才明白一切的缘由。",
    "针对甲亢患者，现行治疗方案主要包括抗甲状腺药物、放射性碘治疗和手术治疗三种方式。"
    "每种方式都有各自的适应证和不良反应，医生需要根据患者的年龄、病情严重程度、甲状腺大小"
    "以及是否妊娠等因素综合考虑。改进之处在于加强个体化治疗和长期随访管理，减少复发。",
]
HEADER = "旅游攻略网 首页 | 目的地 | 攻略 | 游记 | 问答 | 酒店 | 机票 | 登录 注册\n"
FOOTER = "\n版权所有 © 旅游攻略网 京ICP备12345678号 联系我们 关于我们 广告合作 免责声明"
AD = "【广告】关注微信公众号“好物推荐”，回复1领取新人红包！"


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _zero_width(s: str, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(c + ("\u200b" if rng.random() < 0.08 else "") for c in s)


def _variants() -> dict[str, str]:
    s2t = opencc.OpenCC("s2t")
    return {
        "base": BASE,
        "trad": s2t.convert(BASE),
        "width": _full_width(BASE.replace("，", ",").replace("。", ". ")) + " ABC123",
        "zero_width": _zero_width(BASE),
        "ad": BASE[:120] + AD + BASE[120:],
        "o0": OTHER[0],
        "o1": OTHER[1],
        "o2": OTHER[2],
    }


def _run(texts: dict[str, str], **cfg: object) -> NearDedup:
    nd = NearDedup(**cfg)
    nd.add_batch(list(texts), list(texts.values()))
    return nd


# --- exact ------------------------------------------------------------------------------


def test_exact_dedup_on_normalised_text_keeps_first() -> None:
    s2t = opencc.OpenCC("s2t")
    ed = ExactDedup()
    ed.add_batch(["a", "b"], [BASE, OTHER[0]])
    ed.add("c", s2t.convert(BASE))  # another shard, traditional characters
    ed.add_batch(["d", "e", "f"], [_full_width("ABC123"), "ABC123", BASE.replace("宫", "官")])
    dups = ed.duplicates()
    assert [(d.doc_id, d.kept_id) for d in dups] == [("c", "a"), ("e", "d")]
    assert len(dups[0].digest) == 32 and dups[0].digest == ExactDedup.digest(BASE).hex()


def test_exact_dedup_groups_empty_texts_and_rejects_late_adds() -> None:
    ed = ExactDedup()
    ed.add_batch(["x", "y", "z"], ["", "\u200b", "内容"])
    assert [(d.doc_id, d.kept_id) for d in ed.duplicates()] == [("y", "x")]
    with pytest.raises(DedupError):
        ed.add("w", "late")
    with pytest.raises(DedupError):
        ExactDedup().add_batch(["a"], ["1", "2"])


# --- near -------------------------------------------------------------------------------


def test_reposts_cluster_with_the_original() -> None:
    nd = _run(_variants())
    [cluster] = nd.clusters()
    assert cluster.kept_id == "base"
    assert set(cluster.member_ids) == {"base", "trad", "width", "zero_width", "ad"}
    by_id = {d.doc_id: d for d in nd.duplicates()}
    assert set(by_id) == {"trad", "width", "zero_width", "ad"}
    assert all(d.kept_id == "base" and d.cluster_size == 5 for d in by_id.values())
    assert by_id["trad"].similarity == 1.0  # folding makes them identical
    assert 0.7 <= by_id["ad"].similarity < 1.0
    st = nd.stats()
    assert (st.documents, st.duplicates, st.clusters, st.skipped) == (8, 4, 1, 0)


def test_shared_boilerplate_alone_does_not_merge() -> None:
    texts = {f"p{i}": HEADER + body + FOOTER for i, body in enumerate([BASE, *OTHER])}
    texts["repost"] = HEADER + _zero_width(BASE, 3) + FOOTER
    nd = _run(texts)
    assert [(d.doc_id, d.kept_id) for d in nd.duplicates()] == [("repost", "p0")]


def test_deterministic_and_seeded() -> None:
    texts = _variants()
    a = NearDedup().signature_batch(list(texts.values()))
    b = NearDedup().signature_batch(list(texts.values()))
    assert np.array_equal(a.signatures, b.signatures)
    c = NearDedup(seed=7).signature_batch(list(texts.values()))
    assert not np.array_equal(a.signatures, c.signatures)
    assert _run(texts).duplicates() == _run(texts).duplicates()


@pytest.mark.parametrize("scheme", ["oph", "kperm"])
def test_estimated_jaccard_tracks_exact(scheme: str) -> None:
    rng = random.Random(5)
    alphabet = [chr(0x4E00 + i) for i in range(2000)]
    base = "".join(rng.choice(alphabet) for _ in range(600))
    nd = NearDedup(scheme=scheme, ngram=5)
    for keep in (1.0, 0.9, 0.8, 0.6, 0.4):
        cut = int(600 * keep)
        other = base[:cut] + "".join(rng.choice(alphabet) for _ in range(600 - cut))
        ga = {base[i : i + 5] for i in range(596)}
        gb = {other[i : i + 5] for i in range(596)}
        exact = len(ga & gb) / len(ga | gb)
        sig = nd.signature_batch([base, other]).signatures
        est = float((sig[0] == sig[1]).mean())
        assert abs(est - exact) < 0.12, (keep, exact, est)


def test_spill_to_disk_gives_the_in_memory_result(tmp_path: Path) -> None:
    texts = {**_variants()}
    for i in range(300):  # enough rows for several runs at a tiny budget
        texts[f"n{i}"] = OTHER[i % 3][i % 50 :] + f"编号{i}" + OTHER[(i + 1) % 3][: 40 + i % 60]
    ids, values = list(texts), list(texts.values())
    mem = NearDedup()
    mem.add_batch(ids, values)
    with NearDedup(workdir=tmp_path, memory_budget_mb=0.002) as disk:
        for s in range(0, len(ids), 16):
            disk.add_batch(ids[s : s + 16], values[s : s + 16])
        assert disk.stats().spilled
        spill_dir = next(tmp_path.iterdir())
        assert len(list(spill_dir.glob("run-*.sig.npy"))) > 3
        assert disk.duplicates() == mem.duplicates()
        assert disk.clusters() == mem.clusters()
    assert not spill_dir.exists()
    assert not mem.stats().spilled


def test_keep_rule_longest() -> None:
    texts = {"short": BASE[:-12], "full": BASE, "ad": BASE + AD[:10]}
    first = _run(texts)
    assert {d.kept_id for d in first.duplicates()} == {"short"}
    longest = _run(texts, keep="longest")
    assert [c.kept_id for c in longest.clusters()] == ["ad"]
    assert {d.doc_id for d in longest.duplicates()} == {"short", "full"}


def test_empty_and_short_texts_are_explicit() -> None:
    texts = {
        "e1": "",
        "e2": "！？ …\u200b",
        "s1": "你好",
        "s2": "你 好！",
        "s3": "您好",
        "long": BASE,
    }
    nd = _run(texts)
    assert [(s.doc_id, s.reason) for s in nd.skipped()] == [
        ("e1", "no_shingles"),
        ("e2", "no_shingles"),
    ]
    # shorter than the n-gram: one whole-text shingle, so only identical folds match
    assert [(d.doc_id, d.kept_id) for d in nd.duplicates()] == [("s2", "s1")]
    assert shingle_text("你 好！") == "你好"


def test_workers_signatures_merge_like_add_batch() -> None:
    texts = _variants()
    ids, values = list(texts), list(texts.values())
    whole = _run(texts)
    merged = NearDedup()
    worker = NearDedup()  # same config, e.g. in another process
    merged.add_signatures(ids[:3], worker.signature_batch(values[:3]))
    merged.add_signatures(ids[3:], worker.signature_batch(values[3:]))
    assert merged.duplicates() == whole.duplicates()
    with pytest.raises(DedupError, match="other parameters"):
        NearDedup(ngram=4).add_signatures(ids, worker.signature_batch(values))


def test_bad_parameters_and_misuse() -> None:
    with pytest.raises(DedupError, match="threshold"):
        NearDedup(threshold=1.5)
    with pytest.raises(DedupError, match="keep"):
        NearDedup(keep="random")
    with pytest.raises(DedupError, match="exceeds"):
        NearDedup(bands=40, rows=5)
    with pytest.raises(DedupError, match="not both"):
        NearDedup(NearDedupConfig(), threshold=0.8)
    assert NearDedup(NearDedupConfig(threshold=0.8)).config.threshold == 0.8
    nd = _run({"a": BASE})
    assert nd.duplicates() == []
    with pytest.raises(DedupError, match="after"):
        nd.add("b", BASE)
    with pytest.raises(DedupError):
        NearDedup().add_batch(["a", "b"], ["x"])


def test_band_layout_and_progress() -> None:
    assert band_layout(0.7, 128) == (25, 5)
    assert candidate_probability(0.7, 25, 5) > 0.98 > candidate_probability(0.4, 25, 5)
    seen: list[str] = []
    nd = NearDedup(progress=lambda stage, done, total: seen.append(stage))
    nd.add_batch(["a", "b"], [BASE, OTHER[0]])
    nd.duplicates()
    assert {"near_dedup.signatures", "near_dedup.buckets", "near_dedup.verify"} <= set(seen)
