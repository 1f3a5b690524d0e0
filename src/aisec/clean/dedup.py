"""Near-duplicate detection for training corpora (exact duplicates: `aisec.clean.exact`).

`NearDedup` — MinHash + LSH over character n-grams of the normalised text with
punctuation and white space removed (see `aisec.clean.shingle`), signatures and banding
as in `aisec.clean.minhash`. Candidate pairs from the LSH buckets are kept when their
estimated Jaccard similarity (share of equal signature values) is ≥ ``threshold``;
clusters are the connected components of the kept pairs (union-find); one member of each
cluster is kept by ``keep``:

- ``"first"`` (default): the document added first — streaming order, so the earliest
  post survives and reposts go;
- ``"longest"``: the document with the most letters and digits after normalisation
  (ties: the first added).

Every dropped document is reported with the kept representative of its cluster and the
estimated similarity between the two (which can be below the threshold when the document
joined the cluster through another member: the evidence says so, it does not pretend).

Short and empty texts: a text with no letters or digits after normalisation has no
shingles; it is never part of a near-duplicate cluster and is reported by `skipped` with
reason ``"no_shingles"`` (exact dedup still groups identical ones). A text shorter than
``ngram`` characters has a single shingle (its whole kept text), so it only clusters with
texts that fold to exactly the same characters.

Memory: signatures (``4·K`` bytes per document) and band keys (``8·bands``) stay in memory
up to ``memory_budget_mb`` and then spill to ``.npy`` runs under ``workdir`` (removed by
`close`). What always stays in memory per document is its id (about 65 bytes for a short
``str``) and a 4-byte length; computing the result adds about 50 bytes per document (one
band's keys and their sort at a time, the index arrays). ``bench/near_dup.py --scale``
measures the peak RSS (see ``bench/RESULTS.md``). Ids are reported as given: keeping them
unique is the caller's job.

Why not datasketch as the engine: measured in ``bench/near_dup.py`` on the same set, the
same shingles and threshold fed to datasketch ``MinHash``/``MinHashLSH`` (with candidates
verified) reach a lower F1 at about a tenth of the throughput — a Python object and
``update_batch`` call per document against one numpy pass per 2,048 documents here — and
its LSH index lives in Python dicts (or Redis/Cassandra), not in arrays that spill to
local disk. The shingling/normalisation is where the quality comes from; the MinHash
itself is ~150 lines of numpy that we test against exact Jaccard.

Parallel use: `MinHasher.signatures` is pure; compute `SignatureBatch` objects in worker
processes with `NearDedup.signature_batch` (same config) and merge them in order with
`NearDedup.add_signatures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aisec.arrays import unique_sorted
from aisec.clean.common import BATCH as _BATCH
from aisec.clean.common import DEDUP_VERSION, DedupError, Progress
from aisec.clean.exact import ExactDedup, ExactDuplicate
from aisec.clean.lsh import bucket_pairs, components, split_codes
from aisec.clean.minhash import (
    MinHasher,
    MinHashParams,
    Scheme,
    band_keys,
    band_layout,
    candidate_probability,
)
from aisec.clean.shingle import shingle_batch
from aisec.clean.store import SignatureStore

KeepRule = Literal["first", "longest"]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
#: bands whose candidate pairs are gathered before they join the distinct pairs
_MERGE_BANDS = 5
__all__ = [
    "DEDUP_VERSION",
    "Cluster",
    "DedupError",
    "ExactDedup",
    "ExactDuplicate",
    "NearDedup",
    "NearDedupConfig",
    "NearDedupStats",
    "NearDuplicate",
    "Progress",
    "SignatureBatch",
    "Skipped",
    "iter_batches",
]


class NearDedupConfig(BaseModel):
    """Parameters of `NearDedup` (validated; the defaults are the measured ones, see
    ``bench/RESULTS.md``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(0.7, gt=0.0, lt=1.0, description="estimated Jaccard to merge")
    num_perm: int = Field(128, ge=16, le=1024, description="signature length K")
    ngram: int = Field(5, ge=1, le=16, description="character n-gram size")
    bands: int | None = Field(None, ge=1, description="LSH bands (default: band_layout)")
    rows: int | None = Field(None, ge=1, description="rows per band (default: band_layout)")
    scheme: Scheme = "oph"
    seed: int = Field(20240901, ge=0)
    keep: KeepRule = "first"
    memory_budget_mb: float = Field(1024.0, gt=0.0, description="in-memory signatures + keys")

    def layout(self) -> tuple[int, int]:
        """``(bands, rows)`` in use."""
        if self.bands is None and self.rows is None:
            return band_layout(self.threshold, self.num_perm)
        rows = self.rows or max(1, self.num_perm // (self.bands or 1))
        bands = self.bands or self.num_perm // rows
        if bands * rows > self.num_perm:
            raise DedupError(f"bands × rows = {bands * rows} exceeds num_perm = {self.num_perm}")
        return bands, rows

    def params(self) -> MinHashParams:
        """The signature parameters."""
        return MinHashParams(self.num_perm, self.ngram, self.seed, self.scheme)


@dataclass(frozen=True, slots=True)
class SignatureBatch:
    """Signatures of consecutive documents, as computed by a worker."""

    fingerprint: str
    signatures: U32
    lengths: I64


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    """A document to drop: its cluster keeps ``kept_id``; ``similarity`` is the estimated
    Jaccard between the two."""

    doc_id: str
    kept_id: str
    similarity: float
    cluster_size: int


@dataclass(frozen=True, slots=True)
class Cluster:
    """A near-duplicate cluster: the kept document first, then the others in order added."""

    kept_id: str
    member_ids: tuple[str, ...]
    similarities: tuple[float, ...]  # of each member to the kept one (1.0 for itself)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A document near-dedup could not compare, and why (``"no_shingles"``)."""

    doc_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class NearDedupStats:
    """Counts for a step's report."""

    documents: int
    skipped: int
    candidate_pairs: int
    verified_pairs: int
    clusters: int
    duplicates: int
    spilled: bool


class NearDedup:
    """MinHash + LSH near-duplicate detection (see the module docstring).

    ``NearDedup(threshold=0.7, workdir=...)``; ``add``/``add_batch``/``add_signatures``;
    then `duplicates`, `clusters`, `skipped`, `stats`. Use as a context manager (or call
    `close`) to remove spilled files.
    """

    def __init__(
        self,
        config: NearDedupConfig | None = None,
        *,
        workdir: Path | str | None = None,
        progress: Progress | None = None,
        **params: object,
    ) -> None:
        """Either a validated ``config`` or its fields as keywords (``threshold=0.8``)."""
        try:
            if config is not None and params:
                raise DedupError("pass either a NearDedupConfig or keyword parameters, not both")
            self.config = config if config is not None else NearDedupConfig.model_validate(params)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise DedupError(f"near-dedup parameter {where!r}: {first['msg']}") from exc
        self.bands, self.rows = self.config.layout()
        self._hasher = MinHasher(self.config.params())
        self._fingerprint = self.config.params().fingerprint()
        budget = int(self.config.memory_budget_mb * 1024 * 1024)
        wd = Path(workdir) if workdir is not None else None
        self._store = SignatureStore(self.config.num_perm, self.bands, budget, wd)
        self._ids: list[str] = []
        self._lengths: list[npt.NDArray[np.int32]] = []
        self._progress = progress
        self._done: _Result | None = None

    def __enter__(self) -> NearDedup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._ids)

    def close(self) -> None:
        """Remove spilled runs (results already computed stay available)."""
        self._store.close()

    @property
    def fingerprint(self) -> str:
        """What signatures must share to be merged (`SignatureBatch.fingerprint`)."""
        return self._fingerprint

    def candidate_probability(self, similarity: float) -> float:
        """The S-curve of the band layout in use at ``similarity``."""
        return candidate_probability(similarity, self.bands, self.rows)

    # adding

    def signature_batch(self, texts: Sequence[str]) -> SignatureBatch:
        """Signatures of ``texts`` (pure; call it in worker processes, then merge)."""
        sigs, lens = [], []
        for s in range(0, len(texts), _BATCH):
            shingles = shingle_batch(texts[s : s + _BATCH], self.config.ngram)
            sigs.append(self._hasher.signatures(shingles))
            lens.append(shingles.lengths)
        if not sigs:
            k = self.config.num_perm
            return SignatureBatch(
                self._fingerprint, np.zeros((0, k), np.uint32), np.zeros(0, np.int64)
            )
        return SignatureBatch(self._fingerprint, np.concatenate(sigs), np.concatenate(lens))

    def add(self, doc_id: str, text: str) -> None:
        """Add one document (prefer `add_batch`: per-call overhead dominates short texts)."""
        self.add_batch([doc_id], [text])

    def add_batch(self, doc_ids: Sequence[str], texts: Sequence[str]) -> None:
        """Add documents in order."""
        if len(doc_ids) != len(texts):
            raise DedupError(f"{len(doc_ids)} ids but {len(texts)} texts")
        for s in range(0, len(texts), _BATCH):
            chunk = texts[s : s + _BATCH]
            self.add_signatures(doc_ids[s : s + _BATCH], self.signature_batch(chunk))

    def add_signatures(self, doc_ids: Sequence[str], batch: SignatureBatch) -> None:
        """Add documents whose signatures were computed elsewhere (same config)."""
        if self._done is not None:
            raise DedupError(
                "documents were added after the result was computed; start a new NearDedup"
            )
        if batch.fingerprint != self._fingerprint:
            raise DedupError(
                "signatures were computed with other parameters (num_perm, ngram, seed or "
                "scheme differ); use the same config in every worker"
            )
        if len(doc_ids) != batch.signatures.shape[0]:
            raise DedupError(f"{len(doc_ids)} ids but {batch.signatures.shape[0]} signatures")
        if len(self._ids) + len(doc_ids) >= 2**31:
            raise DedupError("more than 2^31 documents in one NearDedup; split the corpus")
        self._store.append(batch.signatures, band_keys(batch.signatures, self.bands, self.rows))
        self._ids.extend(str(i) for i in doc_ids)
        self._lengths.append(batch.lengths.astype(np.int32))
        if self._progress:
            self._progress("near_dedup.signatures", len(self._ids), None)

    # results

    def duplicates(self) -> list[NearDuplicate]:
        """Documents to drop, in the order they were added."""
        r = self._result()
        ids = self._ids
        return [
            NearDuplicate(ids[d], ids[k], round(float(s), 4), int(z))
            for d, k, s, z in zip(
                r.dropped.tolist(),
                r.kept.tolist(),
                r.similarity.tolist(),
                r.size.tolist(),
                strict=True,
            )
        ]

    def clusters(self) -> list[Cluster]:
        """Clusters of two or more documents, ordered by their kept document."""
        r = self._result()
        members: dict[int, list[tuple[int, float]]] = {}
        for d, k, s in zip(r.dropped.tolist(), r.kept.tolist(), r.similarity.tolist(), strict=True):
            members.setdefault(k, []).append((d, round(float(s), 4)))
        out = []
        for k in sorted(members):
            ms = sorted(members[k])
            out.append(
                Cluster(
                    self._ids[k],
                    (self._ids[k], *(self._ids[d] for d, _ in ms)),
                    (1.0, *(s for _, s in ms)),
                )
            )
        return out

    def skipped(self) -> list[Skipped]:
        """Documents without shingles (never clustered), in the order added."""
        r = self._result()
        return [Skipped(self._ids[d], "no_shingles") for d in r.skipped.tolist()]

    def stats(self) -> NearDedupStats:
        """Counts for the step's report."""
        r = self._result()
        return NearDedupStats(
            documents=len(self._ids),
            skipped=int(r.skipped.shape[0]),
            candidate_pairs=r.candidates,
            verified_pairs=r.verified,
            clusters=int(unique_sorted(r.kept).shape[0]),
            duplicates=int(r.dropped.shape[0]),
            spilled=self._store.spilled,
        )

    def _result(self) -> _Result:
        if self._done is None:
            self._done = self._compute()
        return self._done

    def _compute(self) -> _Result:
        lengths: npt.NDArray[np.int32] = (
            np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int32)
        )
        skipped = np.flatnonzero(lengths == 0).astype(np.int64)
        live = np.flatnonzero(lengths > 0).astype(np.int64)
        # candidate pairs, merged every few bands: memory stays near the distinct pairs
        # instead of the sum over all bands (large on templated corpora)
        codes = np.zeros(0, np.int64)
        pending: list[I64] = []
        for b in range(self.bands):
            keys = self._store.band(b)
            if skipped.shape[0]:
                pending.append(bucket_pairs(keys[live], live))
            else:
                pending.append(bucket_pairs(keys))
            del keys
            if len(pending) == _MERGE_BANDS or b == self.bands - 1:
                codes = unique_sorted(np.concatenate([codes, *pending]))
                pending = []
            if self._progress:
                self._progress("near_dedup.buckets", b + 1, self.bands)
        left, right = split_codes(codes)
        sim = self._similarity(left, right)
        ok = sim >= self.config.threshold
        left, right = left[ok], right[ok]
        if self._progress:
            self._progress("near_dedup.verify", int(codes.shape[0]), int(codes.shape[0]))
        empty = np.zeros(0, np.int64)
        if left.shape[0] == 0:
            return _Result(empty, empty, np.zeros(0), empty, skipped, int(codes.shape[0]), 0)
        nodes, root = components(left, right)
        kept_of = self._representatives(nodes, root, lengths)
        drop = nodes != kept_of
        dropped, kept = nodes[drop], kept_of[drop]
        _, inverse, counts = np.unique(kept_of, return_inverse=True, return_counts=True)
        size = counts[inverse][drop]
        similarity = self._similarity(dropped, kept)
        return _Result(
            dropped,
            kept,
            similarity,
            size.astype(np.int64),
            skipped,
            int(codes.shape[0]),
            int(left.shape[0]),
        )

    def _representatives(self, nodes: I64, root: I64, lengths: npt.NDArray[np.int32]) -> I64:
        """The kept document of each node's cluster under the keep rule."""
        if self.config.keep == "first":
            return root  # the component's smallest index = added first
        # longest: order by cluster, then length descending, then index
        order = np.lexsort((nodes, -lengths[nodes].astype(np.int64), root))
        sroot = root[order]
        head = np.concatenate(([True], sroot[1:] != sroot[:-1]))
        winner = nodes[order][np.flatnonzero(head)]
        return winner[np.searchsorted(sroot[head], root)]

    def _similarity(self, left: I64, right: I64) -> npt.NDArray[np.float64]:
        out = np.empty(left.shape[0], dtype=np.float64)
        step = 1 << 14  # pairs per gather: bounds the spilled pages mapped at once
        for s in range(0, left.shape[0], step):
            a = self._store.gather(left[s : s + step])
            b = self._store.gather(right[s : s + step])
            out[s : s + step] = (a == b).mean(axis=1)
        return out


@dataclass(frozen=True, slots=True)
class _Result:
    dropped: I64
    kept: I64
    similarity: npt.NDArray[np.float64]
    size: I64
    skipped: I64
    candidates: int
    verified: int


def iter_batches(
    items: Iterable[tuple[str, str]], size: int = _BATCH
) -> Iterable[tuple[list[str], list[str]]]:
    """Group ``(doc_id, text)`` pairs into ``(ids, texts)`` batches for ``add_batch``."""
    ids: list[str] = []
    texts: list[str] = []
    for doc_id, text in items:
        ids.append(doc_id)
        texts.append(text)
        if len(ids) >= size:
            yield ids, texts
            ids, texts = [], []
    if ids:
        yield ids, texts
