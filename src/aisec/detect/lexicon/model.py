"""Keyword-library data: `Term`, `Lexicon`, validation and the built-in library.

A lexicon is a named, versioned list of terms. Each term names one GB/T 45654 risk code
(``A1.4``), a weight in ``[0, 1]`` (the score of a hit) and optional exclusions: allow-list
contexts that contain the term and suppress a hit they cover (``法轮常转`` for ``法轮``).
Risk codes are checked against the rule pack's taxonomy, so a typo is an error at load time,
not a silent miss at scan time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from aisec.errors import LexiconError, PackError
from aisec.taxonomy import DEFAULT_PACK, load_taxonomy
from aisec.text import normalize

#: the built-in library lives in ``aisec/packs/<pack>/lexicon/``
BUILTIN_DIR = "lexicon"
#: columns of the built-in TSV files and of CSV imports/exports
COLUMNS = ("term", "risk", "weight", "exclusions", "source")
#: separator of several exclusions in one CSV/TSV cell
EXCLUSION_SEP = "|"
DEFAULT_WEIGHT = 0.8


@dataclass(frozen=True, slots=True)
class Term:
    """One keyword: the text to find, the risk it signals and how strongly.

    ``term`` is kept as written; matching uses its normalised form (see `normalized`).
    """

    term: str
    risk: str
    weight: float = DEFAULT_WEIGHT
    exclusions: tuple[str, ...] = ()
    source: str = ""

    @property
    def kind(self) -> str:
        """The finding kind a hit of this term produces (``risk.A1.4``)."""
        return f"risk.{self.risk}"


@dataclass
class Lexicon:
    """A named, versioned keyword library (the built-in one or a user's)."""

    name: str
    version: str
    terms: list[Term] = field(default_factory=list)
    origin: str = ""

    @property
    def label(self) -> str:
        """``name@version``, used in finding versions and reports."""
        return f"{self.name}@{self.version}"

    def __len__(self) -> int:
        return len(self.terms)

    def risks(self) -> dict[str, int]:
        """Number of distinct normalised terms per risk code."""
        per: dict[str, set[str]] = {}
        for key, term in zip(normalized_keys(self.terms), self.terms, strict=True):
            per.setdefault(term.risk, set()).add(key)
        return {risk: len(keys) for risk, keys in sorted(per.items())}


def match_key(text: str) -> str:
    """The form a term is matched in: normalised, and lower case (ASCII matching ignores case)."""
    return normalize(text.strip()).text.strip().lower()


def normalized_keys(terms: Sequence[Term]) -> list[str]:
    """`match_key` of many terms at once (one normalisation call for the whole list)."""
    return normalize_many([t.term for t in terms])


def normalize_many(texts: Sequence[str]) -> list[str]:
    """`match_key` of many short strings, normalised together for speed."""
    if not texts:
        return []
    stripped = [t.strip() for t in texts]
    if not any("\n" in t for t in stripped):
        joined = normalize("\n".join(stripped)).text.split("\n")
        if len(joined) == len(stripped):
            return [j.strip().lower() for j in joined]
    return [match_key(t) for t in stripped]


def validate_term(
    term: str,
    risk: str,
    weight: float,
    exclusions: Iterable[str],
    source: str,
    where: str,
) -> Term:
    """Build a `Term`, raising `LexiconError` naming ``where`` (``file:line``) when invalid."""
    text = term.strip()
    if not text:
        raise LexiconError(f"{where}: empty term")
    key = match_key(text)
    if not key:
        raise LexiconError(f"{where}: term {text!r} is empty once normalised (only symbols?)")
    code = risk.strip().removeprefix("risk.")
    known = _leaf_codes()
    if code not in known:
        raise LexiconError(
            f"{where}: unknown risk code {risk!r} for term {text!r}; "
            f"use a GB/T 45654 code such as A1.4 (known: {known[0]} … {known[-1]})"
        )
    if not 0.0 <= weight <= 1.0:
        raise LexiconError(f"{where}: weight {weight} of term {text!r} is not between 0 and 1")
    excl: list[str] = []
    for e in exclusions:
        e = e.strip()
        if not e:
            continue
        if key not in match_key(e):
            raise LexiconError(
                f"{where}: exclusion {e!r} of term {text!r} does not contain the term; "
                "an exclusion is a longer context that makes the term harmless"
            )
        excl.append(e)
    return Term(text, code, float(weight), tuple(excl), source)


def parse_weight(raw: str | float | int | None, where: str) -> float:
    """A weight from a file cell; blank means the default."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_WEIGHT
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise LexiconError(f"{where}: weight {raw!r} is not a number between 0 and 1") from None


@lru_cache(maxsize=1)
def _leaf_codes() -> list[str]:
    return load_taxonomy().risk_codes()


@lru_cache(maxsize=2)
def load_builtin(pack: str = DEFAULT_PACK) -> Lexicon:
    """The library shipped in the rule pack (``packs/<pack>/lexicon/``)."""
    base = resources.files("aisec.packs").joinpath(f"{pack}/{BUILTIN_DIR}")
    try:
        manifest = yaml.safe_load(base.joinpath("lexicon.yaml").read_text("utf-8"))
        name, version = str(manifest["name"]), str(manifest["version"])
        files = [str(f) for f in manifest["files"]]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise PackError(
            f"the built-in lexicon of pack {pack!r} is missing or broken: {exc}"
        ) from exc
    terms: list[Term] = []
    for fname in files:
        try:
            raw = base.joinpath(fname).read_text("utf-8")
        except OSError as exc:
            raise PackError(f"built-in lexicon file {fname} is missing: {exc}") from exc
        terms.extend(_parse_pack_tsv(raw, f"{pack}/{BUILTIN_DIR}/{fname}"))
    return Lexicon(name, version, terms, origin=f"builtin:{pack}")


def _parse_pack_tsv(raw: str, where: str) -> list[Term]:
    """Parse a built-in TSV file (trusted data: light checks, fast)."""
    known = set(_leaf_codes())
    out: list[Term] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line or line[0] == "#":
            continue
        cells = line.split("\t")
        if len(cells) < 2 or cells[1] not in known:
            raise PackError(f"{where}:{n}: malformed line {line!r}")
        weight = float(cells[2]) if len(cells) > 2 and cells[2] else DEFAULT_WEIGHT
        excl = tuple(e for e in cells[3].split(EXCLUSION_SEP) if e) if len(cells) > 3 else ()
        source = cells[4] if len(cells) > 4 else ""
        out.append(Term(cells[0], cells[1], weight, excl, source))
    return out


@dataclass(frozen=True)
class Coverage:
    """How a set of libraries measures up to the GB/T 45654 keyword-library figures."""

    total: int
    required_total: int
    per_risk: dict[str, int]
    required: dict[str, int]
    libraries: tuple[str, ...]

    @property
    def short(self) -> dict[str, tuple[int, int]]:
        """Risks below their figure: code → (have, need)."""
        return {
            code: (self.per_risk.get(code, 0), need)
            for code, need in self.required.items()
            if self.per_risk.get(code, 0) < need
        }

    @property
    def total_short(self) -> bool:
        """True when the total number of terms is below the figure."""
        return self.total < self.required_total

    @property
    def ok(self) -> bool:
        """True when every figure is met."""
        return not self.short and not self.total_short

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form (``aisec lexicon stats --format json``)."""
        return {
            "libraries": list(self.libraries),
            "total": self.total,
            "required_total": self.required_total,
            "per_risk": self.per_risk,
            "required": self.required,
            "short": {k: {"have": h, "need": n} for k, (h, n) in self.short.items()},
            "total_short": self.total_short,
            "ok": self.ok,
        }


def coverage(lexicons: Sequence[Lexicon], pack: str = DEFAULT_PACK) -> Coverage:
    """Count distinct normalised terms, in total and per risk, against the pack's figures."""
    tax = load_taxonomy(pack)
    figures = tax.figures
    per_class: dict[str, int] = {str(k): int(v) for k, v in figures.get("per_risk", {}).items()}
    required = {code: per_class[cls] for cls in per_class for code in tax.risk_codes(cls)}
    all_keys: set[str] = set()
    per: dict[str, set[str]] = {}
    for lex in lexicons:
        for key, term in zip(normalized_keys(lex.terms), lex.terms, strict=True):
            all_keys.add(key)
            per.setdefault(term.risk, set()).add(key)
    order = {code: i for i, code in enumerate(tax.risk_codes())}
    per_risk = {c: len(per[c]) for c in sorted(per, key=lambda c: order.get(c, 999))}
    return Coverage(
        total=len(all_keys),
        required_total=int(figures.get("total_terms", 0)),
        per_risk=per_risk,
        required=required,
        libraries=tuple(lex.label for lex in lexicons),
    )
