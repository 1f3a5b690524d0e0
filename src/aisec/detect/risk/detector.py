"""`RiskDetector`: harmful content by GB/T 45654 class (``risk.A1`` …) and risk code.

The text (each text of a batch on its own) is scored once by `RiskModel`, with the keyword
library's hits (`LexiconDetector`) as extra evidence. A class is reported when its score
reaches the class's calibrated threshold (``model.json`` → ``thresholds``: the lowest score
keeping the validation false-positive rate on benign Chinese text within budget), and
``risk.A2`` also when the offensive-language head reaches ``offensive_threshold``; the
likeliest code of a reported class is reported beside it when it holds at least
`CODE_SHARE` of the class. A finding covers the offending sentence(s): the segments whose
own score reaches the threshold, or else the one scoring highest; its score is the whole
text's probability.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from aisec.detect.attack.detector import segments
from aisec.detect.base import BATCH_SEPARATOR, Detector, Finding, register
from aisec.detect.hashed_model import F32
from aisec.detect.lexicon import LexiconDetector
from aisec.detect.risk.model import CLASSES, RiskModel, RiskScores
from aisec.text import NormalizedText

#: a code is reported beside its class when it holds this share of the class's score
CODE_SHARE = 0.4
#: the class the offensive-language head reports (discrimination / abusive speech)
OFFENSIVE_CLASS = "A2"
#: texts (each text of a batch) with a smaller share of Chinese characters are not scored
#: unless ``all_languages=True``: the model has little benign English training data, and
#: even with its own English thresholds (``thresholds_en``) flags about half of the
#: sensitive-but-safe English prompts (XSTest's safe ones)
MIN_CHINESE_SHARE = 0.3
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_VISIBLE = re.compile(r"\S")


def chinese_share(text: str) -> float:
    """Share of Chinese characters among the non-space characters of ``text``."""
    visible = len(_VISIBLE.findall(text))
    return len(_HAN.findall(text)) / visible if visible else 0.0


_LOCK = threading.Lock()
_SHARED: dict[str, RiskModel] = {}


def shared_model(folder: str | Path | None = None) -> RiskModel:
    """The risk model, loaded once per process per folder."""
    key = str(folder) if folder is not None else ""
    with _LOCK:
        got = _SHARED.get(key)
        if got is None:
            got = RiskModel.load(folder)
            _SHARED[key] = got
        return got


def _lexicon_vector(hits: Iterable[tuple[str, float]]) -> F32 | None:
    vec = np.zeros(len(CLASSES), dtype=np.float32)
    seen = False
    for kind, score in hits:
        parts = kind.split(".")
        if len(parts) >= 2 and parts[1] in CLASSES:
            i = CLASSES.index(parts[1])
            vec[i] = max(vec[i], score)
            seen = True
    return vec if seen else None


@register("risk")
class RiskDetector(Detector):
    """Harmful-content findings ``risk.A1`` … ``risk.A5`` and ``risk.A2.5``-style codes.

    ``model_dir``: a folder with ``model.json`` + weights (default: the shipped model).
    ``thresholds``: per-class overrides of the calibrated thresholds (``{"A2": 0.6}``).
    ``use_lexicon=False`` leaves out the keyword evidence.
    ``all_languages=True`` also scores texts that are mostly not Chinese (see
    `MIN_CHINESE_SHARE`; off by default because English is heavily over-flagged).
    """

    name = "risk"
    version = "1"
    kinds = ("risk.",)
    uses_normalized = True

    def __init__(
        self,
        model_dir: str | Path | None = None,
        thresholds: dict[str, float] | None = None,
        use_lexicon: bool = True,
        all_languages: bool = False,
        **_: object,
    ) -> None:
        self.model = shared_model(model_dir)
        #: the calibrated per-class thresholds (the default policy's cut-offs for risk.*)
        self.thresholds = {**self.model.thresholds, **(thresholds or {})}
        #: offensive-speech head cut-off (``thresholds={"offensive": ...}`` overrides it)
        self.offensive_threshold = self.thresholds.pop("offensive", self.model.offensive_threshold)
        #: for text that is mostly not Chinese (scored with ``all_languages`` only): the
        #: model's English calibration, with the same overrides
        english = {**(self.model.thresholds_en or self.model.thresholds), **(thresholds or {})}
        english.pop("offensive", None)
        self.thresholds_en = english
        self.lexicon = LexiconDetector() if use_lexicon else None
        self.min_chinese_share = 0.0 if all_languages else MIN_CHINESE_SHARE

    def scores(self, text: str) -> RiskScores:
        """The whole-text scores of a normalised text (no threshold applied)."""
        hits = self._lexicon_hits(text)
        return self.model.score_text(text, _lexicon_vector((k, s) for k, _, _, s in hits))

    def find(self, text: NormalizedText) -> Iterable[Finding]:
        """Findings on the normalised text; texts joined for batch scans are scored apart."""
        t = text.text
        hits = self._lexicon_hits(t)
        if BATCH_SEPARATOR not in t:
            yield from self._piece(t, 0, hits)
            return
        pos = 0
        for piece in t.split(BATCH_SEPARATOR):
            end = pos + len(piece)
            mine = [(k, s - pos, e - pos, w) for k, s, e, w in hits if pos <= s and e <= end]
            yield from self._piece(piece, pos, mine)
            pos = end + 1

    def _lexicon_hits(self, text: str) -> list[tuple[str, int, int, float]]:
        if self.lexicon is None:
            return []
        return [
            (f.kind, f.start, f.end, f.score)
            for f in self.lexicon.find(NormalizedText(text, text, None))
        ]

    def _piece(
        self, text: str, base: int, hits: list[tuple[str, int, int, float]]
    ) -> Iterator[Finding]:
        share = chinese_share(text)
        if not text.strip() or share < self.min_chinese_share:
            return
        cuts = self.thresholds if share >= MIN_CHINESE_SHARE else self.thresholds_en
        sc = self.model.score_text(text, _lexicon_vector((k, w) for k, _, _, w in hits))
        offensive = sc.offensive >= self.offensive_threshold
        flagged = [
            c
            for c in CLASSES
            if sc.classes[c] >= cuts.get(c, 1.0) or (c == OFFENSIVE_CLASS and offensive)
        ]
        if not flagged:
            return
        segs = segments(text)
        seg_scores: list[RiskScores] | None = None
        if len(segs) > 1:
            seg_scores = [
                self.model.score_text(
                    text[s:e],
                    _lexicon_vector((k, w) for k, hs, he, w in hits if s <= hs and he <= e),
                )
                for s, e in segs
            ]
        for c in flagged:
            score = sc.classes[c]
            if c == OFFENSIVE_CLASS and offensive:
                score = max(score, sc.offensive)
            for s, e in self._spans(c, segs, seg_scores, len(text), cuts):
                yield Finding(f"risk.{c}", base + s, base + e, score, self.name, self.version)
                code = self._top_code(sc, c)
                if code is not None:
                    yield Finding(
                        f"risk.{code}", base + s, base + e, sc.codes[code], self.name, self.version
                    )

    def _spans(
        self,
        c: str,
        segs: list[tuple[int, int]],
        seg_scores: list[RiskScores] | None,
        n: int,
        cuts: dict[str, float],
    ) -> list[tuple[int, int]]:
        """The offending segments for class ``c`` (adjacent ones merged) at ``cuts``."""
        if seg_scores is None:
            return [(0, n)]
        t = cuts.get(c, 1.0)
        vals = [s.classes[c] for s in seg_scores]
        chosen = [i for i, v in enumerate(vals) if v >= t] or [int(np.argmax(vals))]
        out: list[tuple[int, int]] = []
        for i in chosen:
            s, e = segs[i]
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out

    @staticmethod
    def _top_code(sc: RiskScores, c: str) -> str | None:
        members = {k: v for k, v in sc.codes.items() if k.startswith(c + ".")}
        if not members or sc.classes[c] <= 0:
            return None
        code = max(members, key=lambda k: members[k])
        return code if members[code] >= CODE_SHARE * sc.classes[c] else None
