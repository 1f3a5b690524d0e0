"""English (and common European) street addresses.

Forms: house number + street name + street suffix (USPS suffix list: Street/St, Avenue/Ave,
Road/Rd …) with an optional unit (Apt, Suite, #) and an optional city, state and ZIP;
P.O. boxes and US military addresses (PSC/Unit … Box …, APO/FPO/DPO); and the European
forms "Rue de la Paix 12", "Hammarvägen 15". Hyperscan finds the anchors (a suffix word after
a number, a box, a European street word); a Python regular expression on a window around
each anchor takes the exact span.

`aisec.detect.pii._address_en` (C) is the same finder; the recogniser uses it where it is
built and compiled code is not switched off (``AISEC_NATIVE=0``). `find_english_addresses`
stays the reference: a change to it (patterns, word lists, windows, scores) needs the same change in
``_address_en.c`` (tests/detect/test_address_en_native.py compares the two, finding for
finding, and each regular expression alone with `re`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import hyperscan

from aisec.detect.pii.base import ScanContext
from aisec.detect.pii.gazetteer import word_list
from aisec.detect.pii.native import cached_build, extension
from aisec.runtime import native_enabled
from aisec.text.hsdb import Matcher, compile_database

SUFFIXES = word_list(
    """
    Street St Str Avenue Ave Av Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Way Place
    Pl Terrace Ter Terr Circle Cir Parkway Pkwy Highway Hwy Square Sq Squares Trail Trl
    Crescent Cres Close Grove Gardens Gdns Garden Park Row Walk Alley Aly Loop Path Pike
    Plaza Plz Point Pt Ridge Rdg Run Crossing Xing Expressway Expy Freeway Fwy Turnpike Tpke
    Heights Hts Hill Hills Manor Mews Meadow Meadows Mill Mills Center Ctr Commons Estates
    Falls Ferry Fields Flats Forest Fork Forks Gateway Glen Glens Green Greens Harbor
    Harbour Haven Island Isle Junction Jct Knoll Knolls Landing Lake Lakes Lodge Motorway
    Mount Mountain Orchard Oval Pass Passage Pines Plain Plains Port Prairie Ranch Rapids
    Route Rte Shore Shores Spring Springs Spur Station Stream Summit Trace Track Tunnel
    Union Unions Valley Viaduct View Views Villa Village Villages Vista Wharf Creek Cove
    Bend Bluff Bluffs Branch Bridge Brook Brooks Burg Bypass Camp Canyon Cape Causeway Cliff
    Cliffs Common Corner Corners Course Courts Dale Dam Divide Drives Extension Ext Flat
    Ford Fords Fort Hollow Inlet Islands Lanes Lights Locks Mall Mission Neck Overpass Parks
    Parkways Points Ports Radial Ramp Ridges River Rivers Roads Shoals Streets Underpass
    Valleys Ways Wells Gate Rise Quay Wynd Parade Esplanade Broadway
    """
)
EURO_PREFIX = (
    r"Rue|Avenue|Av\.|Avda\.?|Avenida|Via|Viale|Vicolo|Corso|Piazza|Piazzale|Calle|Carrer|"
    r"Camino|Paseo|Plaza|Rua|Travessa|Largo|Praça|Estrada|Boulevard|Bd|Chemin|Allée|Impasse|"
    r"Place|Route|Quai|Cours|ul\.|ulica|al\.|aleja|os\.|pl\.|Strada|Bulevardul|Calea|Odos|"
    r"Leoforos|Jana|Ulitsa"
)
EURO_SUFFIX = (
    r"katu|kuja|tie|polku|väylä|kaari|rinne|vägen|gatan|gränd|väg|gata|stigen|vej|veien|"
    r"vegen|vagen|vag|gate|gade|stræde|straede|allé|alle|laan|straat|weg|steeg|plein|gracht|kade|dreef|singel|"
    r"straße|strasse|str\.|gasse|allee|platz|damm|ufer|utca|út|tér|cesta|ulice|iela|"
    r"gatve|tänav|tanav|tee|vegur|gata|braut|stræti|straeti|út"
)
_L = "A-Za-zÀ-ɏ"  # Latin letters (street words; never CJK)
_W = rf"[{_L}][{_L}0-9'’.-]*"  # a word of a street name
_NL = r"(?:,?(?:[ \t]*\n[ \t]*[>?]*)*[ \t]*)"  # a line break, maybe e-mail quoted
_UNIT = (
    r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Room|Rm\.?|Floor|Fl\.?|Flat|Bldg\.?|#)[ \t]*#?[\w-]+"
)
# city, region and country lines (or comma parts) ending in a postal code
_CITY = r"(?:(?:(?:,[ \t]*|(?:[ \t]*\n[ \t]*[>?]*)+[ \t]*)[^\W\d_][^\n\d\uffff]{0,40}?){1,4}[ \t,]+\d{4,6}(?:-\d{4})?(?!\d))"
SUFFIX_RE = "|".join(sorted(SUFFIXES, key=len, reverse=True))
# Both number-first patterns begin with the digit itself (the "no word character before it"
# check comes right after): ``re`` then skips to digits at C speed, which is what lets them
# run over a whole text instead of windows around anchors.
STREET = re.compile(
    rf"\d(?<![\w.-]\d)\d{{0,5}}[A-Za-z]?(?:[ \t]+\d{{1,6}})?(?:[ \t]+(?:{_W})){{0,4}}?[ \t]+"
    rf"(?:{SUFFIX_RE})\.?(?![\w])(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b\.?)?"
    rf"(?:[ \t]+(?:{_W})(?=[ \t\n,]+{_UNIT}))?"
    rf"(?:{_NL}{_UNIT})*{_CITY}?"
)
BOX = re.compile(
    r"(?<![\w])(?:P\.?[ \t]?O\.?[ \t]+Box|Post Office Box|PO Box)[ \t]+\d+"
    r"|(?:PSC|Unit|CMR)[ \t]+\d+,?[ \t]+Box[ \t]+\d+(?:,?[ \t\n]*(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5})?"
    r"|(?:USNS|USNV|USS|USCGC)[ \t]+\w+(?:,?[ \t\n]*(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5})",
    re.IGNORECASE,
)
EURO = re.compile(
    rf"(?<![\w])(?:\d{{1,6}}[ \t]+)?(?:(?:{EURO_PREFIX})[ \t]+(?:{_W}[ \t]+){{0,4}}?\d{{1,5}}[A-Za-z]?(?![\w])"
    rf"|[^\W\d_]*(?:{EURO_SUFFIX})[ \t]+\d{{1,5}}[A-Za-z]?(?![\w]))"
    rf"\.?(?:{_NL}{_UNIT})*{_CITY}?",
    re.IGNORECASE,
)
_MEASURE = (
    r"hours?|days?|weeks?|months?|years?|minutes?|times|percent|people|pages?|items?|pcs|kg|km|mg"
)
# house number, a capitalised street name, a number: "78321 Ombù 9091", "353 Buerlia 227"
# "09 Nov 2006" has the same shape as "78321 Ombù 9091": a month is never a street name
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
NUMBERED = re.compile(
    rf"\d(?<![\w.,-]\d)\d{{0,5}}[ \t]+(?!{MONTH}[ \t,]+\d)[A-ZÀ-ÞĀ-ɏ][{_L}'’.-]*(?:[ \t]+{_W}){{0,4}}?"
    rf"[ \t]+\d{{1,5}}[A-Za-z]?\.?(?![\w]|[ \t]+(?:{_MEASURE})\b)(?:{_NL}{_UNIT})*{_CITY}?"
)


_DIGIT = re.compile("[0-9]")


@lru_cache(maxsize=1)
def _db() -> Matcher:
    return compile_database(*_expressions())


def _expressions() -> tuple[list[bytes], list[int]]:
    """The expressions and flags of `_db` (pattern ids from 0)."""
    exprs = [
        rb"(?i)\b(?:P\.? ?O\.?\s+Box|PO Box|PSC|Unit|CMR)\s+\d|\b(?:USNS|USNV|USS|USCGC)\s",
        # street words are written capitalised ("Via Roma 12"), Polish abbreviations in lower
        # case ("ul. Długa 5"): a case-sensitive anchor keeps "via e-mail" from firing
        rf"\b(?:{EURO_PREFIX})\s".encode(),
        rf"(?i)(?:{EURO_SUFFIX})\s+\d".encode(),
        # supersets of the heads of STREET and NUMBERED (house number … street suffix or
        # second number): the exact patterns only search where a head ending there can
        # start (`_head_start`). Their street words are the exact patterns' (`_W`), not any
        # run of non-blanks: a looser anchor fired on most numbers in running text and cost
        # twice the time. No start of match: it doubled the cost of the scan
        rf"\d+[A-Za-z]?(?:[ \t]+[^ \t\n]+)?(?:[ \t]+{_W}){{0,4}}[ \t]+(?:{SUFFIX_RE})"
        rf"(?:[^A-Za-z0-9_]|$)".encode(),
        rf"\d+[ \t]+[A-ZÀ-ÞĀ-ɏ][{_L}'’.-]*(?:[ \t]+{_W}){{0,4}}[ \t]+\d".encode(),
    ]
    # (with HS_FLAG_UCP, \d is any decimal digit, as in the exact patterns)
    ucp = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP
    return exprs, [hyperscan.HS_FLAG_UTF8] * 3 + [ucp] * 2


_STREET_ANCHOR, _NUMBERED_ANCHOR = 3, 4  # pattern ids in `_db`
#: runs of non-blanks a STREET or NUMBERED head may take, with the anchor's last character:
#: house number, second number, four street words, the suffix or number (seven), plus one
_HEAD_TOKENS = 8
# how far after an anchor's end an exact match may run (unit, city, postal code)
_ANCHOR_AFTER = 480


_BOX_WINDOW = (10, 80)  # characters before and after a box anchor's end
_WORD_BEFORE = re.compile(r"[^\W\d_][\w'’.-]{0,40}$")
_NUMBER_BEFORE = re.compile(r"\d{1,6}[ \t]+$")
_WHOLE = ((STREET, 0.88), (NUMBERED, 0.8))
_EURO_SCORE, _BOX_SCORE = 0.85, 0.88


_C = extension("_address_en")  # find_english_addresses in C (None: not built)


def english_address_finder() -> Any:
    """The C version of `find_english_addresses` (``english_address_finder().find(
    text, data)`` is ``list(find_english_addresses(ctx))`` for ``ctx.text``,
    ``ctx.data``), or None when it is not built or compiled code is switched off."""
    return _compiled_finder() if _C is not None and native_enabled() else None


def _alternatives(alternation: str) -> list[tuple[str, bool]]:
    """The words of a regular-expression alternation of words, each with whether an
    optional dot follows it (``Apt\\.?``); escaped dots are kept as dots."""
    out = []
    for alt in alternation.split("|"):
        dot = alt.endswith(r"\.?")
        word = alt.removesuffix(r"\.?").replace(r"\.", ".")
        if not word or re.search(r"[\\?*+()\[\]{}]", word):
            raise ValueError(f"not a plain word: {alt!r}")
        out.append((word, dot))
    return out


def _group(pattern: str) -> str:
    """The alternation of the group ``(?:...)`` that ``pattern`` starts with."""
    assert pattern.startswith("(?:")
    return pattern[3 : pattern.index(")")]


def _measure_words() -> list[str]:
    """The words `_MEASURE` matches (``hours?``: hour, hours)."""
    out = []
    for alt in _MEASURE.split("|"):
        out += [alt[:-2], alt[:-1]] if alt.endswith("s?") else [alt]
    return out


@lru_cache(maxsize=1)
def _case_tables() -> tuple[dict[int, int], list[bytes]]:
    """What re.IGNORECASE matches, as `re` decides it: for every character that a
    case-insensitive literal of EURO, BOX or _UNIT can match, the smallest character of
    its class; and bitmaps over the BMP of the case-insensitive classes [A-Za-z], [_L]
    and [_L0-9'’.-] (no character beyond the BMP matches them)."""
    words = [
        w for alts in (EURO_PREFIX, EURO_SUFFIX, _group(_UNIT)) for w, _ in _alternatives(alts)
    ]
    chars = sorted(
        set("".join(words)) | set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    )
    bmp = "".join(map(chr, range(0x10000)))
    candidates = "".join(
        m.group() for m in re.finditer("[" + re.escape("".join(chars)) + "]", bmp, re.IGNORECASE)
    )
    fold: dict[int, int] = {}
    for x in chars:
        same = re.findall(re.escape(x), candidates, re.IGNORECASE)
        rep = min(map(ord, same))
        for c in same:
            if fold.setdefault(ord(c), rep) != rep:
                raise ValueError(f"{c!r} matches two case-insensitive classes")
    bitmaps = []
    for cls in ("[A-Za-z]", f"[{_L}]", f"[{_L}0-9'’.-]"):
        bits = bytearray(8192)
        for m in re.finditer(cls, bmp, re.IGNORECASE):
            c = m.start()
            bits[c >> 3] |= 1 << (c & 7)
        bitmaps.append(bytes(bits))
    return fold, bitmaps


def _finder_args() -> tuple[Any, ...]:
    """The arguments of the C ``Finder`` (before ``database=``): this module's expressions,
    word lists, case tables and constants."""
    exprs, flags = _expressions()
    fold, classes = _case_tables()
    params = (
        _ANCHOR_AFTER,
        *_BOX_WINDOW,
        _WHOLE[0][1],
        _WHOLE[1][1],
        _EURO_SCORE,
        _BOX_SCORE,
        _STREET_ANCHOR,
        _NUMBERED_ANCHOR,
        _HEAD_TOKENS,
    )
    return (
        exprs,
        flags,
        SUFFIXES,
        _alternatives(EURO_PREFIX),
        _alternatives(EURO_SUFFIX),
        _alternatives(_group(_UNIT)),
        [w for w, _ in _alternatives(_group(MONTH))],
        _measure_words(),
        fold,
        classes,
        params,
    )


@lru_cache(maxsize=1)
def _compiled_finder() -> Any:
    """The C finder over this module's expressions, word lists and constants."""
    c = _C
    assert c is not None
    args = _finder_args()
    exprs, flags = args[0], args[1]
    return cached_build(
        "address-en",
        c.HYPERSCAN_VERSION,
        list(zip(exprs, flags, strict=True)),
        lambda blob: c.Finder(*args, database=blob),
        lambda made: made.serialize(),
    )


def find_english_addresses(ctx: ScanContext) -> Iterator[tuple[int, int, float]]:
    """``(start, end, confidence)`` of English/European street addresses (the reference
    of the C finder)."""
    text = ctx.text
    if _DIGIT.search(text) is None:
        return
    seen: set[tuple[int, int]] = set()

    def emit(m: re.Match[str], score: float) -> Iterator[tuple[int, int, float]]:
        if (m.start(), m.end()) not in seen:
            seen.add((m.start(), m.end()))
            # a unit or a postal code after the street: more certain than a name inside it
            yield m.start(), m.end(), score + (0.09 if m.end() - m.start() > 24 else 0.0)

    hits: list[tuple[int, int]] = []  # (pattern id, end): no pattern asks for its start

    def on_match(pid: int, _s: int, e: int, _f: int, _c: object) -> None:
        hits.append((pid, e))

    _db().scan(ctx.data, on_match)
    if not hits:  # (most texts) nothing below would find anything
        return
    unique = list(dict.fromkeys(hits))
    ends = ctx.char_offsets([e for _, e in unique])
    anchor_spans: dict[int, list[tuple[int, int]]] = {_STREET_ANCHOR: [], _NUMBERED_ANCHOR: []}
    others: list[tuple[int, int]] = []  # (pattern id, end) of the other anchors, in order
    for (pid, _), end in zip(unique, ends, strict=True):
        if pid in anchor_spans:
            anchor_spans[pid].append((_head_start(text, end), end))
        else:
            others.append((pid, end))
    for (pattern, score), anchor in zip(_WHOLE, (_STREET_ANCHOR, _NUMBERED_ANCHOR), strict=True):
        # an exact match starts within an anchor (the anchor is a superset of its head)
        for m in _matches_starting_in(pattern, text, _windows(anchor_spans[anchor])):
            yield from emit(m, score)

    for pid, end in others:
        if pid == 0:
            before, after = _BOX_WINDOW
            for m in BOX.finditer(text, max(0, end - before), min(len(text), end + after)):
                if m.start() <= end - 1 < m.end() + 1:
                    yield from emit(m, _BOX_SCORE)
            continue
        # a European street: the match starts at the street word, or at a house number
        # right before it ("12 Rue de la Paix"); anchored matches instead of window scans
        stop = end - 1 if pid == 1 else text.rfind(" ", 0, end)
        word = _WORD_BEFORE.search(text, max(0, stop - 41), max(0, stop))
        if word is None:
            continue
        starts = [word.start()]
        number = _NUMBER_BEFORE.search(text, max(0, word.start() - 12), word.start())
        if number is not None:
            starts.insert(0, number.start())
        for pos in starts:
            street = EURO.match(text, pos)
            if street is not None and street.end() >= end - 1:
                yield from emit(street, _EURO_SCORE)
                break


def _head_start(text: str, end: int) -> int:
    """The earliest a STREET or NUMBERED head whose anchor ends at ``end`` can start: a head
    stays on one line (blanks are spaces and tabs) and spans at most `_HEAD_TOKENS` runs of
    non-blanks, so this is the start of the blanks before the last of those runs, or the
    start of the line. Looks back only as far as those runs reach (`_last_break`): a search
    for the start of the line cost the whole text before each anchor of a text without line
    breaks (quadratic)."""
    p = end - 1
    for _ in range(_HEAD_TOKENS):
        b = _last_break(text, p)
        if b < 0:
            return 0
        if text[b] == "\n":
            return b + 1
        p = b
        while p > 0 and text[p - 1] in " \t":
            p -= 1
    return p


#: characters `_last_break` looks back at a time
_BREAK_STEP = 64


def _last_break(text: str, p: int) -> int:
    """The last index before ``p`` of a space, tab or line break (-1: none), looking back
    `_BREAK_STEP` characters at a time: the cost is the distance to it."""
    hi = p
    while hi > 0:
        lo = max(0, hi - _BREAK_STEP)
        b = max(text.rfind(" ", lo, hi), text.rfind("\t", lo, hi), text.rfind("\n", lo, hi))
        if b >= 0:
            return b
        hi = lo
    return -1


#: where a match of STREET or NUMBERED may start: a digit with no word character, dot or
#: hyphen before it (a superset of both patterns' own lookbehinds)
_NUMBER_START = re.compile(r"(?<![\w.-])\d")


def _matches_starting_in(
    pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """For each window ``(lo, hi)``: the matches of ``pattern.finditer(text, lo, hi +
    _ANCHOR_AFTER)`` that start before ``hi``.

    ``finditer`` would try every later digit up to its end too (hundreds of characters
    past the window, most of the cost); here a match is tried only where a number starts
    inside the window, and the search resumes after each match, as ``finditer`` does.
    """
    for lo, hi in windows:
        endpos = min(len(text), hi + _ANCHOR_AFTER)
        pos = lo
        for start in _NUMBER_START.finditer(text, lo, min(hi, endpos)):
            if start.start() < pos:
                continue  # inside the previous match
            m = pattern.match(text, start.start(), endpos)
            if m is not None:
                yield m
                pos = m.end()


def _windows(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Anchor spans merged where they overlap: the ranges in which an exact match may start."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out
