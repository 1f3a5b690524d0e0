"""English person names: capitalised tokens scored with census name lists and context.

A run of two to four capitalised tokens (middle initials and particles such as *van*, *de*
allowed) is a name when its first token is a known first name, its last token a known last
name, or a title or context phrase (Mr., Dr., "my name is", "signed", "Dear") comes before
it. A single token is a name when it is an unambiguous first name or follows a strong
context phrase. Words that are usually something else (months, place and organisation
words) block a run. Known first names and context phrases are found with one Hyperscan
database; the rest of the work is per candidate.

`aisec.detect.pii._names_en` (C) is the same finder; the recogniser uses it where it is
built and compiled code is not switched off (``AISEC_NATIVE=0``). `find_english_names`
stays the reference: a change to it (patterns, word lists, scores) needs the same change in
``_names_en.c`` (tests/detect/test_names_en_native.py compares the two, finding for
finding).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import hyperscan

from aisec.detect.pii.base import ScanContext
from aisec.detect.pii.gazetteer import load_weights, word_list
from aisec.detect.pii.native import cached_build, extension
from aisec.runtime import native_enabled
from aisec.text.hsdb import Matcher, compile_database

_UP = "A-ZÀ-ÖØ-ÞĀ-Ž"
_LO = "a-zß-öø-ÿā-ž"
TOKEN = rf"(?:Mc|Mac)?[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+|['’][{_UP}][{_LO}]+|['’][{_LO}]{{2,}})?"
PARTICLE = r"(?:van|von|de|da|di|del|della|der|den|la|le|du|dos|das|bin|ibn|al|ter|ten|y)"
_SEQ = re.compile(
    rf"(?<![\w.@/]){TOKEN}(?:[ \t]+(?:[A-Z]\.?[ \t]+)?(?:{PARTICLE}[ \t]+)*{TOKEN}){{1,3}}(?![\w@])"
)
_UPPER = re.compile("[A-Z]")
_SINGLE_AFTER = re.compile(rf"[ \t]*({TOKEN})(?![\w@])")

TITLES = r"mr|mrs|ms|miss|mx|dr|prof|sir|dame|lord|lady|rev|fr|capt|sgt|col|gen|hon|judge|madam"
STRONG_BEFORE = (
    r"(?:my name is|name is|my name's|i am|i'm|this is|named|called|name:|"
    r"signed|signed by|sincerely|regards|cheers|dear|hi|hello|hey|attn:?|attention:?|"
    r"contact|patient|customer|client|applicant|directed by|starring|written by|by author|"
    r"says|said|according to|spoke to|talked to|tell|ask|thanks|thank you|meet|player|actor|"
    r"actress|singer|president|ceo|manager|officer|agent|doctor|nurse|mister|miss)[ \t:,]*$"
)
_STRONG_AFTER = re.compile(
    r"^(?:,? (?:says|said|wrote|told|asked|replied|explained|added|is a|was a|was born|"
    r"is an|has been|had|and (?:his|her) )|'s |’s |, (?:who|the|a|an|[0-9]))"
)

# Capitalised words that are seldom a person's name although a census list has them.
NOT_NAMES = frozenset(
    word_list(
        """
        the a an this that these those it its he she we they you your our my his her
        their i and or but so if in on at of to for from with by as is are was were be
        been will would can could should may might must do does did not no yes ok okay
        please thanks thank hi hello hey dear what when where why how who which there
        here all any some each every new old north south east west northern southern
        eastern western central upper lower great grand big little high low long short
        young good best first last next late early street st avenue ave road rd lane
        ln drive dr boulevard blvd court ct place way square park hill hills lake
        river mount mountain island beach bay valley city town county state states
        country kingdom republic union united national international federal royal
        royale prince princess king queen president minister senator governor mayor
        general captain doctor professor saint sir lady lord judge officer sergeant
        chief bank company corp inc ltd llc group university college school academy
        hospital center centre institute museum library church club team orchestra
        band force army navy police border court house senate congress parliament
        party council committee department office service services association
        foundation society agency authority airport station hotel restaurant cafe
        market store shop mall tower building bridge january february march april may
        june july august september october november december monday tuesday wednesday
        thursday friday saturday sunday christmas easter god lord jesus christ allah
        buddha internet web online email phone mobile card credit account customer
        client user admin support manager team member patient english french german
        spanish italian chinese japanese russian american british european african
        asian canadian australian indian irish scottish autumn winter spring moon
        silver diamond blue red pink orange mr mrs ms miss mx dr prof rev capt sgt col
        gen hon plc gmbh ag sa nv bv oy ab pty co corporation limited holdings
        partners associates industries systems solutions technologies labs media
        capital ventures global sons brothers lines airlines motors foods pharma
        energy inc. orchestra trio quartet africa america asia europe france germany
        spain italy china japan russia india brazil canada mexico england scotland
        ireland wales britain australia zealand argentina chile peru colombia
        venezuela egypt israel turkey greece poland sweden norway denmark finland
        iceland estonia latvia lithuania ukraine belgium netherlands holland austria
        hungary czech slovakia slovenia croatia serbia romania bulgaria portugal
        switzerland cyprus tunisia morocco algeria kenya nigeria ghana korea vietnam
        thailand indonesia malaysia singapore philippines pakistan iran iraq uruguay
        paraguay bolivia ecuador cuba jamaica london paris berlin madrid rome tokyo
        beijing moscow sydney toronto chicago boston washington york angeles francisco
        jersey texas california florida virginia carolina georgia dakota
        """
    )
)
AMBIGUOUS_FIRST = frozenset(
    word_list(
        """
        will may mark bill rose june april august grace hope faith joy dawn art guy
        jack don chase page sky summer star sun gold ruby crystal pearl iris lily
        daisy holly ivy angel king major earl duke baron christian royal young long
        love rich sterling max sunny misty candy cherry penny sandy rusty buck colt
        hunter miles carol
        """
    )
)


@lru_cache(maxsize=1)
def _lists() -> tuple[dict[str, float], dict[str, float]]:
    return load_weights("en_first_names.tsv"), load_weights("en_last_names.tsv")


BASE_START, BASE_MID = 0.25, 0.45  # evidence of a capitalised run with nothing else known
_RUN, _CONTEXT, _TITLE = 0, 1, 2  # pattern ids; first names follow from 3
NO_CONTEXT, STRONG, TITLE = 0, 1, 2  # what comes before a candidate


@lru_cache(maxsize=1)
def _db() -> tuple[Matcher, list[int]]:
    """Hyperscan: two capitalised words in a row, context phrases, and known first names;
    and the length of each first name by pattern id.

    First names are plain literals (fast to compile); their right boundary is checked
    afterwards.
    """
    exprs, flags, lengths = _expressions()
    return compile_database(exprs, flags), lengths


@lru_cache(maxsize=1)
def _expressions() -> tuple[list[bytes], list[int], list[int]]:
    """The expressions and flags of `_db` (pattern ids from 0), and the length of each
    first name (in characters) by pattern id."""
    first, _ = _lists()
    names = [n.capitalize() for n, f in first.items() if f >= 2 and n not in NOT_NAMES]
    context = STRONG_BEFORE.removesuffix("[ \\t:,]*$")
    exprs = [
        rf"[{_UP}][{_LO}]+[ \t]+(?:[A-Z]\.?[ \t]+)?[{_UP}][{_LO}]".encode(),
        rf"\b(?i:{context})[ \t:,]+[A-Z]".encode(),
        rf"\b(?i:{TITLES})\.?[ \t]+[A-Z]".encode(),
        *(n.encode() for n in names),
    ]
    flags = [hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8, 0, 0] + [0] * len(names)
    return exprs, flags, [0, 0, 0] + [len(n) for n in names]


def _tokens(span: str) -> list[str]:
    """The tokens of a run: `_SEQ` separates them with spaces and tabs, and no other white
    space can occur in a run, so ``str.split`` splits it as the blanks would."""
    return span.split()


class _SpacedWords:
    """Per record of a batch (texts joined with U+FFFF): the words that stand between two
    spaces, so ``" word " in record`` is a set lookup instead of a scan of the record."""

    __slots__ = ("_cache", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._cache: dict[int, frozenset[str]] = {}

    def __call__(self, pos: int) -> frozenset[str]:
        text = self._text
        lo = text.rfind("\uffff", 0, pos) + 1
        words = self._cache.get(lo)
        if words is None:
            hi = text.find("\uffff", pos)
            record = text[lo : len(text) if hi < 0 else hi]
            words = frozenset(record.split(" ")[1:-1])
            self._cache[lo] = words
        return words


def _sentence_start(text: str, start: int) -> bool:
    j = start
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return j == 0 or text[j - 1] in '.!?\n"“(:>\uffff'


def _score_run(
    toks: list[str],
    low: list[str],
    before: int,
    sentence_start: bool,
    after: str,
    spaced: Callable[[], frozenset[str]],
) -> float:
    """Evidence that capitalised tokens ``toks`` (``low``: in lower case) are one person's
    name (0 = none)."""
    if not NOT_NAMES.isdisjoint(low):
        return 0.0
    first, last = _lists()
    s = BASE_START if sentence_start else BASE_MID
    first_known = low[0] in first
    if first_known:
        s += 0.2 if low[0] in AMBIGUOUS_FIRST else 0.45
    if len(toks) > 1 and low[-1] in last:
        s += 0.3
    if not "".join(toks).isascii() and first.keys().isdisjoint(low) and last.keys().isdisjoint(low):
        s += 0.2  # accented Latin: a European name rather than an English word
    context = 0.5 if before == TITLE else 0.4 if before == STRONG else 0.0
    follow = 0.25 if _STRONG_AFTER.match(after) else 0.0
    if not first_known:
        if s + context + follow < 0.5 - 1e-9:
            return 0.0  # fails even before the penalties: skip looking them up
        # Title Case phrases ("Creative Writer"): words also used in lower case nearby
        words = spaced()  # this record's words
        s -= 0.3 * sum(t in words for t in low)
        s -= 0.2 * (len(toks) > 2)
    if context:
        s += context
    if follow:
        s += follow
    return s


_C = extension("_names_en")  # find_english_names in C (None: not built)


def english_name_finder() -> Any:
    """The C version of `find_english_names` (``english_name_finder().names(text,
    data)`` is ``list(find_english_names(ctx))`` for ``ctx.text``, ``ctx.data``), or
    None when it is not built or compiled code is switched off."""
    return _compiled_finder() if _C is not None and native_enabled() else None


@lru_cache(maxsize=1)
def _compiled_finder() -> Any:
    """The C finder over this module's expressions, name lists and word lists."""
    c = _C
    assert c is not None
    exprs, flags, lengths = _expressions()
    first, last = _lists()
    args = (exprs, flags, lengths, first, last, NOT_NAMES, AMBIGUOUS_FIRST, (BASE_START, BASE_MID))
    return cached_build(
        "names-en",
        c.HYPERSCAN_VERSION,
        list(zip(exprs, flags, strict=True)),
        lambda blob: c.Finder(*args, database=blob),
        lambda made: made.serialize(),
    )


def find_english_names(ctx: ScanContext) -> Iterator[tuple[int, int, float]]:
    """``(start, end, confidence)`` of English names in the normalised text (the
    reference of the C finder)."""
    text, data = ctx.text, ctx.data
    if _UPPER.search(text) is None:
        return
    db, lengths = _db()
    runs: list[int] = []
    singles: set[int] = set()
    strong: set[int] = set()
    titled: set[int] = set()
    n = len(data)

    def on_match(pid: int, s: int, e: int, _f: int, _c: object) -> None:
        if pid > _TITLE:  # a first name (most hits)
            if e == n or not (97 <= data[e] <= 122 or data[e] >= 0x80):
                singles.add(e - lengths[pid])
        elif pid == _RUN:
            runs.append(s)
        elif pid == _CONTEXT:
            strong.add(e - 1)
        else:
            titled.add(e - 1)

    db.scan(data, on_match)
    singles |= strong | titled
    # byte offsets -> character offsets, all in one step (the map keeps their order); a
    # run start found twice (for two ends) would only be skipped the second time
    run_bytes, single_bytes = sorted(set(runs)), sorted(singles)
    offsets = ctx.char_offsets([*run_bytes, *single_bytes, *strong, *titled])
    k, j = len(run_bytes), len(run_bytes) + len(single_bytes)
    run_starts, single_starts = offsets[:k], offsets[k:j]
    strong = set(offsets[j : j + len(strong)])
    titled = set(offsets[j + len(strong) :])

    def before(pos: int) -> int:
        return TITLE if pos in titled else STRONG if pos in strong else NO_CONTEXT

    found: list[tuple[int, int, float]] = []
    spaced_words = _SpacedWords(text)
    last_end = -1
    for pos in run_starts:
        if pos < last_end:
            continue
        m = _SEQ.match(text, pos)
        if m is None:
            continue
        last_end = m.end()
        hit = _score_match(text, m.start(), m.end(), before, spaced_words)
        if hit is not None:
            found.append(hit)
    found_starts = [s for s, _, _ in found]  # runs: sorted and disjoint
    for pos in single_starts:
        i = bisect.bisect_right(found_starts, pos) - 1
        if (i >= 0 and found[i][1] > pos) or (pos > 0 and text[pos - 1].isalnum()):
            continue
        m = _SINGLE_AFTER.match(text, pos)
        if m is None or (m.end(1) < len(text) and text[m.end(1)] in "@."):
            continue
        if _is_date_part(text, m.start(1), m.end(1)):
            continue
        score = _score_single(m.group(1).lower(), before(pos), text[m.end() : m.end() + 20])
        if score >= 0.5:
            found.append((m.start(1), m.end(1), round(min(0.9, 0.35 + 0.5 * score), 3)))
    yield from sorted(found)


def _score_match(
    text: str, start: int, end: int, before: Callable[[int], int], spaced_words: _SpacedWords
) -> tuple[int, int, float] | None:
    """Score one run of capitalised tokens, after trimming words that are not names."""
    toks = _tokens(text[start:end])
    low = [t.lower() for t in toks]
    trimmed = False
    while toks and low[0] in NOT_NAMES:
        start = text.index(toks[0], start) + len(toks[0])
        toks.pop(0)
        low.pop(0)
        trimmed = True
    while toks and low[-1] in NOT_NAMES:
        end = text.rindex(toks[-1], start, end)
        toks.pop()
        low.pop()
        trimmed = True
    if not toks:
        return None
    if trimmed:  # (untrimmed, the run starts with its first token and ends with its last)
        start = text.index(toks[0], start)
        end = text.rindex(toks[-1], start, end) + len(toks[-1])
    after = text[end : end + 20]
    if len(toks) == 1:
        score = _score_single(low[0], before(start), after)
    else:
        # a batch joins texts with U+FFFF: look for lower-case uses in this text only
        score = _score_run(
            toks,
            low,
            before(start),
            _sentence_start(text, start),
            after,
            lambda: spaced_words(start),
        )
    if score < 0.5:
        return None
    return start, end, round(min(0.95, 0.4 + 0.5 * score), 3)


_MONTH = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?$")
_DIGITS_BEFORE = re.compile(r"\d{1,4}[ \t,]*$")
_DIGITS_AFTER = re.compile(r"[ \t,]*\d{1,4}")


def _is_date_part(text: str, start: int, end: int) -> bool:
    """ "Jan" in "13 Jan 2009" or "June 5": a month beside a number, not a first name."""
    if not _MONTH.match(text, start, end):
        return False
    return bool(
        _DIGITS_BEFORE.search(text, max(0, start - 8), start) or _DIGITS_AFTER.match(text, end)
    )


def _score_single(low: str, before: int, after: str) -> float:
    """Evidence that one capitalised token (``low``: in lower case) is a person's name."""
    if low in NOT_NAMES:
        return 0.0
    s = 0.0
    first, last = _lists()
    if low in first:
        s += 0.15 if low in AMBIGUOUS_FIRST else 0.5
    elif low in last:
        s += 0.1
    if before == TITLE:
        s += 0.6
    elif before == STRONG:
        s += 0.55
    if _STRONG_AFTER.match(after):
        s += 0.2
    return s
