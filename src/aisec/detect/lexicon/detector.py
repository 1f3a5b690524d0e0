"""`LexiconDetector`: keyword hits as ``risk.<code>`` findings.

Terms and text are folded by the same `aisec.text.normalize`, so inserted symbols and
spaces, full-width and traditional forms, zero-width characters and look-alike letters do
not evade a term. Chinese terms match anywhere; a term's ASCII letters and digits must stand
at word boundaries (``ass`` never fires inside ``class``). A hit covered by one of its term's
exclusion contexts in the text is suppressed.
"""

from __future__ import annotations

import hashlib
import os
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aisec.detect.base import Detector, Finding, register
from aisec.detect.lexicon.engine import LiteralMatcher
from aisec.detect.lexicon.files import read_lexicon
from aisec.detect.lexicon.model import Lexicon, load_builtin, normalize_many
from aisec.text import NormalizedText, normalize

LexiconSource = Lexicon | str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class _Entry:
    """What a pattern means for one (library, risk): weight and suppressing contexts."""

    risk: str
    weight: float
    exclusions: tuple[int, ...]


class _Index:
    """All terms of a set of libraries compiled into one matcher."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        pattern_id: dict[str, int] = {}

        def pid(key: str) -> int:
            if key not in pattern_id:
                pattern_id[key] = len(pattern_id)
            return pattern_id[key]

        entries: dict[int, dict[str, _Entry]] = {}
        for lex in lexicons:
            keys = normalize_many([t.term for t in lex.terms])
            flat = [e for t in lex.terms for e in t.exclusions]
            excl_keys = iter(normalize_many(flat))
            for key, term in zip(keys, lex.terms, strict=True):
                excl = tuple(pid(next(excl_keys)) for _ in term.exclusions)
                per_risk = entries.setdefault(pid(key), {})
                old = per_risk.get(term.risk)
                if old is None:
                    per_risk[term.risk] = _Entry(term.risk, term.weight, excl)
                else:  # the same term twice: keep the stronger weight and all exclusions
                    per_risk[term.risk] = _Entry(
                        term.risk, max(old.weight, term.weight), old.exclusions + excl
                    )
        patterns = list(pattern_id)
        self.entries: list[tuple[_Entry, ...]] = [
            tuple(entries.get(i, {}).values()) for i in range(len(patterns))
        ]
        self.matcher = LiteralMatcher(patterns, [True] * len(patterns))
        self.size = sum(1 for e in self.entries if e)

    def hits(self, text: str) -> list[tuple[str, int, int, float]]:
        """``(risk, start, end, weight)`` on ``text`` (already normalised)."""
        found = self.matcher.scan(text)
        if not found:
            return []
        spans: dict[int, list[tuple[int, int]]] = {}
        for p, s, e in found:
            spans.setdefault(p, []).append((s, e))
        best: dict[tuple[str, int, int], float] = {}
        for p, s, e in found:
            for entry in self.entries[p]:
                if entry.exclusions and _covered(s, e, entry.exclusions, spans):
                    continue
                key = (entry.risk, s, e)
                if best.get(key, -1.0) < entry.weight:
                    best[key] = entry.weight
        return [
            (risk, s, e, w) for (risk, s, e), w in sorted(best.items(), key=lambda kv: kv[0][1:])
        ]


def _covered(
    s: int, e: int, exclusions: tuple[int, ...], spans: dict[int, list[tuple[int, int]]]
) -> bool:
    for x in exclusions:
        for xs, xe in spans.get(x, ()):
            if xs <= s and e <= xe:
                return True
    return False


_CACHE: dict[str, _Index] = {}
_CACHE_LOCK = threading.Lock()


def _fingerprint(lexicons: Sequence[Lexicon]) -> str:
    h = hashlib.sha256()
    for lex in lexicons:
        h.update(f"\x01{lex.label}\x01".encode())
        for t in lex.terms:
            h.update(f"{t.term}\x00{t.risk}\x00{t.weight}\x00{'|'.join(t.exclusions)}\x02".encode())
    return h.hexdigest()


def compiled_index(lexicons: Sequence[Lexicon]) -> _Index:
    """The matcher for ``lexicons``, compiled once per process (and cached on disk)."""
    fp = _fingerprint(lexicons)
    with _CACHE_LOCK:
        index = _CACHE.get(fp)
        if index is None:
            index = _Index(lexicons)
            _CACHE[fp] = index
        return index


@register("lexicon")
class LexiconDetector(Detector):
    """Finds keyword-library terms; each hit is a ``risk.<code>`` finding scored by the
    term's weight.

    ``lexicons``: the libraries to use (`Lexicon` objects or file paths); by default the
    built-in library. ``extra``: user library files loaded beside them (relative paths are
    taken from ``base_dir``, which a policy sets to its own folder).
    """

    name = "lexicon"
    version = "1"
    kinds = ("risk.",)
    uses_normalized = True

    def __init__(
        self,
        lexicons: Iterable[LexiconSource] | None = None,
        extra: Iterable[str | os.PathLike[str]] = (),
        base_dir: str | os.PathLike[str] | None = None,
        **_: object,
    ) -> None:
        chosen = [load_builtin()] if lexicons is None else [_load(x) for x in lexicons]
        # relative paths in a policy file are relative to that file's folder
        root = Path(base_dir) if base_dir is not None else Path()
        chosen += [read_lexicon(root / p) for p in extra]
        self.lexicons = chosen
        #: the library versions that every finding carries
        self.library_version = "+".join(lex.label for lex in chosen)
        self._index = compiled_index(chosen)

    @property
    def size(self) -> int:
        """Number of distinct terms the detector matches."""
        return self._index.size

    def find(self, text: NormalizedText) -> Iterable[Finding]:
        """Findings with offsets into the normalised text."""
        v = self.library_version
        return [
            Finding(f"risk.{risk}", s, e, w, self.name, v)
            for risk, s, e, w in self._index.hits(text.text)
        ]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Finding]]:
        """`detect` over many texts with one normalisation and one scan of them all."""
        out: list[list[Finding]] = [[] for _ in texts]
        if not texts:
            return out
        starts: list[int] = []
        pos = 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + 1
        nt = normalize("\n".join(texts))
        v = self.library_version
        for risk, s, e, w in self._index.hits(nt.text):
            os_, oe = nt.to_original(s, e)
            i = bisect_right(starts, os_) - 1
            if oe > starts[i] + len(texts[i]):
                continue  # straddles two texts: not a hit of either
            out[i].append(Finding(f"risk.{risk}", os_ - starts[i], oe - starts[i], w, self.name, v))
        for found in out:
            found.sort(key=lambda f: (f.start, -f.end, f.kind))
        return out


def _load(source: LexiconSource) -> Lexicon:
    return source if isinstance(source, Lexicon) else read_lexicon(source)
