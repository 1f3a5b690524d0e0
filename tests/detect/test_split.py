"""`JoinedBatch.split`: the numpy path (many findings) and the plain path (a few findings in
one text) give the same per-text findings, mapped through the normalisation offset map."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.detect import base
from aisec.detect.base import Finding, JoinedBatch, join_batch
from aisec.text import normalize

texts_st = st.lists(
    st.text(alphabet=st.sampled_from(list("ab 　１２\u200b法.轮\n")), max_size=12),
    min_size=1,
    max_size=4,
)


def _findings(draw: st.DrawFn, length: int) -> list[Finding]:
    spans = draw(st.lists(st.tuples(st.integers(0, length), st.integers(0, 6)), max_size=30))
    kinds = ["pii.a", "pii.b"]
    return [
        Finding(kinds[i % 2], s, min(length, s + w), 0.5, "t", "1")
        for i, (s, w) in enumerate(spans)
    ]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str], list[Finding]]:
    texts = draw(texts_st)
    joined = join_batch(texts)
    assert joined is not None
    return texts, _findings(draw, len(normalize(joined.text).text))


def _reference(batch: JoinedBatch, findings: list[Finding], nt) -> list[list[tuple]]:  # type: ignore[no-untyped-def]
    out: list[list[tuple]] = [[] for _ in batch.starts]
    for f in findings:
        s, e = nt.to_original(f.start, f.end)
        for i, (b, n) in enumerate(zip(batch.starts, batch.lengths, strict=True)):
            if b <= s < b + n:
                ls, le = s - b, min(e - b, n)
                if le > ls:
                    out[i].append((ls, le, f.kind))
    return [sorted(x, key=lambda t: (t[0], -t[1], t[2])) for x in out]


@settings(max_examples=150, deadline=None)
@given(case=cases(), few=st.sampled_from([0, 10_000]))
def test_split_paths_agree_with_reference(case: tuple[list[str], list[Finding]], few: int) -> None:
    texts, findings = case
    joined = join_batch(texts)
    assert joined is not None
    nt = normalize(joined.text)
    saved = base._FEW
    base._FEW = few  # 0: always numpy; 10,000: plain Python whenever there is one text
    try:
        batches = [joined] if len(texts) > 1 else [joined, JoinedBatch.single(texts[0])]
        for batch in batches:
            got = [[(f.start, f.end, f.kind) for f in fs] for fs in batch.split(findings, nt)]
            assert got == _reference(batch, findings, nt)
    finally:
        base._FEW = saved


def test_split_rejects_spans_outside_the_text() -> None:
    nt = normalize("ａｂｃ")
    batch = JoinedBatch.single("ａｂｃ")
    many = [Finding("pii.a", 0, 9, 0.5, "t", "1")] * 30
    with pytest.raises(ValueError, match="outside"):
        batch.split(many, nt)
