"""Recogniser building blocks for personal information.

A `PatternRecognizer` is, in Presidio's spirit, a candidate pattern plus a validator
(checksum, calendar, gazetteer) plus context words that raise or lower the score. All
pattern recognisers of a `PiiDetector` are compiled into ONE Hyperscan database and found
in a single pass over the UTF-8 bytes of the normalised text; each candidate is then
confirmed with an exact Python regular expression on its small window and validated.

Hyperscan has no look-around, so candidate patterns consume one boundary character on each
side (``(?:^|[^0-9])``); the exact Python pattern then decides where the value really is.
Hyperscan reports where each candidate ends, not where it starts (tracking starts costs a
quarter of the scan): the exact pattern searches from the most characters a candidate can
span (`Pattern.reach`) before that end.
"""

from __future__ import annotations

import bisect
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, cast

import numpy as np
import numpy.typing as npt

from aisec.detect.base import BATCH_SEPARATOR, Finding
from aisec.text import NormalizedText
from aisec.text.hsdb import byte_to_char


@dataclass(frozen=True)
class Pattern:
    """A candidate pattern: Hyperscan regex (UTF-8) and the exact Python regex.

    ``exact`` must match the value itself (group 0 = the value) and may use look-around.
    ``caseless`` applies to both. ``widen`` extends the window the exact pattern searches
    (characters before, after) for candidates that only mark the core of a value, such as
    the ``x@y`` of an e-mail address. A candidate must have a longest match (`reach`).
    """

    candidate: str
    exact: str
    caseless: bool = False
    widen: tuple[int, int] = (0, 1)

    def compiled(self) -> re.Pattern[str]:
        """The exact pattern, compiled."""
        return re.compile(self.exact, re.IGNORECASE if self.caseless else 0)

    @cached_property
    def reach(self) -> int:
        """The most characters a match of the candidate spans: a candidate reported at
        ``end`` is taken to start ``reach`` characters before it (ValueError when the
        candidate has no longest match)."""
        # CPython's own parser of regular expressions is the one that knows the widest
        # match; the candidates are written in the syntax `re` and Hyperscan share
        from re import _parser  # type: ignore[attr-defined]

        widest = cast(int, _parser.parse(self.candidate).getwidth()[1])
        if widest >= _parser.MAXREPEAT:
            raise ValueError(f"candidate pattern without a longest match: {self.candidate!r}")
        return widest


#: UTF-8 continuation bytes (``10xxxxxx``): without them, one byte is left per character
_CONTINUATION = bytes(range(0x80, 0xC0))
#: a text of at most this many bytes resolves its first byte offsets by counting...
_COUNT_MAX_BYTES = 1024
#: ...this many of them, before building the whole byte→char map (a numpy pass that
#: costs as much as a dozen counts on such a text)
_COUNT_BUDGET = 12


class ScanContext:
    """One normalised text being scanned: the text, its UTF-8 bytes and the byte→char map."""

    __slots__ = ("_budget", "_char_of_byte", "data", "nt", "text")

    def __init__(self, nt: NormalizedText) -> None:
        self.nt = nt
        self.text = nt.text
        self.data = nt.text.encode("utf-8")
        self._char_of_byte: npt.NDArray[np.int64] | None = None
        self._budget = _COUNT_BUDGET if len(self.data) <= _COUNT_MAX_BYTES else 0

    def _map(self) -> npt.NDArray[np.int64]:
        if self._char_of_byte is None:
            self._char_of_byte = byte_to_char(self.data)
        return self._char_of_byte

    def _count(self, byte_offset: int) -> int:
        """``byte_to_char(self.data)[byte_offset]`` for ``0 <= byte_offset <= len(data)``,
        without the map: the character that starts at or contains the byte is the number of
        characters started up to it, less one; ``len(data)`` maps to the character count."""
        if byte_offset == len(self.data):
            return len(self.text)
        return len(self.data[: byte_offset + 1].translate(None, _CONTINUATION)) - 1

    def char_offset(self, byte_offset: int) -> int:
        """Character index of a byte offset (byte offsets from Hyperscan)."""
        if len(self.data) == len(self.text):  # pure ASCII
            return byte_offset
        if self._char_of_byte is None and self._budget and 0 <= byte_offset <= len(self.data):
            self._budget -= 1
            return self._count(byte_offset)
        return int(self._map()[byte_offset])

    def char_offsets(self, byte_offsets: list[int]) -> list[int]:
        """`char_offset` for many offsets at once."""
        if len(self.data) == len(self.text) or not byte_offsets:
            return byte_offsets
        n = len(self.data)
        if (
            self._char_of_byte is None
            and len(byte_offsets) <= self._budget
            and all(0 <= b <= n for b in byte_offsets)
        ):
            self._budget -= len(byte_offsets)
            return [self._count(b) for b in byte_offsets]
        return self._map()[np.asarray(byte_offsets, dtype=np.int64)].tolist()  # type: ignore[no-any-return]

    def window(self, start: int, end: int, before: int, after: int = 0) -> str:
        """Text around a span (for context words), clipped to the text and to the record
        (a batch joins records with `BATCH_SEPARATOR`; context never crosses it)."""
        lo = max(0, start - before)
        hi = min(len(self.text), end + after)
        cut = self.text.rfind(BATCH_SEPARATOR, lo, start)
        if cut >= 0:
            lo = cut + 1
        cut = self.text.find(BATCH_SEPARATOR, end, hi)
        if cut >= 0:
            hi = cut
        return self.text[lo:hi]


class Recognizer(ABC):
    """Finds one family of personal information in normalised text."""

    name: ClassVar[str]
    version: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]

    @abstractmethod
    def find(self, ctx: ScanContext) -> Iterable[Finding]:
        """Findings with offsets into ``ctx.text`` (normalised)."""


class PatternRecognizer(Recognizer):
    """A recogniser whose candidates come from the shared Hyperscan pass.

    Subclasses set ``patterns`` and implement `accept`, which validates the exact match
    and returns a finding or ``None``. `find` is not used for them: `PiiDetector` calls
    `accept` for each candidate instead.
    """

    patterns: ClassVar[Sequence[Pattern]]
    #: kinds that claim this recogniser's numbers: a candidate whose digits all lie inside
    #: one accepted finding of these kinds is not confirmed (a fragment of a Chinese mobile
    #: number is not also an international phone number). Such candidates are confirmed
    #: after all the others (`confirm_yielding`).
    yields_to: ClassVar[frozenset[str]] = frozenset()
    _exact: list[re.Pattern[str]]

    def __init__(self) -> None:
        self._exact = [p.compiled() for p in self.patterns]

    def find(self, ctx: ScanContext) -> Iterable[Finding]:  # pragma: no cover - unused
        return ()

    def confirm(self, ctx: ScanContext, pattern: int, start: int, end: int) -> Iterable[Finding]:
        """Run the exact pattern on the candidate window and validate each match that
        overlaps the candidate."""
        before, after = self.patterns[pattern].widen
        exact = self._exact[pattern]
        lo, hi = max(0, start - before), min(len(ctx.text), end + after)
        for windowed in exact.finditer(ctx.text, lo, hi):
            if windowed.start() >= end:
                break  # neither it nor any later match overlaps the candidate
            m: re.Match[str] | None = windowed
            if windowed.end() == hi < len(ctx.text):
                # the window cut the match (and fooled its look-ahead): match again uncut
                m = exact.match(ctx.text, windowed.start())
            if m is None or m.end() <= start or m.start() >= end:
                continue
            found = self.accept(ctx, m, pattern)
            if found is not None:
                yield found

    @abstractmethod
    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        """Validate one exact match; return a finding (normalised offsets) or ``None``."""

    def finding(self, kind: str, match: re.Match[str], score: float, group: int = 0) -> Finding:
        """A finding for ``match`` (or one of its groups) from this recogniser."""
        return Finding(kind, match.start(group), match.end(group), score, self.name, self.version)


def has_context(window: str, words: Iterable[str]) -> bool:
    """True when any context word occurs in ``window`` (case-insensitive for Latin)."""
    low = window.lower()
    return any(w in low for w in words)


#: a pattern recogniser's candidate held back until the others are confirmed:
#: (recogniser, pattern number, start, end)
Held = tuple[PatternRecognizer, int, int, int]


def confirm_yielding(
    ctx: ScanContext, held: Sequence[Held], found: Sequence[Finding]
) -> list[Finding]:
    """Confirm the held-back candidates of recognisers with `PatternRecognizer.yields_to`,
    skipping each one whose number (`number_start`) has all its digits inside one
    ``found`` finding of those kinds."""
    out: list[Finding] = []
    claims: dict[frozenset[str], tuple[list[int], list[int]]] = {}
    for rec, local, start, end in held:
        spans = claims.get(rec.yields_to)
        if spans is None:
            ranked = sorted((f.start, f.end) for f in found if f.kind in rec.yields_to)
            spans = claims[rec.yields_to] = ([s for s, _ in ranked], [e for _, e in ranked])
        number = number_start(ctx.text, end, rec.patterns[local].reach)
        if spans[0] and _digits_inside(ctx.text, number, end, spans):
            continue
        out.extend(rec.confirm(ctx, local, start, end))
    return out


#: what numbers are written with: digits and the punctuation inside phone numbers
_NUMBER_CHARS = frozenset("0123456789 .-()+")


def number_start(text: str, end: int, reach: int) -> int:
    """Where the number a candidate ends in starts: the run of digits and number
    punctuation (`_NUMBER_CHARS`) right before ``end``, at most ``reach`` characters. (A
    candidate is reported by its end; the characters before the number are not its own.)"""
    p = end
    while p > 0 and end - p < reach and text[p - 1] in _NUMBER_CHARS:
        p -= 1
    return p


def _digits_inside(text: str, start: int, end: int, spans: tuple[list[int], list[int]]) -> bool:
    """True when every ASCII digit of ``text[start:end]`` lies inside one of the sorted,
    disjoint ``spans`` (starts, ends)."""
    first = next((i for i in range(start, end) if "0" <= text[i] <= "9"), -1)
    if first < 0:
        return False
    last = next(i for i in range(end - 1, first - 1, -1) if "0" <= text[i] <= "9")
    k = bisect.bisect_right(spans[0], first) - 1
    return k >= 0 and spans[1][k] > last
