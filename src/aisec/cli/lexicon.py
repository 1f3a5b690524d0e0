"""``aisec lexicon``: coverage stats, import, export and a quick match of the keyword library."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aisec.detect.lexicon import (
    Lexicon,
    LexiconDetector,
    Term,
    coverage,
    load_builtin,
    match_key,
    read_lexicon,
    write_lexicon,
)
from aisec.errors import LexiconError
from aisec.taxonomy import load_taxonomy

app = typer.Typer(help="Manage the keyword library.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


class StatsFormat(StrEnum):
    """Output of ``aisec lexicon stats``."""

    table = "table"
    json = "json"


class ExportFormat(StrEnum):
    """File formats of ``aisec lexicon export``."""

    csv = "csv"
    json = "json"
    txt = "txt"


LexiconOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--lexicon",
        "-l",
        help="A user library (.txt/.csv/.json) to add to the built-in one; repeatable.",
    ),
]
NoBuiltinOpt = Annotated[bool, typer.Option("--no-builtin", help="Leave the built-in library out.")]


def _libraries(paths: list[Path] | None, no_builtin: bool) -> list[Lexicon]:
    libs = [] if no_builtin else [load_builtin()]
    libs += [read_lexicon(p) for p in paths or []]
    if not libs:
        raise LexiconError("no library to use: drop --no-builtin or pass --lexicon PATH")
    return libs


@app.command()
def stats(
    lexicon: LexiconOpt = None,
    no_builtin: NoBuiltinOpt = False,
    fmt: Annotated[
        StatsFormat, typer.Option("--format", "-f", help="table or json.")
    ] = StatsFormat.table,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a GB/T 45654 figure is not met.")
    ] = False,
) -> None:
    """Term counts per risk against the GB/T 45654 figures (≥ 10,000 terms, ≥ 200 per A.1
    risk, ≥ 100 per A.2 risk); names the risks that fall short."""
    cov = coverage(_libraries(lexicon, no_builtin))
    if fmt is StatsFormat.json:
        typer.echo(json.dumps(cov.as_dict(), ensure_ascii=False, indent=2))
    else:
        tax = load_taxonomy()
        table = Table(title=f"Keyword library coverage — {', '.join(cov.libraries)}")
        table.add_column("risk")
        table.add_column("name")
        table.add_column("terms", justify="right")
        table.add_column("figure", justify="right")
        table.add_column("status")
        for code in tax.risk_codes():
            have = cov.per_risk.get(code, 0)
            need = cov.required.get(code)
            if need is None and not have:
                continue
            status = "" if need is None else ("ok" if have >= need else "SHORT")
            table.add_row(
                code, tax.risks[code].name, str(have), "" if need is None else str(need), status
            )
        table.add_row(
            "total",
            "distinct terms",
            str(cov.total),
            str(cov.required_total),
            "SHORT" if cov.total_short else "ok",
            end_section=True,
        )
        console.print(table)
        if cov.ok:
            console.print("All GB/T 45654 keyword-library figures are met.")
        else:
            parts = [f"{c} ({h}/{n})" for c, (h, n) in cov.short.items()]
            if cov.total_short:
                parts.insert(0, f"total ({cov.total}/{cov.required_total})")
            console.print(f"Short of the figures: {', '.join(parts)}")
    if strict and not cov.ok:
        raise typer.Exit(1)


@app.command("import")
def import_(
    src: Annotated[Path, typer.Argument(help="A term list (.txt), CSV or JSON file.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the library (.csv/.json/.txt).")
    ],
    risk: Annotated[
        str | None, typer.Option("--risk", help="Risk code for terms that name none (A1.4 …).")
    ] = None,
    weight: Annotated[
        float | None, typer.Option("--weight", help="Weight 0..1 for terms that give none.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Library name (default: file name).")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="Library version.")] = None,
) -> None:
    """Validate a user library and write it normalised (folded terms, duplicates merged)."""
    lex = read_lexicon(src, risk=risk, weight=weight, name=name, version=version)
    seen: dict[tuple[str, str], int] = {}
    terms: list[Term] = []
    for t in lex.terms:
        key = (match_key(t.term), t.risk)
        if key in seen:
            continue
        seen[key] = len(terms)
        terms.append(
            type(t)(key[0], t.risk, t.weight, tuple(match_key(e) for e in t.exclusions), t.source)
        )
    merged = Lexicon(lex.name, lex.version, terms, origin=str(out))
    write_lexicon(merged, out)
    dups = len(lex.terms) - len(terms)
    console.print(f"{len(terms)} terms written to {out} ({dups} duplicates merged)")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    lexicon: Annotated[
        Path | None,
        typer.Option("--lexicon", "-l", help="A user library; default: the built-in one."),
    ] = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", "-f", help="csv, json or txt (default: from --out)."),
    ] = None,
) -> None:
    """Write a library (the built-in one by default) as CSV, JSON or a plain list."""
    lex = read_lexicon(lexicon) if lexicon else load_builtin()
    write_lexicon(lex, out, fmt.value if fmt else None)
    console.print(f"{len(lex.terms)} terms of {lex.label} written to {out}")


@app.command()
def match(
    text: Annotated[str, typer.Argument(help="The text to check ('-' reads standard input).")],
    lexicon: LexiconOpt = None,
    no_builtin: NoBuiltinOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit.")] = False,
) -> None:
    """Show which library terms a text hits (after normalisation), with their risks."""
    if text == "-":
        text = typer.get_text_stream("stdin").read()
    det = LexiconDetector(lexicons=_libraries(lexicon, no_builtin))
    found = det.detect(text)
    tax = load_taxonomy()
    if as_json:
        for f in found:
            d = f.as_dict()
            d["text"] = text[f.start : f.end]
            typer.echo(json.dumps(d, ensure_ascii=False))
        return
    if not found:
        console.print("no hits")
        return
    table = Table(title=f"{len(found)} hit(s)")
    for col in ("span", "text", "risk", "name", "weight"):
        table.add_column(col)
    for f in found:
        code = f.kind.removeprefix("risk.")
        table.add_row(
            f"{f.start}-{f.end}",
            text[f.start : f.end],
            code,
            tax.risks[code].name,
            f"{f.score:.2f}",
        )
    console.print(table)
