"""HTML and boilerplate stripping of the normalise step: the regular expressions that define
them, in time linear in the text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.clean.steps.text import _strip_tags_scan, strip_boilerplate, strip_tags

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


BOILERPLATE = re.compile(
    r"^\s*(版权所有|copyright ©?|all rights reserved|点击(这里|此处)|扫码关注|分享到[:：]|"
    r"上一篇[:：]|下一篇[:：]|责任编辑[:：]|cookie|privacy policy|订阅我们).{0,80}$",
    re.I | re.M,
)
LINES = [
    "版权所有 2024",
    "Copyright © x",
    "cookie",
    "分享到：",
    "正文",
    " ",
    "\n",
    "\n\n",
    "\t",
    "\u3000",
    "\r\n",
    "x" * 90,
]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(LINES), max_size=14).map("".join))
def test_strip_boilerplate_is_the_regex(text: str) -> None:
    assert strip_boilerplate(text) == BOILERPLATE.sub("", text)


def test_boilerplate_after_many_blank_lines() -> None:
    # 40,000 blank lines: the expression took about a minute
    text = "正文\n" + " \n" * 40_000 + "版权所有 2024\n尾"
    assert strip_boilerplate(text) == "正文\n\n尾"
