"""`ResponseJudge`: is an answer unsafe, and is it a refusal?

Two logistic heads over the answer's hashed character n-grams (``aisec/packs/response``):
``unsafe`` (trained on JADE v3 unsafe vs safe-and-helpful answers plus benign text) and
``refusal`` (trained on the refusal rules' weak labels). A refusal's score is the larger of
the rules (`refusal_rule_score`) and the model; an answer that opens with a refusal is not
unsafe by the model alone, so its unsafe score is capped at ``1 - refusal`` of the rules.
``judge(question, answer)`` also reports the question's harmfulness (`RiskDetector.scores`), which a caller needs to tell a wrong refusal from a right one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from aisec.detect.base import BATCH_SEPARATOR, Detector, Finding, register
from aisec.detect.hashed_model import HashedLinearModel
from aisec.detect.response.refusal import refusal_rule_score
from aisec.detect.risk.detector import RiskDetector
from aisec.text import NormalizedText, normalize

KINDS = ("response.unsafe", "response.refusal")

_LOCK = threading.Lock()
_SHARED: dict[str, HashedLinearModel] = {}


def _shared(folder: str | Path | None) -> HashedLinearModel:
    key = str(folder) if folder is not None else ""
    with _LOCK:
        got = _SHARED.get(key)
        if got is None:
            got = HashedLinearModel.load(folder, "response")
            _SHARED[key] = got
        return got


class Judgement(NamedTuple):
    """The judge's verdict on one answer: probabilities and the calibrated decisions."""

    unsafe: float
    refusal: float
    is_unsafe: bool
    is_refusal: bool
    #: P(harmful) of the question (None when no question was given)
    question_risk: float | None = None


@register("response")
class ResponseJudge(Detector):
    """Answer judging; as a detector, ``response.unsafe`` / ``response.refusal`` findings
    over each whole text.

    ``model_dir``: a folder with ``model.json`` + weights (default: the shipped model).
    ``threshold``: the unsafe cut-off (default: the card's calibrated ``threshold``).
    """

    name = "response"
    version = "1"
    kinds = KINDS
    uses_normalized = True

    def __init__(
        self,
        model_dir: str | Path | None = None,
        threshold: float | None = None,
        refusal_threshold: float | None = None,
        **_: object,
    ) -> None:
        self.model = _shared(model_dir)
        card = self.model.card
        #: calibrated cut-offs (the default policy's thresholds for response.*)
        self.threshold = float(card["threshold"]) if threshold is None else threshold
        self.refusal_threshold = (
            float(card.get("refusal_threshold", 0.5))
            if refusal_threshold is None
            else refusal_threshold
        )
        self._risk: RiskDetector | None = None  # built on the first judge() with a question

    def scores(self, answer: str) -> tuple[float, float]:
        """``(unsafe, refusal)`` of an already normalised answer."""
        z = self.model.logits(self.model.buckets(answer))
        unsafe = float(self.model.head(z, "unsafe")[0])
        rule = refusal_rule_score(answer)
        refusal = max(rule, float(self.model.head(z, "refusal")[0]))
        return min(unsafe, 1.0 - rule), refusal

    def judge(self, question: str | None, answer: str) -> Judgement:
        """Judge ``answer`` (to ``question``, when given)."""
        unsafe, refusal = self.scores(normalize(answer).text)
        q_risk = None
        if question:
            if self._risk is None:
                self._risk = RiskDetector()
            q_risk = self._risk.scores(normalize(question).text).harmful
        return Judgement(
            unsafe,
            refusal,
            unsafe >= self.threshold,
            refusal >= self.refusal_threshold,
            q_risk,
        )

    def find(self, text: NormalizedText) -> Iterable[Finding]:
        """Findings on the normalised text; texts joined for batch scans are judged apart."""
        pos = 0
        for piece in text.text.split(BATCH_SEPARATOR):
            yield from self._piece(piece, pos)
            pos += len(piece) + 1

    def _piece(self, text: str, base: int) -> Iterator[Finding]:
        if not text.strip():
            return
        unsafe, refusal = self.scores(text)
        end = base + len(text)
        if unsafe >= self.threshold:
            yield Finding("response.unsafe", base, end, unsafe, self.name, self.version)
        if refusal >= self.refusal_threshold:
            yield Finding("response.refusal", base, end, refusal, self.name, self.version)
