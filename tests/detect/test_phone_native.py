"""The C filter of international phone candidates (check "phone" in `_core.c`) against
`PhoneRecognizer` in Python.

The filter drops a candidate only when `accept` would reject every exact match of it
before libphonenumber; the rest still go to Python. So the compiled pass and the Python
pass must give the same findings, before overlap resolution as well as after it, while
fewer candidates come back to Python.
"""

from __future__ import annotations

import os
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import aisec.detect.pii.detector as detector_module
from aisec.detect.base import Finding, join_batch
from aisec.detect.pii import PiiDetector, native
from aisec.detect.pii.base import ScanContext
from aisec.detect.pii.international import PhoneRecognizer
from aisec.text import normalize
from aisec.text.normalize import NormalizedText

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from pii_gen import generate

pytestmark = pytest.mark.skipif(
    not native.available() and os.environ.get("AISEC_REQUIRE_NATIVE") != "1",
    reason="the compiled PII pass is not built (needs gcc and libhyperscan-dev)",
)


def _raw(det: PiiDetector, text: str, as_is: bool = False) -> list[Finding]:
    """The findings before overlap resolution, of the normalised text or (``as_is``) of
    the text itself, where case-folding characters such as 'ſ' survive."""
    saved = detector_module.resolve_overlaps
    detector_module.resolve_overlaps = lambda found: found
    try:
        return det.find(NormalizedText(text, text, None) if as_is else normalize(text))
    finally:
        detector_module.resolve_overlaps = saved


@pytest.fixture(scope="module")
def both() -> tuple[PiiDetector, PiiDetector]:
    return PiiDetector(native=False), PiiDetector(native=True)


def _same(both: tuple[PiiDetector, PiiDetector], texts: list[str]) -> int:
    """Asserts the same raw findings on each text (normalised and as is); phone findings."""
    python, compiled = both
    phones = 0
    for text in texts:
        for as_is in (False, True):
            expected = _raw(python, text, as_is)
            assert _raw(compiled, text, as_is) == expected, text
            phones += sum(f.kind == "pii.phone" for f in expected)
    return phones


def _deferred(det: PiiDetector, text: str) -> list[tuple[int, int, int, int]]:
    assert det._native is not None
    ctx = ScanContext(normalize(text))
    return det._native.core.find(ctx.data, len(ctx.text))[1]  # type: ignore[no-any-return]


def test_the_filter_is_switched_on() -> None:
    assert native._check(PhoneRecognizer(), 0) == "phone"


def test_folds_are_those_of_re() -> None:
    everything = "".join(map(chr, range(0x110000)))
    folds = native.phone_folds()
    for ch in native._PHONE_WORD_CHARS:
        pattern = re.compile(re.escape(ch), re.IGNORECASE)
        assert folds[ch] == "".join(m.group() for m in pattern.finditer(everything))
    assert "ſ" in folds["s"] and {"İ", "ı"} <= set(folds["i"])
    # the C filter reads _CONTEXT's look-ahead as implied by its words: `re` folds nothing
    # but the ASCII letters themselves onto their first letters
    ahead = re.compile(r"[pPtTcCmMfFnNrRwWdD]", re.IGNORECASE)
    assert {m.group() for m in ahead.finditer(everything)} == set("pPtTcCmMfFnNrRwWdD")
    words = "phone tel telephone call mobile cell fax contact number reach text me whatsapp dial"
    assert set(words) == set(native._PHONE_WORD_CHARS)


def test_same_findings_on_benchmark_lines(both: tuple[PiiDetector, PiiDetector]) -> None:
    # (the generated lines hold no foreign phone number: every phone candidate in them is
    # rejected, by the filter or by Python)
    python, compiled = both
    texts = [item.text for item in generate(2000, seed=23)]
    found = 0
    for i in range(0, len(texts), 256):
        batch = join_batch(texts[i : i + 256])
        assert batch is not None
        expected = _raw(python, batch.text)
        assert _raw(compiled, batch.text) == expected
        found += len(expected)
        assert compiled.detect_batch(texts[i : i + 256]) == python.detect_batch(texts[i : i + 256])
    assert found > 1000


def test_fewer_candidates_go_to_python(
    both: tuple[PiiDetector, PiiDetector], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, compiled = both
    checks = dict(native.NATIVE_CHECKS)
    del checks[PhoneRecognizer]
    monkeypatch.setattr(native, "NATIVE_CHECKS", checks)
    unfiltered = PiiDetector(native=True)
    monkeypatch.undo()
    texts = [item.text for item in generate(2000, seed=29)]
    before = after = 0
    for i in range(0, len(texts), 256):
        batch = join_batch(texts[i : i + 256])
        assert batch is not None
        before += len(_deferred(unfiltered, batch.text))
        after += len(_deferred(compiled, batch.text))
        assert _raw(unfiltered, batch.text) == _raw(compiled, batch.text)
    assert before > 40
    assert after * 4 < before


_WORDS = [
    "phone", "tel", "telephone", "call", "mobile", "cell", "fax", "contact", "number", "reach",
    "text me", "whatsapp", "dial", "hotel", "telly", "recall", "dialog", "_tel", "tel2",
    "电话", "手机", "联系", "致电", "电", "致",
]  # fmt: skip
_FOLDS = {"s": "ſ", "i": "İı", "k": "K"}


def _word(rng: random.Random) -> str:
    w = rng.choice(_WORDS)
    r = rng.random()
    if r < 0.3:
        w = w.upper()
    elif r < 0.5:
        w = "".join(c.upper() if rng.random() < 0.5 else c for c in w)
    if rng.random() < 0.4:
        w = "".join(
            rng.choice(_FOLDS[c.lower()]) if c.lower() in _FOLDS and rng.random() < 0.6 else c
            for c in w
        )
    return w


def _digits(rng: random.Random, lo: int = 1, hi: int = 6) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(lo, hi)))


def _date(rng: random.Random) -> str:
    a, b = rng.choice(".-/"), rng.choice(".-/")
    if rng.random() < 0.5:
        return f"{rng.randint(1900, 2030)}{a}{rng.randint(1, 12)}{b}{rng.randint(1, 31)}"
    return f"{rng.randint(1, 31):02d}{a}{rng.randint(1, 12)}{b}{rng.randint(1900, 2030)}"


_PIECES: list[Callable[[random.Random], str]] = [
    lambda r: _digits(r),
    lambda r: _digits(r, 2, 5),
    lambda r: _digits(r, 6, 12),
    lambda r: r.choice(["+", "(", ")", ".", "-", " ", "  ", "/", ": ", "\n", "\uffff"]),
    lambda r: r.choice(["x", "ext", "ext.", " x", "x ", " ext. "]),
    _date,
    lambda r: r.choice(["+86", "0086", "+1", "+44", "(0)", "+86 ", "+1-"]),
    lambda r: "1" + r.choice("3456789") + _digits(r, 9, 9),
    lambda r: "0" + _digits(r, 2, 3),
    lambda r: r.choice("23456789") + _digits(r, 2, 2),
    _word,
    _word,
    _word,
    lambda r: r.choice("中文号码，。：李ſKİı") + r.choice(["", "\uffff"]),
    lambda r: r.choice(["a", "b", "X", "Z", "_", "é", "e", "t"]),
    lambda r: r.choice(["Tel:", "tel.", "PHONE ", "call me at ", "WhatſApp: ", "DİAL "]),
    lambda r: f"({r.randint(200, 999)}) {r.randint(200, 999)}-{r.randint(0, 9999):04d}",
    lambda r: f"+{r.randint(1, 999)} {_digits(r, 1, 4)} {_digits(r, 3, 4)} {_digits(r, 3, 4)}",
    lambda r: "-".join(_digits(r, 4, 4) for _ in range(4)),
    lambda r: ".".join(str(r.randint(1, 255)) for _ in range(4)),
    lambda r: " " * r.randint(10, 24),
]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES)(rng) for _ in range(rng.randint(1, 25))) for _ in range(n)]


def test_same_findings_on_random_text(both: tuple[PiiDetector, PiiDetector]) -> None:
    assert _same(both, _random_texts(31, 6000)) > 500


EDGE_CASES = [
    "2006-12-13",
    "call 2006-12-13",
    "call 2006.12.13 or 13/12/2006",
    "tel 13800138000",
    "tel 138 0013 8000",
    "tel 010-62345678",
    "tel (010) 6234 5678",
    "+86 138 0013 8000",
    "0086 10 6234 5678",
    "6226-0996-2293-9984",
    "6226 0996 2293 9984 123",
    "10.108.21.55",
    "phone: 0490 75 40 81",
    "0490 75 40 81",
    "whatſapp 0490 75 40 81",
    "WHATSAPP 0490 75 40 81",
    "mobİle 0490 75 40 81",
    "mobıle: 020 7946 0958",
    "hotel 020 7946 0958",
    "telephone020 7946 0958",
    "tel_ 020 7946 0958",
    "电话020 7946 0958",
    "联系 0490.75.40.81",
    "call 0490.75-40.81",
    "call 1.234.567.8901",
    "(212) 555-0199",
    "212.555.0199",
    "212 555 0199 x123",
    "212-555-0199 ext. 45",
    "call 020 7946 0958 ext 12345",
    "020 7946 0958x1",
    "+44 20 7946 0958",
    "+44 (0) 20 7946 0958",
    "+1 (212) 555-0199 x12",
    "+33 1 23 45 67 89 12 34 56",
    "1234 5678 9012 3456 7890",
    "call\uffff 020 7946 0958",
    "call me" + " " * 20 + "020 7946 0958",
    "call me" + " " * 16 + "020 7946 0958",
    "text me 0490 75 40 81",
    "TEXT ME: 0490 75 40 81",
    "text  me 0490 75 40 81",
    "a+1 212 555 0199",
    "(+1 212 555 0199",
    "1.1 212 555 0199",
    "x020 7946 0958",
    "020 7946 09581",
    "020 7946 0958.5",
    "dial 12 34 56 78 90 12 34 56",
    "dial (12) 345 678",
    "fax 12-34-56-78",
    "fax 12-34-5678",
]


def test_hand_made_edge_cases(both: tuple[PiiDetector, PiiDetector]) -> None:
    assert _same(both, EDGE_CASES) > 10
    python, compiled = both
    assert compiled.detect_batch(EDGE_CASES) == python.detect_batch(EDGE_CASES)
    # records joined with U+FFFF: context words never reach across it
    records = [t for t in EDGE_CASES if "\uffff" not in t] + ["call", "020 7946 0958", "Tel"]
    batch = join_batch(records)
    assert batch is not None
    assert _raw(compiled, batch.text) == _raw(python, batch.text)
    assert compiled.detect_batch(records) == python.detect_batch(records)


def test_a_subclass_of_phone_goes_to_python() -> None:
    class Everything(PhoneRecognizer):
        def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
            return self.finding("pii.phone", match, 0.5)

    rec = Everything()
    assert native._check(rec, 0) == "defer"
    found = PiiDetector([rec], native=True).detect("on 2006-12-13 at 8.30")
    assert [f.kind for f in found] == ["pii.phone"]


def test_core_without_folds_keeps_every_phone_candidate() -> None:
    core = native._core
    assert core is not None
    pattern = PhoneRecognizer.patterns[0]
    spec = [
        (
            pattern.candidate.encode(),
            native.hyperscan_flags(False),
            "phone",
            *pattern.widen,
            pattern.reach,
        )
    ]
    bare = core.Core(spec, {}, [], finding_type=Finding, reporters=_reporters(core))
    data = b"on 2006-12-13"
    assert len(bare.find(data, len(data))[1]) == 1
    folded = core.Core(
        spec, {}, [], finding_type=Finding, reporters=_reporters(core), folds=native.phone_folds()
    )
    assert folded.find(data, len(data))[1] == []
    with pytest.raises(ValueError, match="folds"):
        core.Core(spec, {}, [], folds={"a": "aA"})


def _reporters(core: object) -> tuple[tuple[str, str, str], ...]:
    return tuple((kind, "x", "1") for kind in core.KINDS)  # type: ignore[attr-defined]


def _phone_kept(det: PiiDetector, ctx: ScanContext) -> list[tuple[int, int]]:
    """The phone candidates (start, end) that ``det``'s core hands to Python."""
    assert det._native is not None
    index = det._native.index
    deferred = det._native.core.find(ctx.data, len(ctx.text))[1]
    return [(s, e) for _, pid, s, e in deferred if type(index[pid][0]) is PhoneRecognizer]


def _needs_python(ctx: ScanContext, start: int, end: int) -> bool:
    """Whether `PhoneRecognizer.confirm` on the candidate calls libphonenumber or makes a
    finding: what the C filter must keep, and all it may keep."""
    rec = PhoneRecognizer()
    validated: list[str] = []

    def valid(value: str, regions: tuple[str | None, ...]) -> bool:
        validated.append(value)
        return PhoneRecognizer._valid(value, regions)

    rec._valid = valid  # type: ignore[method-assign]
    found = list(rec.confirm(ctx, 0, start, end))
    return bool(found or validated)


def test_the_filter_keeps_exactly_what_python_needs(
    both: tuple[PiiDetector, PiiDetector], monkeypatch: pytest.MonkeyPatch
) -> None:
    # not only the same findings: a candidate is dropped if and only if Python would
    # reject it without libphonenumber (nothing kept needlessly, nothing needed dropped)
    checks = dict(native.NATIVE_CHECKS)
    del checks[PhoneRecognizer]
    monkeypatch.setattr(native, "NATIVE_CHECKS", checks)
    unfiltered = PiiDetector(native=True)
    monkeypatch.undo()
    texts = _random_texts(37, 3000) + EDGE_CASES + [it.text for it in generate(300, seed=41)]
    kept = dropped = 0
    for text in texts:
        for nt in (normalize(text), NormalizedText(text, text, None)):
            ctx = ScanContext(nt)
            every = _phone_kept(unfiltered, ctx)
            expected = [c for c in every if _needs_python(ctx, *c)]
            assert _phone_kept(both[1], ctx) == expected, (nt.text, every, expected)
            kept += len(expected)
            dropped += len(every) - len(expected)
    assert kept > 1000 and dropped > 1000
