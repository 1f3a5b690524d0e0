"""Batch scanning gives exactly the per-text results (offsets, kinds, values)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.detect.base import BATCH_SEPARATOR
from aisec.policy import default_policy

PIECES = [
    "手机13800138000",
    "电话：",
    "13900139000",
    "身份证110105198805123315",
    "邮箱 a.b@example.com",
    "password=Xk9#mP2qL7vR ",
    "法 轮 功",
    "  ",
    "\n",
    "。",
    "f u c k",
    "我叫王小明，住在北京市朝阳区建国路88号",
    "Contact Emily Carter at 12 Baker Street",
    "卡号",
    "6222022601815908309",
    "QQ",
    "：12345678",
    "微信",
    "ip 10.0.0.1",
    "這是繁體",
    "\u200b",
    "sk-proj-8fK2mQ9xL4vR7tY1wZ3nB6cD0eH5jP2s",
]


@pytest.fixture(scope="module")
def scanner():  # type: ignore[no-untyped-def]
    return default_policy().build_scanner()


def as_tuples(result):  # type: ignore[no-untyped-def]
    return [(f.kind, f.start, f.end, f.value, round(f.score, 6)) for f in result.findings]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map("".join), min_size=2, max_size=8))
def test_batch_equals_single(scanner, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    batch = scanner.scan_batch(texts)
    single = [scanner.scan(t) for t in texts]
    assert [as_tuples(r) for r in batch] == [as_tuples(r) for r in single]


def test_context_does_not_leak_across_records(scanner) -> None:  # type: ignore[no-untyped-def]
    # "卡号" at the end of one record must not raise the score of a number in the next
    texts = ["请输入卡号", "6011000990139424 是什么"]
    assert [as_tuples(r) for r in scanner.scan_batch(texts)] == [
        as_tuples(scanner.scan(t)) for t in texts
    ]


def test_texts_containing_the_separator_fall_back(scanner) -> None:  # type: ignore[no-untyped-def]
    texts = [f"a{BATCH_SEPARATOR}b 13800138000", "c"]
    got = scanner.scan_batch(texts)
    assert [as_tuples(r) for r in got] == [as_tuples(scanner.scan(t)) for t in texts]


def test_threads_can_scan_at_once(scanner) -> None:  # type: ignore[no-untyped-def]
    # Hyperscan needs one scratch space per concurrent scan (a guard serves requests from
    # a thread pool); every database keeps one per thread
    import threading

    text = "".join(PIECES) * 20
    expected = as_tuples(scanner.scan(text))
    failures: list[str] = []

    def work() -> None:
        for _ in range(15):
            try:
                if as_tuples(scanner.scan(text)) != expected:
                    failures.append("different findings")
            except Exception as exc:
                failures.append(type(exc).__name__)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=6).map("".join))
def test_scan_given_the_normalised_text_is_scan(scanner, text: str) -> None:  # type: ignore[no-untyped-def]
    from aisec.text import normalize

    assert as_tuples(scanner.scan(text, normalize(text))) == as_tuples(scanner.scan(text))


def test_scan_refuses_the_normalised_form_of_another_text(scanner) -> None:  # type: ignore[no-untyped-def]
    from aisec.text import normalize

    with pytest.raises(ValueError, match="normalised form"):
        scanner.scan("手机13800138000", normalize("手机13900139000"))
