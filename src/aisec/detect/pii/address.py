"""Postal addresses in Chinese and English text (`AddressRecognizer`).

Chinese: one Hyperscan pass finds administrative division names (GB/T 2260 gazetteer,
full and short forms), road + house number (…路88号), and building/unit/room numbers.
Adjacent division names form the head of an address (广东省深圳市南山区); an anchored
regular expression then takes the details after it (街道/镇/乡, 村, road, number,
estate, building, unit, floor, room). An address is reported when it has a road and a
number, or a division head with at least one detail, or three division levels.

English: see `aisec.detect.pii.address_en` (house number + street name + suffix,
unit, city/state/ZIP; P.O. boxes and military addresses; European street forms).

`aisec.detect.pii._address` (C) is the same Chinese finder (DETAIL included), used where it
is built: change the rules here, change them there (tests/detect/test_pii_native.py
compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, ClassVar

import hyperscan
import numpy as np

from aisec.detect.base import Finding
from aisec.detect.pii.address_en import english_address_finder, find_english_addresses
from aisec.detect.pii.base import Recognizer, ScanContext
from aisec.detect.pii.gazetteer import load_places
from aisec.detect.pii.native import cached_build, extension
from aisec.runtime import native_enabled
from aisec.text.hsdb import Matcher, compile_database

_HAN = "\u4e00-\u9fff"
_NUM = "0-9一二三四五六七八九十百千零〇"
_SECTION = "(?:[一二三四五六七八九十]段)?"  # 重庆南路一段122号
ROAD = r"(?:大道|大街|路|街|巷|弄|胡同|道|里)"
# the details after a division head, all optional, in the order they are written
DETAIL = re.compile(
    rf"(?:[{_HAN}]{{1,8}}?(?:街道|镇|乡))?"
    rf"(?:[{_HAN}]{{1,8}}?(?:村|社区|嘎查)(?:[{_NUM}]+组)?)?"
    rf"(?:[{_HAN}]{{1,8}}?(?:开发区|工业园|产业园|科技园|园区))?"
    rf"(?:[{_HAN}0-9]{{1,8}}?{ROAD}{_SECTION}(?:[{_NUM}]+(?:号|弄|巷))?)?"
    rf"(?:[{_NUM}]+号(?:院)?)?"
    rf"(?:[{_HAN}A-Za-z0-9]{{1,12}}?(?:小区|花园|公寓|大厦|广场|中心|大楼|苑|园|城|府|庭|新村|家园|院|寓|楼|座|里))?"
    r"(?:[0-9A-Za-z]+(?:号楼|栋|幢|座|楼|号院|区))?"
    rf"(?:[0-9{_NUM}]+单元)?"
    r"(?:[0-9]+(?:层|楼))?"
    r"(?:[0-9A-Za-z-]+(?:室|房|号|户))?"
)
ROAD_NUMBER = re.compile(rf"({ROAD}){_SECTION}[{_NUM}]+号")
# a road name starts after one of these (or after a non-Han character)
_ROAD_START = re.compile(
    r"(?:住在|住址|地址|位于|寄到|送到|发到|搬到|寄往|送往|来自|收货|就在|是|在|到|于|址|至|往|从)"
)
_BOUNDARY_AFTER = frozenset("市省区县")
# details that make a division head an address even without a number
_STRONG_DETAIL = re.compile(r"街道|镇|乡|村|社区|路|街|大道|巷|弄|胡同|小区|花园|公寓|大厦")


#: the road-number and building anchors (Hyperscan, UTF-8)
ANCHORS = [rf"{ROAD}{_SECTION}[{_NUM}]+号".encode(), r"[0-9]+(?:号楼|栋|幢|单元)[0-9]".encode()]


def division_names() -> list[tuple[str, int]]:
    """The division names looked for, with their level: full names of two characters or
    more, and the short forms of provinces and prefectures (and longer ones of counties)."""
    places = load_places()
    names = [(n, lvl) for n, lvl in places.full.items() if len(n) >= 2]
    names += [(n, lvl) for n, lvl in places.short.items() if lvl <= 2 or len(n) >= 3]
    return names


@lru_cache(maxsize=1)
def _db() -> tuple[Matcher, Matcher, list[tuple[str, int]]]:
    """Hyperscan: the road-number / building anchors (ids 0, 1), and the division names as
    literals (ids from 2; the literal compiler is many times faster than regexes)."""
    names = division_names()
    anchors = compile_database(ANCHORS, [hyperscan.HS_FLAG_UTF8] * len(ANCHORS))
    divisions = compile_database(
        [n.encode("utf-8") for n, _ in names],
        [0] * len(names),
        literal=True,
        ids=range(2, len(names) + 2),
    )
    return anchors, divisions, names


def _divisions(
    ctx: ScanContext, hits: list[tuple[int, int]], names: list[tuple[str, int]]
) -> list[tuple[int, int, int]]:
    """Non-overlapping division names ``(start, end, level)``, longest first at a place."""
    spans = []
    for pid, bend in hits:
        name, level = names[pid - 2]
        end = ctx.char_offset(bend)
        spans.append((end - len(name), end, level))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int, int]] = []
    for s in spans:
        if not out or s[0] >= out[-1][1]:
            out.append(s)
    return out


def _chains(divs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Adjacent division names merged: ``(start, end, number_of_levels)``."""
    out: list[tuple[int, int, int]] = []
    for s, e, _ in divs:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e, out[-1][2] + 1)
        else:
            out.append((s, e, 1))
    return out


def _road_start(text: str, road_end: int) -> int:
    """Where the road name that ends at ``road_end`` (its 路/街 included) starts."""
    i = road_end - 1
    lo = max(0, road_end - 9)
    while i > lo and "\u4e00" <= text[i - 1] <= "\u9fff":
        i -= 1
    head = text[i : road_end - 1]
    cut = 0
    for m in _ROAD_START.finditer(head):
        if m.end() < len(head):
            cut = m.end()
    start = i + cut
    return max(start, road_end - 7)


def find_chinese_addresses(ctx: ScanContext) -> list[tuple[int, int, float]]:
    """``(start, end, confidence)`` of Chinese addresses in the normalised text."""
    anchor_db, division_db, names = _db()
    text = ctx.text
    anchors: list[int] = []
    div_hits: list[tuple[int, int]] = []

    def on_match(pid: int, _s: int, e: int, _f: int, _c: object) -> None:
        if pid < 2:
            anchors.append(e)
        else:
            div_hits.append((pid, e))

    anchor_db.scan(ctx.data, on_match)
    division_db.scan(ctx.data, on_match)
    if not anchors and not div_hits:
        return []
    chains = _chains(_divisions(ctx, div_hits, names))
    found: list[tuple[int, int, float]] = []
    for s, e, levels in chains:
        if e < len(text) and text[e] in _BOUNDARY_AFTER and levels == 1:
            continue  # 北京 in 北京市 was matched as a short name; the full one follows
        m = DETAIL.match(text, e)
        detail_end = m.end() if m else e
        has_number = bool(re.search(r"[0-9一二三四五六七八九十]", text[e:detail_end]))
        strong = _STRONG_DETAIL.search(text, e, detail_end) is not None
        if detail_end > e + 1 and (has_number or (levels >= 2 and strong)):
            found.append((s, detail_end, 0.9 if has_number else 0.75))
        elif levels >= 3:
            found.append((s, e, 0.6))
    if not anchors:
        return found
    covered = np.zeros(len(text) + 1, dtype=np.bool_)  # characters inside a found address
    for fs, fe, _ in found:
        covered[fs:fe] = True
    for end in ctx.char_offsets(anchors):
        if covered[end - 1]:
            continue
        m = ROAD_NUMBER.search(text, max(0, end - 12), end)
        if m is None:
            continue
        start = _road_start(text, m.end(1))
        d = DETAIL.match(text, start)
        stop = max(d.end() if d else end, end)
        if stop - start >= 4:
            found.append((start, stop, 0.8))
            covered[start:stop] = True
    return found


_C = extension("_address")  # find_chinese_addresses in C (None: not built)


def address_finder() -> Any:
    """The C version of `find_chinese_addresses` (``address_finder().find(text, data)`` is
    ``find_chinese_addresses(ctx)`` for ``ctx.text``, ``ctx.data``), or None when it is not
    built or compiled code is switched off."""
    return _compiled_finder() if _C is not None and native_enabled() else None


@lru_cache(maxsize=1)
def _compiled_finder() -> Any:
    """The C finder over this module's anchors and division names."""
    c = _C
    assert c is not None
    names = division_names()
    flags = [hyperscan.HS_FLAG_UTF8] * len(ANCHORS)
    args = (ANCHORS, flags, [n for n, _ in names], [level for _, level in names])

    def make(blob: bytes | None) -> Any:
        if blob is None:
            return c.Finder(*args)
        # the two databases in one file: the first one's length, the first, the second
        first = int.from_bytes(blob[:8], "little")
        return c.Finder(*args, anchors_db=blob[8 : 8 + first], divisions_db=blob[8 + first :])

    def serialized(made: Any) -> bytes:
        anchors_db, divisions_db = made.serialize()
        return bytes(len(anchors_db).to_bytes(8, "little") + anchors_db + divisions_db)

    expressions = [*zip(ANCHORS, flags, strict=True)]
    expressions += [(name.encode("utf-8"), 0) for name, _ in names]
    return cached_build("address", c.HYPERSCAN_VERSION, expressions, make, serialized)


class AddressRecognizer(Recognizer):
    """Chinese and English postal addresses; the span is the whole address."""

    name: ClassVar[str] = "pii.address"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.address",)

    def find(self, ctx: ScanContext) -> Iterable[Finding]:
        """Chinese addresses (gazetteer + details) and English ones (street patterns)."""
        spans: list[tuple[int, int, float]] = []
        if not ctx.text.isascii():
            finder = address_finder()  # the C version where it is built: the same spans
            spans += (
                finder.find(ctx.text, ctx.data)
                if finder is not None
                else find_chinese_addresses(ctx)
            )
        english = english_address_finder()  # the same, in C where it is built
        spans += (
            english.find(ctx.text, ctx.data) if english is not None else find_english_addresses(ctx)
        )
        if _C is not None and native_enabled():  # the same, in C
            made = (Finding, ("pii.address", self.name, self.version))
            kept: list[Finding] = _C.first_spans(spans, made)
            return kept
        return [
            Finding("pii.address", s, e, score, self.name, self.version)
            for s, e, score in first_spans_python(spans)
        ]


def first_spans_python(spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """In text order (the longer first where two start together), each span that starts at
    or after the end of the one kept before it: one address where a Chinese and an English
    finder (or two gazetteer readings) overlap. ``_address.first_spans`` is the same in C."""
    kept: list[tuple[int, int, float]] = []
    last_end = -1
    for s, e, score in sorted(spans, key=lambda span: (span[0], -span[1])):
        if s >= last_end:
            kept.append((s, e, score))
            last_end = e
    return kept
