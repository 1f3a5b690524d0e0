"""`AttackDetector`: prompt injection, jailbreaks and system-prompt extraction.

Two sorts of evidence on the normalised text:

- rules (`aisec.detect.attack.rules`): narrow Hyperscan patterns for the unmistakable
  phrasings in Chinese and English, each with its kind and a fixed score;
- the trained model (`aisec.detect.attack.model`): hashed character 1–4-grams into a
  multinomial logistic regression (benign / injection / jailbreak / prompt_leak); the score
  is ``1 - P(benign)``.

Base64 and hex runs that decode to text, and leetspeak, are decoded and scored too. A
finding covers the offending sentence: the one where a rule matched, the encoded run, or
the segment whose n-grams weigh most towards an attack. ``threshold`` (from the model card)
is the calibration point chosen at training time: the lowest score at which the model kept
false positives on the validation benign sets at or below 0.5 %; the default policy uses it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from aisec.detect.attack.decode import decoded_payloads, deleet, has_leet
from aisec.detect.attack.model import AttackModel
from aisec.detect.attack.rules import RuleSet
from aisec.detect.base import BATCH_SEPARATOR, Detector, Finding, register
from aisec.text import NormalizedText, normalize

KINDS = ("attack.injection", "attack.jailbreak", "attack.prompt_leak")
_SPLIT = re.compile(r"(?<=[。！？!?\n])|(?<=\.\s)")

_LOCK = threading.Lock()
_SHARED: dict[str, tuple[AttackModel, RuleSet]] = {}


def _shared(folder: str | None) -> tuple[AttackModel, RuleSet]:
    """Model and rules, loaded once per process per model folder."""
    key = folder or ""
    with _LOCK:
        got = _SHARED.get(key)
        if got is None:
            got = (AttackModel.load(folder), RuleSet())
            _SHARED[key] = got
        return got


def segments(text: str) -> list[tuple[int, int]]:
    """Sentence-like segments of ``text`` (line breaks and sentence punctuation)."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SPLIT.finditer(text):
        end = m.start()
        if end > start:
            out.append((start, end))
            start = end
    if start < len(text):
        out.append((start, len(text)))
    return out


_CJK = re.compile(r"[\u3400-\u9fff]")
_LETTER = re.compile(r"[A-Za-z\u3400-\u9fff]")


def _mostly_cjk(text: str) -> bool:
    """At least 30 % of the letters (Latin + CJK) are CJK ideographs."""
    sample = text[:2000]
    letters = len(_LETTER.findall(sample))
    return letters > 0 and len(_CJK.findall(sample)) >= 0.3 * letters


def _segment_at(segs: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for s, e in segs:
        if s <= pos < e:
            return s, e
    return segs[-1] if segs else (0, 0)


@register("attack")
class AttackDetector(Detector):
    """Prompt-injection, jailbreak and prompt-leak findings (kinds in `KINDS`).

    ``model_dir``: a folder with ``model.json`` + weights (default: the shipped model).
    ``min_score``: findings below this score are not reported (default: the model's
    calibrated ``threshold``). ``use_model=False`` gives the rules alone (for comparison).
    """

    name = "attack"
    version = "1"
    kinds = KINDS
    uses_normalized = True

    def __init__(
        self,
        model_dir: str | Path | None = None,
        min_score: float | None = None,
        use_model: bool = True,
        **_: object,
    ) -> None:
        self.model, self.rules = _shared(str(model_dir) if model_dir is not None else None)
        #: the calibrated score threshold for English/other text (the default policy's
        #: cut-off for attack.*); Chinese text uses the lower ``threshold_zh`` internally
        self.threshold = self.model.threshold
        self.threshold_zh = self.model.threshold_zh
        self.min_score = min_score
        self.use_model = use_model

    def find(self, text: NormalizedText) -> Iterable[Finding]:
        """Findings on the normalised text; texts joined for batch scans are scored apart."""
        t = text.text
        if BATCH_SEPARATOR not in t:
            yield from self._piece(t, 0)
            return
        pos = 0
        for piece in t.split(BATCH_SEPARATOR):
            yield from self._piece(piece, pos)
            pos += len(piece) + 1

    def score(self, text: str) -> tuple[float, str]:
        """The whole-text attack score and most likely kind (normalises ``text`` itself)."""
        found = self.detect(text)
        if not found:
            p, kind = self.model.attack_score(normalize(text).text)
            return p, kind
        best = max(found, key=lambda f: f.score)
        return best.score, best.kind

    def _piece(self, text: str, base: int) -> Iterator[Finding]:
        if not text.strip():
            return
        floor = self.min_score
        if floor is None:
            floor = self.threshold_zh if _mostly_cjk(text) else self.threshold
        segs = segments(text)
        best: dict[tuple[str, int, int], float] = {}

        def add(kind: str, s: int, e: int, score: float) -> None:
            key = (kind, s, e)
            if best.get(key, -1.0) < score:
                best[key] = score

        leet = deleet(text) if has_leet(text) else None
        for variant in (text, leet) if leet is not None else (text,):
            for rule, end in self.rules.hits(variant):
                s, e = _segment_at(segs, max(end - 1, 0))
                add(rule.kind, s, e, rule.score)
        for s, e, decoded in decoded_payloads(text):
            dec = normalize(decoded).text
            for rule, _end in self.rules.hits(dec):
                add(rule.kind, s, e, rule.score)
            if self.use_model:
                p, kind = self.model.attack_score(dec)
                if p >= floor:
                    add(kind, s, e, p)
        if self.use_model:
            p, kind = self.model.attack_score(text)
            if leet is not None:
                p2, kind2 = self.model.attack_score(leet)
                if p2 > p:
                    p, kind = p2, kind2
            # a rule finding of the same kind takes the model's score when it is higher
            for key, sc in list(best.items()):
                if key[0] == kind and p > sc:
                    best[key] = p
            if p >= floor and not any(k[0] == kind for k in best):
                s, e = self._hot_segment(text, segs)
                add(kind, s, e, p)
        for (kind, s, e), sc in best.items():
            if sc >= floor or sc >= 0.7:  # rules always report
                yield Finding(kind, base + s, base + e, sc, self.name, self.version)

    def _hot_segment(self, text: str, segs: list[tuple[int, int]]) -> tuple[int, int]:
        """The segment whose n-grams push hardest towards an attack."""
        if len(segs) <= 1:
            return (0, len(text))
        contrib = self.model.contributions(text)
        if len(contrib) != len(text):  # lower-casing changed the length: no localisation
            return (0, len(text))
        sums = np.add.reduceat(contrib, [s for s, _ in segs])
        i = int(np.argmax(sums))
        return segs[i]
