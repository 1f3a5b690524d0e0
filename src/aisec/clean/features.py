"""Deduplication inputs computed by the worker that reads a shard.

The corpus-wide steps run in one process, after every shard's first pass. For the two
deduplication steps the expensive part is per record and needs no other record: the exact
step's 16-byte digest of the normalised text, the near step's MinHash signature. Each
worker computes both for its shard's surviving records at the end of its first pass and
writes them beside the records (``pass1/NNNNN.features.npz``: numpy arrays, no pickle),
so that the corpus-wide phase only reads arrays and does the banding, sorting and
clustering: it no longer parses every record again, normalises it again and hashes it on
one core. The arrays are the same ones the steps would compute themselves, so the result
is the same.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aisec.clean.dedup import NearDedup, NearDedupConfig, SignatureBatch
from aisec.clean.exact import ExactDedup
from aisec.clean.formats import Doc
from aisec.clean.recipe import Recipe
from aisec.clean.steps.base import parse_params
from aisec.clean.steps.corpus import NearDedupParams
from aisec.io.atomic import atomic_binary

#: records whose features are computed together
BATCH = 2048


@dataclass(frozen=True)
class ShardFeatures:
    """The features of a shard's surviving records, in record order."""

    numbers: npt.NDArray[np.int64]  # n of the record's uid "<shard>:<n>"
    ids: list[str]  # the records' own ids
    digests: npt.NDArray[np.uint8] | None  # (n, 16): exact_dedup
    signatures: SignatureBatch | None  # near_dedup

    def uids(self, shard: int) -> list[str]:
        """The records' uids."""
        return [f"{shard}:{n}" for n in self.numbers.tolist()]

    def select(self, keep: npt.NDArray[np.bool_]) -> ShardFeatures:
        """Only the records where ``keep`` is true."""
        sig = self.signatures
        return ShardFeatures(
            self.numbers[keep],
            [i for i, k in zip(self.ids, keep.tolist(), strict=True) if k],
            None if self.digests is None else self.digests[keep],
            None
            if sig is None
            else SignatureBatch(sig.fingerprint, sig.signatures[keep], sig.lengths[keep]),
        )


def wanted(recipe: Recipe) -> tuple[bool, NearDedupConfig | None]:
    """Which features a recipe's corpus-wide steps use: exact digests, near signatures."""
    near = recipe.step("near_dedup")
    config = None
    if near is not None:
        params = parse_params("near_dedup", NearDedupParams, near.params)
        config = NearDedupConfig(**params.model_dump())
    return recipe.step("exact_dedup") is not None, config


class FeatureWriter:
    """Collects the features of the records a worker keeps, then writes them."""

    def __init__(self, exact: bool, near: NearDedupConfig | None) -> None:
        self.exact = exact
        self.signer = NearDedup(near) if near is not None else None
        self._docs: list[Doc] = []
        self._numbers: list[int] = []
        self._ids: list[str] = []
        self._digests: list[bytes] = []
        self._sigs: list[SignatureBatch] = []

    def add(self, doc: Doc) -> None:
        """One surviving record (in the order it is written)."""
        self._docs.append(doc)
        if len(self._docs) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        docs, self._docs = self._docs, []
        if not docs:
            return
        self._numbers.extend(int(d.uid.rpartition(":")[2]) for d in docs)
        self._ids.extend(d.id for d in docs)
        texts = [d.text for d in docs]
        if self.exact:
            self._digests.append(ExactDedup.digests(texts))
        if self.signer is not None:
            self._sigs.append(self.signer.signature_batch(texts))

    def save(self, path: Path) -> None:
        """Write the features (atomically; an ``.npz`` of plain arrays)."""
        self._flush()
        ids = [i.encode("utf-8") for i in self._ids]
        arrays: dict[str, Any] = {
            "numbers": np.asarray(self._numbers, dtype=np.int64),
            "id_bytes": np.frombuffer(b"".join(ids), dtype=np.uint8),
            "id_ends": np.cumsum([len(i) for i in ids], dtype=np.int64),
        }
        if self.exact:
            arrays["digests"] = np.frombuffer(b"".join(self._digests), dtype=np.uint8).reshape(
                -1, 16
            )
        if self.signer is not None:
            k = self.signer.config.num_perm
            arrays["signatures"] = (
                np.concatenate([s.signatures for s in self._sigs])
                if self._sigs
                else np.zeros((0, k), np.uint32)
            )
            arrays["lengths"] = (
                np.concatenate([s.lengths for s in self._sigs])
                if self._sigs
                else np.zeros(0, np.int64)
            )
            arrays["fingerprint"] = np.asarray(self.signer.fingerprint)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        with atomic_binary(path) as fh:
            fh.write(buf.getvalue())


def load_features(path: Path) -> ShardFeatures:
    """Read what `FeatureWriter.save` wrote."""
    with np.load(path, allow_pickle=False) as data:
        ends = data["id_ends"]
        blob = data["id_bytes"].tobytes()
        starts = np.concatenate(([0], ends[:-1])) if ends.shape[0] else ends
        ids = [
            blob[s:e].decode("utf-8") for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
        sig = None
        if "signatures" in data:
            sig = SignatureBatch(str(data["fingerprint"]), data["signatures"], data["lengths"])
        digests = data.get("digests")
        return ShardFeatures(data["numbers"], ids, digests, sig)
