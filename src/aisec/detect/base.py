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
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from aisec.runtime import native_enabled
from aisec.text import NormalizedText, normalize

T = TypeVar("T")

_batch: Any
try:
    from aisec.detect import _batch  # type: ignore[attr-defined,no-redef]
except ImportError:  # built without the C extension
    _batch = None


def native_batch() -> Any:
    """`aisec.detect._batch` (ranking and splitting findings in C), or None when it is not
    built or compiled code is switched off (``AISEC_NATIVE=0``)."""
    return _batch if _batch is not None and native_enabled() else None


class Finding(NamedTuple):
    """One thing found in a text: an immutable record.

    ``kind`` is hierarchical (``pii.cn_id_card``, ``risk.A1.4``, ``secret.aws_key``).
    ``start``/``end`` are character offsets (end exclusive). ``value`` holds the matched
    original text when the caller asked for it; it is personal data and must never be logged.
    (A named tuple rather than a frozen dataclass: detectors build tens of thousands per MB
    of PII-dense text, and a named tuple is built five times faster.)
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
        return JoinedBatch.single(text).split(found, nt if self.uses_normalized else None)[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Finding]]:
        """`detect` over many texts in one pass (see `split_batch`): the texts are joined
        with a boundary character, normalised and searched once, and the findings are
        split back per text. Same results as calling `detect` on each text."""
        joined = join_batch(texts)
        if joined is None:
            return [self.detect(t) for t in texts]
        nt = normalize(joined.text)
        return joined.split(list(self.find(nt)), nt if self.uses_normalized else None)


#: joins texts for batch scanning: a Unicode non-character that normalisation keeps and that
#: no pattern treats as part of a word, a number or a name
BATCH_SEPARATOR = "\uffff"


@dataclass(frozen=True, slots=True)
class JoinedBatch:
    """Texts joined by `BATCH_SEPARATOR`, with each text's start offset."""

    text: str
    starts: tuple[int, ...]
    lengths: tuple[int, ...]

    @classmethod
    def single(cls, text: str) -> JoinedBatch:
        """A batch of one text (which may contain the separator)."""
        return cls(text, (0,), (len(text),))

    def split(
        self, findings: Sequence[Finding], nt: NormalizedText | None = None
    ) -> list[list[Finding]]:
        """Findings on the joined text → per-text findings with per-text offsets, each
        list in text order (start, then longer first, then kind). With ``nt``, the
        findings' offsets are first mapped from the normalised joined text back to the
        joined original. A finding that runs over a boundary (a greedy ``\\S+`` in a
        detector) is cut at the end of its own text. Many findings go through one numpy
        pass; a few (one short text) through plain Python, which is faster for them; both
        in C (`aisec.detect._batch`) where that is built, `split_python` otherwise."""
        fast = native_batch()
        if fast is None or not findings:
            return self.split_python(findings, nt)
        mapped = nt is not None and not nt.identity
        return fast.split(  # type: ignore[no-any-return]
            findings,
            nt.src if mapped and nt is not None else None,
            len(nt.text) if nt is not None else 0,
            len(nt.original) if nt is not None else 0,
            self.starts,
            self.lengths,
        )

    def split_python(
        self, findings: Sequence[Finding], nt: NormalizedText | None = None
    ) -> list[list[Finding]]:
        """`split` in Python (numpy): the reference for the compiled one."""
        out: list[list[Finding]] = [[] for _ in self.starts]
        n = len(findings)
        if n == 0:
            return out
        if n <= _FEW and len(self.starts) == 1:
            for f in findings:
                start, end = (f.start, f.end) if nt is None else nt.to_original(f.start, f.end)
                end = min(end, self.lengths[0])
                if end > start:  # as below: empty spans belong to no text
                    out[0].append(
                        Finding(f.kind, start, end, f.score, f.detector, f.version, f.value)
                    )
            out[0].sort(key=lambda f: (f.start, -f.end, f.kind))
            return out
        starts = np.fromiter((f.start for f in findings), np.int64, n)
        ends = np.fromiter((f.end for f in findings), np.int64, n)
        if nt is not None and not nt.identity:
            starts, ends = _to_original(nt, starts, ends)
        text_starts = np.asarray(self.starts, dtype=np.int64)
        which = np.searchsorted(text_starts, starts, side="right") - 1
        clipped = np.maximum(which, 0)
        base = text_starts[clipped]
        length = np.asarray(self.lengths, dtype=np.int64)[clipped]
        local_start = starts - base
        local_end = np.minimum(ends - base, length)
        # findings on the separator itself (or before the first text) belong to no text
        ok = (which >= 0) & (local_start < length) & (local_end > local_start)
        kinds = [f.kind for f in findings]
        _, kind_rank = np.unique(np.asarray(kinds, dtype=object), return_inverse=True)
        order = np.lexsort((kind_rank, -local_end, local_start, which))
        order = order[ok[order]]
        for i, s, e, j in zip(
            which[order].tolist(),
            local_start[order].tolist(),
            local_end[order].tolist(),
            order.tolist(),
            strict=True,
        ):
            f = findings[j]
            out[i].append(Finding(f.kind, s, e, f.score, f.detector, f.version, f.value))
        return out


_FEW = 24  # below this many findings in a single text, `JoinedBatch.split` avoids numpy


def _to_original(
    nt: NormalizedText, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """`NormalizedText.to_original` for many spans (empty spans included)."""
    n = len(nt.text)
    if ((starts < 0) | (ends < starts) | (ends > n)).any():
        raise ValueError(f"a finding lies outside the normalised text of length {n}")
    src = nt.src
    empty = starts == ends
    if not empty.any():
        return src[starts], src[ends - 1] + 1
    padded = np.append(src, len(nt.original))  # an empty span at the very end maps there
    new_starts = padded[starts]
    new_ends = np.where(empty, new_starts, padded[np.maximum(ends - 1, 0)] + 1)
    return new_starts, new_ends


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


_REGISTRY: dict[str, Callable[..., Detector]] = {}


def register(name: str) -> Callable[[Callable[..., Detector]], Callable[..., Detector]]:
    """Class decorator: make a detector constructible by name (used by policies)."""

    def deco(factory: Callable[..., Detector]) -> Callable[..., Detector]:
        _REGISTRY[name] = factory
        return factory

    return deco


def registered() -> dict[str, Callable[..., Detector]]:
    """The detector factories known by name."""
    import aisec.detect.attack
    import aisec.detect.lexicon
    import aisec.detect.pii
    import aisec.detect.response
    import aisec.detect.risk
    import aisec.detect.secrets  # noqa: F401  (imports register the built-ins)

    return dict(_REGISTRY)
