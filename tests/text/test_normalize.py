"""Normalisation folds evasions and keeps a faithful map back to the original text."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.text import normalize


def test_folds_width_traditional_and_invisibles() -> None:
    assert normalize("１３８００１３８０００").text == "13800138000"
    assert normalize("這是繁體中文").text == "这是繁体中文"
    assert normalize("hello\u200bwor\u200dld\ufeff").text == "helloworld"
    assert normalize("𝐟𝐮𝐜𝐤").text == "fuck"
    assert normalize("ＡＢＣ").text == "ABC"
    assert normalize("café").text == "cafe"
    assert normalize("раураl").text == "paypal"  # Cyrillic look-alikes


def test_folds_symbol_insertion_but_keeps_ordinary_spacing() -> None:
    assert normalize("法.轮.功").text == "法轮功"
    assert normalize("微 信 号").text == "微信号"
    assert normalize("f u c k you").text == "fuck you"
    assert normalize("f-u-c-k").text == "fuck"
    assert normalize("I am a boy").text == "I am a boy"
    # sentence punctuation between Chinese characters is not filler
    assert normalize("我叫张三，李四是我朋友").text == "我叫张三,李四是我朋友"


def test_collapses_whitespace_and_keeps_line_breaks() -> None:
    assert normalize("a\t\t  word  here").text == "a word here"
    assert normalize("line one \r\n\n  line two").text == "line one\nline two"


def test_expansions_map_to_their_source_character() -> None:
    nt = normalize("x①ﬁy")
    assert nt.text == "x1fiy"
    assert nt.to_original(1, 2) == (1, 2)
    assert nt.to_original(2, 4) == (2, 3)  # "fi" comes from one ligature


def test_span_maps_back_over_deleted_characters() -> None:
    original = "联系微\u200b信：abc"
    nt = normalize(original)
    i = nt.text.index("微信")
    s, e = nt.to_original(i, i + 2)
    assert original[s:e] == "微\u200b信"


def test_identity_for_clean_text() -> None:
    nt = normalize("plain text, nothing to fold")
    assert nt.identity
    assert nt.to_original(0, 5) == (0, 5)


_alphabet = st.sampled_from(
    list("abcAB 12\t\n.*-_法轮功微信這體ＡＢ１２\u200b\u200d\u0301\ufeff①ﬁ…𝐟\U000e0041。，")
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=60) | st.text(max_size=40), st.data())
def test_map_stays_inside_and_covers_the_match(text: str, data: st.DataObject) -> None:
    nt = normalize(text)
    n = len(nt.text)
    src = nt.src
    assert len(src) == n
    # the map is monotone and points inside the original
    assert all(0 <= int(v) < len(text) for v in src)
    assert all(int(a) <= int(b) for a, b in itertools.pairwise(src))
    if n == 0:
        return
    start = data.draw(st.integers(0, n - 1))
    end = data.draw(st.integers(start + 1, n))
    os_, oe = nt.to_original(start, end)
    assert 0 <= os_ < oe <= len(text)
    # every normalised character of the span came from inside the original span
    for i in range(start, end):
        assert os_ <= int(src[i]) < oe


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_normalising_twice_changes_nothing_more_for_nfkc(text: str) -> None:
    once = normalize(text).text
    # the normalised text is stable under NFKC (folding is complete for matching)
    assert unicodedata.normalize("NFKC", once) == once or any(ord(c) >= 0x30000 for c in once)
