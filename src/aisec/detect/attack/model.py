"""The trained attack model: hashed character n-grams into a multinomial linear model.

The weights are a ``float32`` array of shape ``(2**bits, len(classes))`` in
``weights.npy`` (read with ``allow_pickle=False``); ``model.json`` — the model card — holds
the classes, the bias, the hashing parameters (``hashing.cjk_max_n`` / ``hashing.cjk_rule``:
the per-script n-gram range of `aisec.detect.ngram.buckets`; absent = plain 1..4-grams), the
calibrated threshold, the training data and the measured figures. Nothing here imports
scikit-learn: scoring is numpy only.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aisec.detect.ngram import CJK_RULES, I64, buckets, codepoints, ngram_hashes, script_masks
from aisec.errors import PackError

F32 = npt.NDArray[np.float32]
BENIGN = "benign"


@dataclass(frozen=True)
class AttackModel:
    """Weights plus card; `proba` gives class probabilities for a text."""

    weights: F32
    bias: F32
    classes: tuple[str, ...]
    bits: int
    ngrams: tuple[int, ...]
    threshold: float
    threshold_zh: float
    card: dict[str, Any]
    #: CJK n-grams longer than this are not features (None: every n of `ngrams`)
    cjk_max_n: int | None = None
    cjk_rule: str = "all"

    @classmethod
    def from_arrays(cls, weights: F32, card: dict[str, Any]) -> AttackModel:
        """Check ``weights`` against ``card`` and build the model."""
        classes = tuple(str(c) for c in card["classes"])
        bits = int(card["hashing"]["bits"])
        if weights.shape != (1 << bits, len(classes)) or weights.dtype != np.float32:
            raise PackError(
                f"attack model weights have shape {weights.shape} {weights.dtype}, the card "
                f"says ({1 << bits}, {len(classes)}) float32: reinstall aisec or retrain with "
                "scripts/train_attack.py"
            )
        if BENIGN not in classes:
            raise PackError("attack model card lists no 'benign' class")
        cjk_max_n = card["hashing"].get("cjk_max_n")
        cjk_rule = str(card["hashing"].get("cjk_rule", "all"))
        if cjk_rule not in CJK_RULES:
            raise PackError(f"attack model card: unknown hashing.cjk_rule {cjk_rule!r}")
        return cls(
            weights=weights,
            bias=np.asarray(card["bias"], dtype=np.float32),
            classes=classes,
            bits=bits,
            ngrams=tuple(int(n) for n in card["hashing"]["ngrams"]),
            threshold=float(card["threshold"]),
            threshold_zh=float(card.get("threshold_zh", card["threshold"])),
            card=card,
            cjk_max_n=None if cjk_max_n is None else int(cjk_max_n),
            cjk_rule=cjk_rule,
        )

    @classmethod
    def load(cls, folder: str | Path | None = None) -> AttackModel:
        """The model in ``folder`` (by default the one shipped in ``aisec/packs/attack``)."""
        root = (
            Path(folder)
            if folder is not None
            else Path(str(resources.files("aisec.packs") / "attack"))
        )
        try:
            card = json.loads((root / "model.json").read_text(encoding="utf-8"))
            weights = np.load(root / str(card["weights"]["file"]), allow_pickle=False)
        except (OSError, ValueError, KeyError) as exc:
            raise PackError(f"cannot load the attack model from {root}: {exc}") from exc
        return cls.from_arrays(weights, card)

    def logits(self, idx: I64) -> F32:
        """Class logits for the distinct buckets ``idx`` of a text."""
        if len(idx) == 0:
            return self.bias.copy()
        total: F32 = self.weights[idx].sum(axis=0, dtype=np.float32)
        out: F32 = total / np.float32(math.sqrt(len(idx))) + self.bias
        return out

    def proba(self, text: str) -> F32:
        """Class probabilities of ``text`` (order: `classes`)."""
        return softmax(self.logits(self.buckets(text)))

    def buckets(self, text: str) -> I64:
        """The distinct n-gram buckets of ``text`` with this model's hashing parameters."""
        return buckets(text, self.bits, self.ngrams, self.cjk_max_n, self.cjk_rule)

    def attack_score(self, text: str) -> tuple[float, str]:
        """``(1 - P(benign), most likely attack class)`` for ``text``."""
        return self.split_score(self.proba(text))

    def split_score(self, p: F32) -> tuple[float, str]:
        """``(1 - P(benign), most likely attack class)`` from class probabilities."""
        b = self.classes.index(BENIGN)
        best = max((i for i in range(len(self.classes)) if i != b), key=lambda i: float(p[i]))
        return 1.0 - float(p[b]), self.classes[best]

    def contributions(self, text: str) -> npt.NDArray[np.float32]:
        """Per character of ``text``: the attack-minus-benign weight of the n-grams starting
        there (used to find the segment that carries the attack)."""
        b = self.classes.index(BENIGN)
        cps = codepoints(text)
        out = np.zeros(len(cps), dtype=np.float32)
        hashes = ngram_hashes(cps, self.bits, self.ngrams)
        masks = script_masks(cps, self.ngrams, self.cjk_max_n, self.cjk_rule)
        for h, keep in zip(hashes, masks, strict=True):
            w = self.weights[h]
            d = w.max(axis=1, where=_not(b, w.shape[1]), initial=-np.inf) - w[:, b]
            out[: len(h)] += d if keep is None else np.where(keep, d, np.float32(0))
        return out


def _not(b: int, n: int) -> npt.NDArray[np.bool_]:
    m = np.ones(n, dtype=bool)
    m[b] = False
    return m


def softmax(z: F32) -> F32:
    """Numerically stable softmax."""
    e = np.exp(z - z.max())
    out: F32 = (e / e.sum()).astype(np.float32)
    return out


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file (the card records the weights' digest)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
