"""Exact duplicates: documents whose *normalised* text (``aisec.text.normalize``) is identical.

Each text is reduced to a 128-bit BLAKE2b digest of its normalised form; only digests are
kept (16 bytes per document plus its id), across every shard added. The first document
added of each group is kept. Empty texts are hashed like any other (all empty texts are
one group).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aisec.clean.common import BATCH, DedupError, Progress, normalized_texts
from aisec.text import normalize


@dataclass(frozen=True, slots=True)
class ExactDuplicate:
    """A document whose normalised text equals that of ``kept_id`` (added earlier)."""

    doc_id: str
    kept_id: str
    digest: str  # hex BLAKE2b-128 of the normalised text


class ExactDedup:
    """Exact duplicates on normalised text, keeping the first document added.

    ``add``/``add_batch`` any number of shards, then `duplicates`. Memory: 16 bytes of
    digest plus the id per document.
    """

    def __init__(self, *, progress: Progress | None = None) -> None:
        self._ids: list[str] = []
        self._digests = bytearray()
        self._progress = progress
        self._result: list[ExactDuplicate] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    @staticmethod
    def digest(text: str) -> bytes:
        """The 16-byte BLAKE2b digest of ``normalize(text).text``."""
        return hashlib.blake2b(normalize(text).text.encode("utf-8"), digest_size=16).digest()

    def add(self, doc_id: str, text: str) -> None:
        """Add one document."""
        self.add_batch([doc_id], [text])

    def add_batch(self, doc_ids: Sequence[str], texts: Sequence[str]) -> None:
        """Add documents in order (faster than `add`: one normalisation per chunk)."""
        if self._result is not None:
            raise DedupError(
                "documents were added after duplicates() was computed; start a new ExactDedup"
            )
        if len(doc_ids) != len(texts):
            raise DedupError(f"{len(doc_ids)} ids but {len(texts)} texts")
        self.add_digests(doc_ids, self.digests(texts))

    @staticmethod
    def digests(texts: Sequence[str]) -> bytes:
        """The 16-byte digests of ``texts``, concatenated (pure: call it in workers, then
        `add_digests`)."""
        out = bytearray()
        for s in range(0, len(texts), BATCH):
            for folded in normalized_texts(texts[s : s + BATCH]):
                out += hashlib.blake2b(folded.encode("utf-8"), digest_size=16).digest()
        return bytes(out)

    def add_digests(self, doc_ids: Sequence[str], digests: bytes) -> None:
        """Add documents whose digests were computed elsewhere (`digests`), in order."""
        if self._result is not None:
            raise DedupError(
                "documents were added after duplicates() was computed; start a new ExactDedup"
            )
        if len(digests) != 16 * len(doc_ids):
            raise DedupError(f"{len(doc_ids)} ids but {len(digests) // 16} digests")
        self._digests += digests
        self._ids.extend(str(i) for i in doc_ids)
        if self._progress:
            self._progress("exact_dedup", len(self._ids), None)

    def duplicates(self) -> list[ExactDuplicate]:
        """Every document whose normalised text was seen before, with the first one's id;
        in the order the documents were added."""
        if self._result is not None:
            return self._result
        n = len(self._ids)
        if n == 0:
            self._result = []
            return self._result
        halves = np.frombuffer(bytes(self._digests), dtype=np.uint64).reshape(n, 2)
        order = np.lexsort((np.arange(n), halves[:, 1], halves[:, 0]))
        sh = halves[order]
        new_group = np.concatenate(([True], (sh[1:] != sh[:-1]).any(axis=1)))
        group_first = order[np.flatnonzero(new_group)[np.cumsum(new_group) - 1]]
        dup_pos = np.flatnonzero(~new_group)
        dropped, kept = order[dup_pos], group_first[dup_pos]
        by_doc = np.argsort(dropped, kind="stable")
        out = []
        for d, k in zip(dropped[by_doc].tolist(), kept[by_doc].tolist(), strict=True):
            digest = bytes(self._digests[16 * d : 16 * d + 16]).hex()
            out.append(ExactDuplicate(self._ids[d], self._ids[k], digest))
        self._result = out
        return out
