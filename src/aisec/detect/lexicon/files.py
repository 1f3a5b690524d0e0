"""Read and write user keyword libraries: plain lists, CSV and JSON.

- **txt**: one term per line, ``#`` starts a comment; every term gets the ``risk`` (and
  ``weight``) given by the caller (``aisec lexicon import words.txt --risk A1.4``).
- **csv**: a header with ``term`` and ``risk`` columns, optionally ``weight``,
  ``exclusions`` (several separated by ``|``) and ``source``.
- **json**: ``{"name": …, "version": …, "terms": [{"term": …, "risk": …, "weight": …,
  "exclusions": […]}]}`` or just the list of term objects.

Every problem is a `LexiconError` naming the file and the line (or JSON item).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from aisec.detect.lexicon.model import (
    COLUMNS,
    EXCLUSION_SEP,
    Lexicon,
    Term,
    parse_weight,
    validate_term,
)
from aisec.errors import LexiconError
from aisec.io.atomic import atomic_writer

FORMATS = ("csv", "json", "txt")


def detect_format(path: Path) -> str:
    """The file format from the suffix (``.txt``/``.lst``, ``.csv``/``.tsv``, ``.json``)."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".lst", ".dic", ""):
        return "txt"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".json":
        return "json"
    raise LexiconError(f"{path}: unknown lexicon format {suffix!r}; use .txt, .csv or .json")


def read_lexicon(
    path: str | os.PathLike[str],
    *,
    risk: str | None = None,
    weight: float | None = None,
    name: str | None = None,
    version: str | None = None,
) -> Lexicon:
    """Load a user library. ``risk``/``weight`` fill in what a file does not say."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon {p}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LexiconError(f"{p}:{line}: not UTF-8 text; save the file as UTF-8") from exc
    fmt = detect_format(p)
    meta: dict[str, Any] = {}
    if fmt == "txt":
        terms = _read_txt(text, p, risk, weight)
    elif fmt == "csv":
        terms = _read_csv(text, p, risk, weight)
    else:
        terms, meta = _read_json(text, p, risk, weight)
    if not terms:
        raise LexiconError(f"{p}: no terms found")
    return Lexicon(
        name=str(name or meta.get("name") or p.stem),
        version=str(version or meta.get("version") or "1"),
        terms=terms,
        origin=str(p),
    )


def _read_txt(text: str, p: Path, risk: str | None, weight: float | None) -> list[Term]:
    if risk is None:
        raise LexiconError(
            f"{p}: a plain term list does not say which risk its terms signal; pass --risk "
            "(for example --risk A1.4) or use CSV/JSON with a risk column"
        )
    w = parse_weight(weight, str(p))
    out: list[Term] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(validate_term(line, risk, w, (), p.name, f"{p}:{n}"))
    return out


def _read_csv(text: str, p: Path, risk: str | None, weight: float | None) -> list[Term]:
    delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise LexiconError(f"{p}: empty CSV file") from None
    if "term" not in header:
        raise LexiconError(
            f"{p}:1: the CSV header needs a 'term' column (columns: {', '.join(COLUMNS)})"
        )
    if "risk" not in header and risk is None:
        raise LexiconError(f"{p}:1: the CSV has no 'risk' column; add one or pass --risk")
    col = {h: i for i, h in enumerate(header)}
    out: list[Term] = []
    try:
        for row in reader:
            n = reader.line_num
            if not row or not any(c.strip() for c in row):
                continue
            if row[0].lstrip().startswith("#"):
                continue
            if len(row) > len(header):
                raise LexiconError(
                    f"{p}:{n}: {len(row)} cells but the header has {len(header)}; "
                    "quote cells that contain commas"
                )

            def cell(c: str, row: list[str] = row) -> str:
                i = col.get(c)
                return row[i] if i is not None and i < len(row) else ""

            where = f"{p}:{n}"
            w = parse_weight(cell("weight") or weight, where)
            excl = cell("exclusions").split(EXCLUSION_SEP)
            out.append(
                validate_term(
                    cell("term"),
                    cell("risk") or risk or "",
                    w,
                    excl,
                    cell("source") or p.name,
                    where,
                )
            )
    except csv.Error as exc:
        raise LexiconError(f"{p}:{reader.line_num}: malformed CSV: {exc}") from exc
    return out


def _read_json(
    text: str, p: Path, risk: str | None, weight: float | None
) -> tuple[list[Term], dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LexiconError(f"{p}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    meta: dict[str, Any] = {}
    if isinstance(data, dict):
        meta = {k: data.get(k) for k in ("name", "version")}
        items = data.get("terms")
    else:
        items = data
    if not isinstance(items, list):
        raise LexiconError(f"{p}: JSON must be a list of terms or an object with a 'terms' list")
    out: list[Term] = []
    for i, item in enumerate(items):
        where = f"{p}: terms[{i}]"
        if isinstance(item, str):
            item = {"term": item}
        if not isinstance(item, dict) or not isinstance(item.get("term"), str):
            raise LexiconError(f"{where}: each term must be a string or an object with a 'term'")
        excl = item.get("exclusions") or []
        if isinstance(excl, str):
            excl = excl.split(EXCLUSION_SEP)
        if not isinstance(excl, list) or not all(isinstance(e, str) for e in excl):
            raise LexiconError(f"{where}: 'exclusions' must be a list of strings")
        w = parse_weight(item.get("weight", weight), where)
        code = item.get("risk") or risk
        if not isinstance(code, str):
            raise LexiconError(
                f"{where}: term {item['term']!r} has no 'risk'; add one or pass --risk"
            )
        out.append(
            validate_term(item["term"], code, w, excl, str(item.get("source") or p.name), where)
        )
    return out, meta


def render_lexicon(lex: Lexicon, fmt: str) -> str:
    """The text of ``lex`` in ``fmt`` (``csv``, ``json`` or ``txt``)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for t in lex.terms:
            w.writerow(
                [t.term, t.risk, _fmt_weight(t.weight), EXCLUSION_SEP.join(t.exclusions), t.source]
            )
        return buf.getvalue()
    if fmt == "json":
        doc = {
            "name": lex.name,
            "version": lex.version,
            "terms": [
                {
                    "term": t.term,
                    "risk": t.risk,
                    "weight": t.weight,
                    "exclusions": list(t.exclusions),
                    "source": t.source,
                }
                for t in lex.terms
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if fmt == "txt":
        return "".join(f"{t.term}\n" for t in lex.terms)
    raise LexiconError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_lexicon(lex: Lexicon, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``lex`` atomically (temp file, fsync, rename); the format defaults to the suffix."""
    p = Path(path)
    body = render_lexicon(lex, fmt or detect_format(p))
    atomic_write_text(p, body)
    return p


def atomic_write_text(p: Path, body: str) -> None:
    """Write ``body`` to ``p`` so that a reader never sees half a file."""
    try:
        with atomic_writer(p if str(p.parent) else Path(".") / p) as fh:
            fh.write(body)
    except OSError as exc:
        raise LexiconError(f"cannot write {p}: {exc.strerror or exc}") from exc


def _fmt_weight(w: float) -> str:
    return f"{w:.3g}"
