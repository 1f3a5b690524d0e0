"""Encoded payloads: base64 and hex runs that decode to text, and leetspeak.

`decoded_payloads` finds runs that decode to readable UTF-8 text, so the rules and the model
can score what an attacker hid; `deleet` undoes digit-for-letter swaps (``1gn0r3``) without
changing the length, so offsets stay valid. Full-width forms, spaced letters and zero-width
characters are already folded by `aisec.text.normalize`.
"""

from __future__ import annotations

import base64
import binascii
import re

_B64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){8,}(?![0-9A-Fa-f])")
#: a run of letters and the digits/symbols leetspeak uses for letters; a "leet word" is such
#: a run with at least one of those digits/symbols. (The one-regex form of that,
#: ``[a-z@$]*[0134578@$][a-z0134578@$]*``, backtracks over every long run of plain letters
#: from every start in it: 200,000 letters took five minutes.)
_LEET_RUN = re.compile(r"[a-z0134578@$]+", re.IGNORECASE)
_LEET_CHARS = frozenset("0134578@$")
_LEET = str.maketrans("0134578@$", "oieastbas")
_MAX_RUNS = 8


def _readable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 6:
        return None
    ok = sum(1 for c in text if c.isprintable() or c in "\n\t")
    letters = sum(1 for c in text if c.isalpha())
    if ok < 0.95 * len(text) or letters < 0.4 * len(text.replace(" ", "")):
        return None
    return text


def decoded_payloads(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, decoded text)`` for each base64 or hex run of ``text`` (at most a few)
    that decodes to readable text."""
    out: list[tuple[int, int, str]] = []
    for m in _HEX.finditer(text):
        digits = re.sub(r"[ :]", "", m.group())
        if len(digits) % 2:
            continue
        dec = _readable(binascii.unhexlify(digits))
        if dec is not None:
            out.append((m.start(), m.end(), dec))
        if len(out) >= _MAX_RUNS:
            return out
    for m in _B64.finditer(text):
        run = m.group()
        if any(s <= m.start() < e for s, e, _ in out):
            continue
        body = run.rstrip("=")
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        dec = _readable(raw)
        if dec is not None:
            out.append((m.start(), m.end(), dec))
        if len(out) >= _MAX_RUNS:
            break
    return out


def _mixed(word: str) -> bool:
    """A leet word: letters mixed with digits/symbols used as letters."""
    return not _LEET_CHARS.isdisjoint(word) and any(c.isalpha() for c in word)


def has_leet(text: str) -> bool:
    """True when some word mixes letters with digits/symbols used as letters."""
    return any(_mixed(m.group()) for m in _LEET_RUN.finditer(text))


def deleet(text: str) -> str:
    """``text`` with leetspeak swaps undone inside mixed words (same length)."""
    return _LEET_RUN.sub(
        lambda m: m.group().translate(_LEET) if _mixed(m.group()) else m.group(), text
    )
