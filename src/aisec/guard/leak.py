"""System-prompt leakage: a canary token, and fuzzy matching of the configured prompt.

Both sides are folded the same way (aisec's normaliser: width, traditional→simplified,
zero-width characters; then case-folded, and only letters and digits kept), so spacing,
punctuation, full-width letters or a traditional-character rewrite do not hide a copy.
The prompt is cut into overlapping character n-grams; the characters of the prompt
covered by n-grams that also occur in the answer are counted. A leak is at least
``min_chars`` covered characters, or ``ratio`` of a prompt shorter than ``min_chars /
ratio``: a model that quotes a sentence of a long prompt, or most of a short one.
"""

from __future__ import annotations

import functools
import re
import secrets

from aisec.text import NormalizedText, normalize

#: runs of letters and digits: exactly the characters for which `str.isalnum` is true
_ALNUM = re.compile(r"[^\W_]+")


def fold(text: str, normalized: NormalizedText | None = None) -> str:
    """Letters and digits of the normalised, case-folded text (``normalized``:
    ``normalize(text)``, when the caller has it already)."""
    nt = normalize(text) if normalized is None else normalized
    return "".join(_ALNUM.findall(nt.text.casefold()))


@functools.lru_cache(maxsize=64)
def _folded_canary(canary: str) -> str:
    return fold(canary)


def new_canary() -> str:
    """A fresh canary marker for a system prompt."""
    return f"aisec-canary-{secrets.token_hex(8)}"


def canary_in(text: str, canary: str, normalized: NormalizedText | None = None) -> bool:
    """True when ``text`` contains the canary, however spaced or cased (``normalized`` as
    for `fold`)."""
    return _folded_canary(canary) in fold(text, normalized)


class PromptMatcher:
    """Finds copies of one system prompt in answers; see the module docstring."""

    def __init__(self, prompt: str, *, ngram: int = 12, min_chars: int = 48, ratio: float = 0.5):
        self.folded = fold(prompt)
        self.n = min(ngram, max(len(self.folded), 1))
        self.needed = max(self.n, min(min_chars, int(len(self.folded) * ratio + 0.999)))
        self.grams: dict[str, list[int]] = {}
        for i in range(len(self.folded) - self.n + 1):
            self.grams.setdefault(self.folded[i : i + self.n], []).append(i)

    def covered(self, text: str, normalized: NormalizedText | None = None) -> int:
        """How many characters of the prompt the answer repeats (in n-gram runs;
        ``normalized`` as for `fold`)."""
        if not self.grams:
            return 0
        answer = fold(text, normalized)
        hit = bytearray(len(self.folded))
        n = self.n
        for i in range(len(answer) - n + 1):
            starts = self.grams.get(answer[i : i + n])
            if starts:
                for s in starts:
                    hit[s : s + n] = b"\x01" * n
        return sum(hit)

    def leaks(self, text: str, normalized: NormalizedText | None = None) -> bool:
        """True when ``text`` repeats enough of the prompt to count as a leak
        (``normalized`` as for `fold`)."""
        return bool(self.folded) and self.covered(text, normalized) >= self.needed
