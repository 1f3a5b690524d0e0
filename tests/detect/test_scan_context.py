"""`ScanContext`'s byte→char offsets: counting (short texts, first offsets) and the numpy
map give the same answers; so does `byte_to_char` against its plain definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aisec.detect.pii.base import ScanContext
from aisec.text import normalize
from aisec.text.hsdb import byte_to_char

# ASCII, two-, three- and four-byte characters, and the batch separator
texts = st.text(alphabet=st.sampled_from("ab 1é中文𝐟\uffff\n"), max_size=80)


def reference(data: bytes) -> list[int]:
    """The character that starts at or contains each byte offset, then the count."""
    out: list[int] = []
    index = -1
    for byte in data:
        if byte & 0xC0 != 0x80:
            index += 1
        out.append(index)
    return [*out, index + 1]


@given(texts)
def test_byte_to_char_matches_its_definition(text: str) -> None:
    data = text.encode("utf-8")
    got = byte_to_char(data)
    assert got.dtype.name == "int64"
    assert got.tolist() == reference(data)


@given(texts, st.lists(st.integers(0, 400), max_size=30), st.integers(0, 3))
def test_counted_offsets_match_the_map(text: str, picks: list[int], split: int) -> None:
    nt = normalize(text)
    data = nt.text.encode("utf-8")
    expected = reference(data)
    offsets = [p % (len(data) + 1) for p in picks]
    ctx = ScanContext(nt)
    # some offsets one at a time, the rest together: the budget runs out on the way
    got = [ctx.char_offset(b) for b in offsets[:split]] + ctx.char_offsets(offsets[split:])
    assert got == [expected[b] for b in offsets]
    assert all(type(v) is int for v in got)
    assert [ctx.char_offset(b) for b in offsets] == [expected[b] for b in offsets]


def test_long_texts_use_the_map() -> None:
    nt = normalize("中文" * 600)
    ctx = ScanContext(nt)
    assert ctx.char_offsets([0, 3, 3600]) == [0, 1, 1200]
    assert ctx.char_offset(4) == 1
