"""The core detection types: `Finding`, `Detector` and the detector registry.

A detector looks at a text once and says what it found. Offsets in a `Finding` returned to
callers always refer to the ORIGINAL text: detectors that work on the normalised copy
(``uses_normalized = True``) report normalised offsets to the `Scanner`, which maps them back
through the `NormalizedText` offset map.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from aisec.text import NormalizedText, normalize


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
        """A copy of this finding at other offsets."""
        return replace(self, start=start, end=end, value=value)

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
        """`detect` over many texts; detectors with a faster batch path override this."""
        return [self.detect(t) for t in texts]


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
