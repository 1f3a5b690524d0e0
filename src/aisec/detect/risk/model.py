"""The trained risk model: three heads over hashed character n-grams plus keyword evidence.

- ``any``: P(harmful), a logistic score whose logit also adds the card's ``lexicon`` weights
  times the strongest keyword-library hit per class A1–A5;
- ``class``: q = P(class | harmful), a softmax over A1–A5;
- ``code``: P(code | harmful), a softmax over the risk codes the data supports.

- ``offensive`` (optional): P(offensive speech), a logistic head trained on social-media
  comments only (COLD, SWSR) and calibrated on COLD dev (``offensive_threshold``); the
  detector reports ``risk.A2`` when it reaches its threshold.

A class's score is ``P(harmful) * q_c / max(q)``: the likeliest class carries P(harmful).
The keyword hits also act as a prior: class score ← 1 - (1 - score)(1 - `LEXICON_PRIOR` ×
hit weight). A code's score is its class's score times P(code) renormalised within that class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aisec.detect.hashed_model import F32, HashedLinearModel
from aisec.detect.ngram import I64

CLASSES = ("A1", "A2", "A3", "A4", "A5")
#: keyword prior: a class's score is noisy-OR'ed with this share of its strongest keyword hit
LEXICON_PRIOR = 0.5


@dataclass(frozen=True)
class RiskScores:
    """Scores of one text: P(harmful), per class and per code (both as defined above)."""

    harmful: float
    classes: dict[str, float]
    codes: dict[str, float]
    offensive: float = 0.0


@dataclass(frozen=True)
class RiskModel:
    """The shipped (or a retrained) risk model with its calibrated per-class thresholds."""

    linear: HashedLinearModel
    lexicon_weights: F32
    thresholds: dict[str, float]
    codes: tuple[str, ...]
    #: the offensive head's threshold (1.0 when the model has no such head)
    offensive_threshold: float = 1.0
    #: the thresholds for text that is mostly not Chinese (``thresholds_en`` of the card;
    #: the Chinese ones where a card has none)
    thresholds_en: dict[str, float] | None = None

    @classmethod
    def load(cls, folder: str | Path | None = None) -> RiskModel:
        """The model in ``folder`` (by default ``aisec/packs/risk``)."""
        linear = HashedLinearModel.load(folder, "risk")
        card = linear.card
        return cls(
            linear=linear,
            lexicon_weights=np.asarray(card["lexicon"]["weights"], dtype=np.float32),
            thresholds={str(k): float(v) for k, v in card["thresholds"].items()},
            codes=linear.heads["code"].labels,
            offensive_threshold=float(card.get("offensive_threshold", 1.0)),
            thresholds_en={
                str(k): float(v) for k, v in card.get("thresholds_en", card["thresholds"]).items()
            },
        )

    @property
    def card(self) -> dict[str, Any]:
        """The model card (``model.json``)."""
        return self.linear.card

    def scores(self, idx: I64, lexicon: F32 | None = None) -> RiskScores:
        """Scores from a text's distinct n-gram buckets and its keyword evidence
        (`CLASSES`-ordered strongest hit weights; ``None``: no hits)."""
        z = self.linear.logits(idx)
        if lexicon is not None:
            z[0] += float(lexicon @ self.lexicon_weights)
        p = float(self.linear.head(z, "any")[0])
        q = self.linear.head(z, "class")
        top = float(q.max())
        classes = {c: p * float(q[i]) / top for i, c in enumerate(CLASSES)}
        if lexicon is not None:  # the keyword library as a prior (noisy-OR)
            for i, c in enumerate(CLASSES):
                prior = LEXICON_PRIOR * float(lexicon[i])
                classes[c] = 1.0 - (1.0 - classes[c]) * (1.0 - prior)
        r = self.linear.head(z, "code")
        codes: dict[str, float] = {}
        for c in CLASSES:
            members = [i for i, code in enumerate(self.codes) if code.startswith(c + ".")]
            total = float(r[members].sum()) if members else 0.0
            for i in members:
                codes[self.codes[i]] = classes[c] * float(r[i]) / total if total > 0 else 0.0
        off = (
            float(self.linear.head(z, "offensive")[0]) if "offensive" in self.linear.heads else 0.0
        )
        return RiskScores(p, classes, codes, off)

    def score_text(self, text: str, lexicon: F32 | None = None) -> RiskScores:
        """`scores` of an already normalised text."""
        return self.scores(self.linear.buckets(text), lexicon)
