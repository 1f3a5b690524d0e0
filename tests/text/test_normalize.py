"""Normalisation folds evasions and keeps a faithful map back to the original text."""

from __future__ import annotations

import importlib
import itertools
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.text import normalize
from aisec.text.normalize import normalize_python


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
    # a spaced-out e-mail local part is joined, a one-letter word before an address is not
    for fold in (normalize, normalize_python):
        assert fold("j o h n@b.cn").text == "john@b.cn"
        assert fold("I a@b.cn").text == "I a@b.cn"
        assert fold("x, I a@b.cn").text == "x, I a@b.cn"
        assert fold("f u c k@b.cn").text == "fuck@b.cn"
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


def test_lone_surrogates_are_deleted_and_spans_map_back_over_them() -> None:
    # a str can hold them (JSON's "\\ud83d" escapes); the matchers need valid UTF-8
    original = "电话\ud83d138\udcff0013 8000"
    for nt in (normalize(original), normalize_python(original)):
        assert nt.text == "电话1380013 8000"
        nt.text.encode("utf-8")
        s, e = nt.to_original(2, len(nt.text))
        assert original[s:e] == "138\udcff0013 8000"
    assert normalize("\ud800\udfff").text == ""


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


# --- an independent, slow reference: one character at a time, then plain regexes ---------

_NOISE_CJK = " .·*_-~+^`'\"#@="
_NOISE_LATIN = " *_-·"
_HAN = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_REF_CJK = re.compile(f"(?<=[{_HAN}])[{re.escape(_NOISE_CJK)}]{{1,3}}(?=[{_HAN}])")
_REF_LATIN = re.compile(
    f"(?<![A-Za-z][A-Za-z])(?<=[A-Za-z])[{re.escape(_NOISE_LATIN)}]{{1,2}}(?=[A-Za-z](?![A-Za-z]))"
)


def _reference(text: str) -> tuple[str, list[int]]:
    tables = importlib.import_module("aisec.text.normalize")._tables()
    chars: list[str] = []
    src: list[int] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp >= 0x30000:
            out = "" if 0xE0000 <= cp <= 0xE007F or 0xE0100 <= cp <= 0xE01EF else ch
        else:
            v = int(tables.fold[cp])
            if v == 0x110000:
                out = ""
            elif v == 0x110001:
                out = "".join(chr(c) for c in tables.expansions[cp])
            else:
                out = chr(v)
        for c in out:
            chars.append(c)
            src.append(i)

    def cut(spans: list[tuple[int, int]], newline_at: list[int]) -> None:
        drop: set[int] = set()
        for lo, hi in spans:
            drop.update(range(lo, hi))
        for i in newline_at:
            chars[i] = "\n"
        keep = [i for i in range(len(chars)) if i not in drop]
        chars[:] = [chars[i] for i in keep]
        src[:] = [src[i] for i in keep]

    s = "".join(chars)
    runs, nl = [], []
    for m in re.finditer(r"[ \n]{2,}", s):
        if s[m.start()] != "\n" and "\n" in m.group():
            nl.append(m.start())
        runs.append((m.start() + 1, m.end()))
    cut(runs, nl)
    s = "".join(chars)
    cut([m.span() for m in _REF_CJK.finditer(s)] + [m.span() for m in _REF_LATIN.finditer(s)], [])
    return "".join(chars), src


_mixed = st.text(
    alphabet=st.sampled_from(
        list("ab Ixyz  \n\t.*-_·~法轮功微信這體中文ＡＢ１２\u200b\u3000…①ﬁ，。|/")
    ),
    max_size=80,
)


@settings(max_examples=500, deadline=None)
@given(_mixed | st.text(max_size=60))
def test_fast_path_equals_reference(text: str) -> None:
    nt = normalize(text)
    ref_text, ref_src = _reference(text)
    assert nt.text == ref_text
    assert [int(v) for v in nt.src] == ref_src
