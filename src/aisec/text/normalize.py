"""Normalise text for matching and keep a map back to the original offsets.

What it folds (the table is data: ``packs/text/fold.tsv``, built by
``scripts/build_fold_table.py``):

- NFKC and full-width → half-width (``１３８`` → ``138``), accents (``é`` → ``e``),
  mathematical and other compatibility letters (``𝐟𝐮𝐜𝐤`` → ``fuck``);
- traditional → simplified Chinese, character by character (OpenCC ``t2s``);
- look-alike Cyrillic/Greek letters → Latin (homoglyphs);
- zero-width, bidi, control characters and combining marks are removed;
- runs of white space collapse to one space (or one line break when the run has one);
- symbol insertion is folded: up to three spaces or filler symbols between two Chinese
  characters (``法.轮``, ``微 信``) and spacing between single Latin letters
  (``f u c k``) are removed.

Every character of the normalised text remembers the index of the original character it
came from, so a span found on the normalised text maps back to a span of the original that
covers every character the match came from. The work is done with numpy over code-point
arrays, so it runs at tens of MB/s rather than at Python-loop speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from aisec.errors import PackError

#: bumped whenever the folding rules or table change (it is part of every detector version)
FOLD_VERSION = "1"

_LIMIT = 0x30000
_DELETE = 0x110000
_EXPAND = 0x110001
_NOISE_CJK = " .·*_-~|/\\+^`'\"#@="
_NOISE_LATIN = " *_-·"
_MAX_CJK_GAP = 3
_MAX_LATIN_GAP = 2

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Tables:
    fold: npt.NDArray[np.uint32]
    expansions: dict[int, npt.NDArray[np.uint32]]
    noise_cjk: npt.NDArray[np.bool_]
    noise_latin: npt.NDArray[np.bool_]
    han: npt.NDArray[np.bool_]
    ascii_letter: npt.NDArray[np.bool_]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    fold = np.arange(_LIMIT, dtype=np.uint32)
    expansions: dict[int, npt.NDArray[np.uint32]] = {}
    try:
        raw = resources.files("aisec.packs").joinpath("text/fold.tsv").read_text("utf-8")
    except OSError as exc:  # pragma: no cover - a broken install
        raise PackError(f"the character folding table is missing ({exc}); reinstall aisec") from exc
    for line in raw.splitlines():
        if not line or line[0] == "#":
            continue
        cp_hex, _, repl = line.partition("\t")
        cp = int(cp_hex, 16)
        codes = [int(x, 16) for x in repl.split()]
        if not codes:
            fold[cp] = _DELETE
        elif len(codes) == 1:
            fold[cp] = codes[0]
        else:
            fold[cp] = _EXPAND
            expansions[cp] = np.array(codes, dtype=np.uint32)
    # Our own boundary marker for batch scanning must survive folding.
    size = _LIMIT
    noise_cjk = np.zeros(size, dtype=bool)
    noise_cjk[[ord(c) for c in _NOISE_CJK]] = True
    noise_latin = np.zeros(size, dtype=bool)
    noise_latin[[ord(c) for c in _NOISE_LATIN]] = True
    han = np.zeros(size, dtype=bool)
    han[0x3400:0xA000] = True
    han[0xF900:0xFB00] = True
    han[0x20000:0x30000] = True
    ascii_letter = np.zeros(size, dtype=bool)
    ascii_letter[ord("A") : ord("Z") + 1] = True
    ascii_letter[ord("a") : ord("z") + 1] = True
    return _Tables(fold, expansions, noise_cjk, noise_latin, han, ascii_letter)


class NormalizedText:
    """A normalised copy of a text plus the map back to the original.

    ``src[i]`` is the index in ``original`` of the character that produced ``text[i]``;
    ``src`` is ``None`` when the two texts are identical.
    """

    __slots__ = ("_src", "original", "text")

    def __init__(self, original: str, text: str, src: IntArray | None) -> None:
        self.original = original
        self.text = text
        self._src = src

    @property
    def identity(self) -> bool:
        """True when normalisation changed nothing."""
        return self._src is None

    @property
    def src(self) -> IntArray:
        """The per-character map to original indices (materialised on demand)."""
        if self._src is None:
            return np.arange(len(self.text), dtype=np.int64)
        return self._src

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to the original span that covers it."""
        if self._src is None:
            return start, end
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span {start}:{end} is outside a text of length {n}")
        if start == end:
            pos = int(self._src[start]) if start < n else len(self.original)
            return pos, pos
        return int(self._src[start]), int(self._src[end - 1]) + 1

    def to_original_many(self, starts: IntArray, ends: IntArray) -> tuple[IntArray, IntArray]:
        """Vectorised `to_original` for non-empty spans."""
        if self._src is None:
            return starts, ends
        return self._src[starts], self._src[ends - 1] + 1

    def __repr__(self) -> str:
        return f"NormalizedText(len={len(self.text)}, identity={self.identity})"


def normalize(text: str) -> NormalizedText:
    """Fold ``text`` for matching; see the module docstring for what is folded."""
    if not text:
        return NormalizedText(text, text, None)
    t = _tables()
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    n = cps.shape[0]
    big = cps >= _LIMIT
    mapped = t.fold[np.where(big, 0, cps)]
    if big.any():
        mapped[big] = cps[big]
        # tag characters and variation selectors beyond the table: invisible, remove
        invisible = big & (((cps >= 0xE0000) & (cps <= 0xE007F)) | ((cps >= 0xE0100) & (cps <= 0xE01EF)))
        mapped[invisible] = _DELETE

    keep = mapped != _DELETE
    expand = mapped == _EXPAND
    if expand.any():
        out, src = _expand(cps, mapped, keep, expand, t)
    else:
        src = np.flatnonzero(keep)
        out = mapped[src]

    out, src = _collapse_space(out, src)
    out, src = _fold_insertions(out, src, t)

    normalized = out.astype(np.uint32).tobytes().decode("utf-32-le")
    if normalized == text and src.shape[0] == n:
        return NormalizedText(text, text, None)
    return NormalizedText(text, normalized, src.astype(np.int64, copy=False))


def _expand(
    cps: npt.NDArray[np.uint32],
    mapped: npt.NDArray[np.uint32],
    keep: npt.NDArray[np.bool_],
    expand: npt.NDArray[np.bool_],
    t: _Tables,
) -> tuple[npt.NDArray[np.uint32], IntArray]:
    """Apply one-to-many foldings (``①`` → ``1``, ``ﬁ`` → ``fi``, ``…`` → ``...``)."""
    lens = keep.astype(np.int64)
    exp_pos = np.flatnonzero(expand)
    pieces = [t.expansions[int(cps[p])] for p in exp_pos]
    lens[exp_pos] = [len(p) for p in pieces]
    src = np.repeat(np.arange(cps.shape[0], dtype=np.int64), lens)
    starts = np.cumsum(lens) - lens
    out = np.empty(int(lens.sum()), dtype=np.uint32)
    single = keep & ~expand
    out[starts[single]] = mapped[single]
    for p, piece in zip(exp_pos, pieces, strict=True):
        out[starts[p] : starts[p] + len(piece)] = piece
    return out, src


def _collapse_space(
    out: npt.NDArray[np.uint32], src: IntArray
) -> tuple[npt.NDArray[np.uint32], IntArray]:
    """Collapse each run of white space to its first character; a run with a line break
    becomes a single line break."""
    ws = (out == 32) | (out == 10)
    if ws.shape[0] < 2 or not ws.any():
        return out, src
    prev_ws = np.empty_like(ws)
    prev_ws[0] = False
    prev_ws[1:] = ws[:-1]
    if not (ws & prev_ws).any():
        return out, src
    run_start = ws & ~prev_ws
    run_id = np.cumsum(run_start) - 1
    has_nl = np.zeros(int(run_start.sum()), dtype=bool)
    nl = out == 10
    has_nl[run_id[nl]] = True
    out = out.copy()
    starts = np.flatnonzero(run_start)
    out[starts[has_nl]] = 10
    keep = ~(ws & prev_ws)
    return out[keep], src[keep]


def _runs(mask: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) of each run of True in ``mask``."""
    edges = np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _mark(m: int, starts: IntArray, ends: IntArray) -> npt.NDArray[np.bool_]:
    """A boolean mask of length ``m`` that is True inside the given runs."""
    d = np.zeros(m + 1, dtype=np.int32)
    np.add.at(d, starts, 1)
    np.add.at(d, ends, -1)
    return np.cumsum(d[:m]) > 0


def _fold_insertions(
    out: npt.NDArray[np.uint32], src: IntArray, t: _Tables
) -> tuple[npt.NDArray[np.uint32], IntArray]:
    """Remove filler between Chinese characters and spacing between single letters."""
    m = out.shape[0]
    if m < 3:
        return out, src
    small = np.where(out < _LIMIT, out, 0)
    drop: npt.NDArray[np.bool_] | None = None

    noise = t.noise_cjk[small]
    if noise.any():
        han = t.han[small]
        starts, ends = _runs(noise)
        ok = (starts > 0) & (ends < m) & (ends - starts <= _MAX_CJK_GAP)
        starts, ends = starts[ok], ends[ok]
        ok = han[starts - 1] & han[ends]
        if ok.any():
            drop = _mark(m, starts[ok], ends[ok])

    noise_l = t.noise_latin[small]
    if noise_l.any():
        letter = t.ascii_letter[small]
        starts, ends = _runs(noise_l)
        ok = (starts > 0) & (ends < m) & (ends - starts <= _MAX_LATIN_GAP)
        starts, ends = starts[ok], ends[ok]
        # the letters on both sides must stand alone ("f u c k", not "I am a")
        left_alone = letter[starts - 1] & ((starts < 2) | ~letter[np.maximum(starts - 2, 0)])
        right_alone = letter[ends] & ((ends + 1 >= m) | ~letter[np.minimum(ends + 1, m - 1)])
        ok = left_alone & right_alone
        if ok.any():
            more = _mark(m, starts[ok], ends[ok])
            drop = more if drop is None else drop | more

    if drop is None or not drop.any():
        return out, src
    keep = ~drop
    return out[keep], src[keep]
