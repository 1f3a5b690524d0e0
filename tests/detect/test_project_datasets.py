"""The project-written training and evaluation sets: each is reproduced byte for byte by its
script, and the Chinese attack set's held-out families never change (their figure in
bench/RESULTS.md is comparable across versions only while the rows are the same)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ATTACK_SET = ROOT / "tests" / "data" / "attack" / "zh_attack_set.jsonl"
#: SHA-256 of the held-out rows of the attack set, in file order (511 rows: 444 attacks and
#: 67 benign, 10 families). Unchanged since the set's first version; a new version adds
#: training families after them and must leave these bytes alone.
HELDOUT_SHA256 = "1bee1e4f776ba7c533b36bea8bf8a5c12a84d928146011a4fd36380c0452e9c1"


def _rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.mark.parametrize(
    ("script", "data"),
    [
        ("build_zh_attack_set.py", ATTACK_SET),
        ("build_zh_harmful_questions.py", ROOT / "tests/data/risk/zh_harmful_questions.jsonl"),
    ],
)
def test_script_reproduces_the_committed_set(script: str, data: Path, tmp_path: Path) -> None:
    out = tmp_path / data.name
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == data.read_bytes()


def test_attack_set_heldout_rows_are_unchanged() -> None:
    heldout = [line for line in _rows(ATTACK_SET) if json.loads(line)["split"] == "heldout"]
    assert len(heldout) == 511
    digest = hashlib.sha256("".join(heldout).encode("utf-8")).hexdigest()
    assert digest == HELDOUT_SHA256


def test_attack_set_splits_are_disjoint() -> None:
    rows = [json.loads(line) for line in _rows(ATTACK_SET)]
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts)), "a text occurs twice"
    families: dict[str, set[str]] = {}
    for r in rows:
        families.setdefault(r["family"], set()).add(r["split"])
        assert (r["label"] == "attack") == (r["kind"] is not None)
    assert all(len(splits) == 1 for splits in families.values()), "a family in both splits"
