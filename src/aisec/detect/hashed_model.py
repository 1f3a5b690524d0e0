"""Linear heads over hashed character n-grams: the run-time half of the risk and response models.

A model folder holds ``model.json`` (the card: heads, bias, hashing parameters, thresholds,
data, figures) and one weights array ``(2**bits, columns)`` (``float16`` or ``float32``,
read with ``allow_pickle=False``). A *head* is a named group of columns: a one-column head
is a logistic (sigmoid) score, a wider head a softmax over its labels. Scoring is numpy
only; the texts' n-gram buckets are computed once (`aisec.detect.ngram.buckets`) and can be
shared between models that hash alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aisec.detect.ngram import I64, buckets
from aisec.errors import PackError

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Head:
    """Columns ``start:start+len(labels)`` of the weights; one label = sigmoid."""

    name: str
    labels: tuple[str, ...]
    start: int

    @property
    def stop(self) -> int:
        """One past the head's last column."""
        return self.start + len(self.labels)


@dataclass(frozen=True)
class HashedLinearModel:
    """Weights + card. `logits` gives every column's raw score for a text's buckets."""

    weights: npt.NDArray[np.floating[Any]]
    bias: F32
    heads: dict[str, Head]
    bits: int
    ngrams: tuple[int, ...]
    card: dict[str, Any]

    @classmethod
    def from_arrays(
        cls, weights: npt.NDArray[np.floating[Any]], card: dict[str, Any]
    ) -> HashedLinearModel:
        """Check ``weights`` against ``card`` and build the model."""
        heads: dict[str, Head] = {}
        col = 0
        for h in card["heads"]:
            head = Head(str(h["name"]), tuple(str(x) for x in h["labels"]), col)
            heads[head.name] = head
            col = head.stop
        bits = int(card["hashing"]["bits"])
        name = card.get("name", "model")
        if weights.shape != (1 << bits, col) or weights.dtype not in (np.float16, np.float32):
            raise PackError(
                f"{name} weights have shape {weights.shape} {weights.dtype}, the card says "
                f"({1 << bits}, {col}) float16/32: reinstall aisec or retrain the model"
            )
        bias = np.asarray(card["bias"], dtype=np.float32)
        if bias.shape != (col,):
            raise PackError(f"{name} card has {bias.shape[0]} biases for {col} columns")
        return cls(
            weights=weights,
            bias=bias,
            heads=heads,
            bits=bits,
            ngrams=tuple(int(n) for n in card["hashing"]["ngrams"]),
            card=card,
        )

    @classmethod
    def load(cls, folder: str | Path | None, pack: str) -> HashedLinearModel:
        """The model in ``folder``, by default the one shipped in ``aisec/packs/<pack>``."""
        root = (
            Path(folder) if folder is not None else Path(str(resources.files("aisec.packs") / pack))
        )
        try:
            card = json.loads((root / "model.json").read_text(encoding="utf-8"))
            weights = np.load(root / str(card["weights"]["file"]), allow_pickle=False)
        except (OSError, ValueError, KeyError) as exc:
            raise PackError(f"cannot load the {pack} model from {root}: {exc}") from exc
        return cls.from_arrays(weights, card)

    def buckets(self, text: str) -> I64:
        """The distinct n-gram buckets of ``text`` (already normalised)."""
        return buckets(text, self.bits, self.ngrams)

    def logits(self, idx: I64) -> F32:
        """Every column's logit for the distinct buckets ``idx`` of a text."""
        if len(idx) == 0:
            return self.bias.copy()
        total = self.weights[idx].sum(axis=0, dtype=np.float32)
        out: F32 = total / np.float32(math.sqrt(len(idx))) + self.bias
        return out

    def head(self, logits: F32, name: str) -> F32:
        """A head's probabilities from all logits: sigmoid (one column) or softmax."""
        h = self.heads[name]
        z = logits[h.start : h.stop].astype(np.float64)
        if len(h.labels) == 1:
            return np.asarray([1.0 / (1.0 + math.exp(-float(z[0])))], dtype=np.float32)
        z = np.exp(z - z.max())
        return np.asarray(z / z.sum(), dtype=np.float32)
