"""The core detection types: `Finding`, `Detector` and the detector registry.

A detector looks at a text once and says what it found. Offsets in a `Finding` returned to
callers always refer to the ORIGINAL text: detectors that work on the normalised copy
(``uses_normalized = True``) report normalised offsets to the `Scanner`, which maps them back
through the `NormalizedText` offset map.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from aisec.text import NormalizedText, normalize

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found in a text.

    ``kind`` is hierarchical (``pii.cn_id_card``, ``risk.A1.4``, ``secret.aws_key``).
    ``start``/``end`` are character offsets (end exclusive). ``value`` holds the matched
    original text when the caller asked for it; it is personal data and must never be logged.
    """

    kind: str
    start: int
    end: int
    score: float
    detector: str
    version: str
    value: str | None = None

    def with_span(self, start: int, end: int, value: str | None = None) -> Finding:
        """A copy of this finding at other offsets (hot path: no `dataclasses.replace`)."""
        return Finding(self.kind, start, end, self.score, self.detector, self.version, value)

    def as_dict(self, *, include_value: bool = False) -> dict[str, object]:
        """The JSON shape used by ``aisec scan --format jsonl``."""
        out: dict[str, object] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "detector": self.detector,
        }
        if include_value and self.value is not None:
            out["value"] = self.value
        return out


class Detector(ABC):
    """Finds things in text. Subclasses set ``name`` and ``version`` and implement `find`."""

    name: ClassVar[str]
    version: ClassVar[str]
    #: the kinds (or kind prefixes such as ``risk.``) this detector can emit
    kinds: ClassVar[tuple[str, ...]] = ()
    #: True: `find` receives the normalised text and returns normalised offsets.
    uses_normalized: ClassVar[bool] = True

    @abstractmethod
    def find(self, text: NormalizedText) -> Iterable[Finding]:
        """Yield findings. Offsets are into ``text.text`` when ``uses_normalized`` is
        true, otherwise into ``text.original``."""

    def detect(self, text: str) -> list[Finding]:
        """Findings in ``text`` with offsets into ``text`` itself."""
        nt = normalize(text)
        found = list(self.find(nt))
        if not self.uses_normalized:
            return sorted(found, key=_order)
        return sorted((map_finding(f, nt) for f in found), key=_order)

    def detect_batch(self, texts: Sequence[str]) -> list[list[Finding]]:
        """`detect` over many texts in one pass (see `split_batch`): the texts are joined
        with a boundary character, normalised and searched once, and the findings are
        split back per text. Same results as calling `detect` on each text."""
        joined = join_batch(texts)
        if joined is None:
            return [self.detect(t) for t in texts]
        nt = normalize(joined.text)
        found = list(self.find(nt))
        if self.uses_normalized:
            found = [map_finding(f, nt) for f in found]
        return [sorted(fs, key=_order) for fs in joined.split(found)]


#: joins texts for batch scanning: a Unicode non-character that normalisation keeps and that
#: no pattern treats as part of a word, a number or a name
BATCH_SEPARATOR = "\uffff"


@dataclass(frozen=True, slots=True)
class JoinedBatch:
    """Texts joined by `BATCH_SEPARATOR`, with each text's start offset."""

    text: str
    starts: tuple[int, ...]
    lengths: tuple[int, ...]

    def split(self, findings: Iterable[Finding]) -> list[list[Finding]]:
        """Findings on the joined text → per-text findings with per-text offsets. A finding
        that runs over a boundary (a greedy ``\\S+`` in a detector) is cut at the end of its
        own text."""
        out: list[list[Finding]] = [[] for _ in self.starts]
        for f in findings:
            i = bisect.bisect_right(self.starts, f.start) - 1
            if i < 0:
                continue
            base, length = self.starts[i], self.lengths[i]
            start, end = f.start - base, min(f.end - base, length)
            if start >= length or end <= start:
                continue  # on the separator itself
            out[i].append(f.with_span(start, end))
        return out


def join_batch(texts: Sequence[str]) -> JoinedBatch | None:
    """Join texts for one-pass scanning, or ``None`` when a text contains the separator
    (then each text is scanned on its own)."""
    starts: list[int] = []
    lengths: list[int] = []
    pos = 0
    for t in texts:
        if BATCH_SEPARATOR in t:
            return None
        starts.append(pos)
        lengths.append(len(t))
        pos += len(t) + 1
    return JoinedBatch(BATCH_SEPARATOR.join(texts), tuple(starts), tuple(lengths))


def keep_disjoint(ranked: Iterable[T], span: Callable[[T], tuple[int, int]]) -> list[T]:
    """From items ranked best first, keep each one that overlaps none kept before it;
    returns the kept items in text order. O(n log n)."""
    starts: list[int] = []
    kept: list[T] = []
    ends: list[int] = []
    for item in ranked:
        s, e = span(item)
        i = bisect.bisect_right(starts, s)
        if (i > 0 and ends[i - 1] > s) or (i < len(starts) and starts[i] < e):
            continue
        starts.insert(i, s)
        ends.insert(i, e)
        kept.insert(i, item)
    return kept


def map_finding(finding: Finding, nt: NormalizedText) -> Finding:
    """Map a finding on normalised offsets back to the original text."""
    start, end = nt.to_original(finding.start, finding.end)
    return finding.with_span(start, end)


def _order(f: Finding) -> tuple[int, int, str]:
    return (f.start, -f.end, f.kind)


_REGISTRY: dict[str, Callable[..., Detector]] = {}


def register(name: str) -> Callable[[Callable[..., Detector]], Callable[..., Detector]]:
    """Class decorator: make a detector constructible by name (used by policies)."""

    def deco(factory: Callable[..., Detector]) -> Callable[..., Detector]:
        _REGISTRY[name] = factory
        return factory

    return deco


def registered() -> dict[str, Callable[..., Detector]]:
    """The detector factories known by name."""
    import aisec.detect.lexicon
    import aisec.detect.pii
    import aisec.detect.secrets  # noqa: F401  (imports register the built-ins)

    return dict(_REGISTRY)
