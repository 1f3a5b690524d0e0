"""International phone numbers, US Social Security numbers and IBANs."""

from __future__ import annotations

import pytest

from aisec.detect.pii import PiiDetector
from aisec.detect.pii.international import iban_ok


@pytest.fixture(scope="module")
def det() -> PiiDetector:
    return PiiDetector()


def found(det: PiiDetector, text: str, threshold: float = 0.5) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in det.detect(text) if f.score >= threshold]


@pytest.mark.parametrize(
    "text, value",
    [
        ("Call me at +44 20 7946 0958 tomorrow", "+44 20 7946 0958"),
        ("office: +1 650-253-0000", "+1 650-253-0000"),
        ("reach her on +46 (0)8 928 571 38", "+46 (0)8 928 571 38"),
        ("Our number is (212) 555-0199.", "(212) 555-0199"),
        ("Phone: 07700 063 966", "07700 063 966"),
        ("tel 0490 75 40 81 (mobile)", "0490 75 40 81"),
        ("650-253-0000x4587 is my desk", "650-253-0000x4587"),
    ],
)
def test_phone_numbers(det: PiiDetector, text: str, value: str) -> None:
    assert ("pii.phone", value) in found(det, text)


@pytest.mark.parametrize(
    "text",
    [
        "ISBN 978-7-111-12345-6",
        "released 2024-01-15 and 15.01.2024",
        "version 10.2.3 build 4411",
        "the hotel 0490 75 40 81",  # a national number and no context word ("hotel")
        "Springfield, IL 52435 | 152 3244 1207",  # a Chinese mobile, not pii.phone
        "ordered 3 items for 1 234 567 yuan",
    ],
)
def test_phone_look_alikes(det: PiiDetector, text: str) -> None:
    assert [k for k, _ in found(det, text) if k == "pii.phone"] == []


def test_chinese_numbers_stay_with_their_recognisers(det: PiiDetector) -> None:
    assert found(det, "手机 +86 138 0013 8000") == [("pii.cn_mobile", "+86 138 0013 8000")]
    assert found(det, "电话 010-62345678") == [("pii.cn_landline", "010-62345678")]


def test_us_ssn(det: PiiDetector) -> None:
    assert found(det, "SSN: 460-89-9847") == [("pii.us_ssn", "460-89-9847")]
    assert found(det, "id 514-69-0360 on file") == [("pii.us_ssn", "514-69-0360")]
    # never-issued ranges: area 000/666/9xx, group 00, serial 0000
    for bad in ("000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000"):
        assert found(det, f"SSN {bad}", 0.0) == [], bad
    # mixed separators are not an SSN
    assert [k for k, _ in found(det, "SSN 123-45 6789", 0.0) if k == "pii.us_ssn"] == []


def test_iban(det: PiiDetector) -> None:
    assert found(det, "IBAN GB56HXDO88167774656119 please") == [
        ("pii.iban", "GB56HXDO88167774656119")
    ]
    assert found(det, "pay DE89 3704 0044 0532 0130 00 today") == [
        ("pii.iban", "DE89 3704 0044 0532 0130 00")
    ]
    assert found(det, "IBAN GB57HXDO88167774656119", 0.0) == []  # check digits wrong


def test_iban_check() -> None:
    assert iban_ok("GB82WEST12345698765432")
    assert not iban_ok("GB82WEST12345698765431")
    assert not iban_ok("GB82WEST1234569876543!")


def test_a_fragment_of_a_chinese_number_is_not_also_a_phone_number() -> None:
    # the context word is beyond the mobile recogniser's window (16 characters) but inside
    # the phone recogniser's (24): "138-8995" alone reads as a valid national number with
    # context (0.95) and used to win over the whole mobile number without context (0.85),
    # leaving "-7903" unreported; the mobile recogniser claims its digits
    text = "电话:请在工作日的上午九点到下午五点之间拨打138-8995-7903"
    found = PiiDetector().detect(text)
    assert [(f.kind, text[f.start : f.end]) for f in found] == [("pii.cn_mobile", "138-8995-7903")]
    # a phone number beside a Chinese number is still found
    text = "电话:请在工作日的上午九点到下午五点之间拨打138-8995-7903 or +44 20 7946 0958"
    kinds = {(f.kind, text[f.start : f.end]) for f in PiiDetector().detect(text)}
    assert kinds == {("pii.cn_mobile", "138-8995-7903"), ("pii.phone", "+44 20 7946 0958")}


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize(
    "text, kind, value",
    [
        # the first three groups read as a valid national number beside "phone" (0.95) and
        # used to beat the whole card (0.9), leaving "-1700" unreported
        ("phone: 6229-1417-7763-1700", "pii.bank_card", "6229-1417-7763-1700"),
        # an address with a phone shape is an address, however close "phone" is
        ("contact: server 10.108.21.55 phone", "pii.ipv4", "10.108.21.55"),
        ("reach 192.168.100.200 by phone", "pii.ipv4", "192.168.100.200"),
        # digits before the number (within the candidate's reach) are not the number's:
        # "72.52" is still inside the address
        ("32层 电话72.52.36.128", "pii.ipv4", "72.52.36.128"),
    ],
)
def test_numbers_other_recognisers_claim_are_not_phone_numbers(
    native: bool, text: str, kind: str, value: str
) -> None:
    assert found(PiiDetector(native=native), text) == [(kind, value)]


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize(
    "text, value",
    [
        # the candidate is only the head of the number: the exact pattern's window reaches
        # past it to the longest number there can be
        ("+44 20 7946 0958 ext. 12345 is my desk", "+44 20 7946 0958 ext. 12345"),
        ("call 905-674-3793 today", "905-674-3793"),
    ],
)
def test_a_phone_number_is_found_whole_from_its_head(native: bool, text: str, value: str) -> None:
    assert ("pii.phone", value) in found(PiiDetector(native=native), text)


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize(
    "text",
    [
        # a number never starts right after a digit or ")" and a blank: "38 549 02 90"
        # and "4276 0189" are the tails of the numbers they sit in
        "fax\n+41 (0)38 549 02 90 mobile",
        "new desk phone (0791) 4276 0189.",
        "手机:139 3597 2203",
    ],
)
def test_the_tail_of_a_number_is_not_a_phone_number(native: bool, text: str) -> None:
    phone_only = PiiDetector(only=["pii.phone"], native=native)
    tails = {"38 549 02 90", "4276 0189", "3597 2203"}
    assert not {text[f.start : f.end] for f in phone_only.detect(text)} & tails


def test_the_phone_window_reaches_past_the_longest_number() -> None:
    from re import _parser  # type: ignore[attr-defined]

    from aisec.detect.pii.international import PhoneRecognizer

    pattern = PhoneRecognizer.patterns[0]
    assert _parser.parse(pattern.exact).getwidth()[1] <= pattern.widen[1]
