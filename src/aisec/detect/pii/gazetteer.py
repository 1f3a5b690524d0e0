"""Gazetteer data for the PII recognisers: division codes, place names, name statistics.

Everything here is read once from ``aisec/packs/pii/`` (see ``SOURCE.md`` there and
``scripts/build_pii_gazetteer.py``) and cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# Placeholder rows of GB/T 2260 that are not place names.
_PLACEHOLDERS = {
    "市辖区",
    "市区",
    "郊区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖行政单位",
}
# Longest suffix first, so that 内蒙古自治区 becomes 内蒙古, not 内蒙古自治.
_SUFFIXES = sorted(
    (
        "省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区",
        "地区", "盟", "自治州", "自治县", "自治旗", "新区", "区", "县", "旗", "林区", "矿区",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
_ETHNIC = re.compile(
    r"(?:[蒙回藏维苗彝壮布依朝鲜满侗瑶白土家哈尼傣黎傈僳佤畲高山拉祜水东乡纳西景颇柯尔克孜"
    r"达斡尔仫佬羌布朗撒拉毛南仡佬锡伯阿昌普米塔吉克怒乌孜别俄罗斯鄂温克德昂保安裕固京塔塔尔"
    r"独龙鄂伦春赫哲门巴珞巴基诺]{1,6}族)+(?:自治州|自治县|自治旗)$"
)


def _rows(filename: str) -> list[list[str]]:
    raw = resources.files("aisec.packs").joinpath(f"pii/{filename}").read_text("utf-8")
    return [line.split("\t") for line in raw.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_region_history() -> dict[str, list[tuple[str, int | None, int | None]]]:
    """GB/T 2260 code → every name it has carried, as ``(name, first_year, last_year)``.

    Years are ``None`` when open (in use before the source's records began, or still in use).
    """
    out: dict[str, list[tuple[str, int | None, int | None]]] = {}
    for code, name, first, last in _rows("regions.tsv"):
        out.setdefault(code, []).append(
            (name, int(first) if first else None, int(last) if last else None)
        )
    return out


@lru_cache(maxsize=1)
def load_regions() -> dict[str, str]:
    """GB/T 2260 six-digit administrative division code → name (latest name of the code).

    Current and historical (abolished) codes are both present; see `load_region_history`
    for the years in which a code was valid.
    """
    return {code: names[-1][0] for code, names in load_region_history().items()}


def short_place_name(name: str) -> str:
    """The everyday short form of a division name: 广东省 → 广东, 朝阳区 → 朝阳.

    Names that would shrink to one character (and ethnic autonomous suffixes) are handled
    so that the short form stays a recognisable place name; '' when there is none.
    """
    m = _ETHNIC.search(name)
    if m:
        name = name[: m.start()]
    else:
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
    return name if len(name) >= 2 else ""


@dataclass(frozen=True)
class Places:
    """Chinese division names for address matching: full names and short forms by level.

    Level 1 = province, 2 = prefecture, 3 = county/district.
    """

    full: dict[str, int]
    short: dict[str, int]


@lru_cache(maxsize=1)
def load_places() -> Places:
    """Full and short names of every current or historical division, with their level."""
    full: dict[str, int] = {}
    short: dict[str, int] = {}
    for code, names in load_region_history().items():
        level = 1 if code.endswith("0000") else 2 if code.endswith("00") else 3
        for name, _, _ in names:
            if name in _PLACEHOLDERS:
                continue
            full[name] = min(level, full.get(name, level))
            s = short_place_name(name)
            if s and s not in full:
                short[s] = min(level, short.get(s, level))
    for s in list(short):
        if s in full:
            del short[s]
    return Places(full, short)


@cache
def load_weights(filename: str) -> dict[str, float]:
    """A two-column ``key<TAB>number`` pack file (name statistics) as a dict."""
    return {row[0]: float(row[1]) for row in _rows(filename)}


def word_list(block: str) -> list[str]:
    """The whitespace-separated words of a literal block (context-word and stop lists)."""
    return block.split()
