"""Corpus-wide steps, run between the per-shard passes: exact and near deduplication (the
engine in `aisec.clean.dedup`, wrapped), the trigger n-gram scan of the poison step and
the source gate (the 5 % rule)."""

from __future__ import annotations

import re
import zlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from aisec.clean.dedup import DEDUP_VERSION, ExactDedup, NearDedup, NearDedupConfig
from aisec.clean.formats import Doc
from aisec.clean.steps.base import Decision, GlobalStep, StepParams
from aisec.clean.steps.detect import PoisonParams

if TYPE_CHECKING:
    from aisec.clean.features import ShardFeatures


class ExactDedupStep(GlobalStep):
    """Drops records whose normalised text equals an earlier record's (across shards)."""

    name = "exact_dedup"
    version = DEDUP_VERSION
    uses_features = True

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.engine = ExactDedup()
        self.ids: dict[str, str] = {}

    def observe(self, docs: list[Doc], pass_no: int) -> None:
        self.ids.update((d.uid, d.id) for d in docs)
        self.engine.add_batch([d.uid for d in docs], [d.text for d in docs])

    def observe_features(self, uids: list[str], features: ShardFeatures) -> None:
        """`observe` on what a worker computed (``features.digests``)."""
        assert features.digests is not None
        self.ids.update(zip(uids, features.ids, strict=True))
        self.engine.add_digests(uids, features.digests.tobytes())

    def decisions(self) -> dict[str, Decision]:
        rule = [
            {"id": "exact_dedup.blake2b128", "detector": "exact_dedup", "version": self.version}
        ]
        return {
            dup.doc_id: Decision(
                "drop",
                "duplicate",
                rule,
                1.0,
                evidence={
                    "kept": self.ids[dup.kept_id],
                    "kept_uid": dup.kept_id,
                    "digest": dup.digest,
                },
            )
            for dup in self.engine.duplicates()
        }

    def summary(self) -> dict[str, Any]:
        return {"documents": len(self.engine), "duplicates": len(self.engine.duplicates())}


class NearDedupParams(StepParams):
    """Parameters of `NearDedupStep`: those of `NearDedupConfig`."""

    threshold: float = Field(0.7, gt=0.0, lt=1.0)
    num_perm: int = Field(128, ge=16, le=1024)
    ngram: int = Field(5, ge=1, le=16)
    keep: Literal["first", "longest"] = "first"
    memory_budget_mb: float = Field(1024.0, gt=0.0)


class NearDedupStep(GlobalStep):
    """Drops near-duplicates (MinHash + LSH), keeping one record per cluster."""

    name = "near_dedup"
    version = DEDUP_VERSION
    Params = NearDedupParams
    uses_features = True

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        workdir: Path = context["workdir"] / "near_dedup"
        workdir.mkdir(parents=True, exist_ok=True)
        self.engine = NearDedup(NearDedupConfig(**self.params.model_dump()), workdir=workdir)
        self.ids: dict[str, str] = {}

    def observe(self, docs: list[Doc], pass_no: int) -> None:
        self.ids.update((d.uid, d.id) for d in docs)
        self.engine.add_batch([d.uid for d in docs], [d.text for d in docs])

    def observe_features(self, uids: list[str], features: ShardFeatures) -> None:
        """`observe` on what a worker computed (``features.signatures``)."""
        assert features.signatures is not None
        self.ids.update(zip(uids, features.ids, strict=True))
        self.engine.add_signatures(uids, features.signatures)

    def decisions(self) -> dict[str, Decision]:
        rule = [{"id": "near_dedup.minhash_lsh", "detector": "near_dedup", "version": self.version}]
        out = {
            dup.doc_id: Decision(
                "drop",
                "near_duplicate",
                rule,
                dup.similarity,
                evidence={
                    "kept": self.ids[dup.kept_id],
                    "kept_uid": dup.kept_id,
                    "cluster_size": dup.cluster_size,
                },
            )
            for dup in self.engine.duplicates()
        }
        self.engine.close()
        return out

    def summary(self) -> dict[str, Any]:
        st = self.engine.stats()
        sizes = Counter(len(c.member_ids) for c in self.engine.clusters())
        return {
            "documents": st.documents,
            "clusters": st.clusters,
            "duplicates": st.duplicates,
            "skipped": st.skipped,
            "cluster_sizes": {str(k): v for k, v in sorted(sizes.items())},
            "largest_clusters": [
                {"kept": self.ids.get(c.kept_id, c.kept_id), "size": len(c.member_ids)}
                for c in sorted(self.engine.clusters(), key=lambda c: -len(c.member_ids))[:10]
            ],
        }


#: units of the trigger scan: Latin tokens with a letter (numbers are not triggers) and
#: rare symbols (not CJK characters,
#: which are too common one by one; CJK triggers are caught by their payload tokens)
_UNIT = re.compile(
    r"(?=[a-z0-9_]*[a-z])[a-z0-9_]{2,16}|[^\w\s\u3000-\u303f\uff00-\uffef.,;:!?'\"()\[\]{}<>/\\@#%&*+=_~`|-]"
)
_TOKEN = re.compile(r"[a-z0-9_]+|[\u4e00-\u9fff]|\S")
_BUCKETS = 1 << 22


def _units(text: str) -> list[tuple[str, str, str]]:
    """(unit, the 3 tokens after it, the 3 before) for each unit occurrence."""
    lower = text.lower()
    tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(lower)]
    out = []
    for i, (tok, _) in enumerate(tokens):
        if _UNIT.fullmatch(tok):
            after = "".join(t for t, _ in tokens[i + 1 : i + 4])
            before = "".join(t for t, _ in tokens[max(0, i - 3) : i])
            out.append((tok, after, before))
    return out


def _bucket(unit: str) -> int:
    return zlib.crc32(unit.encode("utf-8")) & (_BUCKETS - 1)


class TriggerScan(GlobalStep):
    """Trigger-like rare units over-represented across unrelated records.

    Pass 1 counts, per hashed bucket, the records holding each unit (a fixed 16 MB
    array, whatever the corpus size). Pass 2 looks only at units whose bucket is rare but
    frequent enough (``trigger_min_docs`` ≤ df ≤ ``trigger_max_share`` of the records) and
    keeps, per unit, its records, their sources and the tokens around it. A unit is a
    trigger when it spans at least ``trigger_min_sources`` sources and at least
    ``trigger_min_context`` of its occurrences share the same neighbouring tokens (a fixed
    payload). Ordinary rare words occur in varied contexts; a planted backdoor repeats its
    trigger with its payload. Near-duplicates are removed before this scan, so the records
    counted are otherwise unrelated.
    """

    name = "poison"
    version = "1"
    Params = PoisonParams
    passes = 2

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.df = np.zeros(_BUCKETS, dtype=np.uint32)
        self.n = 0
        self.hits: dict[str, list[tuple[str, str, str, str]]] = {}
        self.found: list[dict[str, Any]] = []

    def observe(self, docs: list[Doc], pass_no: int) -> None:
        p: PoisonParams = self.params
        if pass_no == 0:
            self.n += len(docs)
            for d in docs:
                buckets = {_bucket(u) for u, _, _ in _units(d.text)}
                if buckets:
                    idx = np.fromiter(buckets, dtype=np.int64)
                    self.df[idx] += 1
            return
        limit = max(p.trigger_min_docs, int(p.trigger_max_share * self.n))
        for d in docs:
            seen = set()
            for unit, after, before in _units(d.text):
                if unit in seen:
                    continue
                seen.add(unit)
                df = int(self.df[_bucket(unit)])
                if p.trigger_min_docs <= df <= limit:
                    lst = self.hits.setdefault(unit, [])
                    if len(lst) <= limit:
                        lst.append((d.uid, d.source, after, before))

    def decisions(self) -> dict[str, Decision]:
        p: PoisonParams = self.params
        out: dict[str, Decision] = {}
        for unit in sorted(self.hits):
            occ = self.hits[unit]
            limit = max(p.trigger_min_docs, int(p.trigger_max_share * self.n))
            if not p.trigger_min_docs <= len(occ) <= limit:
                continue
            if len({s for _, s, _, _ in occ}) < p.trigger_min_sources:
                continue
            best_share, payload, side = 0.0, "", "after"
            for i, name in ((2, "after"), (3, "before")):
                ctx, count = Counter(o[i] for o in occ).most_common(1)[0]
                if ctx and count / len(occ) > best_share:
                    best_share, payload, side = count / len(occ), ctx, name
            if best_share < p.trigger_min_context:
                continue
            idx = 2 if side == "after" else 3
            members = [o for o in occ if o[idx] == payload]
            sources = sorted({s for _, s, _, _ in members})
            evidence = {
                "trigger": unit,
                "payload": payload,
                "side": side,
                "records": len(members),
                "sources": sources,
            }
            self.found.append(evidence)
            rule = [{"id": "poison.trigger_ngram", "detector": "poison", "version": self.version}]
            for uid, _, _, _ in members:
                out.setdefault(
                    uid,
                    Decision("quarantine", "trigger_ngram", rule, best_share, evidence=evidence),
                )
        return out

    def summary(self) -> dict[str, Any]:
        return {"triggers": self.found}


class SourceGateParams(StepParams):
    """Parameters of `SourceGate`."""

    max_harmful_rate: float = Field(0.05, ge=0.0, le=1.0, description="the pack's 5 % rule")
    min_records: int = Field(20, ge=1, description="smaller sources are reported, not judged")
    action: Literal["drop", "quarantine"] = "drop"


class SourceGate(GlobalStep):
    """The 5 % rule: a source whose harmful rate (records the ``harmful`` step flagged,
    over every record it checked — a census, which is stricter than a sample) exceeds
    ``max_harmful_rate`` is rejected whole: its remaining records are removed and the
    source is reported."""

    name = "source_gate"
    version = "1"
    Params = SourceGateParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        counts: dict[str, Counter[str]] = context.get("by_source", {})
        self.rates: dict[str, dict[str, Any]] = {}
        for source, c in sorted(counts.items()):
            checked, flagged = c.get("harmful_checked", 0), c.get("harmful_flagged", 0)
            rate = flagged / checked if checked else 0.0
            rejected = checked >= self.params.min_records and rate > self.params.max_harmful_rate
            self.rates[source] = {
                "checked": checked,
                "flagged": flagged,
                "rate": round(rate, 4),
                "rejected": rejected,
            }
        self.uids: list[tuple[str, str]] = []

    def observe(self, docs: list[Doc], pass_no: int) -> None:
        for d in docs:
            info = self.rates.get(d.source)
            if info is not None and info["rejected"]:
                self.uids.append((d.uid, d.source))

    def decisions(self) -> dict[str, Decision]:
        rule = [
            {"id": "source_gate.harmful_rate", "detector": "source_gate", "version": self.version}
        ]
        return {
            uid: Decision(
                self.params.action,
                "source_rejected",
                rule,
                self.rates[src]["rate"],
                evidence={"source": src, **self.rates[src], "max": self.params.max_harmful_rate},
            )
            for uid, src in self.uids
        }

    def summary(self) -> dict[str, Any]:
        return {"max_harmful_rate": self.params.max_harmful_rate, "sources": self.rates}
