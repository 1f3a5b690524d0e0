"""Lone surrogates in text that is written out or encoded (`aisec.io.unicode`)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from aisec.io.unicode import json_text, json_utf8, replace_lone_surrogates, utf8_size

# text with lone surrogates mixed in (hypothesis leaves them out of st.text by default)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
ANY_TEXT = st.lists(st.one_of(st.characters(), SURROGATE)).map("".join)


@given(ANY_TEXT)
def test_json_text_is_utf8_and_reads_back_as_json_dumps_does(text: str) -> None:
    for obj in (text, {"t": text, text: [text, 1]}):
        out = json_text(obj)
        out.encode("utf-8")
        # as json.dumps's own escapes read back (a high and a low surrogate side by side
        # read back as the one character they make)
        assert json.loads(out) == json.loads(json.dumps(obj))
        if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            assert out == json.dumps(obj, ensure_ascii=False)  # nothing else changes


def test_json_text_escapes_only_the_lone_surrogates() -> None:
    assert json_text({"t": "中\ud83d文"}) == '{"t": "中\\ud83d文"}'
    compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(["中\udfff"])
    assert json_utf8(compact) == '["中\\udfff"]'.encode()
    assert json_utf8('["中"]') == '["中"]'.encode()


def test_replace_lone_surrogates_and_sizes() -> None:
    assert replace_lone_surrogates({"k\ud800": ["a\udcff", 1, None]}) == {
        "k\ufffd": ["a\ufffd", 1, None]
    }
    clean = {"a": ["b"]}
    assert replace_lone_surrogates("plain") == "plain"
    assert replace_lone_surrogates(clean) == clean
    assert utf8_size("a中\ud83d") == 1 + 3 + 3
