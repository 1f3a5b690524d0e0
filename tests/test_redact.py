"""Redaction operators: shape-keeping masks, labels, keyed pseudonyms, reversible encryption."""

from __future__ import annotations

import base64

import pytest

from aisec.detect.base import Finding
from aisec.errors import RedactionError
from aisec.policy import parse_policy
from aisec.redact import Redactor, generate_key, mask_value, parse_key, unredact

KEY = parse_key(generate_key(), source="test")


def policy(action: str) -> Redactor:
    pol = parse_policy(f"version: 1\nactions:\n  default: flag\n  pii.*: {action}\n")
    return Redactor(pol, master_key=KEY)


def finding(text: str, value: str, kind: str) -> Finding:
    start = text.index(value)
    return Finding(kind, start, start + len(value), 0.99, "test", "1")


def test_mask_keeps_shape_and_kind_specific_ends() -> None:
    text = "身份证110105199003071234，手机138-0013-8000"
    red = policy("redact:mask")
    out = red.apply(
        text,
        [
            finding(text, "110105199003071234", "pii.cn_id_card"),
            finding(text, "138-0013-8000", "pii.cn_mobile"),
        ],
    )
    assert out.text == "身份证110105********1234，手机138-****-8000"


def test_mask_email_keeps_domain() -> None:
    text = "mail john.doe@example.com"
    out = policy("redact:mask").apply(text, [finding(text, "john.doe@example.com", "pii.email")])
    assert out.text == "mail j***.***@example.com"


def test_mask_value_never_reveals_short_values_whole() -> None:
    assert mask_value("张三", (1, 0)) == "张*"
    assert mask_value("ab", (6, 4)) == "**"


def test_replace_uses_taxonomy_label_or_policy_override() -> None:
    text = "我叫王小明"
    f = finding(text, "王小明", "pii.person_name")
    assert policy("redact:replace").apply(text, [f]).text == "我叫<姓名>"
    pol = parse_policy(
        "version: 1\nactions: {pii.*: redact:replace}\nredaction: {labels: {pii.person_name: NAME}}\n"
    )
    assert Redactor(pol).apply(text, [f]).text == "我叫<NAME>"


def test_pseudonym_is_stable_across_formats_and_keyed() -> None:
    red = policy("redact:pseudonym")
    a = red.operate("pseudonym", "pii.cn_mobile", "138-0013-8000")
    b = red.operate("pseudonym", "pii.cn_mobile", "13800138000")
    c = red.operate("pseudonym", "pii.cn_mobile", "13900139000")
    assert a == b != c
    assert a.startswith("<手机号_")
    other = Redactor(red.policy, master_key=parse_key(generate_key(), source="t"))
    assert other.operate("pseudonym", "pii.cn_mobile", "13800138000") != a


def test_encrypt_round_trip_and_wrong_key() -> None:
    text = "卡号6222021234567890123，邮箱a@b.cn"
    red = policy("redact:encrypt")
    out = red.apply(
        text,
        [
            finding(text, "6222021234567890123", "pii.bank_card"),
            finding(text, "a@b.cn", "pii.email"),
        ],
    )
    assert "6222021234567890123" not in out.text
    assert "[[aisec:enc:pii.bank_card:" in out.text
    restored, n = unredact(out.text, KEY)
    assert (restored, n) == (text, 2)
    with pytest.raises(RedactionError, match="does not decrypt"):
        unredact(out.text, parse_key(generate_key(), source="t"))


def test_keyed_operators_without_key_fail_clearly() -> None:
    pol = parse_policy("version: 1\nactions: {pii.*: redact:encrypt}\n")
    with pytest.raises(RedactionError, match="needs a key"):
        Redactor(pol).apply("a@b.cn", [Finding("pii.email", 0, 6, 0.9, "t", "1")])


def test_drop_and_block_are_record_level() -> None:
    pol = parse_policy("version: 1\nactions: {pii.email: drop, risk.*: block}\n")
    red = Redactor(pol)
    assert red.apply("x a@b.cn", [Finding("pii.email", 2, 8, 0.9, "t", "1")]).dropped
    assert red.apply("bad", [Finding("risk.A1.4", 0, 3, 0.9, "t", "1")]).blocked


def test_overlapping_findings_redact_once() -> None:
    text = "号码6222021234567890123"
    red = policy("redact:replace")
    fs = [
        Finding("pii.bank_card", 2, 21, 0.98, "t", "1"),
        Finding("pii.cn_mobile", 5, 16, 0.85, "t", "1"),
    ]
    assert red.apply(text, fs).text == "号码<银行卡号>"


def test_bad_keys() -> None:
    with pytest.raises(RedactionError, match="32 bytes"):
        parse_key(base64.b64encode(b"short").decode(), source="k")
    with pytest.raises(RedactionError, match="base64"):
        parse_key("not base64!!", source="k")
