"""`aisec.text.normalize` in C (`aisec.text._fold`) against the numpy reference."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from aisec.text import normalize
from aisec.text.normalize import _folder, _tables, normalize_python

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from pii_gen import generate

pytestmark = pytest.mark.skipif(
    _folder() is None and os.environ.get("AISEC_REQUIRE_NATIVE") != "1",
    reason="the compiled normaliser is not built",
)


def _same(text: str) -> None:
    expected, got = normalize_python(text), normalize(text)
    assert got.text == expected.text, text
    assert got.identity == expected.identity, text
    if not expected.identity:
        assert np.array_equal(got.src, expected.src), text


def test_the_compiled_normaliser_is_built_where_required() -> None:
    assert _folder() is not None


def test_same_as_reference_on_generated_and_edge_cases() -> None:
    for item in generate(800, seed=3):
        _same(item.text)
    for text in [
        "",
        "plain ascii",
        "１３８ ００１３ ８０００",
        "法.轮 功, 微 信, 法 . . 轮, 法....轮",
        "f u c k, f-u, a  b, I am a b",
        "I a@b.cn, j o h n@b.cn, x y@z, a b c@d, a@b",
        "a \n\n b\n\n\nc  \t d",
        "ﬁ…①ﷺ \U000e0041\U000e0101 tags",
        "國語 臺灣 É é",
        "\uffff joined \uffff texts",
        "a\ud83db \udcff 法\ud800轮 \ud83d\ude00",
    ]:
        _same(text)


def test_same_as_reference_on_random_text() -> None:
    table = _tables().fold
    rng = random.Random(20261126)
    folded = [int(cp) for cp in np.flatnonzero(table != np.arange(table.shape[0]))]
    pieces = [chr(cp) for cp in rng.sample(folded, 2000)]
    pieces += list(" \n\t.·*_-~+^`'\"#@=|/abcXYZ12中文字國") * 10
    pieces += ["\U000e0041", "\U000e0101", "\U0001f600"]
    for _ in range(20000):
        _same("".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))))


def test_identity_keeps_the_text_object() -> None:
    text = "nothing to fold here"
    nt = normalize(text)
    assert nt.identity and nt.text is text
