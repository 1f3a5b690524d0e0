"""The corpus-wide phase of a cleaning run: between the two passes over the shards, the
steps that must see every record (exact and near deduplication, the trigger n-gram scan,
the source gate) run in the driver process, in a fixed order; each record removed by one
is not shown to the next. The deduplication steps take the features the workers computed
(`aisec.clean.features`); the others read the records the first passes kept."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from aisec.clean.features import load_features
from aisec.clean.formats import Doc
from aisec.clean.recipe import Recipe
from aisec.clean.shards import Shard
from aisec.clean.steps import GLOBAL_ORDER, GlobalStep, build_global_step
from aisec.clean.workfiles import read_docs, uid_key, write_json
from aisec.io import atomic_writer


class CorpusPhase:
    """The corpus-wide steps of ``recipe`` over the work folder ``work``."""

    def __init__(
        self, recipe: Recipe, work: Path, progress: Callable[[str, int, int], None]
    ) -> None:
        self.recipe = recipe
        self.work = work
        self.progress = progress

    def run(self, shards: list[Shard], pass1: list[dict[str, Any]]) -> None:
        """Run every corpus-wide step of the recipe over the first passes' output and
        write the decisions per shard (``global/NNNNN.jsonl``) and ``global/summary.json``."""
        by_source: dict[str, Counter[str]] = {}
        for st in pass1:
            for src, c in st["by_source"].items():
                by_source.setdefault(src, Counter()).update(c)
        context = {"workdir": self.work, "by_source": by_source}
        decided: dict[str, dict[str, Any]] = {}
        summaries: dict[str, Any] = {}
        for name in GLOBAL_ORDER:
            step = build_global_step(self.recipe, name, context)
            if step is None:
                continue
            if not (step.uses_features and self.observe_features(step, shards, decided)):
                self.observe_docs(step, shards, decided)
            for uid, d in step.decisions().items():
                if uid not in decided:
                    decided[uid] = {
                        "uid": uid,
                        "step": step.name,
                        "version": step.version,
                        "action": d.action,
                        "reason": d.reason,
                        "rules": d.rules,
                        "score": d.score,
                        "evidence": d.evidence,
                    }
            summaries[name] = step.summary()
        per_shard: dict[str, list[dict[str, Any]]] = {}
        for row in decided.values():
            per_shard.setdefault(row["uid"].split(":")[0], []).append(row)
        for shard in shards:
            rows = sorted(per_shard.get(str(shard.index), []), key=lambda r: uid_key(r["uid"]))
            with atomic_writer(self.work / "global" / f"{shard.key}.jsonl") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        write_json(self.work / "global" / "summary.json", summaries)

    def observe_docs(self, step: GlobalStep, shards: list[Shard], decided: dict[str, Any]) -> None:
        """Stream every surviving record not yet decided through ``step.observe``."""
        for p in range(step.passes):
            stage = f"{step.name} ({p + 1}/{step.passes})"
            for i, shard in enumerate(shards):
                self.progress(stage, i, len(shards))
                batch: list[Doc] = []
                for doc in read_docs(self.work / "pass1" / f"{shard.key}.docs.jsonl"):
                    if doc.uid in decided:
                        continue
                    batch.append(doc)
                    if len(batch) >= 2048:
                        step.observe(batch, p)
                        batch = []
                if batch:
                    step.observe(batch, p)
            self.progress(stage, len(shards), len(shards))

    def observe_features(
        self, step: GlobalStep, shards: list[Shard], decided: dict[str, Any]
    ) -> bool:
        """Feed ``step`` the features the workers computed for the records not yet
        decided; False (nothing fed) when a shard has none (a run resumed from an older
        version of aisec), and the records are read instead."""
        paths = [self.work / "pass1" / f"{s.key}.features.npz" for s in shards]
        if not all(p.exists() for p in paths):
            return False
        skip: dict[str, set[int]] = {}
        for uid in decided:
            shard_no, _, n = uid.partition(":")
            if n.isdigit():
                skip.setdefault(shard_no, set()).add(int(n))
        stage = f"{step.name} (1/1)"
        for i, (shard, path) in enumerate(zip(shards, paths, strict=True)):
            self.progress(stage, i, len(shards))
            features = load_features(path)
            gone = skip.get(str(shard.index))
            if gone:
                features = features.select(~np.isin(features.numbers, list(gone)))
            step.observe_features(features.uids(shard.index), features)
        self.progress(stage, len(shards), len(shards))
        return True
