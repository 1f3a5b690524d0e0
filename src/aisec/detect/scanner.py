"""`Scanner`: run a set of detectors over a text once.

The text is normalised once; detectors that work on the normalised copy get it, the others
get the original. Findings are mapped back to original offsets, overlapping findings of the
same kind are merged, and each finding carries the original value it covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aisec.detect.base import Detector, Finding, JoinedBatch, join_batch
from aisec.text import NormalizedText, normalize


@dataclass
class ScanResult:
    """The findings of one text, offsets into ``text`` (the original)."""

    text: str
    findings: list[Finding] = field(default_factory=list)

    def kinds(self) -> set[str]:
        """The distinct kinds found."""
        return {f.kind for f in self.findings}


class Scanner:
    """Runs detectors over texts; see the module docstring."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)

    @property
    def versions(self) -> dict[str, str]:
        """Detector name → version, for lineage records."""
        return {d.name: d.version for d in self.detectors}

    def _find_all(
        self, batch: JoinedBatch, normalized: NormalizedText | None = None
    ) -> list[list[Finding]]:
        """Every detector's findings per text of ``batch``, in original offsets
        (``normalized``: ``normalize(batch.text)``, when the caller has it already)."""
        nt = normalize(batch.text) if normalized is None else normalized
        on_normalized: list[Finding] = []
        on_original: list[Finding] = []
        for det in self.detectors:
            (on_normalized if det.uses_normalized else on_original).extend(det.find(nt))
        per_text = batch.split(on_normalized, nt)
        if on_original:
            for mine, more in zip(per_text, batch.split(on_original), strict=True):
                mine.extend(more)
        return per_text

    @staticmethod
    def _result(text: str, found: list[Finding]) -> ScanResult:
        merged = merge_same_kind(found)
        return ScanResult(
            text, [f.with_span(f.start, f.end, text[f.start : f.end]) for f in merged]
        )

    def scan(self, text: str, normalized: NormalizedText | None = None) -> ScanResult:
        """Scan one text; ``normalized`` is ``normalize(text)`` when the caller needs it
        too (it is then made once)."""
        if normalized is not None and normalized.original != text:
            raise ValueError("`normalized` is not the normalised form of `text`")
        return self._result(text, self._find_all(JoinedBatch.single(text), normalized)[0])

    def scan_batch(self, texts: Sequence[str]) -> list[ScanResult]:
        """Scan many texts in one pass per detector: same results as `scan` on each, with
        the per-call overhead paid once per batch (what makes short records fast)."""
        if len(texts) < 2:
            return [self.scan(t) for t in texts]
        joined = join_batch(texts)
        if joined is None:
            return [self.scan(t) for t in texts]
        found = self._find_all(joined)
        return [self._result(text, fs) for text, fs in zip(texts, found, strict=True)]


def merge_same_kind(findings: list[Finding]) -> list[Finding]:
    """Merge overlapping findings of the same kind into one (the union span, the best
    score and that finding's detector)."""
    if len(findings) < 2:
        return findings
    if len({f.kind for f in findings}) == len(findings):  # one per kind: nothing to merge
        return sorted(findings, key=_text_order)
    by_kind: dict[str, list[Finding]] = {}
    for f in findings:
        by_kind.setdefault(f.kind, []).append(f)
    out: list[Finding] = []
    for items in by_kind.values():
        items.sort(key=lambda f: (f.start, -f.end))
        cur = items[0]
        for f in items[1:]:
            if f.start < cur.end:
                best = f if f.score > cur.score else cur
                cur = Finding(
                    cur.kind,
                    cur.start,
                    max(cur.end, f.end),
                    best.score,
                    best.detector,
                    best.version,
                )
            else:
                out.append(cur)
                cur = f
        out.append(cur)
    out.sort(key=_text_order)
    return out


def _text_order(f: Finding) -> tuple[int, int, str]:
    return f.start, -f.end, f.kind
