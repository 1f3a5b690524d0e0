"""``aisec clean``: clean a training corpus (TC260 guide 4).

Forms::

    aisec clean run RECIPE.yaml [--resume] [--jobs N] [--executor local|ray]
    aisec clean RECIPE.yaml [--resume]                 # the same ("run" is implied)
    aisec clean --input PATH --output DIR [--recipe FILE] [--executor local|ray] [--resume] [--jobs N]
    aisec clean init [recipe.yaml]
    aisec clean verify RUN_DIR                          # exit 0 intact, 1 tampered/inconsistent
    aisec clean explain RUN_DIR RECORD_ID
    aisec clean sample RUN_DIR [--size N] [--seed S]    # review sheet (XLSX + CSV)
    aisec clean review RUN_DIR SHEET                    # manual pass rate and certificate

A first argument that is not a sub-command name is taken as a recipe file for ``run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from aisec.clean.ledger import explain as explain_record
from aisec.clean.ledger import verify_run
from aisec.clean.recipe import STARTER_RECIPE, Recipe, RecipeError, default_recipe, load_recipe

console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


class _RecipeFirst(TyperGroup):
    """Treats ``aisec clean FILE …`` as ``aisec clean run FILE …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RecipeFirst,
    help=(
        "Clean a training corpus: normalise, deduplicate, desensitise personal data, remove "
        "harmful content, screen for poisoning, gate sources; with a hash-chained ledger, a "
        "manifest and an HTML report. `aisec clean RECIPE.yaml`, or `aisec clean --input PATH "
        "--output DIR` with the default recipe."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)


def _run(recipe: Recipe, *, resume: bool, jobs: int | None) -> None:
    from aisec.clean.pipeline import CleaningRun

    with Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = CleaningRun(recipe, resume=resume, jobs=jobs, progress=progress).execute()
    _summary(result.manifest)
    tech = result.manifest["sampling"]["technical"]
    out.print(
        f"technical sampling: {tech['size']} of {tech['population']} kept records re-checked, "
        f"pass rate {'—' if tech['pass_rate'] is None else format(tech['pass_rate'], '.2%')}: "
        f"certificate {tech['result'].upper()}"
    )
    out.print(f"run: {result.run}")
    out.print(f"report: {result.run / 'report.html'}")


def _summary(m: dict[str, Any]) -> None:
    table = Table(title="aisec clean — summary", show_lines=False)
    for col in ("step", "action:reason", "records"):
        table.add_column(col, justify="right" if col == "records" else "left")
    for step, reasons in m["counts"].items():
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:8]:
            table.add_row(step, reason, str(n))
    table.add_section()
    for src, c in m["by_source"].items():
        table.add_row(
            f"source {src}",
            f"kept {c['kept']} · dropped {c['dropped']} · quarantined {c['quarantined']}",
            str(c["input"]),
        )
    table.add_row(
        "total",
        f"kept {m['kept']} · dropped {m['dropped']} · quarantined {m['quarantined']}",
        str(m["input"]),
    )
    out.print(table)


@app.callback()
def clean(
    ctx: typer.Context,
    input: Annotated[
        list[Path] | None, typer.Option("--input", "-i", help="Corpus file or folder (repeatable).")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Run folder.")] = None,
    recipe: Annotated[
        Path | None, typer.Option("--recipe", help="Recipe whose steps and policy to use.")
    ] = None,
    executor: Annotated[
        str,
        typer.Option("--executor", help="local (process pool) or ray (pip install aisec[ray])."),
    ] = "local",
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted run.")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes.")
    ] = None,
) -> None:
    """Clean a corpus with `--input/--output`, or use a sub-command."""
    if ctx.invoked_subcommand is not None:
        return
    if not input or output is None:
        click.echo(ctx.get_help())
        raise typer.Exit(0 if not input and output is None else 2)
    if recipe is not None:
        base = load_recipe(recipe)
        chosen = base.model_copy(
            update={
                "sources": default_recipe(input, output).sources,
                "output": base.output.model_copy(update={"dir": output}),
                "executor": executor,
            }
        )
    else:
        chosen = default_recipe(input, output).model_copy(update={"executor": executor})
    _run(Recipe.model_validate(chosen.model_dump()), resume=resume, jobs=jobs)


@app.command("run")
def run(
    recipe: Annotated[Path, typer.Argument(help="Recipe file (YAML).")],
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted run.")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Run folder (overrides output.dir).")
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="local or ray (overrides the recipe's executor)."),
    ] = None,
) -> None:
    """Run a recipe."""
    chosen = load_recipe(recipe)
    if executor is not None:
        chosen = Recipe.model_validate({**chosen.model_dump(), "executor": executor})
    if output is not None:
        chosen = chosen.model_copy(
            update={"output": chosen.output.model_copy(update={"dir": output})}
        )
    _run(chosen, resume=resume, jobs=jobs)


@app.command("init")
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter recipe.")] = Path(
        "recipe.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter recipe."""
    if path.exists() and not force:
        raise RecipeError(f"{path} exists; pass --force to overwrite it")
    path.write_text(STARTER_RECIPE, encoding="utf-8")
    out.print(f"wrote {path}")


@app.command("verify")
def verify(run_dir: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Check a run: ledger chain, manifest figures, output digests (exit 1 if anything is off)."""
    result = verify_run(run_dir)
    if result.ok:
        out.print(f"intact: {result.lines} ledger lines, manifest and outputs consistent")
        return
    for problem in result.problems:
        out.print(f"FAIL {problem}")
    raise typer.Exit(1)


@app.command("explain")
def explain(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    record_id: Annotated[str, typer.Argument(help="The record's id (or run uid such as 0:17).")],
    as_json: Annotated[bool, typer.Option("--json", help="Ledger lines as JSON.")] = False,
) -> None:
    """Tell the story of one record: every step that changed, dropped or quarantined it."""
    lines = explain_record(run_dir, record_id)
    if as_json:
        for e in lines:
            out.print(json.dumps(e, ensure_ascii=False), markup=False)
    if not lines:
        out.print(f"{record_id}: no ledger line: kept unchanged, or not in this run")
        raise typer.Exit(1)
    if as_json:
        return
    for e in lines:
        rules = ", ".join(f"{r['id']} ({r['detector']} {r['version']})" for r in e["rules"])
        score = f" score {e['score']}" if e.get("score") is not None else ""
        out.print(
            f"#{e['seq']} {e['step']} v{e['step_version']}: {e['action']} — {e['reason']}{score}"
            f"{' — ' + rules if rules else ''}",
            markup=False,
        )
        out.print(
            f"    source {e['source']} {e['file']}:{e['line']}  text {e['before']}"
            + (f" → {e['after']}" if e.get("after") else ""),
            markup=False,
        )
        if e.get("evidence"):
            out.print(f"    evidence {json.dumps(e['evidence'], ensure_ascii=False)}", markup=False)


@app.command("sample")
def sample(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
    size: Annotated[
        int | None,
        typer.Option("--size", "-n", min=1, help="Items to draw (default 4,000, or all kept)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the recipe's seed).")
    ] = None,
) -> None:
    """Draw a seeded random sample of the kept output into a review sheet (XLSX + CSV)."""
    from aisec.clean.sampling import MANUAL_MIN_ITEMS, draw_sample

    d = draw_sample(run_dir, size, seed)
    out.print(f"drew {d.size} of {d.population} kept records (seed {d.seed})")
    out.print(f"review sheet: {d.xlsx}")
    out.print(f"           or {d.csv}")
    if d.size < min(MANUAL_MIN_ITEMS, d.population):
        console.print(
            f"note: the manual certificate needs ≥ {min(MANUAL_MIN_ITEMS, d.population)} "
            "items; this sample will not pass it"
        )
    out.print(
        "fill in verdict (pass/fail), risk code (for fails, e.g. A1.4) and reviewer, then: "
        f"aisec clean review {run_dir} SHEET"
    )


@app.command("review")
def review(
    run_dir: Annotated[Path, typer.Argument(help="The run folder the sample came from.")],
    sheet: Annotated[Path, typer.Argument(help="The filled review sheet (.xlsx or .csv).")],
) -> None:
    """Import review verdicts: pass rate, Wilson 95 % interval and the manual certificate
    (into the manifest and report.html). Exit 1 when the certificate fails."""
    from aisec.clean.sampling import import_review

    r = import_review(run_dir, sheet)
    lo, hi = r["ci95"]
    out.print(
        f"{r['size']} items reviewed: {r['passed']} pass, {r['failed']} fail; pass rate "
        f"{r['pass_rate']:.2%} (95 % CI {lo:.2%} – {hi:.2%}), threshold {r['threshold']:.0%}"
    )
    verdict = r["result"].upper() + (f" ({'; '.join(r['reasons'])})" if r["reasons"] else "")
    out.print(f"manual sampling certificate: {verdict}")
    out.print(f"report: {run_dir / 'report.html'}")
    if r["result"] != "pass":
        raise typer.Exit(1)
