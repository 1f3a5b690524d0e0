"""Check-character and calendar validators for structured identifiers.

Each function takes the bare identifier (separators already removed) and answers whether
its check character is right. They are the reason a look-alike number does not fire.
"""

from __future__ import annotations

import datetime as _dt

from aisec.uscc import USCC_ALPHABET, uscc_check_char, valid_uscc

__all__ = [
    "PROVINCES",
    "USCC_ALPHABET",
    "id_card_check_char",
    "luhn_ok",
    "uscc_check_char",
    "valid_birth_date",
    "valid_id_card",
    "valid_org_code",
    "valid_uscc",
]

# GB 11643-1999: weights 2^(17-i) mod 11 and the check character table
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes (first two digits), including 71 (Taiwan), 81/82 (HK/Macau)
# and 83 (residence permits for Taiwan residents).
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83",
    }
)  # fmt: skip

# GB 11714-1997 organisation code (positions 9-17 of a USCC)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def id_card_check_char(first17: str) -> str:
    """The GB 11643 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_birth_date(yyyymmdd: str, *, today: _dt.date | None = None) -> bool:
    """A real calendar date between 1900-01-01 and today."""
    try:
        d = _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= d <= (today or _dt.date.today())


def valid_id_card(number: str) -> bool:
    """An 18-digit resident ID (province, birth date, check character) or a 15-digit
    legacy one (province, birth date in 19YY)."""
    number = number.upper()
    if len(number) == 18:
        return (
            number[:17].isdigit()
            and number[:2] in PROVINCES
            and valid_birth_date(number[6:14])
            and id_card_check_char(number[:17]) == number[17]
        )
    if len(number) == 15 and number.isdigit():
        return number[:2] in PROVINCES and valid_birth_date("19" + number[6:12])
    return False


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def valid_org_code(code9: str) -> bool:
    """A 9-character GB 11714 organisation code (positions 9-17 of a USCC)."""
    total = 0
    for ch, w in zip(code9[:8], _ORG_WEIGHTS, strict=True):
        v = _ORG_ALPHABET.find(ch)
        if v < 0:
            return False
        total += v * w
    c = 11 - total % 11
    expected = "X" if c == 10 else "0" if c == 11 else str(c)
    return code9[8] == expected
