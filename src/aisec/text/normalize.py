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
from typing import Any

import hyperscan
import numpy as np
import numpy.typing as npt

from aisec.errors import PackError
from aisec.runtime import native_enabled
from aisec.text.hsdb import Matcher, byte_to_char, compile_database

#: bumped whenever the folding rules or table change (it is part of every detector version)
FOLD_VERSION = "2"

_LIMIT = 0x30000
_DELETE = 0x110000
_EXPAND = 0x110001
# field separators such as | and / are not filler: folding them would merge fields
_NOISE_CJK = " .·*_-~+^`'\"#@="
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
    # Lone surrogates (a str can hold them: JSON's "\ud83d" escapes, `surrogateescape`
    # decoding) are not characters and cannot be encoded to UTF-8 for the matchers: they
    # go, like the controls and format characters the table deletes.
    fold[0xD800:0xE000] = _DELETE
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
    """Fold ``text`` for matching; see the module docstring for what is folded.

    Runs in C (`aisec.text._fold`, with this module's tables) when that is built and not
    switched off (``AISEC_NATIVE=0``); `normalize_python` is the reference it matches."""
    if not text:
        return NormalizedText(text, text, None)
    folder = _folder()
    if folder is None:
        return normalize_python(text)
    folded, src = folder.fold(text)
    if src is None:
        return NormalizedText(text, text, None)
    return NormalizedText(text, folded, np.frombuffer(src, dtype=np.int64))


@lru_cache(maxsize=1)
def _folder() -> Any:
    """The compiled folder over `_tables` (None: not built, or ``AISEC_NATIVE=0``)."""
    if not native_enabled():
        return None
    try:
        from aisec.text import _fold  # type: ignore[attr-defined]
    except ImportError:  # built without the C extension
        return None
    t = _tables()
    expansions = {cp: [int(c) for c in codes] for cp, codes in t.expansions.items()}
    return _fold.Folder(t.fold, expansions, _NOISE_CJK, _NOISE_LATIN)


def normalize_python(text: str) -> NormalizedText:
    """`normalize` with numpy: the reference the compiled version is tested against, and
    what runs where it is not built."""
    if not text:
        return NormalizedText(text, text, None)
    t = _tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = cps.shape[0]
    if int(cps.max()) < _LIMIT:
        mapped = t.fold[cps]
    else:
        big = cps >= _LIMIT
        mapped = t.fold[np.where(big, 0, cps)]
        mapped[big] = cps[big]
        # tag characters and variation selectors beyond the table: invisible, remove
        invisible = big & (
            ((cps >= 0xE0000) & (cps <= 0xE007F)) | ((cps >= 0xE0100) & (cps <= 0xE01EF))
        )
        mapped[invisible] = _DELETE

    src: IntArray | None
    if int(mapped.max()) >= _DELETE:
        keep = mapped != _DELETE
        expand = mapped == _EXPAND
        if expand.any():
            out, src = _expand(cps, mapped, keep, expand, t)
        else:
            src = np.flatnonzero(keep)
            out = mapped[src]
    else:
        out, src = mapped, None
    # White space runs collapse on the code points (when the decoded text has a run of
    # two: most texts have none, and a substring test is cheaper than the numpy pass);
    # then one Hyperscan pass finds filler runs (most texts have none).
    folded = out.tobytes().decode("utf-32-le")
    if _has_space_run(folded):
        out, src = _collapse_space(out, src)
        folded = out.tobytes().decode("utf-32-le")
    fillers = _scan_folds(folded)
    if fillers:
        folded, src = _apply(folded, src, fillers)

    if src is None and folded == text:
        return NormalizedText(text, text, None)
    if src is None:
        src = np.arange(n, dtype=np.int64)
    return NormalizedText(text, folded, src.astype(np.int64, copy=False))


_CJK, _LATIN = 1, 2  # pattern ids in the filler database


def _hs_class(chars: str) -> str:
    # escape ASCII punctuation only: a backslash before a multi-byte UTF-8 character would
    # escape its first byte and break the class
    return "".join("\\" + c if c.isascii() and not c.isalnum() else c for c in chars)


@lru_cache(maxsize=1)
def _fold_db() -> Matcher:
    """The Hyperscan database behind `_scan_folds`."""
    han = "\\x{3400}-\\x{9fff}\\x{f900}-\\x{faff}\\x{20000}-\\x{2ffff}"
    expressions = [
        # filler between two Chinese characters
        f"[{han}][{_hs_class(_NOISE_CJK)}]{{1,{_MAX_CJK_GAP}}}[{han}]".encode(),
        # spacing between two single Latin letters ("f u c k"; not "I am a")
        f"(?:^|[^A-Za-z])[A-Za-z][{_hs_class(_NOISE_LATIN)}]{{1,{_MAX_LATIN_GAP}}}"
        "[A-Za-z](?:[^A-Za-z]|$)".encode(),
    ]
    som = hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8
    return compile_database(expressions, [som, som], ids=[_CJK, _LATIN])


def _scan_folds(s: str) -> list[tuple[int, int]]:
    """The character spans of filler to cut in ``s``."""
    data = s.encode("utf-8")
    spans: list[tuple[int, int, int]] = []

    def on_match(pid: int, start: int, end: int, _f: int, _c: object) -> None:
        spans.append((pid, start, end))

    _fold_db().scan(data, on_match)
    if not spans:
        return []
    char_at = None if len(data) == len(s) else byte_to_char(data)
    cut: list[tuple[int, int]] = []
    pairs: list[tuple[int, int]] = []  # Latin: (first letter, last letter)
    for pid, b0, b1 in spans:
        lo = b0 if char_at is None else int(char_at[b0])
        hi = b1 if char_at is None else int(char_at[b1])
        if pid == _CJK:  # Chinese, filler, Chinese
            cut.append((lo + 1, hi - 1))
        else:  # [boundary] letter, filler, letter [boundary]
            first = lo if s[lo].isascii() and s[lo].isalpha() else lo + 1
            last = hi - 1 if s[hi - 1].isascii() and s[hi - 1].isalpha() else hi - 2
            pairs.append((first, last))
    if pairs:
        # a lone pair whose second letter begins an e-mail address ("I a@b.cn") is a word
        # before the address, not a spaced-out local part ("j o h n@b.cn" is one)
        seconds = {last for _, last in pairs}
        cut += [
            (first + 1, last)
            for first, last in pairs
            if not (last + 1 < len(s) and s[last + 1] == "@" and first not in seconds)
        ]
    return cut


def _apply(
    folded: str, src: IntArray | None, cut: list[tuple[int, int]]
) -> tuple[str, IntArray | None]:
    """Remove the character ranges ``cut`` (carrying the offset map along)."""
    if not cut:
        return folded, src
    arr = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    # mark the cut ranges with +1/-1 at their ends; a running sum > 0 is inside a cut
    bounds = np.array(cut, dtype=np.int64)
    delta = np.zeros(arr.shape[0] + 1, dtype=np.int32)
    np.add.at(delta, bounds[:, 0], 1)
    np.add.at(delta, bounds[:, 1], -1)
    keep = np.cumsum(delta[:-1], dtype=np.int32) == 0
    src = np.flatnonzero(keep) if src is None else src[keep]
    return arr[keep].tobytes().decode("utf-32-le"), src


def _has_space_run(s: str) -> bool:
    """True when ``s`` has two white space characters (space or line break) in a row:
    exactly when `_collapse_space` has something to do."""
    return "  " in s or " \n" in s or "\n " in s or "\n\n" in s


def _collapse_space(
    arr: npt.NDArray[np.uint32], src: IntArray | None
) -> tuple[npt.NDArray[np.uint32], IntArray | None]:
    """Collapse each run of white space to its first character, which becomes a line break
    when the run has one."""
    ws = (arr == 32) | (arr == 10)
    dup = np.flatnonzero(ws[1:] & ws[:-1]) + 1  # white space right after white space
    if dup.shape[0] == 0:
        return arr, src
    promote = dup[arr[dup] == 10]  # a line break inside a run: the run's first char becomes one
    if promote.shape[0]:
        arr = arr.copy()
        run_starts = np.flatnonzero(ws & ~np.concatenate(([False], ws[:-1])))
        arr[run_starts[np.searchsorted(run_starts, promote, side="right") - 1]] = 10
    keep = np.ones(arr.shape[0], dtype=bool)
    keep[dup] = False
    src = np.flatnonzero(keep) if src is None else src[keep]
    return arr[keep], src


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
