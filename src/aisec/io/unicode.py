"""Lone surrogates: code points a Python ``str`` can hold and UTF-8 cannot.

JSON allows ``"\\ud83d"`` on its own (a broken emoji, cut in half by a client or a crawler),
and `json.loads` turns it into a lone surrogate; encoding such a text to UTF-8 raises. The
detectors never see them (`aisec.text.normalize` deletes them); what is written back
out keeps them as the JSON escapes they came from (`json_text`, `json_utf8`), and the
cleaning pipeline, whose output is training text, replaces them with U+FFFD
(`replace_lone_surrogates`).
"""

from __future__ import annotations

import json
import re
from typing import Any

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(obj: Any, **options: Any) -> str:
    """``obj`` as JSON with non-ASCII characters as themselves (``ensure_ascii=False``,
    ``options`` for `json.dumps`), except lone surrogates, which stay ``\\uXXXX`` escapes as
    with ``ensure_ascii=True``: the text is then always valid UTF-8, and reads back as
    `json.dumps`'s would."""
    text = json.dumps(obj, ensure_ascii=False, **options)
    return LONE_SURROGATE.sub(_escape, text) if LONE_SURROGATE.search(text) else text


def json_utf8(text: str) -> bytes:
    """JSON ``text`` (made with ``ensure_ascii=False``) in UTF-8, its lone surrogates as
    escapes (`json_text`); the plain encode when it has none."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return LONE_SURROGATE.sub(_escape, text).encode("utf-8")


def utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8, a lone surrogate counted as the three it would take."""
    return len(text.encode("utf-8", "surrogatepass"))


def without_lone_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (``text`` itself when it has
    none)."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def replace_lone_surrogates(obj: Any) -> Any:
    """``obj`` (parsed JSON) with every lone surrogate in its strings (keys included)
    replaced by U+FFFD; the same object when it has none."""
    if isinstance(obj, str):
        return without_lone_surrogates(obj)
    if isinstance(obj, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [replace_lone_surrogates(v) for v in obj]
    return obj
