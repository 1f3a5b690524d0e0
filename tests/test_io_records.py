"""Limits of the record readers (`aisec.io.records`)."""

from __future__ import annotations

import json

from aisec.io.records import MAX_JSON_DEPTH, nested_too_deep


def test_nested_too_deep() -> None:
    ok = json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    deep = json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert not nested_too_deep(ok) and nested_too_deep(deep)
    assert nested_too_deep({"a": [1, {"b": deep}]})
    assert not nested_too_deep(deep, "[]")  # the text has too few brackets to look
    assert not nested_too_deep({"a": "x" * 10}) and not nested_too_deep("text")
