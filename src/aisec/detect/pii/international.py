"""Recognisers for identifiers from outside China: international phone numbers (validated
with libphonenumber's metadata, PyPI ``phonenumberslite``), US Social Security numbers and
IBANs (ISO 13616 mod-97 check).

Like the structured recognisers they run in the shared Hyperscan pass of `PiiDetector`;
a shape alone scores below the flag threshold (0.5) unless a validator or a context word
vouches for it. Chinese mobile and landline numbers keep their own, stricter recognisers:
a number that one of them claims is left to it, as is a run of digits inside an ID card or
bank card number or an IPv4 address (`PatternRecognizer.yields_to`).

`aisec.detect.pii._core` (C) reproduces `PhoneRecognizer`'s exact pattern and the steps of
its `accept` before libphonenumber, to drop the candidates those steps reject: change one
here, change it there (tests/detect/test_phone_native.py compares the two).
"""

from __future__ import annotations

import re
from typing import ClassVar

import phonenumbers

from aisec.detect.base import Finding
from aisec.detect.pii.base import Pattern, PatternRecognizer, ScanContext, has_context

_CONTEXT_BEFORE = 24
_NA = r"(?:[^0-9]|$)"


class PhoneRecognizer(PatternRecognizer):
    """Phone numbers in international (``+44 20 7946 0958``) and common national formats
    (``(212) 555-0199``, ``0490 75 40 81``), valid for a numbering plan.

    Validation costs a parse per numbering plan tried, so it is spent where a number is
    likely: every ``+country`` number (one parse), North American shapes (one parse), and
    other national formats only beside a context word (a few European and Asian plans).
    """

    name: ClassVar[str] = "pii.phone"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.phone",)
    #: numbers another recogniser has claimed: a run of digits inside a Chinese mobile or
    #: landline number, an ID card or bank card number or an IPv4 address is part of that,
    #: not a phone number ("10.108.21.55" and "6226-0996-2293-9984" have phone shapes)
    yields_to: ClassVar[frozenset[str]] = frozenset(
        {"pii.cn_mobile", "pii.cn_landline", "pii.cn_id_card", "pii.bank_card", "pii.ipv4"}
    )
    # whole words only: "tel" is not in "hotel", "ring" not in "Springfield". The look-ahead
    # names the first letter of every word (none has a case-insensitive match outside ASCII)
    # so that `re` skips to them: three times faster than trying every position.
    _CONTEXT = re.compile(
        r"(?=[pPtTcCmMfFnNrRwWdD电手联致])"
        r"(?:\b(?:phone|tel|telephone|call|mobile|cell|fax|contact|number|reach|text me"
        r"|whatsapp|dial)\b|电话|手机|联系|致电)",
        re.IGNORECASE,
    )
    #: numbering plans tried for a national number beside a context word
    regions = ("GB", "DE", "FR", "AU", "IN", "BR")
    _SEP = r"[ .\-]"
    _EXT = r"(?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,5})?"
    _INTL = r"\+[1-9][0-9]{0,3}(?:[ .\-]?\(0\))?(?:[ .\-]?\(?[0-9]{1,5}\)?){2,6}"
    _GROUPED = (
        r"\(?[0-9]{2,5}\)?[ .\-][0-9]{2,5}(?:[ .\-][0-9]{2,5}){1,4}"
        r"|\(?[0-9]{3,5}\)?[ .\-][0-9]{4,8}"
    )
    _NANP = re.compile(
        r"(?:\+?1[ .\-]?)?\(?[2-9][0-9]{2}\)?[ .\-]?[2-9][0-9]{2}[ .\-]?[0-9]{4}(?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,5})?"
    )
    # The candidate is only the head of a number ("+4", "(212) 55", "0490 75"): the whole
    # pattern as a candidate was a third of the Hyperscan pass. The window then reaches 72
    # characters past the head, more than the longest match (68). A number never starts
    # right after a digit or ")" and a blank: "38 549 02 90" is the tail of
    # "+41 (0)38 549 02 90", and "3597 2203" of "139 3597 2203".
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            r"(?:^|[^0-9A-Za-z+(.\-])(?:\+[1-9]|\(?[0-9]{2,5}\)?[ .\-][0-9]{2})",
            r"(?<![0-9A-Za-z+(.\-])(?<![0-9)][\t\n\r )])(?:"
            + _INTL
            + "|"
            + _GROUPED
            + ")"
            + _EXT
            + r"(?![0-9])",
            widen=(1, 72),
        )
    ]
    _EXT_SPLIT = re.compile(r"x|ext")
    _DIGIT = re.compile(r"[0-9]")
    _NON_DIGIT = re.compile(r"[^0-9]")
    _MIXED_SEPARATORS = re.compile(r"[ \-]")
    _PUNCTUATION = re.compile(r"[ .\-()]")
    _CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
    _CN_LANDLINE = re.compile(r"\(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?[ \-]?[2-9][0-9]{6,7}")
    _DATE_LIKE = re.compile(
        r"[0-9]{4}[.\-/][0-9]{1,2}[.\-/][0-9]{1,2}|[0-9]{1,2}[.\-/][0-9]{1,2}[.\-/][0-9]{4}"
    )

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        value = match.group()
        # Each test below only ever rejects; the cheap and frequent ones come first
        # (+86 numbers and fragments of Chinese mobiles are most of the candidates).
        if value.startswith(("+86", "0086")):
            return None  # Chinese numbers: the mobile and landline recognisers' job
        all_digits = self._NON_DIGIT.sub("", value)
        # an extension (x, ext) does not count, nor does the dot of "ext."
        number = self._EXT_SPLIT.split(value)[0] if "x" in value else value
        digits = len(self._DIGIT.findall(number)) if "x" in value else len(all_digits)
        if not 7 <= digits <= 15:
            return None
        dotted, dashed = "." in number, "-" in number  # (a candidate never has a "/")
        if (dotted or dashed) and self._DATE_LIKE.fullmatch(value):
            return None
        if dotted and self._MIXED_SEPARATORS.search(number):
            return None  # dots mixed with other separators: decimals and versions
        international = value[0] == "+"
        if not international and (
            (value[0] in "(0" and self._CN_LANDLINE.fullmatch(value) is not None)
            or (len(all_digits) == 11 and self._CN_MOBILE.fullmatch(all_digits) is not None)
        ):
            return None  # Chinese numbers, as above
        # a North American number has 10 digits, or 11 with the country code 1
        nanp = not international and 10 <= digits <= 11 and self._NANP.fullmatch(value) is not None
        ctx_ok = (
            self._CONTEXT.search(ctx.window(match.start(), match.end(), _CONTEXT_BEFORE))
            is not None
        )
        if international:
            valid = self._valid(value, (None,))
        elif nanp:
            valid = self._valid(value, ("US",))
        elif ctx_ok:
            valid = self._valid(value, self.regions)
        else:
            return None  # a national number without context: too costly and too vague
        if not valid:
            return self.finding("pii.phone", match, 0.55) if ctx_ok and digits >= 9 else None
        if ctx_ok:
            score = 0.95
        elif international:
            score = 0.85
        else:  # a valid North American number without context
            score = 0.6 if self._PUNCTUATION.search(value) else 0.4
        return self.finding("pii.phone", match, score)

    @staticmethod
    def _valid(value: str, regions: tuple[str | None, ...]) -> bool:
        """Whether ``value`` is a valid number in one of the plans (``None``: written with
        its +country code), by libphonenumber's parse and validation."""
        for region in regions:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return True
        return False


class UsSsnRecognizer(PatternRecognizer):
    """US Social Security numbers ``AAA-GG-SSSS`` with the SSA's never-issued ranges
    (area 000, 666, 900-999; group 00; serial 0000) excluded."""

    name: ClassVar[str] = "pii.us_ssn"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.us_ssn",)
    context = ("ssn", "social security", "social-security", "ss#", "ss #", "tax id", "taxpayer")
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            r"(?:^|[^0-9\-])[0-9]{3}[ \-][0-9]{2}[ \-][0-9]{4}(?:[^0-9\-]|$)",
            r"(?<![0-9\-])[0-9]{3}([ \-])[0-9]{2}\1[0-9]{4}(?![0-9\-])",
        )
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        value = match.group()
        area, group, serial = value[:3], value[4:6], value[7:]
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            return None
        ctx_ok = has_context(ctx.window(match.start(), match.end(), _CONTEXT_BEFORE), self.context)
        dashes = value[3] == "-"
        return self.finding("pii.us_ssn", match, 0.95 if ctx_ok else (0.6 if dashes else 0.35))


class IbanRecognizer(PatternRecognizer):
    """International bank account numbers (ISO 13616): country code, two check digits and
    a national part, printed compact or in groups of four; the mod-97 check must hold."""

    name: ClassVar[str] = "pii.iban"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.iban",)
    _BODY = r"[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?"
    patterns: ClassVar[list[Pattern]] = [
        Pattern(
            r"(?:^|[^0-9A-Za-z])" + _BODY + r"(?:[^0-9A-Za-z]|$)",
            r"(?<![0-9A-Za-z])" + _BODY + r"(?![0-9A-Za-z])",
        )
    ]

    def accept(self, ctx: ScanContext, match: re.Match[str], pattern: int) -> Finding | None:
        compact = match.group().replace(" ", "").upper()
        if not 15 <= len(compact) <= 34 or not iban_ok(compact):
            return None
        return self.finding("pii.iban", match, 0.95)


def iban_ok(compact: str) -> bool:
    """The ISO 7064 mod-97-10 check of an IBAN without spaces (upper case)."""
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def international_recognizers() -> list[PatternRecognizer]:
    """One instance of each recogniser for non-Chinese identifiers."""
    return [PhoneRecognizer(), UsSsnRecognizer(), IbanRecognizer()]
