"""The fast paths of the PII recognisers give the same answers as the slow ones they skip.

Each short cut (a cheaper test before a costly one) is checked here against the plain
computation it replaces, on hand-picked edge cases and on generated inputs.
"""

from __future__ import annotations

import random
import re

from aisec.detect.pii.address_en import NUMBERED, STREET, _matches_starting_in
from aisec.detect.pii.international import PhoneRecognizer


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
