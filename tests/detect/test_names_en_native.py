"""The English name finder in C (`aisec.detect.pii._names_en`) against the Python one.

`names_en.find_english_names` is the reference: on generated lines (single and
batched), on random text built from the pieces its patterns and scores turn on, on
hand-made edge cases and on the en-pii-presidio texts, the C finder must give the same
findings, in the same order, with the same confidences. Its regular expressions (`_SEQ`,
`_SINGLE_AFTER`) are also compared with Python's `re` at every position of random text.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aisec.detect.base import Finding, join_batch
from aisec.detect.pii import names, names_en
from aisec.detect.pii.base import ScanContext
from aisec.detect.pii.names import PersonNameRecognizer
from aisec.text import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from twins import compare_twins

from pii_gen import generate

pytestmark = pytest.mark.skipif(
    names_en.english_name_finder() is None and os.environ.get("AISEC_REQUIRE_NATIVE") != "1",
    reason="the compiled English name finder is not built (needs gcc and libhyperscan-dev) or is switched off",
)

PRESIDIO_SET = (
    Path(__file__).resolve().parents[3] / "shared/data/en-pii-presidio/synth_dataset_v2.json"
)


def _finder() -> Any:
    finder = names_en.english_name_finder()
    assert finder is not None
    return finder


def _compare(texts: list[str], *, raw: bool = False) -> int:
    """The C finder equals the Python one on each text (`compare_twins`)."""
    return compare_twins(texts, _finder().names, names_en.find_english_names, raw=raw)


def test_the_finder_is_built_where_required() -> None:
    # `make test` sets AISEC_REQUIRE_NATIVE=1: there, a missing extension fails the suite
    assert names_en.english_name_finder() is not None


def test_findings_made_in_c() -> None:
    # with a Finding class and its reporter, the finder makes the findings itself
    made = (Finding, ("pii.person_name", "pii.name", "1.0"))
    texts = [item.text for item in generate(1000, seed=31)]
    assert (
        compare_twins(
            texts,
            lambda text, data: _finder().names(text, data, made),
            lambda ctx: [
                Finding("pii.person_name", s, e, conf, "pii.name", "1.0")
                for s, e, conf in names_en.find_english_names(ctx)
            ],
        )
        > 100
    )


def test_same_as_python_on_generated_text() -> None:
    texts = [item.text for item in generate(3000, seed=23)]
    batches = [join_batch(texts[i : i + size]) for size in (100, 256) for i in range(0, 3000, size)]
    joined = [b.text for b in batches if b is not None]
    assert len(joined) == 42
    assert _compare(joined) > 500
    assert _compare(texts) > 300


def _pieces() -> list[list[str]]:
    rng = random.Random(5)
    first, last = names_en._lists()
    firsts = [n.capitalize() for n in rng.sample(sorted(first), 60)]
    firsts += ["Mary", "John", "Anna", "June", "May", "Will", "Mark", "Jan", "Sept", "Dawn"]
    lasts = [n.capitalize() for n in rng.sample(sorted(last), 60)]
    lasts += ["Smith", "McDonald", "MacArthur", "Mcdonald", "Smith-Jones", "Smith-jones"]
    lasts += ["O'Neil", "D’arcy", "Jones's", "Müller", "Łukasz", "Ōno", "Þór", "İsmail"]
    nots = [w.capitalize() for w in rng.sample(sorted(names_en.NOT_NAMES), 40)]
    nots += ["The", "A", "I", "Inc", "Street", "January", "Bank", "the", "street", "inc."]
    context = ["Mr", "Mr.", "Mrs.", "Dr", "dr.", "MS", "Sir", "madam", "Judge", "my name is"]
    context += ["My name's", "Dear", "dear", "signed by", "Attn:", "attention:", "Hi", "thanks"]
    context += ["CEO", "called", "name:", "according to", "spoke to", "Patient", "i'm"]
    after = [" says", ", says", " said", " wrote", " is a", " was born", " and his ", " and her"]
    after += ["'s ", "’s ", ", who", ", the", ", a", ", 3", ", an", " had", " has been", ",says"]
    particles = ["van", "von", "de", "da", "del", "della", "der", "la", "le", "y", "bin", "al"]
    particles += ["ter", "dos", "ibn", "du"]
    other = [" ", " ", " ", "  ", "\t", "\n", ".", ". ", ",", ", ", "-", "'", "’", "@", "/", "_"]
    other += ["\uffff", "“", '"', "(", ":", ">", "!", "?", "J.", "K", "X. ", "A ", "Q.", "é"]
    other += ["É", "ß", "ā", "Ā", "İ", "ı", "Ž", "ž", "ſ", "Ǆ", "中文", "张伟", "3", "12", "2009"]
    other += ["٣", "13 ", " 5", "Jan.", "Mc", "Mac", "creative", "Creative", "Writer", "writer"]
    other += ["x", "ab", "Ab", "AB", "ÀÁ", "Élodie", "ñu", "ÿ", "ŉ", "ĸ", "Ÿves", "ẞ", "\x00"]
    other += ["\r", "\u00a0", "\u2028", "\x85", "😀", "𝐀bc", "Ṁary", "ﬁ", "Å", "Ω"]
    return [firsts, lasts, nots, context, after, particles, other, other]


def _random_text(rng: random.Random, pools: list[list[str]]) -> str:
    out: list[str] = []
    for _ in range(rng.randint(1, 25)):
        out.append(rng.choice(rng.choice(pools)))
        if rng.random() < 0.6:
            out.append(" ")
    return "".join(out)


def test_same_as_python_on_random_text() -> None:
    rng = random.Random(20261126)
    pools = _pieces()
    texts = [_random_text(rng, pools) for _ in range(6000)]
    texts += ["\uffff".join(_random_text(rng, pools) for _ in range(4)) for _ in range(300)]
    assert _compare(texts, raw=True) > 3000


def test_same_as_python_on_random_characters() -> None:
    """Dense strings of letters, blanks and marks: where backtracking has most choices."""
    rng = random.Random(7)
    alphabet = [*"MacdJKLSmithorne", "Mc", "Mac", "Mary", "John", "Smith", "Ann", "Lee"]
    alphabet += [" ", " ", " ", "\t", "-", "'", "’", ".", "@", "/", "_", "ā", "Ā", "ž", "Ž"]
    alphabet += ["é", "É", "ß", "İ", "1", "Jan", "May", "van ", "de ", "y ", "Mr. ", "Dr "]
    alphabet += ["dear ", ", says", "'s ", "\uffff", "\n", "Inc", "The", "😀"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(8000)]
    assert _compare(texts, raw=True) > 2000


def test_regular_expressions_same_as_re() -> None:
    """`_SEQ.match` and `_SINGLE_AFTER.match` at every position of random text."""
    c = names_en._C
    assert c is not None
    rng = random.Random(3)
    alphabet = [*"MacdJKSmithLlu", "Mc", "Mac", " ", " ", "  ", "\t", "-", "'", "’", ".", "@"]
    alphabet += ["/", "_", "ā", "Ā", "ž", "Ž", "ſ", "é", "É", "ß", "İ", "1", "٣", "van ", "de "]
    alphabet += ["del ", "della ", "y ", "la", "J. ", "K ", "A.", "Smith", "Jones", "x"]
    matches = 0
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        for pos in range(len(text) + 1):
            seq = names_en._SEQ.match(text, pos)
            assert c.seq_end(text, pos) == (seq.end() if seq else None), (text, pos)
            single = names_en._SINGLE_AFTER.match(text, pos)
            assert c.single_span(text, pos) == (single.span(1) if single else None), (text, pos)
            matches += (seq is not None) + (single is not None)
    assert matches > 3000


EDGE_CASES = [
    "",
    "no capitals here",
    "Mr. John Smith said hello to Dr Jane Doe.",
    "Dear Mary, thanks. Sincerely, Robert",
    "my name is Jan and I was born on 13 Jan 2009; June 5 or 12\nJan or Jan, 2009 or Jan 12",
    "May Smith, Will Smith, Mark Jones and Grace Kelly",
    "John Smith-Jones went home; Smith-jones@example.com; Mary. John@x.org",
    "McDonald MacArthur met Mcdonald Smith and Macintosh Apple",
    "Ludwig van Beethoven, Juan de la Cruz, Vincent van der Berg, Ali bin Ahmed",
    "J. R. R. Tolkien and John F Kennedy and John F. Kennedy Jr",
    "The Creative Writer met the creative writer . Creative Writer wrote",
    "O'Neil O'neil D’arcy Jones's Mary’s book",
    "Émile Zola and Zoë Saldaña and İsmail Kaya and Łukasz Żółć",
    "John\tSmith and John  Smith  Jones  Brown  Green Black",
    "Anna\uffffSmith Jones\uffffthe smith jones went\uffffSmith Jones",
    "a/John Smith .John Smith x@John Smith _John Smith 1John Smith",
    "Bank of America, President Obama, Inc. John Smith Inc, Street John Smith Avenue",
    "Sept Smith, Janet Jackson, Mayday Parade",
    "John, who knows; John, the man; John, 42; John 's; John had a dog",
    "Hello Kitty and Hi Bob and Attn: Alice and signed by Eve",
    "Mr.Smith Mrs Jones Dr. Who Prof. Xavier Sir Lancelot",
    "“Anna Karenina” (Leo Tolstoy): >Fyodor Dostoevsky!",
    "John Smith\uffff",
    "\uffffMary",
    "Mary",
    "MARY SMITH and mary smith",
    "Ā Ābc Āāā Ž Žofie",
]


def test_same_as_python_on_edge_cases() -> None:
    assert _compare(EDGE_CASES, raw=True) > 40


@pytest.mark.skipif(not PRESIDIO_SET.exists(), reason="../shared/data is not beside the project")
def test_same_as_python_on_english_text() -> None:
    """The en-pii-presidio texts (English, read by path, never copied into the project)."""
    texts = [row["full_text"] for row in json.loads(PRESIDIO_SET.read_text(encoding="utf-8"))]
    assert len(texts) > 1000
    batches = [join_batch(texts[i : i + 200]) for i in range(0, len(texts), 200)]
    assert _compare([b.text for b in batches if b is not None]) > 500
    assert _compare(texts[:500], raw=True) > 100


def test_serialised_database_gives_the_same_finder() -> None:
    c = names_en._C
    assert c is not None
    exprs, flags, lengths = names_en._expressions()
    first, last = names_en._lists()
    args = (exprs, flags, lengths, first, last, names_en.NOT_NAMES, names_en.AMBIGUOUS_FIRST)
    params = (names_en.BASE_START, names_en.BASE_MID)
    again = c.Finder(*args, params, database=_finder().serialize())
    for text in EDGE_CASES:
        ctx = ScanContext(normalize(text))
        assert again.names(ctx.text, ctx.data) == list(names_en.find_english_names(ctx))
    with pytest.raises(ValueError, match="not usable"):
        c.Finder(*args, params, database=b"not a database")
    with pytest.raises(ValueError, match="at least 3"):
        c.Finder([], [], [], first, last, set(), set(), params)


def test_find_english_names_uses_the_finder() -> None:
    ctx = ScanContext(normalize("Mr. John Smith met Mary"))
    assert list(names_en.find_english_names(ctx)) == list(names_en.find_english_names(ctx))


def test_threads_share_the_finder() -> None:
    texts = [item.text for item in generate(400, seed=5)]
    ctxs = [ScanContext(normalize(t)) for t in texts]
    expected = [list(names_en.find_english_names(ctx)) for ctx in ctxs]
    finder = _finder()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda ctx: finder.names(ctx.text, ctx.data), ctxs * 4))
    assert got == expected * 4


def test_the_recogniser_runs_python_when_switched_off(
    monkeypatch: pytest.MonkeyPatch, native_off: Callable[[], None]
) -> None:
    ctx = ScanContext(normalize("Mr. John Smith met Mary"))
    compiled = list(PersonNameRecognizer().find(ctx))
    native_off()
    assert names_en.english_name_finder() is None
    calls: list[ScanContext] = []
    python = names.find_english_names

    def spy(ctx: ScanContext) -> Any:
        calls.append(ctx)
        return python(ctx)

    monkeypatch.setattr(names, "find_english_names", spy)  # what the recogniser calls
    assert list(PersonNameRecognizer().find(ctx)) == compiled
    assert calls == [ctx]
