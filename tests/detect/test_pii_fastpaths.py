"""The fast paths of the PII recognisers give the same answers as the slow ones they skip.

Each short cut (a cheaper test before a costly one) is checked here against the plain
computation it replaces, on hand-picked edge cases and on generated inputs.
"""

from __future__ import annotations

import random
import re

from aisec.detect.pii import address_en
from aisec.detect.pii.address_en import NUMBERED, STREET, _matches_starting_in
from aisec.detect.pii.base import ScanContext
from aisec.detect.pii.international import PhoneRecognizer
from aisec.text import normalize


def test_phone_context_look_ahead() -> None:
    plain = re.compile(
        r"\b(?:phone|tel|telephone|call|mobile|cell|fax|contact|number|reach|text me|whatsapp"
        r"|dial)\b|电话|手机|联系|致电",
        re.IGNORECASE,
    )
    rng = random.Random(3)
    # letters with case-insensitive matches outside ASCII (İ ı ſ K) included
    alphabet = list("phonetelcalmbifaxntcurwsd PHONETELCALLDIAL电话手机联系致电.,:İıſK")
    samples = ["hotel 0490", "Springfield", "CALL me", "whatſapp", "dİal 5", "ᴛel", "联系"]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(5000)
    ]
    for text in samples:
        assert (PhoneRecognizer._CONTEXT.search(text) is None) == (plain.search(text) is None), text


def test_street_matches_start_only_in_windows() -> None:
    rng = random.Random(11)
    words = ["Main", "Street", "St", "12", "٣٤", "5", "Ave", "Rd", "Apt", "4B", "Springfield,"]
    words += ["IL", "62704", ".", "-", "Oak", "Lane", "\n", "Unit", "9", "3.5", "Ombù", "9091"]
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 30)))
        windows = []
        pos = 0
        while pos < len(text) and rng.random() < 0.8:
            lo = rng.randint(pos, len(text))
            hi = rng.randint(lo, min(len(text), lo + 40))
            windows.append((lo, hi))
            pos = hi + 1
        for pattern in (STREET, NUMBERED):
            expected = [
                (m.start(), m.end())
                for lo, hi in windows
                for m in pattern.finditer(text, lo, min(len(text), hi + 480))
                if m.start() < hi
            ]
            found = [(m.start(), m.end()) for m in _matches_starting_in(pattern, text, windows)]
            assert found == expected, (text, windows)


def test_street_anchors_cover_every_street_start() -> None:
    # the Hyperscan anchors are supersets of the heads of STREET and NUMBERED: wherever one
    # of them matches (searched at every position, no windows), the window of an anchor
    # (from `_head_start` to the anchor's end) holds its start, so searching only inside
    # the windows loses nothing
    rng = random.Random(5)
    words = ["Main", "Street", "St", "St.", "Ave", "Rd", "Lane", "Park", "Oak", "Ombù", "Él"]
    words += ["12", "4B", "٣٤", "5", "9091", "12-4", "3.5", "Apt", "#", "Unit", "IL", "62704"]
    words += ["Jan", "hours", "the", "and", "中文", "路", ",", ".", "-", "’s", "\n", "\t", "\uffff"]
    anchors = (address_en._STREET_ANCHOR, address_en._NUMBERED_ANCHOR)
    for _ in range(3000):
        text = "".join(
            rng.choice(words) + rng.choice(["", " ", " ", "  ", "\t "]) for _ in range(24)
        )
        ctx = ScanContext(normalize(text))
        text = ctx.text
        ends: dict[int, list[int]] = {pid: [] for pid in anchors}

        def on_match(pid: int, _s: int, e: int, _f: int, _c: object) -> None:
            if pid in ends:
                ends[pid].append(e)

        address_en._db().scan(ctx.data, on_match)
        for pid, pattern in zip(anchors, (STREET, NUMBERED), strict=True):
            windows = [
                (address_en._head_start(text, e), e) for e in map(ctx.char_offset, ends[pid])
            ]
            for p in range(len(text)):
                if pattern.match(text, p) is not None:
                    assert any(lo <= p < hi for lo, hi in windows), (text, p, pattern is STREET)
