"""Shard planning: big JSON Lines files are cut into line-aligned slices, and a sliced run
keeps, drops and quarantines exactly what the same run over the whole file does."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.clean.ledger import verify_run
from aisec.clean.pipeline import CleaningRun
from aisec.clean.recipe import parse_recipe
from aisec.clean.shards import line_spans, plan_shards


def _check_spans(data: bytes, target: int, path: Path) -> None:
    path.write_bytes(data)
    spans = line_spans(path, target)
    assert spans[0][0] == 0 and spans[-1][1] == len(data)
    line = 1
    for start, end, first in spans:
        assert start < end and first == line
        if end < len(data):
            assert data[end - 1 : end] == b"\n", "a slice ends after a newline"
            assert end - start >= target, "only the last slice is short"
        line += data[start:end].count(b"\n")
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    trailing=st.booleans(),
    target=st.integers(1, 200),
)
def test_spans_cover_the_file_on_line_boundaries(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], trailing: bool, target: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    if not data:
        return
    _check_spans(data, target, tmp_path_factory.mktemp("spans") / "f.jsonl")


def test_slices_read_a_line_over_the_limit_as_the_whole_file_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.clean import shards
    from aisec.clean.formats import SourceReader
    from aisec.clean.recipe import FieldMap
    from aisec.io import records

    monkeypatch.setattr(records, "LINE_LIMIT", 100)
    monkeypatch.setattr(shards, "_COUNT_BLOCK", 7)  # the rest of a line read in blocks
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps({"text": f"line {i} " + "x" * (400 if i % 4 == 1 else 10)}) for i in range(12)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check_spans(path.read_bytes(), 150, path)

    def read(span: list[int] | None) -> list[tuple[int, str]]:
        reader = SourceReader([(path, "a.jsonl")], "jsonl", FieldMap(), "s", 0, span)
        return [(item.line, getattr(item, "reason", "doc")) for item in reader]

    whole = read(None)
    assert whole == [(i + 1, "too_large" if i % 4 == 1 else "doc") for i in range(12)]
    assert [x for span in line_spans(path, 150) for x in read(span)] == whole


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "id": f"d{i}",
            "text": f"Document {i} about town {i * 7919 % 10007}: words w{i}a w{i}b "
            f"w{i}c w{i}d, and a longer sentence so that quality keeps it.",
        }
        for i in range(400)
    ]
    rows[350] = {"id": "late-dup", "text": rows[10]["text"]}  # a duplicate in a later slice
    rows[200] = {"id": "phone", "text": rows[200]["text"] + " Call 13800138000 now."}
    rows[120] = {"text": rows[120]["text"] + " (no id field)"}
    return rows


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(300, "{broken json")
    lines.insert(50, "")  # blank lines are skipped, but they count in line numbers
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(corpus: Path, out: Path, shard_mb: float, compression: str = "auto") -> dict[str, Any]:
    recipe = parse_recipe(
        f"sources: [{{path: {corpus}}}]\nshard_mb: {shard_mb}\n"
        f"output: {{dir: {out}, compression: {compression}}}\n"
    )
    return CleaningRun(recipe, jobs=2).execute().manifest


def _kept_lines(run: Path, manifest: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for o in manifest["outputs"]:
        data = (run / o["path"]).read_bytes()
        if o["path"].endswith(".gz"):
            data = gzip.decompress(data)
        lines.extend(data.decode().splitlines())
    return lines


def test_sliced_file_is_cleaned_like_the_whole_file(tmp_path: Path) -> None:
    corpus = tmp_path / "in" / "big.jsonl"
    _write(corpus, _rows())
    size = corpus.stat().st_size
    recipe = parse_recipe(f"sources: [{{path: {corpus}}}]\nshard_mb: {size / 4 / 1e6}\n"
                          f"output: {{dir: {tmp_path}/x}}\n")  # fmt: skip
    shards = plan_shards(recipe)
    spans = [s.span for s in shards]
    assert len(spans) == 4 and spans[0] is not None and spans[0][:1] == [0]
    assert all(
        a is not None and b is not None and a[1] == b[0] for a, b in itertools.pairwise(spans)
    )

    whole = _run(corpus.parent, tmp_path / "whole", shard_mb=64)
    sliced = _run(corpus.parent, tmp_path / "sliced", shard_mb=size / 4 / 1e6)
    assert len(whole["outputs"]) == 1 and len(sliced["outputs"]) == 4
    assert [o["path"] for o in sliced["outputs"]] == [
        f"data/in/big-{k:05d}.jsonl" for k in range(4)
    ]
    for key in ("input", "kept", "dropped", "quarantined", "counts", "details", "by_source"):
        assert sliced[key] == whole[key], key
    assert sliced["counts"]["exact_dedup"] == {"drop:duplicate": 1}
    assert sliced["counts"]["read"] == {"quarantine:malformed_json": 1}
    assert sliced["inputs"] == whole["inputs"] and len(sliced["inputs"]) == 1
    assert _kept_lines(tmp_path / "sliced", sliced) == _kept_lines(tmp_path / "whole", whole)
    # the quarantined line has the same number (and record id) either way
    q_whole = (tmp_path / "whole/quarantine/00000.jsonl").read_text()
    q_sliced = "".join(p.read_text() for p in sorted((tmp_path / "sliced/quarantine").iterdir()))
    assert json.loads(q_whole)["line"] == json.loads(q_sliced)["line"] == 302
    assert verify_run(tmp_path / "sliced").ok


def test_sliced_output_compressed_as_asked(tmp_path: Path) -> None:
    corpus = tmp_path / "in" / "big.jsonl"
    _write(corpus, _rows())
    size = corpus.stat().st_size
    m = _run(corpus.parent, tmp_path / "gz", shard_mb=size / 3 / 1e6, compression="gzip")
    plain = _run(corpus.parent, tmp_path / "plain", shard_mb=64)
    assert all(o["path"].endswith(".jsonl.gz") for o in m["outputs"])
    assert _kept_lines(tmp_path / "gz", m) == _kept_lines(tmp_path / "plain", plain)
