"""Character n-gram shingles of normalised text, hashed to uint64, for a whole batch at once.

What a document is compared on: ``aisec.text.normalize`` (NFKC, full/half width,
traditional → simplified, zero-width removal, ...), then lower case, then only letters and
digits (Unicode categories L* and N*) are kept — punctuation, symbols and white space are
dropped, so re-spacing, inserted separators or emoji do not change the shingles. The
shingles are the overlapping character n-grams of what is left.

The batch is joined with a separator, normalised in one call and turned into a code-point
array; the n-gram hashes are a polynomial over code points computed with numpy (mod 2^64)
and then mixed with the SplitMix64 finaliser, so no Python loop runs per character.

A document whose kept text is shorter than ``n`` (but not empty) gets one shingle: the
whole kept text. A document whose kept text is empty gets none (callers report it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from aisec.text import normalize

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: joins texts for one normalisation call (a non-character normalisation keeps)
SEPARATOR = "\uffff"
_SEP_CP = 0xFFFF
_TABLE_LIMIT = 0x30000
_POLY = np.uint64(0x100000001B3)  # FNV-64 prime: odd, so the polynomial keeps all bits
_SHORT_TAG = np.uint64(0x9E3779B97F4A7C15)
_MASK64 = (1 << 64) - 1


def splitmix64(x: U64) -> U64:
    """The SplitMix64 finaliser (a bijection on uint64 that mixes every bit), vectorised."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=1)
def _kept_table() -> npt.NDArray[np.bool_]:
    """True for code points that take part in shingles: letters and digits."""
    keep = np.zeros(_TABLE_LIMIT, dtype=bool)
    for cp in range(_TABLE_LIMIT):
        if unicodedata.category(chr(cp))[0] in "LN":
            keep[cp] = True
    return keep


def shingle_text(text: str) -> str:
    """The text a document is shingled on (for inspection and tests): normalised, lower
    case, letters and digits only."""
    folded = normalize(text.replace(SEPARATOR, "")).text.lower()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


@dataclass(frozen=True, slots=True)
class ShingleBatch:
    """Hashed shingles of a batch: ``hashes[i]`` belongs to document ``doc[i]`` (ascending);
    ``lengths[d]`` is the number of kept characters of document ``d``."""

    hashes: U64
    doc: I64
    lengths: I64


def shingle_batch(texts: Sequence[str], ngram: int) -> ShingleBatch:
    """Hash the character ``ngram``-shingles of every text (see the module docstring)."""
    n_docs = len(texts)
    if n_docs == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ShingleBatch(np.zeros(0, dtype=np.uint64), empty, empty)
    joined = SEPARATOR.join(t.replace(SEPARATOR, "") if SEPARATOR in t else t for t in texts)
    folded = normalize(joined).text.lower()
    cps = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    is_sep = cps == _SEP_CP
    if int(is_sep.sum()) != n_docs - 1:  # normalisation must keep the separator
        raise RuntimeError("text normalisation dropped the batch separator U+FFFF")
    doc_of = np.cumsum(is_sep, dtype=np.int64)
    table = _kept_table()
    big = cps >= _TABLE_LIMIT
    keep = table[np.where(big, 0, cps)] | big
    keep &= ~is_sep
    chars = cps[keep].astype(np.uint64)
    doc = doc_of[keep]
    lengths = np.bincount(doc, minlength=n_docs).astype(np.int64)

    m = chars.shape[0] - ngram + 1
    if m > 0:
        h = chars[:m].copy()
        for j in range(1, ngram):
            h *= _POLY
            h += chars[j : j + m]
        same = doc[:m] == doc[ngram - 1 :]
        hashes, hdoc = h[same], doc[:m][same]
    else:
        hashes, hdoc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)

    short = np.flatnonzero((lengths > 0) & (lengths < ngram))
    if short.shape[0]:
        # one shingle per short document: the polynomial over all its characters, tagged
        # with its length so it cannot equal an n-gram of a longer text by construction
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        extra = np.empty(short.shape[0], dtype=np.uint64)
        for k, d in enumerate(short):
            s = int(starts[d])
            v = (int(lengths[d]) * int(_SHORT_TAG)) & _MASK64
            for c in chars[s : s + int(lengths[d])].tolist():
                v = (v * int(_POLY) + c) & _MASK64
            extra[k] = v
        hashes = np.concatenate((hashes, extra))
        hdoc = np.concatenate((hdoc, short.astype(np.int64)))
        order = np.argsort(hdoc, kind="stable")
        hashes, hdoc = hashes[order], hdoc[order]
    return ShingleBatch(splitmix64(hashes), hdoc, lengths)
