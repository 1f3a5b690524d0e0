"""The GB 45438 explicit notice for AI-generated text, as plain strings.

Core, so that any face can add the notice without importing the labelling face. A text
notice must contain "AI"/"人工智能" and "生成"/"合成" (GB 45438-2025, 4.1); the defaults
below do, and so does the labelling face's renderer, which checks custom wordings.
"""

from __future__ import annotations

import re
from typing import Literal

NoticePosition = Literal["none", "prepend", "append"]

DEFAULT_NOTICE = {
    "zh": "【本内容由人工智能生成】",
    "en": "[AI-generated content]",
}


_AI = re.compile(r"(?<![A-Za-z])AI(?![A-Za-z])|人工智能|artificial\s+intelligence", re.I)
_AI_ZH = re.compile(r"(?<![A-Za-z])AI(?![A-Za-z])|人工智能")
_GEN_ZH = re.compile(r"生成|合成")
_GEN_EN = re.compile(r"\bgenerated\b|\bsynthesi[sz]ed\b", re.I)


def notice_terms(line: str) -> tuple[bool, bool]:
    """(has an AI term, has a generation term): "AI" as a word, 人工智能 or "artificial
    intelligence"; 生成/合成 or "generated"/"synthesized"."""
    ai = _AI.search(line) is not None
    return ai, _GEN_ZH.search(line) is not None or _GEN_EN.search(line) is not None


def is_notice(line: str) -> bool:
    """True when ``line`` reads as an AI-generation notice (Chinese or English wording)."""
    ai, gen = notice_terms(line)
    return ai and gen


def is_chinese_notice(line: str) -> bool:
    """The GB 45438 wording itself: "AI"/人工智能 and 生成/合成 in one line."""
    return _AI_ZH.search(line) is not None and _GEN_ZH.search(line) is not None


def notice_text(language: str = "zh", custom: dict[str, str] | None = None) -> str:
    """The notice wording for ``language`` (``zh`` or ``en``), a custom wording first."""
    table = {**DEFAULT_NOTICE, **(custom or {})}
    return table.get(language) or table["zh"]


def add_text_notice(text: str, position: NoticePosition, notice: str) -> str:
    """``text`` with ``notice`` on a line of its own before or after it."""
    if position == "prepend":
        return f"{notice}\n{text}"
    if position == "append":
        return f"{text}\n{notice}"
    return text
