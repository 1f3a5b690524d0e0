"""Character statistics of the quality step, on numpy arrays of code points.

The quality step measures, over the non-space characters of a text, the share of garbled
characters, of letters and digits and of symbols, and the share of the commonest
character 4-gram. Done a character at a time in Python these cost more than the rest of
the cleaning step together; here each is a table look-up over the whole text. The tables
cover the Basic Multilingual Plane; the rare characters above it are classified one by
one, with the same Python predicates, so the figures are exactly those of::

    dense = [ch for ch in text if not ch.isspace()]
    garbled = share of ch == "\\ufffd" or "\\ue000" <= ch <= "\\uf8ff" or category "Cc"
    letters = share of ch.isalnum();  symbols = share of category "S*"
    top 4-gram = Counter(4-grams of "".join(dense)).most_common(1) count
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

_BMP = 0x10000
_SPACE, _GARBLED, _ALNUM, _SYMBOL, _HAN, _KANA_HANGUL = 1, 2, 4, 8, 16, 32
#: CJK unified ideographs (with extension A, the compatibility block and the supplementary
#: planes 2 and 3), and the Japanese and Korean scripts
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))
_KANA_HANGUL_RANGES = (
    (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3130, 0x318F), (0x31F0, 0x31FF),
    (0xAC00, 0xD7AF), (0xFF66, 0xFF9F),
)  # fmt: skip


def _flags(ch: str) -> int:
    if ch.isspace():
        return _SPACE
    cat = unicodedata.category(ch)
    flags = _GARBLED if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" or cat == "Cc" else 0
    if ch.isalnum():
        flags |= _ALNUM
    if cat[0] == "S":
        flags |= _SYMBOL
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _HAN_RANGES):
        flags |= _HAN
    elif any(lo <= cp <= hi for lo, hi in _KANA_HANGUL_RANGES):
        flags |= _KANA_HANGUL
    return flags


@lru_cache(maxsize=1)
def _table() -> npt.NDArray[np.uint8]:
    """The flags of every BMP code point (built once per process, about 0.1 s)."""
    return np.fromiter((_flags(chr(cp)) for cp in range(_BMP)), dtype=np.uint8, count=_BMP)


@dataclass(frozen=True, slots=True)
class CharStats:
    """The measures of one text (ratios over its non-space characters)."""

    dense: int  # non-space characters
    garbled: float
    letters: float
    symbols: float
    top_4gram: float  # occurrences of the commonest 4-gram × 4 / dense (0 below 40)
    han: int = 0  # Chinese characters (CJK unified ideographs)
    kana_hangul: int = 0  # Japanese kana and Korean hangul

    @property
    def plainly_chinese(self) -> bool:
        """Most letters are Chinese characters and there is no kana or hangul: Chinese
        without asking a language model (Japanese and Korean running text always carry
        their own scripts)."""
        return self.kana_hangul == 0 and self.han * 2 >= self.letters * self.dense > 0


def code_points(text: str) -> npt.NDArray[np.uint32]:
    """The text's code points (UTF-32; a lone surrogate, which JSON can carry, stays one
    code point)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def char_stats(text: str) -> CharStats:
    """`CharStats` of ``text``."""
    cps = code_points(text)
    table = _table()
    astral = cps >= _BMP
    flags = table[np.where(astral, 0, cps)]
    if astral.any():  # classify the few characters above the BMP one by one
        idx = np.flatnonzero(astral)
        flags[idx] = [_flags(chr(int(c))) for c in cps[idx]]
    keep = (flags & _SPACE) == 0
    dense_flags = flags[keep]
    n = int(dense_flags.shape[0])
    if n == 0:
        return CharStats(0, 0.0, 0.0, 0.0, 0.0)
    garbled = int(np.count_nonzero(dense_flags & _GARBLED)) / n
    letters = int(np.count_nonzero(dense_flags & _ALNUM)) / n
    symbols = int(np.count_nonzero(dense_flags & _SYMBOL)) / n
    return CharStats(
        n,
        garbled,
        letters,
        symbols,
        _top_4gram(cps[keep]),
        int(np.count_nonzero(dense_flags & _HAN)),
        int(np.count_nonzero(dense_flags & _KANA_HANGUL)),
    )


def _top_4gram(dense: npt.NDArray[np.uint32]) -> float:
    """Occurrences of the commonest 4-gram × 4 / length, for 40 characters or more."""
    n = int(dense.shape[0])
    if n < 40:
        return 0.0
    c = dense.astype(np.uint64)
    if int(dense.max()) < _BMP:  # four 16-bit code points fill one 64-bit key exactly
        keys = (c[:-3] << np.uint64(48)) | (c[1:-2] << np.uint64(32)) | (c[2:-1] << np.uint64(16))
        keys |= c[3:]
        k = np.sort(keys)
        new = np.empty(k.shape[0], dtype=bool)
        new[0] = True
        np.not_equal(k[1:], k[:-1], out=new[1:])
    else:  # 21-bit code points: the first three in one key, the fourth apart
        head = (c[:-3] << np.uint64(42)) | (c[1:-2] << np.uint64(21)) | c[2:-1]
        tail = c[3:]
        order = np.lexsort((tail, head))
        h, t = head[order], tail[order]
        new = np.empty(h.shape[0], dtype=bool)
        new[0] = True
        new[1:] = (h[1:] != h[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    runs = np.diff(starts, append=new.shape[0])
    return int(runs.max()) * 4 / n
