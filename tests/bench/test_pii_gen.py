"""The PII benchmark's own generator: checksums, spans, determinism (fast; no aisec code)."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import pii_gen
from pii_gen import (
    ValueFactory,
    generate,
    id_check_char,
    id_valid,
    luhn_valid,
    org_code_check,
    uscc_valid,
)


@pytest.fixture(scope="module")
def items() -> list[pii_gen.Item]:
    return generate(1500, seed=7)


@pytest.fixture
def values() -> ValueFactory:
    return ValueFactory(random.Random(3))


def test_checksums_match_published_examples() -> None:
    assert id_check_char("11010519491231002") == "X"  # GB 11643 example
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert uscc_valid("91350100M000100Y43")  # a widely published valid USCC
    assert org_code_check("M000100Y") == "4"  # the organisation code inside it


def test_valid_values_pass_their_checks(values: ValueFactory) -> None:
    for _ in range(300):
        card = values.cn_id_card()
        assert len(card) == 15 or id_valid(card)
        assert luhn_valid(re.sub(r"\D", "", values.bank_card()))
        assert uscc_valid(values.uscc())


def test_look_alikes_fail_their_checks(values: ValueFactory) -> None:
    for _ in range(300):
        order = values.neg_id_bad_check()
        assert len(order) == 18 and not id_valid(order) and not luhn_valid(order)
        assert not uscc_valid(order)
        txn = values.neg_luhn_bad_19()
        assert len(txn) == 19 and not luhn_valid(txn)
        assert not uscc_valid(values.neg_uscc_bad_check())
        assert not re.fullmatch(r"0\d+|1[3-9]\d+", values.neg_digits11())
        assert values.neg_plate_bad_province()[0] not in pii_gen.PROVINCE_ABBR


def test_versions_are_never_ipv4(values: ValueFactory) -> None:
    for _ in range(300):
        parts = values.neg_version().split(".")
        assert len(parts) != 4 or any(int(p) > 255 for p in parts)


def test_spans_point_at_the_value(items: list[pii_gen.Item]) -> None:
    for item in items:
        for span in item.spans + item.negatives:
            value = item.text[span["start"] : span["end"]]
            assert value and value == value.strip()
        for span in item.spans:
            value = item.text[span["start"] : span["end"]]
            if span["kind"] == "pii.cn_id_card" and len(value) == 18:
                assert id_valid(value)
            if span["kind"] == "pii.uscc":
                assert uscc_valid(value)
            if span["kind"] == "pii.email":
                assert "@" in value


def test_mix_of_lines(items: list[pii_gen.Item]) -> None:
    share = sum(not it.spans for it in items) / len(items)
    assert 0.35 < share < 0.45
    kinds = {s["kind"] for it in items for s in it.spans}
    assert kinds == set(pii_gen.KINDS)
    assert {n["kind"] for it in items for n in it.negatives} == set(pii_gen.NEGATIVE_TYPES)
    assert {it.lang for it in items} == {"zh", "en", "mixed"}


def test_same_seed_same_lines() -> None:
    assert [i.as_dict() for i in generate(200, seed=11)] == [
        i.as_dict() for i in generate(200, seed=11)
    ]
    assert generate(50, seed=1)[0].text != generate(50, seed=2)[0].text or (
        generate(50, seed=1)[1].text != generate(50, seed=2)[1].text
    )
