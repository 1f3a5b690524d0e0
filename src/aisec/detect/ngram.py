"""Character n-gram hashing: the features of the attack, risk and response models, shared by
training and run time.

A text is lower-cased and cut into every character 1- to 4-gram; each n-gram is hashed
(a polynomial over its code points, then an integer mix) into one of ``2**bits`` buckets.
The feature vector is binary (an n-gram present or not) scaled to unit L2 length, so a
linear model's score is ``sum(W[unique buckets]) / sqrt(number of buckets) + b``.
Everything is vectorised numpy over the code points; no Python loop per n-gram.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from aisec.arrays import unique_sorted

#: default hashing parameters (the model card records the ones a model was trained with)
BITS = 18
NGRAMS = (1, 2, 3, 4)

_P = np.uint32(0x01000193)  # FNV prime: spreads a code point over the word
_SEEDS = {n: np.uint32((0x9E3779B9 * n) & 0xFFFFFFFF) for n in range(1, 9)}
_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


def codepoints(text: str) -> U32:
    """The lower-cased text as an array of code points."""
    return np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32)


def ngram_hashes(cps: U32, bits: int = BITS, ngrams: tuple[int, ...] = NGRAMS) -> list[I64]:
    """For each n in ``ngrams``, the bucket of the n-gram starting at each position."""
    out: list[I64] = []
    n_chars = len(cps)
    mask = np.uint32((1 << bits) - 1)
    with np.errstate(over="ignore"):
        acc = np.zeros(n_chars, dtype=np.uint32)
        top = max(ngrams) if ngrams else 0
        for n in range(1, top + 1):
            if n > n_chars:
                break
            # acc[i] = hash of cps[i : i + n]
            acc = acc[: n_chars - n + 1] * _P + cps[n - 1 :]
            if n in ngrams:
                x = acc ^ _SEEDS[n]
                x ^= x >> np.uint32(16)
                x *= _M1
                x ^= x >> np.uint32(15)
                x *= _M2
                x ^= x >> np.uint32(16)
                out.append((x & mask).astype(np.int64))
    return out


def buckets(text: str, bits: int = BITS, ngrams: tuple[int, ...] = NGRAMS) -> I64:
    """The distinct buckets of ``text`` (sorted): the non-zero features."""
    parts = ngram_hashes(codepoints(text), bits, ngrams)
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return unique_sorted(np.concatenate(parts))
