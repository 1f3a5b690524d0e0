"""Recognisers for structured personal identifiers: pattern + validator + context.

All patterns run in the shared Hyperscan pass of `PiiDetector`. Scores: a value that passes
a strong check (checksum, calendar) scores high on its own; one that only matches a shape
scores below the default flag threshold (0.5) unless a context word is near it.

`aisec.detect.pii._core` (C) reproduces these recognisers' exact patterns and `accept`
for the compiled pass: change one here, change it there (tests/detect/test_pii_native.py
compares the two).
"""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

from aisec.detect.base import Finding
from aisec.detect.pii import checks
from aisec.detect.pii.base import Pattern, PatternRecognizer, ScanContext, has_context
from aisec.detect.pii.gazetteer import load_regions

_D = "0-9"
_NB = r"(?:^|[^0-9])"  # Hyperscan: a non-digit boundary (consumed) or the start
_NA = r"(?:[^0-9]|$)"
_NBW = r"(?:^|[^0-9A-Za-z])"
_NAW = r"(?:[^0-9A-Za-z]|$)"
_CONTEXT_BEFORE = 16


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit() or ch in "Xx").upper()


class IdCardRecognizer(PatternRecognizer):
    """Resident ID numbers (GB 11643): 18 digits with MOD 11-2 check, or 15-digit legacy."""

    name: ClassVar[str] = "pii.id_card"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.cn_id_card",)
    context = ("身份证", "证件号", "公民身份", "id card", "id no", "identity", "证号", "身份号")
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            _NB
            + r"[1-8][0-9]{5}[ \-]?(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][ \-]?[0-9]{3}[0-9Xx]"
            + _NAW,
            r"(?<![0-9])[1-8][0-9]{5}[ \-]?(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][ \-]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])",
        ),
        Pattern(
            _NB + r"[1-8][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}" + _NA,
            r"(?<![0-9])[1-8][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}(?![0-9])",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._regions = load_regions()

    @property
    def known_regions(self) -> frozenset[str]:
        """The six-digit division codes (current and historical) that raise the score."""
        return frozenset(self._regions)

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        number = _digits(match.group())
        if not checks.valid_id_card(number):
            return None
        known_region = number[:6] in self._regions
        ctx_ok = has_context(ctx.window(match.start(), match.end(), _CONTEXT_BEFORE), self.context)
        if len(number) == 18:
            score = 0.99 if (known_region or ctx_ok) else 0.93
        else:  # the 15-digit form has no check digit
            score = 0.9 if ctx_ok else (0.6 if known_region else 0.4)
        return self.finding("pii.cn_id_card", match, score)


class MobileRecognizer(PatternRecognizer):
    """Chinese mobile numbers: MIIT 1[3-9] segments, optional +86/0086, separators."""

    name: ClassVar[str] = "pii.mobile"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.cn_mobile",)
    context = (
        "手机",
        "电话",
        "联系",
        "致电",
        "短信",
        "phone",
        "mobile",
        "tel",
        "call",
        "号码",
        "微信",
    )
    _SEG = r"1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])"
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            _NB + r"(?:(?:\+|00)86[ \-]?)?" + _SEG + r"[ \-]?[0-9]{4}[ \-]?[0-9]{4}" + _NA,
            r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?"
            + _SEG
            + r"([ \-]?)[0-9]{4}\1[0-9]{4}(?![0-9A-Za-z])",
        )
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        start = match.start()
        if start > 0 and ctx.text[start - 1] in "-+./":  # part of a longer code or a decimal
            return None
        ctx_ok = has_context(ctx.window(start, match.end(), _CONTEXT_BEFORE), self.context)
        return self.finding("pii.cn_mobile", match, 0.98 if ctx_ok else 0.85)


class LandlineRecognizer(PatternRecognizer):
    """Chinese landline numbers with area code: ``010-62345678``, ``(0755)8888 6666``."""

    name: ClassVar[str] = "pii.landline"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.cn_landline",)
    context = ("电话", "座机", "传真", "总机", "tel", "phone", "fax", "热线", "联系", "办公室")
    _AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            _NB + r"(?:\+86[ \-]?\(?0?|\(?0)" + _AREA + r"\)?[ \-]?[2-9][0-9]{2,3}[ \-]?[0-9]{4}"
            r"(?:(?:-|转|ext\.?)[0-9]{1,5})?" + _NA,
            r"(?<![0-9])(?:\+86[ \-]?\(?0?|\(?0)"
            + _AREA
            + r"\)?[ \-]?[2-9][0-9]{2,3}[ \-]?[0-9]{4}"
            r"(?:(?:-|转|ext\.?)[0-9]{1,5})?(?![0-9])",
        )
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        digits = re.sub(r"[^0-9]", "", match.group())
        if len(digits) < 10:
            return None
        ctx_ok = has_context(ctx.window(match.start(), match.end(), _CONTEXT_BEFORE), self.context)
        return self.finding("pii.cn_landline", match, 0.95 if ctx_ok else 0.8)


class BankCardRecognizer(PatternRecognizer):
    """Payment card numbers: 16-19 digits (14/15 for Diners/Amex), Luhn-valid; known issuer
    prefixes score higher."""

    name: ClassVar[str] = "pii.bank_card"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.bank_card",)
    context = (
        "卡号",
        "银行卡",
        "信用卡",
        "借记卡",
        "储蓄卡",
        "账号",
        "帐号",
        "card",
        "银联",
        "转账",
        "收款",
    )
    _IIN = re.compile(r"^(?:62|4|5[1-5]|2[2-7]|35|60|65|9[0-9])")
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            _NB + r"[2-9][0-9]{3}(?:[ \-]?[0-9]){12,15}" + _NA,
            r"(?<![0-9])[2-9][0-9]{3}(?:[ \-]?[0-9]){12,15}(?![0-9])",
        ),
        # American Express (15 digits, 4-6-5) and Diners Club (14 digits, 4-6-4)
        Pattern(
            _NB + r"3[0-9]{3}[ \-]?[0-9]{6}[ \-]?[0-9]{4,5}" + _NA,
            r"(?<![0-9])3[0-9]{3}[ \-]?[0-9]{6}[ \-]?[0-9]{4,5}(?![0-9])",
        ),
    ]
    _SHORT_IIN = re.compile(r"^(?:3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11})$")

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        raw = match.group()
        digits = raw.replace(" ", "").replace("-", "")
        if pattern == 1:  # 14/15 digits: only the issuers that use them
            if not self._SHORT_IIN.match(digits) or not checks.luhn_ok(digits):
                return None
        elif not 16 <= len(digits) <= 19 or not checks.luhn_ok(digits):
            return None
        if ("  " in raw) or ("--" in raw):
            return None
        ctx_ok = has_context(ctx.window(match.start(), match.end(), _CONTEXT_BEFORE), self.context)
        known = pattern == 1 or bool(self._IIN.match(digits))
        score = (0.98 if known else 0.8) if ctx_ok else (0.85 if known else 0.4)
        return self.finding("pii.bank_card", match, score)


class UsccRecognizer(PatternRecognizer):
    """Unified social credit codes (GB 32100), check character and organisation code."""

    name: ClassVar[str] = "pii.uscc"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.uscc",)
    _C = "0-9A-HJ-NPQRTUWXY"
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            _NBW + f"[{_C}]{{2}}[0-9]{{6}}[{_C}]{{10}}" + _NAW,
            f"(?<![0-9A-Za-z])[{_C}]{{2}}[0-9]{{6}}[{_C}]{{10}}(?![0-9A-Za-z])",
        )
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        code = match.group()
        if not checks.valid_uscc(code):
            return None
        if code.isdigit() and checks.valid_id_card(code):
            return None  # an ID card number, reported by its own recogniser
        score = 0.97 if checks.valid_org_code(code[8:17]) else 0.88
        return self.finding("pii.uscc", match, score)


class TravelDocumentRecognizer(PatternRecognizer):
    """Chinese passports (E/G series) and travel permits for Hong Kong and Macau."""

    name: ClassVar[str] = "pii.travel_doc"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.passport", "pii.hk_macau_permit")
    passport_context = ("护照", "passport", "证件")
    permit_context = ("通行证", "港澳", "回乡证", "permit", "证件")
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            _NBW + r"(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})" + _NAW,
            r"(?<![0-9A-Za-z])(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})(?![0-9A-Za-z])",
        ),
        Pattern(
            _NBW + r"(?:C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|W[0-9]{8}|[HM][0-9]{8}(?:[0-9]{2})?)" + _NAW,
            r"(?<![0-9A-Za-z])(?:C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|W[0-9]{8}|[HM][0-9]{8}(?:[0-9]{2})?)"
            r"(?![0-9A-Za-z])",
        ),
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        window = ctx.window(match.start(), match.end(), _CONTEXT_BEFORE)
        if pattern == 0:
            ok = has_context(window, self.passport_context)
            return self.finding("pii.passport", match, 0.97 if ok else 0.75)
        ok = has_context(window, self.permit_context)
        if match.group()[0] in "HM" and not ok:
            return self.finding("pii.hk_macau_permit", match, 0.45)
        return self.finding("pii.hk_macau_permit", match, 0.97 if ok else 0.75)


class CarPlateRecognizer(PatternRecognizer):
    """Vehicle plates: province character + city letter + 5 characters, or 6 for new energy."""

    name: ClassVar[str] = "pii.car_plate"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.car_plate",)
    context = ("车牌", "牌照", "车号", "plate", "车辆", "号牌")
    _P = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
    _L = "A-HJ-NP-Z"
    _BODY = (
        f"[{_P}][{_L}][·\\- ]?(?:[DF][{_L}0-9][0-9]{{4}}|[0-9]{{5}}[DF]"
        f"|[{_L}0-9]{{4}}[{_L}0-9挂学警港澳])"
    )
    patterns: ClassVar[list[Pattern]] = [
        Pattern(_BODY + _NAW, _BODY + "(?![0-9A-Za-z])"),
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        tail = match.group()[2:].lstrip("·- ")
        if sum(ch.isdigit() for ch in tail) < 3:
            return None
        ok = has_context(ctx.window(match.start(), match.end(), _CONTEXT_BEFORE), self.context)
        return self.finding("pii.car_plate", match, 0.97 if ok else 0.85)


class EmailRecognizer(PatternRecognizer):
    """E-mail addresses."""

    name: ClassVar[str] = "pii.email"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.email",)
    _E = r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z]{2,24}"
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            r"[A-Za-z0-9._%+\-]@[A-Za-z0-9]",
            r"(?<![A-Za-z0-9._%+\-])" + _E + r"(?![A-Za-z0-9\-])",
            widen=(64, 256),
        ),
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        local, _, domain = match.group().partition("@")
        if ".." in match.group() or local.endswith(".") or "-." in domain:
            return None
        return self.finding("pii.email", match, 0.97)


class IpRecognizer(PatternRecognizer):
    """IPv4 and IPv6 addresses (version-number look-alikes score low)."""

    name: ClassVar[str] = "pii.ip"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.ipv4", "pii.ipv6")
    _OCT = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    _V4 = rf"{_OCT}(?:\.{_OCT}){{3}}"
    _H = "[0-9A-Fa-f]{1,4}"
    _V6 = rf"(?:(?:{_H})?:){{2,7}}(?:{_V4}|{_H})?"
    version_words = ("版本", "version", "ver", "v.", "release", "build")
    ip_words = ("ip", "地址", "address", "服务器", "server", "host", "登录")
    patterns: ClassVar[list[Pattern]] = [
        Pattern(r"(?:^|[^0-9.])" + _V4 + r"(?:[^0-9]|$)", rf"(?<![0-9.]){_V4}(?![0-9]|\.[0-9])"),
        Pattern(
            r"(?:^|[^0-9A-Za-z])" + _V6 + r"(?:[^0-9A-Za-z:]|$)",
            rf"(?<![0-9A-Za-z])(?<![0-9A-Fa-f]:)(?<!::)(?!:(?!:)){_V6}(?![0-9A-Za-z:]|\.[0-9])",
        ),
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        value = match.group()
        window = ctx.window(match.start(), match.end(), _CONTEXT_BEFORE).lower()
        if pattern == 0:
            if has_context(window, self.version_words) and not has_context(window, self.ip_words):
                return self.finding("pii.ipv4", match, 0.3)
            return self.finding("pii.ipv4", match, 0.97 if "ip" in window else 0.9)
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return None
        groups = [g for g in re.split(r":+", value) if g]
        if len(groups) < 2 or sum(len(g) for g in groups) < 4:
            return None  # "a::b", "d::" and the like are too thin to call an address
        return self.finding("pii.ipv6", match, 0.95)


class ImAccountRecognizer(PatternRecognizer):
    """QQ numbers and WeChat IDs, only where a context word marks them."""

    name: ClassVar[str] = "pii.im"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.qq", "pii.wechat")
    _SEP = r"[ ]?(?:号码|号|帐号|账号|id|ID)?[ ]?(?:[:=]|是|为)?[ ]?"
    patterns: ClassVar[list[Pattern]] = [
        # (candidates end at a boundary: one report per value, not one per extra digit)
        Pattern(
            r"(?:[Qq]{2}|扣扣)" + _SEP + r"[1-9][0-9]{4,10}" + _NA,
            r"(?:[Qq]{2}|扣扣)" + _SEP + r"([1-9][0-9]{4,10})(?![0-9])",
        ),
        Pattern(
            r"(?:微信|[Ww]e[Cc]hat|[Ww]eixin|[Vv]信|[VvWw][Xx])"
            + _SEP
            + r"[A-Za-z][A-Za-z0-9_\-]{5,19}(?:[^A-Za-z0-9_\-]|$)",
            r"(?:(?:微信|[Ww]e[Cc]hat|[Ww]eixin|[Vv]信)"
            + _SEP
            + r"|(?<![A-Za-z])[VvWw][Xx]号?[ ]?(?:[:=]|是|为)[ ]?)"
            + r"([A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])",
        ),
        # WeChat's internal IDs are unmistakable on their own
        Pattern(
            r"wxid_[A-Za-z0-9]{6,24}(?:[^A-Za-z0-9_]|$)",
            r"(?<![A-Za-z0-9_])(wxid_[A-Za-z0-9]{6,24})(?![A-Za-z0-9_])",
        ),
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        if pattern == 0:
            return self.finding("pii.qq", match, 0.95, group=1)
        value = match.group(1)
        if value.lower() in {"public", "account", "official"} or (
            value.isalpha() and value.islower() and len(value) > 12
        ):
            return None
        return self.finding("pii.wechat", match, 0.9, group=1)


def structured_recognizers() -> list[PatternRecognizer]:
    """One instance of each structured recogniser."""
    return [
        IdCardRecognizer(),
        MobileRecognizer(),
        LandlineRecognizer(),
        BankCardRecognizer(),
        UsccRecognizer(),
        TravelDocumentRecognizer(),
        CarPlateRecognizer(),
        EmailRecognizer(),
        IpRecognizer(),
        ImAccountRecognizer(),
    ]
