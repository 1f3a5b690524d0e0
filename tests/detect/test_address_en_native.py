"""The English address finder in C (`aisec.detect.pii._address_en`) against the Python one.

`address_en.find_english_addresses` is the reference: on generated lines (single
and batched), on random text built from the pieces its patterns turn on, on hand-made edge
cases and on the en-pii-presidio texts, the C finder must give the same findings, in the
same order, with the same confidences. Its regular expressions (STREET, NUMBERED, EURO,
BOX) are also compared with Python's `re` at every position of random text, with and
without an ``endpos``.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aisec.detect.base import join_batch
from aisec.detect.pii import address, address_en
from aisec.detect.pii.address import AddressRecognizer
from aisec.detect.pii.base import ScanContext
from aisec.text import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from twins import compare_twins

from pii_gen import generate

pytestmark = pytest.mark.skipif(
    address_en.english_address_finder() is None and os.environ.get("AISEC_REQUIRE_NATIVE") != "1",
    reason="the compiled English address finder is not built (needs gcc and libhyperscan-dev) "
    "or is switched off",
)

PRESIDIO_SET = (
    Path(__file__).resolve().parents[3] / "shared/data/en-pii-presidio/synth_dataset_v2.json"
)

#: the patterns in the order of the C finder's ``match(which, ...)``
PATTERNS = (address_en.STREET, address_en.NUMBERED, address_en.EURO, address_en.BOX)


def _finder() -> Any:
    finder = address_en.english_address_finder()
    assert finder is not None
    return finder


def _compare(texts: list[str], *, raw: bool = False) -> int:
    """The C finder equals the Python one on each text (`compare_twins`)."""
    return compare_twins(texts, _finder().find, address_en.find_english_addresses, raw=raw)


def test_the_finder_is_built_where_required() -> None:
    # `make test` sets AISEC_REQUIRE_NATIVE=1: there, a missing extension fails the suite
    assert address_en.english_address_finder() is not None


def test_same_as_python_on_generated_text() -> None:
    texts = [item.text for item in generate(3000, seed=29)]
    batches = [join_batch(texts[i : i + size]) for size in (100, 256) for i in range(0, 3000, size)]
    joined = [b.text for b in batches if b is not None]
    assert len(joined) == 42
    assert _compare(joined) > 300
    assert _compare(texts) > 150


# ---- random text from the pieces the patterns care about -----------------------------

NUMBERS = ["12", "12B", "4b", "٣", "٣٤", "１２", "1234", "123456", "1234567", "7", "0"]
NUMBERS += ["12-4", "3.5", "1,2", "x12", "_1", "62704", "10001-1234", "10001-12345"]
WORDS = ["Main", "Oak", "Ombù", "St.Mary", "O'Neil", "D’Arcy", "Élan", "ɓa", "Ɓa", "de", "la"]
WORDS += ["Paix", "Roma", "Długa", "ab-c", "Z", "Buerlia", "the", "Ōno", "×x", "Ab", "Æsir"]
SUFFIX_WORDS = ["Street", "St", "St.", "Str", "Ave", "Av", "Rd", "Blvd", "Lane", "Park", "Way"]
SUFFIX_WORDS += ["Broadway", "street", "STREET", "Streets", "Sq", "Expy", "Gate", "Rise", "Rd."]
DIRECTIONS = ["N", "NE", "North", "S.", "West", "Wx", "n", "E", "SW."]
MONTHS = ["Jan", "Sept", "Nov", "May", "Mar.", "June", "Dec,", "Janx"]
MEASURES = ["hours", "days", "kg", "people", "items", "times", "hour", "pcs", "percent", "minutes"]
UNITS = ["Apt 4", "Apt. 4B", "Apt.#4", "Suite 100", "Ste. 2", "# 5", "#5", "Unit 9", "Room 1"]
UNITS += ["Rm. 3", "Floor 2", "Fl. 3", "Flat 3", "Bldg. C", "apt 3", "SUITE 9", "Apt", "Flat"]
UNITS += ["#", "# #", "Apartment 7", "Unit-2", "ſuite 5"]
CITIES = ["Springfield, IL 62704", "New York, NY 10001-1234", "Paris 75001", "Oslo\n0150"]
CITIES += ["Berlin 10115", "a, b, c, d, e 12345", "Town 123", "City 1234567", "X 12345-123"]
CITIES += ["Z, Y 4567-12345", "\n> London\n> 12345", "Köln 50667", "中文 12345", "Ab\tCd,\t98765"]
BREAKS = [", ", ",", "\n", "\n> ", " \n >? ", " ", "", ",\n", ", \n", "\n\n", "\t", "\n>> "]
EURO_PREFIXES = ["Rue", "rue", "RUE", "Via", "Viale", "Av.", "Avda", "Avda.", "Calle", "Praça"]
EURO_PREFIXES += ["PRAÇA", "ul.", "UL.", "al.", "Allée", "ALLÉE", "Piazza", "Piazzale", "Corso"]
EURO_PREFIXES += ["Quai", "Ulitsa", "pl.", "via", "Rua"]
EURO_STREETS = ["Hammarvägen", "Storgatan", "Hauptstr.", "Hauptstraße", "HAUPTSTRASSE", "gatan"]
EURO_STREETS += ["Mannerheimintie", "Kongensgade", "Andrássy út", "Damrak", "Keizersgracht"]
EURO_STREETS += ["Váci utca", "ſtraße", "Vägen", "Strasse", "HAUPTSTRAẞE", "Sveavägen"]
BOXES = ["P.O. Box 123", "PO Box 9", "P O Box 12", "P. O. Box 7", "Post Office Box 5"]
BOXES += ["po box 3", "PSC 1234, Box 5678", "PSC 123 Box 56, APO AE 09876", "CMR 4, Box 2"]
BOXES += ["Unit 12 Box 3\nFPO AP 12345", "USS Enterprise, FPO AE 09599", "USNS Ship APO AP 12345"]
BOXES += ["uscgc Eagle\nDPO AA 34567", "USS ShipAPO AE 12345", "Box 12", "PSC Box 1", "xPO Box 4"]
BOXES += ["PſC 12 Box 3", "P.o. box 1", "USS İowa FPO ae 12345"]
NOISE = [" ", ", ", ".", "\n", "-", "the", "and", "\uffff", "中文", "路", "é", "ß", "İ", "ı", "ſ"]
NOISE += ["K", "Å", "²", "_", "x", "12", ">", "?", "'", "’", "...", "\t", "\r", "\u00a0"]


def _blank(rng: random.Random) -> str:
    return rng.choice([" ", " ", " ", "  ", "\t", ""])


def _street(rng: random.Random) -> str:
    out = rng.choice(NUMBERS)
    if rng.random() < 0.2:
        out += _blank(rng) + rng.choice(NUMBERS)
    for _ in range(rng.randint(0, 5)):
        out += _blank(rng) + rng.choice(WORDS + MONTHS)
    out += _blank(rng) + rng.choice(SUFFIX_WORDS)
    if rng.random() < 0.3:
        out += _blank(rng) + rng.choice(DIRECTIONS)
    if rng.random() < 0.2:
        out += _blank(rng) + rng.choice(WORDS)
    for _ in range(rng.choice([0, 0, 1, 2])):
        out += rng.choice(BREAKS) + rng.choice(UNITS)
    if rng.random() < 0.6:
        out += rng.choice(BREAKS) + rng.choice(CITIES)
    return out


def _numbered(rng: random.Random) -> str:
    out = rng.choice(NUMBERS) + _blank(rng) + rng.choice(WORDS + MONTHS)
    for _ in range(rng.randint(0, 5)):
        out += _blank(rng) + rng.choice(WORDS)
    out += _blank(rng) + rng.choice(NUMBERS)
    if rng.random() < 0.3:
        out += _blank(rng) + rng.choice(MEASURES)
    for _ in range(rng.choice([0, 0, 1])):
        out += rng.choice(BREAKS) + rng.choice(UNITS)
    if rng.random() < 0.5:
        out += rng.choice(BREAKS) + rng.choice(CITIES)
    return out


def _euro(rng: random.Random) -> str:
    out = rng.choice(NUMBERS) + _blank(rng) if rng.random() < 0.3 else ""
    if rng.random() < 0.5:
        out += rng.choice(EURO_PREFIXES)
        for _ in range(rng.randint(0, 5)):
            out += _blank(rng) + rng.choice(WORDS)
    else:
        out += rng.choice(EURO_STREETS)
    out += _blank(rng) + rng.choice(NUMBERS)
    if rng.random() < 0.3:
        out += rng.choice([".", "x", "a.", "K", "İ"])
    for _ in range(rng.choice([0, 0, 1])):
        out += rng.choice(BREAKS) + rng.choice(UNITS)
    if rng.random() < 0.5:
        out += rng.choice(BREAKS) + rng.choice(CITIES)
    return out


def _random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        k = rng.random()
        if k < 0.3:
            parts.append(_street(rng))
        elif k < 0.5:
            parts.append(_numbered(rng))
        elif k < 0.7:
            parts.append(_euro(rng))
        elif k < 0.8:
            parts.append(rng.choice(BOXES))
        else:
            parts.append(rng.choice(NOISE + UNITS + CITIES + MEASURES + MONTHS))
    seps = [" ", ", ", "\n", ". ", "\uffff", "", " and ", "; ", "\n> "]
    return "".join(p + rng.choice(seps) for p in parts)


def _piece_soup(rng: random.Random) -> str:
    """Pieces in any order: where the patterns half match most often."""
    pool = NUMBERS + WORDS + SUFFIX_WORDS + DIRECTIONS + MONTHS + MEASURES + UNITS + CITIES
    pool += BREAKS + EURO_PREFIXES + EURO_STREETS + BOXES + NOISE
    out = []
    for _ in range(rng.randint(1, 22)):
        out.append(rng.choice(pool))
        r = rng.random()
        out.append(" " if r < 0.5 else ", " if r < 0.55 else "")
    return "".join(out)


def test_same_as_python_on_random_text() -> None:
    rng = random.Random(20261126)
    texts = [_random_text(rng) for _ in range(10000)]
    texts += [_piece_soup(rng) for _ in range(6000)]
    texts += ["\uffff".join(_random_text(rng) for _ in range(12)) for _ in range(100)]
    assert _compare(texts, raw=True) > 5000


def test_regular_expressions_same_as_re() -> None:
    """STREET, NUMBERED, EURO and BOX ``.match(text, pos, endpos)`` at every position."""
    finder = _finder()
    rng = random.Random(3)
    matches = [0, 0, 0, 0]
    for k in range(2500):
        text = _random_text(rng) if k % 2 else _piece_soup(rng)
        n = len(text)
        for pos in range(n + 1):
            for endpos in (n, rng.randint(pos, n)):
                for which, pattern in enumerate(PATTERNS):
                    m = pattern.match(text, pos, endpos)
                    expected = m.end() if m else None
                    got = finder.match(which, text, pos, endpos)
                    assert got == expected, (which, text, pos, endpos)
                    matches[which] += m is not None
    assert min(matches) > 100, matches


def _cut_by_anchor_after() -> list[str]:
    units = "".join(f"\nApt {i}" for i in range(90))
    return [
        "12 Main Street" + units + "\nSpringfield, IL 62704",
        "12 Main Street" + " " * 470 + "\nSpringfield, IL 62704",
        "12 Main Street" + " " * 440 + "\nSpringfield, IL 62704",
        "353 Buerlia 227" + "\n" * 475 + "Oslo 0150",
        "Rue de la Paix 12" + "\n" * 600 + "Paris 75001",
        "12 Main Street, " + "a, " * 200 + "IL 62704",
    ]


EDGE_CASES = [
    "",
    "no digits here",
    "٣ Main Street (only a non-ASCII digit)",
    "12 Main Street",
    "12B Main St. Apt 4, Springfield, IL 62704",
    "1600 Pennsylvania Avenue NW, Washington, DC 20500",
    "221B Baker Street\nLondon\n> NW1 6XE 12345",
    "350 Fifth Avenue, Suite 3300, New York, NY 10118-3300",
    "12 34 Main Rd",
    "1234567 Main Street",
    "12.5 Main Street, 3-4 Main Street, a12 Main Street",
    "12 St.Mary Street and 12 Main St.John",
    "78321 Ombù 9091 and 09 Nov 2006 and 353 Buerlia 227 and 12 Jan, 5",
    "12 Oak 5 hours and 12 Oak 5kg and 12 Oak 5 kg and 12 Oak 5 people.",
    "P.O. Box 123, PO Box 9, P O Box 12, Post Office Box 5, po box 3",
    "PSC 1234, Box 5678, APO AE 09876 and CMR 4 Box 2\nFPO AP 12345",
    "USS Enterprise, FPO AE 09599; USS ShipAPO AE 12345; USNS Comfort",
    "Rue de la Paix 12, 75002 Paris",
    "12 Rue de la Paix, Paris 75002",
    "Via Roma 12; Viale Europa 5; Avda. Diagonal 640; ul. Długa 5; al. Jana Pawła 2",
    "Hammarvägen 15, Storgatan 3, Hauptstr. 7, Hauptstraße 9, HAUPTSTRASSE 1",
    "Andrássy út 60 and Váci utca 12 and Kongensgade 4",
    "Praça da Sé 10 and PRAÇA DA SÉ 10 and Allée des Roses 3",
    "via e-mail 12 and rue 12 and Rue\t12 and Rue\n12",
    "ſtraße 12, Hauptſtr. 3, İstiklal Caddesi 5, KÖLN 50667",
    "12 Main Street\uffff12 Main Street\uffffRue de la Paix 12",
    "中文 12 Main Street 中文 Via Roma 12 路 3 号",
    "Flat 3, 12 Main Street\nFlat 3\nSpringfield 12345",
    "12 Main Street # 5 , Apt. 4B\n> > Springfield\n> IL 62704",
]


def test_same_as_python_on_edge_cases() -> None:
    assert _compare(EDGE_CASES + _cut_by_anchor_after(), raw=True) > 40


def test_same_as_python_on_a_very_long_text() -> None:
    rng = random.Random(8)
    filler = "Lorem ipsum dolor sit amet, 42 consectetur adipiscing elit. " * 40
    parts = []
    for _ in range(150):
        parts.append(filler[: rng.randint(0, len(filler))])
        parts.append(_random_text(rng))
    assert _compare(["".join(parts)], raw=True) > 50


@pytest.mark.skipif(not PRESIDIO_SET.exists(), reason="../shared/data is not beside the project")
def test_same_as_python_on_english_text() -> None:
    """The en-pii-presidio texts (English, read by path, never copied into the project)."""
    texts = [row["full_text"] for row in json.loads(PRESIDIO_SET.read_text(encoding="utf-8"))]
    assert len(texts) > 1000
    batches = [join_batch(texts[i : i + 200]) for i in range(0, len(texts), 200)]
    assert _compare([b.text for b in batches if b is not None]) > 300
    assert _compare(texts[:500], raw=True) > 100


def test_case_tables_are_what_re_does() -> None:
    """The IGNORECASE tables given to the C finder: each folded pair matches under `re`,
    and nothing beyond the BMP matches the case-insensitive classes."""
    fold, bitmaps = address_en._case_tables()
    for c, rep in fold.items():
        assert re.fullmatch(re.escape(chr(rep)), chr(c), re.IGNORECASE), (hex(c), hex(rep))
    for special in ("ſ", "K", "İ", "ı", "ẞ", "Å"):
        assert ord(special) in fold or bitmaps[1][ord(special) >> 3] >> (ord(special) & 7) & 1
    beyond = "".join(map(chr, range(0x10000, 0x110000)))
    for cls in ("[A-Za-z]", f"[{address_en._L}0-9'’.-]"):
        assert re.search(cls, beyond, re.IGNORECASE) is None


def test_serialised_database_gives_the_same_finder() -> None:
    c = address_en._C
    assert c is not None
    finder = _finder()
    again = c.Finder(*address_en._finder_args(), database=finder.serialize())
    for text in EDGE_CASES:
        ctx = ScanContext(normalize(text))
        assert again.find(ctx.text, ctx.data) == list(address_en.find_english_addresses(ctx))
    with pytest.raises(ValueError, match="not usable"):
        c.Finder(*address_en._finder_args(), database=b"not a database")


def test_word_lists_read_from_the_patterns() -> None:
    a = address_en
    assert ("Apt", True) in a._alternatives(a._group(a._UNIT))
    assert ("#", False) in a._alternatives(a._group(a._UNIT))
    assert ("Av.", False) in a._alternatives(a.EURO_PREFIX)
    assert ("Avda", True) in a._alternatives(a.EURO_PREFIX)
    assert ("str.", False) in a._alternatives(a.EURO_SUFFIX)
    assert "Sept" in [w for w, _ in a._alternatives(a._group(a.MONTH))]
    assert {"hour", "hours", "pcs", "kg"} <= set(a._measure_words())
    measure = re.compile(rf"(?:{a._MEASURE})\Z")
    assert all(measure.match(w) for w in a._measure_words())
    with pytest.raises(ValueError, match="plain word"):
        a._alternatives(r"Rue|Av[a-z]")


def test_the_recogniser_uses_the_finder(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(ctx: ScanContext) -> Any:
        raise AssertionError("the Python finder ran although the C one is built")

    monkeypatch.setattr(address, "find_english_addresses", never)
    ctx = ScanContext(normalize("Ship to 12 Main Street, Springfield, IL 62704 or PO Box 9"))
    assert len(list(AddressRecognizer().find(ctx))) >= 2


def test_threads_share_the_finder() -> None:
    texts = [item.text for item in generate(400, seed=5)]
    ctxs = [ScanContext(normalize(t)) for t in texts]
    expected = [list(address_en.find_english_addresses(ctx)) for ctx in ctxs]
    finder = _finder()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda ctx: finder.find(ctx.text, ctx.data), ctxs * 4))
    assert got == expected * 4


def test_the_recogniser_runs_python_when_switched_off(
    monkeypatch: pytest.MonkeyPatch, native_off: Callable[[], None]
) -> None:
    ctx = ScanContext(normalize("12 Main Street, Springfield, IL 62704"))
    compiled = list(AddressRecognizer().find(ctx))
    native_off()
    assert address_en.english_address_finder() is None
    calls: list[ScanContext] = []
    python = address.find_english_addresses

    def spy(ctx: ScanContext) -> Any:
        calls.append(ctx)
        return python(ctx)

    monkeypatch.setattr(address, "find_english_addresses", spy)  # what the recogniser calls
    assert list(AddressRecognizer().find(ctx)) == compiled
    assert calls == [ctx]
