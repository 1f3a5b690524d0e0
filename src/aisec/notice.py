"""The GB 45438 explicit notice for AI-generated text, as plain strings.

Core, so that any face can add the notice without importing the labelling face. A text
notice must contain "AI"/"人工智能" and "生成"/"合成" (GB 45438-2025, 4.1); the defaults
below do, and so does the labelling face's renderer, which checks custom wordings.
"""

from __future__ import annotations

from typing import Literal

NoticePosition = Literal["none", "prepend", "append"]

DEFAULT_NOTICE = {
    "zh": "【本内容由人工智能生成】",
    "en": "[AI-generated content]",
}


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
