"""Ranking and splitting findings in C (`aisec.detect._batch`) against the Python versions."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from aisec.detect.base import Finding, JoinedBatch, join_batch, native_batch
from aisec.detect.pii import PiiDetector
from aisec.detect.pii.detector import resolve_overlaps, resolve_overlaps_python
from aisec.text import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from pii_gen import generate

pytestmark = pytest.mark.skipif(
    native_batch() is None and os.environ.get("AISEC_REQUIRE_NATIVE") != "1",
    reason="aisec.detect._batch is not built",
)

KINDS = ["pii.email", "pii.cn_mobile", "pii.phone", "pii.cn_id_card", "risk.A1.4", "pii.uscc"]


def _random_findings(rng: random.Random, length: int, n: int) -> list[Finding]:
    out = []
    for _ in range(n):
        start = rng.randint(0, length)
        end = min(length, start + rng.choice([0, 1, 2, 3, 5, 8, 13, 40]))
        score = rng.choice([0.3, 0.5, 0.85, 0.9, 0.97, 0.99])
        out.append(Finding(rng.choice(KINDS), start, end, score, "d", "1", rng.choice([None, "v"])))
    return out


def test_the_compiled_helpers_are_built_where_required() -> None:
    assert native_batch() is not None


def test_resolve_overlaps_same_as_python() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        found = _random_findings(rng, rng.randint(1, 80), rng.randint(0, 30))
        assert resolve_overlaps(list(found)) == resolve_overlaps_python(list(found))


def test_split_same_as_python_on_random_findings() -> None:
    rng = random.Random(8)
    pieces = ["abc", "１２３", "法.轮", "a  b", "x\u200by", "ﬁ", "中文", " ", "\n\n"]
    for _ in range(1500):
        texts = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(1, 6))
        ]
        batch = join_batch(texts)
        assert batch is not None
        nt = normalize(batch.text)
        found = _random_findings(rng, len(nt.text), rng.randint(1, 40))
        assert batch.split(found, nt) == batch.split_python(found, nt)
        assert batch.split(found, None) == batch.split_python(found, None)
        single = JoinedBatch.single(texts[0])
        nt0 = normalize(texts[0])
        few = _random_findings(rng, len(nt0.text), rng.randint(1, 30))
        assert single.split(few, nt0) == single.split_python(few, nt0)


def test_split_rejects_findings_outside_the_text() -> None:
    batch = JoinedBatch.single("ab\u200bcd")
    nt = normalize(batch.text)
    with pytest.raises(ValueError, match="outside"):
        batch.split([Finding("pii.email", 0, 99, 0.9, "d", "1")] * 30, nt)


def test_detect_batch_same_with_and_without(
    native_off: Callable[[], None],
) -> None:
    texts = [item.text for item in generate(400, seed=5)]
    det = PiiDetector()
    expected = det.detect_batch(texts)
    native_off()
    assert native_batch() is None
    assert PiiDetector().detect_batch(texts) == expected
