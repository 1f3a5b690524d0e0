"""`PiiDetector`: every PII recogniser over one normalised text, in one Hyperscan pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from aisec.detect.base import Detector, Finding, keep_disjoint, native_batch, register
from aisec.detect.pii.base import (
    Held,
    PatternRecognizer,
    Recognizer,
    ScanContext,
    confirm_yielding,
)
from aisec.detect.pii.native import NativePass, hyperscan_flags
from aisec.detect.pii.native import available as native_available
from aisec.text import NormalizedText
from aisec.text.hsdb import compile_database

# kinds that win an exact tie on the same span: the stronger validation first
_PRIORITY = {
    "pii.cn_id_card": 0,
    "pii.uscc": 1,
    "pii.bank_card": 2,
    "pii.cn_mobile": 3,
    "pii.cn_landline": 4,
    "pii.email": 5,
    "pii.iban": 6,
    "pii.us_ssn": 7,
}


def default_recognizers() -> list[Recognizer]:
    """The built-in recognisers, one per PII family."""
    from aisec.detect.pii.address import AddressRecognizer
    from aisec.detect.pii.international import international_recognizers
    from aisec.detect.pii.names import PersonNameRecognizer
    from aisec.detect.pii.structured import structured_recognizers

    return [
        *structured_recognizers(),
        *international_recognizers(),
        PersonNameRecognizer(),
        AddressRecognizer(),
    ]


@register("pii")
class PiiDetector(Detector):
    """Personal information: IDs, phones, cards, codes, plates, e-mail, IPs, names, addresses.

    ``only`` narrows the output to some ``pii.*`` kinds (all by default). ``native``
    chooses the compiled candidate pass (`aisec.detect.pii.native`): None (the default)
    uses it when it is built and not switched off, False never, True always (an error
    when it is not built). Findings are the same either way.
    """

    name: ClassVar[str] = "pii"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.",)
    uses_normalized: ClassVar[bool] = True

    def __init__(
        self,
        recognizers: Sequence[Recognizer] | None = None,
        only: Iterable[str] | None = None,
        native: bool | None = None,
        **_: Any,
    ) -> None:
        recs = list(recognizers) if recognizers is not None else default_recognizers()
        wanted = set(only) if only is not None else None
        if wanted is not None:
            recs = [r for r in recs if wanted & set(r.kinds)]
        self.recognizers = recs
        self._pattern_recs = [r for r in recs if isinstance(r, PatternRecognizer)]
        self._other_recs = [r for r in recs if not isinstance(r, PatternRecognizer)]
        self._only = wanted
        self._index = [(rec, i) for rec in self._pattern_recs for i in range(len(rec.patterns))]
        use_native = native_available() if native is None else native
        self._native = NativePass(self._index) if use_native and self._index else None
        self._db = self._compile() if self._native is None else None

    @property
    def compiled(self) -> bool:
        """True when the pattern recognisers run through the compiled pass."""
        return self._native is not None

    def _compile(self) -> Any:
        if not self._index:
            return None
        return compile_database(
            [rec.patterns[i].candidate.encode("utf-8") for rec, i in self._index],
            [hyperscan_flags(rec.patterns[i].caseless) for rec, i in self._index],
        )

    def find(self, text: NormalizedText) -> list[Finding]:
        ctx = ScanContext(text)
        found: list[Finding] = []
        if self._native is not None:
            found = self._native.find(ctx)
        elif self._db is not None and ctx.data:
            hits: list[tuple[int, int]] = []

            def on_match(pid: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
                hits.append((pid, end))

            self._db.scan(ctx.data, on_match)
            # one candidate per (pattern, end); byte offsets mapped in one numpy step
            unique = list(dict.fromkeys(hits))
            ends = ctx.char_offsets([end for _, end in unique])
            held: list[Held] = []
            for (pid, _), end in zip(unique, ends, strict=True):
                rec, local = self._index[pid]
                start = max(0, end - rec.patterns[local].reach)  # (see Pattern.reach)
                if rec.yields_to:
                    held.append((rec, local, start, end))
                else:
                    found.extend(rec.confirm(ctx, local, start, end))
            found.extend(confirm_yielding(ctx, held, found))
        for other in self._other_recs:
            found.extend(other.find(ctx))
        if self._only is not None:
            found = [f for f in found if f.kind in self._only]
        return resolve_overlaps(found)


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep one finding per overlapping cluster: the highest score, then the stronger kind,
    then the longer span. Distinct non-overlapping findings all stay. In C where that is
    built (`aisec.detect._batch`), `resolve_overlaps_python` otherwise."""
    fast = native_batch()
    if fast is None or len(findings) < 2:
        return resolve_overlaps_python(findings)
    return fast.keep_ranked(findings, _PRIORITY, 9)  # type: ignore[no-any-return]


def resolve_overlaps_python(findings: list[Finding]) -> list[Finding]:
    """`resolve_overlaps` in Python: the reference for the compiled one."""
    ranked = sorted(
        findings,
        key=lambda f: (-f.score, _PRIORITY.get(f.kind, 9), -(f.end - f.start), f.start),
    )
    return keep_disjoint(ranked, lambda f: (f.start, f.end))
