"""Postal addresses: Chinese and English, whole-address spans, through `PiiDetector`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.detect.pii import PiiDetector, address_en
from aisec.detect.pii.address import AddressRecognizer
from aisec.detect.pii.gazetteer import load_places, load_regions, short_place_name


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector(recognizers=[AddressRecognizer()])


def spans(detector: PiiDetector, text: str) -> list[str]:
    return [text[f.start : f.end] for f in detector.detect(text) if f.kind == "pii.address"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我住在北京市海淀区中关村大街27号。", "北京市海淀区中关村大街27号"),
        (
            "收货地址:广东省深圳市南山区科技园南路15号3栋2单元501室,电话",
            "广东省深圳市南山区科技园南路15号3栋2单元501室",
        ),
        ("请寄到浙江省杭州市西湖区文三路259号", "浙江省杭州市西湖区文三路259号"),
        ("我住在建国路88号", "建国路88号"),
        ("地址:上海市浦东新区世纪大道100号", "上海市浦东新区世纪大道100号"),
        ("老家是河北省保定市清苑区东闾乡东闾村3组。", "河北省保定市清苑区东闾乡东闾村3组"),
    ],
)
def test_chinese_address_spans(detector: PiiDetector, text: str, expected: str) -> None:
    assert spans(detector, text) == [expected]


def test_traditional_and_full_width_map_back(detector: PiiDetector) -> None:
    text = "寄到臺灣省臺北市中正區重慶南路一段１２２號，謝謝"
    found = spans(detector, text)
    assert found == ["臺灣省臺北市中正區重慶南路一段１２２號"] or found == ["重慶南路一段１２２號"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I live at 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        ("Meet at 221B Baker Street, London", "221B Baker Street"),
        ("Send it to 42 Oak Rd Apt. 5B please", "42 Oak Rd Apt. 5B"),
        ("The bus station is on P.O. Box 104", "P.O. Box 104"),
        ("Ship to PSC 7951, Box 9972\nAPO AA 69974 today", "PSC 7951, Box 9972\nAPO AA 69974"),
        ("Her address: Hammarvägen 15, Stockholm", "Hammarvägen 15"),
        ("We meet at Rue de la Paix 12 tonight", "Rue de la Paix 12"),
    ],
)
def test_english_address_spans(detector: PiiDetector, text: str, expected: str) -> None:
    assert spans(detector, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "我在北京工作,去过上海和广州。",
        "今天天气很好,我们去公园散步。",
        "知道这个道理很重要,第3号选手获胜。",
        "I have 3 apples and 2 pears on the way home.",
        "During 1984, the company invested heavily in new designs.",
        "Take 2 Advil every 6 hours.",
    ],
)
def test_text_without_addresses(detector: PiiDetector, text: str) -> None:
    assert spans(detector, text) == []


def test_regions_have_current_and_historical_codes() -> None:
    regions = load_regions()
    assert regions["110101"] == "东城区"
    assert regions["110103"] == "崇文区"  # abolished in 2010, still valid in old ID numbers
    assert regions["440300"] == "深圳市"
    assert len(regions) > 6000


def test_place_names() -> None:
    places = load_places()
    assert places.full["广东省"] == 1
    assert places.short["广东"] == 1
    assert short_place_name("内蒙古自治区") == "内蒙古"
    assert short_place_name("延边朝鲜族自治州") == "延边"


@pytest.mark.parametrize(
    "text",
    [
        "10082267 shipped on 09 Nov 2006; tracking 629563795",
        "date of birth 05 Aug 2006",
        "ETA 12 May 2020",
        "订单,915.7万,13 Jan 2009",
    ],
)
def test_dates_are_neither_addresses_nor_names(text: str) -> None:
    assert [f for f in PiiDetector().detect(text) if f.score >= 0.5] == []


def _head_start_by_line(text: str, end: int) -> int:
    """`address_en._head_start` by its definition: find the line first, then walk back
    `_HEAD_TOKENS` runs of non-blanks on it (what it did before it stopped searching for
    the start of the line, which cost the whole text before each anchor)."""
    line = text.rfind("\n", 0, end - 1) + 1
    p = end - 1
    for _ in range(address_en._HEAD_TOKENS):
        blank = max(text.rfind(" ", line, p), text.rfind("\t", line, p))
        if blank < line:
            return line
        p = blank
        while p > line and text[p - 1] in " \t":
            p -= 1
    return p


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["a", "B1", "12", " ", "\t", "\n", "  ", "x" * 70, " \t"])))
def test_head_start_is_its_definition(parts: list[str]) -> None:
    text = "".join(parts)
    for end in range(1, len(text) + 1):
        assert address_en._head_start(text, end) == _head_start_by_line(text, end)


def test_addresses_in_a_long_text_without_line_breaks() -> None:
    found = PiiDetector().detect("12 Main 34 " * 3000)
    assert len(found) == 3000 and {f.kind for f in found} == {"pii.address"}
    assert (found[-1].start, found[-1].end) == (32989, 32999)
