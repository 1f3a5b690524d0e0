"""HTML stripping of the normalise step: the regular expression that defines it, in time
linear in the text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.clean.steps.text import _strip_tags_scan, strip_tags

TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[a-zA-Z/!][^<>]{0,2000}>", re.S | re.I)
PARTS = [
    "<script>",
    "<SCRIPT x=1>",
    "</script>",
    "</Script >",
    "<scripts>",
    "<style>",
    "</style>",
    "<!--",
    "-->",
    "<!---->",
    "<!-->",
    ">",
    "<",
    "<b>",
    "</b>",
    "<!DOCTYPE html>",
    '<a href="x">',
    "文字",
    " ",
    "\n",
    "<1>",
]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PARTS), max_size=14).map("".join))
def test_strip_tags_is_the_regex(text: str) -> None:
    assert strip_tags(text) == TAG.sub("", text)
    assert _strip_tags_scan(text, " ") == TAG.sub(" ", text)


def test_unclosed_elements_and_comments() -> None:
    # 32,000 of each: the expression alone took minutes
    text = "<script>" * 32_000 + "<!--" * 32_000 + "<style x" * 32_000 + "正文"
    assert strip_tags(text) == "<!--" * 32_000 + "<style x" * 32_000 + "正文"
