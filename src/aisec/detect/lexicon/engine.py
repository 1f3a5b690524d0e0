"""The multi-literal matching engine: one Hyperscan database over all terms and exclusions.

Chosen by measurement (``bench/lexicon.py``): over 20,000 Chinese terms Hyperscan scans
UTF-8 at about 1 GB/s, ahocorasick-rs at about 85 MB/s and pyahocorasick at 12–15 MB/s.
Patterns are pure literals (Hyperscan's literal compiler), ASCII letters caseless. We do not
ask Hyperscan for start offsets (that slows it down): a literal's start is its end minus its
byte length.

Compiling ~15,000 literals takes about 0.3 s, so the compiled database is cached on disk
(`aisec.text.hsdb`).
"""

from __future__ import annotations

from collections.abc import Sequence

import hyperscan

from aisec.text.hsdb import Matcher, byte_to_char, compile_database

_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ALNUM = _LETTERS | frozenset(b"0123456789")


class LiteralMatcher:
    """Finds every occurrence of many literals in a text, with character offsets.

    ``patterns`` are the match keys (already normalised, lower case). ``boundary[i]`` asks
    for ASCII word boundaries: an ASCII letter or digit at either end of pattern ``i`` must
    not touch another ASCII letter or digit in the text (``ass`` does not fire in ``class``).
    """

    def __init__(self, patterns: Sequence[str], boundary: Sequence[bool]) -> None:
        self.patterns = list(patterns)
        self._bytes = [p.encode("utf-8") for p in self.patterns]
        self._lengths = [len(b) for b in self._bytes]
        # which ends of each pattern need a word-boundary check
        self._left = [
            bool(b) and bool(boundary[i]) and b[0] in _ALNUM for i, b in enumerate(self._bytes)
        ]
        self._right = [
            bool(b) and bool(boundary[i]) and b[-1] in _ALNUM for i, b in enumerate(self._bytes)
        ]
        self._db = _database(self._bytes) if self._bytes else None

    def scan_bytes(self, data: bytes) -> list[tuple[int, int, int]]:
        """Matches in UTF-8 ``data`` as ``(pattern id, start byte, end byte)``, boundary-checked."""
        if self._db is None or not data:
            return []
        raw: list[tuple[int, int]] = []

        def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            raw.append((pid, to))

        self._db.scan(data, on_match)
        out: list[tuple[int, int, int]] = []
        n = len(data)
        for pid, end in raw:
            start = end - self._lengths[pid]
            if self._left[pid] and start > 0 and data[start - 1] in _ALNUM:
                continue
            if self._right[pid] and end < n and data[end] in _ALNUM:
                continue
            out.append((pid, start, end))
        return out

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        """Matches in ``text`` as ``(pattern id, start, end)`` in character offsets."""
        data = text.encode("utf-8")
        hits = self.scan_bytes(data)
        if not hits or len(data) == len(text):
            return hits
        char_at = byte_to_char(data)
        return [(pid, int(char_at[s]), int(char_at[e])) for pid, s, e in hits]


def _database(patterns: list[bytes]) -> Matcher:
    """Compile (or load from the on-disk cache) a block-mode literal database."""
    flags = [hyperscan.HS_FLAG_CASELESS if any(c in _LETTERS for c in p) else 0 for p in patterns]
    return compile_database(patterns, flags, literal=True)
