"""The quality step's vectorised character statistics equal the plain Python definitions."""

from __future__ import annotations

import unicodedata
from collections import Counter

from hypothesis import example, given, settings
from hypothesis import strategies as st

from aisec.clean.steps.charstats import char_stats


def reference(text: str) -> tuple[int, float, float, float, float]:
    dense = [ch for ch in text if not ch.isspace()]
    if not dense:
        return 0, 0.0, 0.0, 0.0, 0.0
    n = len(dense)
    garbled = sum(
        1
        for ch in dense
        if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" or unicodedata.category(ch) == "Cc"
    )
    letters = sum(1 for ch in dense if ch.isalnum())
    symbols = sum(1 for ch in dense if unicodedata.category(ch)[0] == "S")
    compact = "".join(dense)
    top = 0.0
    if len(compact) >= 40:
        grams = Counter(compact[i : i + 4] for i in range(len(compact) - 3))
        top = grams.most_common(1)[0][1] * 4 / len(compact)
    return n, garbled / n, letters / n, symbols / n, top


ALPHABET = st.sampled_from([*"ab 我们\n\t。，！$€😀\ufffd\ue001\x07\u3000\u200b𠀀1２", "\ud800"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=120), st.text(ALPHABET, max_size=300)))
@example("哈哈哈哈" * 20)
@example("😀😀 😀\U000f0001" * 15)
def test_same_as_the_character_loops(text: str) -> None:
    s = char_stats(text)
    assert (s.dense, s.garbled, s.letters, s.symbols, s.top_4gram) == reference(text)


def test_plainly_chinese_only_without_kana_or_hangul() -> None:
    assert char_stats("我们今天去公园散步，天气很好，还买了𠀀两杯奶茶。").plainly_chinese
    assert char_stats("AI 生成的内容需要加上显式标识和隐式标识").plainly_chinese
    assert not char_stats("今日は天気がいいので公園を散歩しました。").plainly_chinese
    assert not char_stats("안녕하세요 오늘 날씨가 좋네요 中文").plainly_chinese
    assert not char_stats("Hello world, this is mostly English 你好").plainly_chinese
    assert not char_stats("   ").plainly_chinese
