"""Person names: Chinese (simplified and traditional) and English, through `PiiDetector`."""

from __future__ import annotations

import pytest

from aisec.detect.pii import PiiDetector
from aisec.detect.pii.names import PersonNameRecognizer


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector(recognizers=[PersonNameRecognizer()])


def names(detector: PiiDetector, text: str) -> list[str]:
    return [text[f.start : f.end] for f in detector.detect(text) if f.kind == "pii.person_name"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我叫张伟,住在北京。", ["张伟"]),
        ("联系人:王芳,电话13800138000", ["王芳"]),
        ("李建国明天去上海开会。", ["李建国"]),
        ("张伟明天去北京。", ["张伟"]),
        ("患者刘洋,男,35岁,主诉头痛。", ["刘洋"]),
        ("请把材料交给陈晓明老师。", ["陈晓明"]),
        ("欧阳娜娜是一名演员。", ["欧阳娜娜"]),
        ("收件人:赵丽颖 签收", ["赵丽颖"]),
    ],
)
def test_chinese_names_in_context(detector: PiiDetector, text: str, expected: list[str]) -> None:
    assert names(detector, text) == expected


def test_traditional_chinese_maps_back_to_original(detector: PiiDetector) -> None:
    text = "請聯繫陳小明先生，電話另行通知。"
    found = detector.detect(text)
    assert [text[f.start : f.end] for f in found] == ["陳小明"]
    assert found[0].detector == "pii.name"


def test_full_width_punctuation_offsets(detector: PiiDetector) -> None:
    text = "姓名：　黄志强　　性别：男"
    assert names(detector, text) == ["黄志强"]


@pytest.mark.parametrize(
    "text",
    [
        "今天我很高兴,王国的周末很美。",
        "张开嘴巴,黄金价格上涨,林业局的白色车马上就到。",
        "这个方法很好,江河湖海都很美。",
        "高速公路上车很多,周末去公园散步。",
        "请问怎么用Python读取文件?",
    ],
)
def test_ordinary_words_are_not_names(detector: PiiDetector, text: str) -> None:
    assert names(detector, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Vanessa P. Hertzog.", ["Vanessa P. Hertzog"]),
        ("Please contact Dr. Justin Beet tomorrow.", ["Justin Beet"]),
        ("Hi Vinicio, thanks for the call.", ["Vinicio"]),
        ("The player Teresa Kreutzmann won again.", ["Teresa Kreutzmann"]),
        ("Signed: Emily Watson", ["Emily Watson"]),
        ("Kevin gave Alma his address.", ["Kevin", "Alma"]),
    ],
)
def test_english_names(detector: PiiDetector, text: str, expected: list[str]) -> None:
    assert names(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I live in New York and work for the United States Postal Service.",
        "The meeting is on Monday, January 5th at the Central Park office.",
        "Please reset my password and send the invoice.",
    ],
)
def test_english_text_without_names(detector: PiiDetector, text: str) -> None:
    assert names(detector, text) == []


def test_mixed_text_offsets(detector: PiiDetector) -> None:
    text = "Ｍｒ. John Smith 和 王小红同学 一起开会。"
    found = names(detector, text)
    assert found == ["John Smith", "王小红"]
