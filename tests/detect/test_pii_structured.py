"""Structured PII: valid values fire with exact spans; look-alikes with a bad check do not."""

from __future__ import annotations

import random

import pytest

from aisec.detect.pii import PiiDetector, checks


@pytest.fixture(scope="module")
def det() -> PiiDetector:
    return PiiDetector()


def make_id(rng: random.Random, region: str = "110105", birth: str = "19900307") -> str:
    body = region + birth + f"{rng.randrange(1000):03d}"
    return body + checks.id_card_check_char(body)


def make_card(rng: random.Random, prefix: str = "622202", length: int = 19) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        if checks.luhn_ok(body + d):
            return body + d
    raise AssertionError


def make_uscc(rng: random.Random) -> str:
    body = (
        "91" + "350100" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    check = checks.uscc_check_char(body)
    assert check is not None
    return body + check


def kinds_and_values(det: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in det.detect(text) if f.score >= 0.5]


def test_id_card_valid_and_invalid(det: PiiDetector) -> None:
    rng = random.Random(1)
    good = make_id(rng)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    text = f"身份证号：{good}，订单号{bad}"
    assert kinds_and_values(det, text) == [("pii.cn_id_card", good)]


def test_id_card_rejects_bad_dates_and_provinces(det: PiiDetector) -> None:
    rng = random.Random(2)
    for region, birth in [("990101", "19900101"), ("110105", "19901301"), ("110105", "20990101")]:
        body = region + birth + "123"
        number = body + checks.id_card_check_char(body)
        assert kinds_and_values(det, f"号码 {number}") == []
    legacy = "110105" + "900307" + "123"
    assert kinds_and_values(det, f"身份证：{legacy}") == [("pii.cn_id_card", legacy)]
    assert make_id(rng)  # the generator itself is consistent


def test_id_card_with_lowercase_x_and_spaces(det: PiiDetector) -> None:
    for seq in range(1000):
        body = "44030619851201" + f"{seq:03d}"
        if checks.id_card_check_char(body) == "X":
            break
    text = f"ID: {body[:6]} {body[6:14]} {body[14:]}x end"
    found = kinds_and_values(det, text)
    assert found == [("pii.cn_id_card", f"{body[:6]} {body[6:14]} {body[14:]}x")]


@pytest.mark.parametrize(
    "value",
    ["13800138000", "+86 138 0013 8000", "0086-139-1234-5678", "138-0013-8000", "19912345678"],
)
def test_mobile_forms(det: PiiDetector, value: str) -> None:
    assert kinds_and_values(det, f"请拨打{value}联系我") == [("pii.cn_mobile", value)]


@pytest.mark.parametrize("value", ["12800138000", "23800138000", "138001380001", "1380013800"])
def test_mobile_look_alikes(det: PiiDetector, value: str) -> None:
    assert kinds_and_values(det, f"编号{value}结束") == []


def test_landline(det: PiiDetector) -> None:
    for value in ["010-62345678", "(0755)8888 6666", "021-5888 9999", "0571-87654321转8001"]:
        assert kinds_and_values(det, f"办公电话 {value}。") == [("pii.cn_landline", value)]


def test_bank_card_luhn_and_separators(det: PiiDetector) -> None:
    rng = random.Random(3)
    card = make_card(rng)
    spaced = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert kinds_and_values(det, f"卡号 {spaced} 谢谢") == [("pii.bank_card", spaced)]
    assert kinds_and_values(det, f"交易流水号 {bad}") == []
    visa = make_card(rng, "4", 16)
    assert kinds_and_values(det, f"card {visa}") == [("pii.bank_card", visa)]


def test_uscc(det: PiiDetector) -> None:
    rng = random.Random(4)
    code = make_uscc(rng)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert kinds_and_values(det, f"统一社会信用代码：{code}") == [("pii.uscc", code)]
    assert kinds_and_values(det, f"编码：{wrong}") == []


def test_documents_and_plates(det: PiiDetector) -> None:
    text = "护照号E12345678，港澳通行证CA1234567，车牌粤B·D12345和京A12345"
    assert kinds_and_values(det, text) == [
        ("pii.passport", "E12345678"),
        ("pii.hk_macau_permit", "CA1234567"),
        ("pii.car_plate", "粤B·D12345"),
        ("pii.car_plate", "京A12345"),
    ]
    assert kinds_and_values(det, "车牌京ABCDEF") == []


def test_email_and_ips(det: PiiDetector) -> None:
    text = "mail john.doe+x@mail.example.com.cn from 10.0.12.7 or 2001:db8::8a2e:370:7334."
    assert kinds_and_values(det, text) == [
        ("pii.email", "john.doe+x@mail.example.com.cn"),
        ("pii.ipv4", "10.0.12.7"),
        ("pii.ipv6", "2001:db8::8a2e:370:7334"),
    ]
    assert kinds_and_values(det, "version 1.2.3.4.5 and 300.1.1.1 and std::vector a::b") == []


def test_qq_and_wechat_only_with_context(det: PiiDetector) -> None:
    assert kinds_and_values(det, "加我QQ：12345678，微信号：wxid_abc123") == [
        ("pii.qq", "12345678"),
        ("pii.wechat", "wxid_abc123"),
    ]
    assert kinds_and_values(det, "编号12345678，名字wx_abc123 vxabcdefg") == []
    assert kinds_and_values(det, "来自 wxid_k2j3h4g5f6 的消息") == [
        ("pii.wechat", "wxid_k2j3h4g5f6")
    ]
    # a word after "WeChat" is not cut short into an ID ("officia" of "official")
    assert kinds_and_values(det, "the Langgraph WeChat official account aime") == []
    assert kinds_and_values(det, "WeChat: alice_2024 thanks") == [("pii.wechat", "alice_2024")]


def test_hard_negatives(det: PiiDetector) -> None:
    text = "时间戳20240101123045，ISBN 978-7-111-12345-6，价格12,345.67元，日期2024-01-01"
    assert kinds_and_values(det, text) == []


def test_offsets_are_original_with_full_width_and_zero_width(det: PiiDetector) -> None:
    text = "电话：１３８\u200b００１３８０００！"
    found = det.detect(text)
    assert [(f.kind, text[f.start : f.end]) for f in found] == [
        ("pii.cn_mobile", "１３８\u200b００１３８０００")
    ]


def test_short_card_issuers(det: PiiDetector) -> None:
    amex = "378282246310005"  # documented test numbers of the card schemes
    diners = "30569309025904"
    text = f"Amex {amex[:4]} {amex[4:10]} {amex[10:]} and Diners {diners}"
    assert kinds_and_values(det, text) == [
        ("pii.bank_card", f"{amex[:4]} {amex[4:10]} {amex[10:]}"),
        ("pii.bank_card", diners),
    ]
    # a 15-digit Luhn-valid number from another range is not a card
    assert kinds_and_values(det, "单号 412345678901233") == []  # Luhn-valid


def test_ipv6_after_colon_and_embedded_ipv4(det: PiiDetector) -> None:
    text = "备用地址：fe80::d9b4，映射 ::ffff:10.0.0.1"
    assert kinds_and_values(det, text) == [
        ("pii.ipv6", "fe80::d9b4"),
        ("pii.ipv6", "::ffff:10.0.0.1"),
    ]


def test_mobile_not_inside_codes(det: PiiDetector) -> None:
    assert kinds_and_values(det, "税号13110108554FJ11250") == []


def test_field_separators_are_not_folded(det: PiiDetector) -> None:
    text = "简历｜王小明｜+86 138 0013 8000｜北京/上海"
    found = det.detect(text)
    assert ("pii.cn_mobile", "+86 138 0013 8000") in [
        (f.kind, text[f.start : f.end]) for f in found
    ]
