"""Character n-gram hashing: the features of the attack, risk and response models, shared by
training and run time.

A text is lower-cased and cut into every character 1- to 4-gram; each n-gram is hashed
(a polynomial over its code points, then an integer mix) into one of ``2**bits`` buckets.
The feature vector is binary (an n-gram present or not) scaled to unit L2 length, so a
linear model's score is ``sum(W[unique buckets]) / sqrt(number of buckets) + b``.
Everything is vectorised numpy over the code points; no Python loop per n-gram.

Per-script n-gram range (optional, ``cjk_max_n``): n-grams longer than ``cjk_max_n`` that
are made of CJK ideographs are dropped (rule ``"all"``: every character is CJK;
``"majority"``: more than half are), so Chinese text contributes 1- to 3-grams while Latin
text keeps 1- to 4-grams. ``cjk_max_n=None`` (the default) is the plain 1..4 behaviour.
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
Mask = npt.NDArray[np.bool_]

#: the rules for "an n-gram made of CJK characters" (see `script_masks`)
CJK_RULES = ("all", "majority")
#: the code points counted as CJK ideographs: U+3400..U+9FFF (Ext. A + Unified, the range
#: the attack detector's Chinese-threshold rule counts); compatibility ideographs become
#: unified ones under NFKC, and the supplementary planes are too rare to pay a test for
_CJK_LO, _CJK_HI = 0x3400, 0x9FFF


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


def cjk_mask(cps: U32) -> Mask:
    """True where the code point is a CJK ideograph (U+3400..U+9FFF)."""
    with np.errstate(over="ignore"):  # unsigned wrap-around: one comparison for the range
        out: Mask = (cps - np.uint32(_CJK_LO)) <= np.uint32(_CJK_HI - _CJK_LO)
    return out


def script_masks(
    cps: U32, ngrams: tuple[int, ...], cjk_max_n: int | None, cjk_rule: str = "all"
) -> list[Mask | None]:
    """Aligned with `ngram_hashes` (same ``ngrams``): for each n, which n-grams to keep
    (``None``: all of them). An n-gram longer than ``cjk_max_n`` is dropped when it is made of
    CJK ideographs: all of its characters (``cjk_rule="all"``) or more than half of them
    (``"majority"``)."""
    if cjk_rule not in CJK_RULES:
        raise ValueError(f"cjk_rule must be one of {CJK_RULES}, not {cjk_rule!r}")
    n_chars = len(cps)
    present = [n for n in sorted(set(ngrams)) if 1 <= n <= n_chars]
    if cjk_max_n is None or not any(n > cjk_max_n for n in present):
        return [None] * len(present)
    cjk = cjk_mask(cps)
    if not cjk.any():  # no CJK character: nothing to drop
        return [None] * len(present)
    ones = cjk.view(np.uint8)  # 0/1 per character
    out: list[Mask | None] = []
    for n in present:
        m = n_chars - n + 1  # n-grams of length n
        if n <= cjk_max_n:
            out.append(None)
        elif cjk_rule == "all":  # keep unless cps[i], ..., cps[i + n - 1] are all CJK
            all_cjk = cjk[:m].copy()
            for k in range(1, n):
                all_cjk &= cjk[k : k + m]
            out.append(~all_cjk)
        else:  # keep when at most half of cps[i : i + n] are CJK
            count = ones[:m].astype(np.int16)
            for k in range(1, n):
                count += ones[k : k + m]
            out.append(count <= n // 2)
    return out


def buckets(
    text: str,
    bits: int = BITS,
    ngrams: tuple[int, ...] = NGRAMS,
    cjk_max_n: int | None = None,
    cjk_rule: str = "all",
) -> I64:
    """The distinct buckets of ``text`` (sorted): the non-zero features. With ``cjk_max_n``,
    CJK n-grams longer than that are left out (`script_masks`)."""
    cps = codepoints(text)
    parts = ngram_hashes(cps, bits, ngrams)
    if not parts:
        return np.zeros(0, dtype=np.int64)
    if cjk_max_n is not None:
        masks = script_masks(cps, ngrams, cjk_max_n, cjk_rule)
        parts = [h if m is None else h[m] for h, m in zip(parts, masks, strict=True)]
    return unique_sorted(np.concatenate(parts))
