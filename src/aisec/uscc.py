"""Unified social credit codes (GB 32100-2015): the alphabet and the check character.

Import-light on purpose: the label model validates producer codes with it, and importing
it through ``aisec.detect.pii`` would load the whole detection core (numpy, the
recognisers) into every ``aisec label`` run. ``aisec.detect.pii.checks`` re-exports these.
"""

from __future__ import annotations

# GB 32100-2015: the 31-character alphabet and the weights of the first 17 positions
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str | None:
    """The GB 32100 check character, or ``None`` if a character is outside the alphabet."""
    total = 0
    for ch, w in zip(first17, _USCC_WEIGHTS, strict=True):
        v = USCC_ALPHABET.find(ch)
        if v < 0:
            return None
        total += v * w
    return USCC_ALPHABET[(31 - total % 31) % 31]


def valid_uscc(code: str) -> bool:
    """An 18-character unified social credit code with the right check character."""
    code = code.upper()
    return len(code) == 18 and code[2:8].isdigit() and uscc_check_char(code[:17]) == code[17]
