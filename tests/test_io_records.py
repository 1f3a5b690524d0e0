"""Limits of the record readers (`aisec.io.records`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisec.errors import InputError
from aisec.io import records
from aisec.io.records import MAX_JSON_DEPTH, bounded_lines, nested_too_deep, read_records


def test_nested_too_deep() -> None:
    ok = json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    deep = json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert not nested_too_deep(ok) and nested_too_deep(deep)
    assert nested_too_deep({"a": [1, {"b": deep}]})
    assert not nested_too_deep(deep, "[]")  # the text has too few brackets to look
    assert not nested_too_deep({"a": "x" * 10}) and not nested_too_deep("text")


def test_bounded_lines_cut_a_long_line_and_read_on(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"short\n" + b"x" * 50 + b"\n" + b"tail\r\n" + b"y" * 10 + b"\r\nend")
    with path.open("rb") as fh:
        got = list(bounded_lines(fh, 10))
    # a line of the limit or more comes out cut, its size the bytes it took
    assert got == [(b"short\n", 6), (b"x" * 10, 51), (b"tail\r\n", 6), (b"y" * 10, 12), (b"end", 3)]
    assert sum(size for _, size in got) == path.stat().st_size
    path.write_bytes(b"x" * 10)  # at the limit, at the end of the file: whole
    with path.open("rb") as fh:
        assert list(bounded_lines(fh, 10)) == [(b"x" * 10, 10)]


def test_bounded_lines_keep_a_crlf_split_by_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"abcdefghi\r\nnext\r\n" + b"z" * 25 + b"\r\nlast\rold mac\n")
    with path.open("r", encoding="utf-8", newline="") as fh:
        got = list(bounded_lines(fh, 10))
    assert [line.rstrip("\r\n") for line, _ in got] == [
        "abcdefghi",
        "next",
        "z" * 10,
        "last",
        "old mac",
    ]
    assert [size > len(line) for line, size in got] == [False, False, True, False, False]


def test_scan_readers_refuse_a_line_over_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "LINE_LIMIT", 64)
    for fmt, good, long in (
        ("text", "fine\n", "x" * 100 + "\n"),
        ("jsonl", '{"text": "fine"}\n', json.dumps({"text": "x" * 100}) + "\n"),
    ):
        path = tmp_path / f"in.{fmt}"
        path.write_text(good + good + long + good, encoding="utf-8")
        reader = read_records(path, fmt)
        assert [r.text for r in (next(reader), next(reader))] == ["fine", "fine"]
        with pytest.raises(InputError, match=rf"in\.{fmt}:3: a line of 64 characters or more"):
            next(reader)
