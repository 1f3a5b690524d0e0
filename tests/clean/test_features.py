"""The deduplication features computed by the workers give the corpus-wide steps exactly
the decisions they reach by reading the records themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aisec.clean.corpus_phase import CorpusPhase
from aisec.clean.features import FeatureWriter, load_features, wanted
from aisec.clean.formats import Doc
from aisec.clean.pipeline import CleaningRun
from aisec.clean.recipe import parse_recipe
from aisec.clean.shards import Shard
from aisec.clean.steps import build_global_step

BASE = "城市交通的发展正在改变居民的出行方式，新的地铁线路已经开通，公交站点也重新规划。"


def _corpus(root: Path) -> None:
    for s in range(3):
        rows = [
            {"id": f"s{s}-{i}", "text": f"{BASE} 第{s * 100 + i}号文件：内容{i * 7919 % 10007}。"
             f"Document {s}-{i} with words w{i}a w{i}b w{i}c and town {i * 31 % 97}."}
            for i in range(60)
        ]  # fmt: skip
        rows.append({"id": f"s{s}-exact", "text": rows[5]["text"]})
        rows.append({"id": f"s{s}-near", "text": rows[7]["text"] + " 转载请注明出处。"})
        path = root / f"part-{s}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def _comparable(decisions: dict[str, Any]) -> dict[str, Any]:
    return {u: (d.action, d.reason, d.score, d.evidence) for u, d in decisions.items()}


def test_features_decide_like_the_records(tmp_path: Path) -> None:
    _corpus(tmp_path / "in")
    text = (
        f"sources: [{{path: {tmp_path / 'in'}}}]\n"
        f"output: {{dir: {tmp_path / 'out'}, keep_work: true}}\n"
    )
    recipe = parse_recipe(text)
    run = CleaningRun(recipe, jobs=1)
    manifest = run.execute().manifest
    assert manifest["counts"]["exact_dedup"] == {"drop:duplicate": 3}
    assert manifest["counts"]["near_dedup"]["drop:near_duplicate"] >= 3
    plan = json.loads((run.work / "plan.json").read_text())
    shards = [Shard.from_json(s) for s in plan["shards"]]
    context = {"workdir": tmp_path / "ctx", "by_source": {}}
    phase = CorpusPhase(recipe, run.work, lambda stage, done, total: None)
    from_docs: dict[str, Any] = {}
    from_features: dict[str, Any] = {}
    for name in ("exact_dedup", "near_dedup"):  # near sees what exact left, both ways
        a = build_global_step(recipe, name, context)
        b = build_global_step(recipe, name, context)
        assert a is not None and b is not None and b.uses_features
        phase.observe_docs(a, shards, from_docs)
        assert phase.observe_features(b, shards, from_features)
        da, db = _comparable(a.decisions()), _comparable(b.decisions())
        assert da == db and da
        from_docs.update(da)
        from_features.update(db)


def test_writer_round_trip(tmp_path: Path) -> None:
    recipe = parse_recipe(f"sources: [{{path: {tmp_path}}}]\noutput: {{dir: {tmp_path}/o}}\n")
    exact, near = wanted(recipe)
    assert exact and near is not None
    writer = FeatureWriter(exact, near)
    docs = [
        Doc(f"4:{n}", f"id-{n}-记录", "src", "a.jsonl", n, {"text": f"{BASE}{n}"}, {})
        for n in range(1, 3000, 2)
    ]
    for d in docs:
        writer.add(d)
    writer.save(tmp_path / "f.npz")
    f = load_features(tmp_path / "f.npz")
    assert f.uids(4) == [d.uid for d in docs] and f.ids == [d.id for d in docs]
    assert f.digests is not None and f.signatures is not None
    assert f.signatures.signatures.shape == (len(docs), near.num_perm)
    keep = np.arange(len(docs)) % 3 == 0
    part = f.select(keep)
    assert part.ids == [d.id for d, k in zip(docs, keep, strict=True) if k]
    assert part.digests is not None and part.digests.shape == (int(keep.sum()), 16)
    empty = FeatureWriter(exact, near)
    empty.save(tmp_path / "e.npz")
    assert load_features(tmp_path / "e.npz").ids == []
