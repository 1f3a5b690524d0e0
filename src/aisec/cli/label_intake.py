"""``aisec label intake`` and ``aisec label review``: platform intake and the review queue.

Registered on the ``aisec label`` group by :func:`register` (called from
``aisec.cli.label``). Exit codes: ``intake`` gives 0 when every file was taken in, 2 when
any could not be (one line each on stderr; the others are still processed); ``review
decide`` gives 2 for an unknown item.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from aisec.errors import AisecError, InputError
from aisec.label.model import LabelError, entity_code_problems
from aisec.label.sign import load_signing_key

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported inside the commands: faster start
    from aisec.label.intake import IntakeOutcome
    from aisec.store.models import IntakeDecision

ENV_VAR = "AISEC_DATABASE_URL"

out_console = Console(highlight=False, width=None if Console().is_terminal else 160)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help=f"Database URL (default: {ENV_VAR}, else the SQLite file)."),
]


class Declaration(StrEnum):
    """What the uploader declares about the content."""

    ai = "ai"
    not_ai = "not-ai"
    unknown = "unknown"


class OutputFormat(StrEnum):
    """How results are printed."""

    table = "table"
    json = "json"


class StatusFilter(StrEnum):
    """Which review items to list."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    all = "all"


def intake_command(
    files: Annotated[list[Path], typer.Argument(help="Uploaded files or folders (recursive).")],
    platform: Annotated[
        str, typer.Option("--platform", help="ContentPropagator: the platform's name or code.")
    ],
    declare: Annotated[
        Declaration | None,
        typer.Option("--declare", help="The uploader's declaration: ai, not-ai or unknown."),
    ] = None,
    sign: Annotated[
        Path | None, typer.Option("--sign", help="Private key (PEM) to sign ReservedCode2.")
    ] = None,
    db: DbOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = OutputFormat.table,
    again: Annotated[
        bool, typer.Option("--again", help="Take in files that already have a decision.")
    ] = False,
    allow_any_code: Annotated[
        bool, typer.Option(help="Accept a platform code whose embedded USCC fails its check.")
    ] = False,
) -> None:
    """Take uploads in as a platform: read the implicit label, else the declaration, else
    explicit notices; classify 1 is / 2 may be / 3 suspected AI; add the propagator fields
    to a verified label; queue a decision for review. Resumable: files already decided
    (by SHA-256) are skipped unless --again."""
    from aisec.label.intake import intake, intake_files
    from aisec.store import open_store

    problems = entity_code_problems(platform)
    if problems and not allow_any_code:
        raise LabelError(
            f"--platform {platform!r}: {'; '.join(problems)} (--allow-any-code skips this)"
        )
    key = load_signing_key(sign) if sign is not None else None
    paths = intake_files(files)
    if not paths:
        raise InputError("no files of a supported type were found")
    outcomes: list[IntakeOutcome] = []
    failed = 0
    with (
        open_store(db) as store,
        Progress(
            TextColumn("intake"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=len(paths) < 2 or not err_console.is_terminal,
        ) as progress,
    ):
        task = progress.add_task("intake", total=len(paths))
        for path in paths:
            try:
                declared = None if declare is None else declare.value
                outcomes.append(intake(path, platform, declared, store=store, key=key, again=again))
            except AisecError as exc:
                failed += 1
                err_console.print(f"aisec: error: {exc}", markup=False)
            progress.advance(task)
    if fmt is OutputFormat.json:
        json.dump([o.as_dict() for o in outcomes], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _render_outcomes(outcomes)
    skipped = sum(o.skipped for o in outcomes)
    err_console.print(
        f"intake: {len(outcomes) - skipped} taken in, {skipped} already decided (skipped), "
        f"{failed} failed",
        markup=False,
    )
    if failed:
        raise typer.Exit(2)


def _render_outcomes(outcomes: list[IntakeOutcome]) -> None:
    table = Table(title="Intake", title_justify="left")
    for col in ("id", "file", "Label", "implicit", "propagated", "status", "notice"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        table.add_row(
            str(o.id),
            str(o.file),
            o.label or "-",
            o.verdict,
            "yes" if o.propagated else "-",
            "skipped (already decided)" if o.skipped else o.status,
            o.notice or "-",
        )
    out_console.print(table)
    counts = Counter(o.label or "none" for o in outcomes)
    out_console.print(
        "Label " + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())), markup=False
    )


def _item_dict(row: IntakeDecision) -> dict[str, object]:
    return {
        "id": row.id,
        "file": row.path,
        "platform": row.platform,
        "sha256": row.sha256,
        "label": row.label,
        "verdict": row.verdict,
        "declaration": row.declaration,
        "notice": row.notice,
        "status": row.status,
        "evidence": row.evidence,
        "created_at": row.created_at.isoformat(),
        "reviews": [
            {
                "decision": r.decision,
                "reviewer": r.reviewer,
                "note": r.note,
                "decided_at": r.decided_at.isoformat(),
            }
            for r in row.reviews
        ],
    }


review_app = typer.Typer(
    help="The intake review queue: list items (default: pending) or decide one.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@review_app.callback()
def review_list(
    ctx: typer.Context,
    status: Annotated[
        StatusFilter, typer.Option("--status", help="pending, approved, rejected or all.")
    ] = StatusFilter.pending,
    db: DbOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = OutputFormat.table,
) -> None:
    """List review items with their class, evidence rule and reviews."""
    if ctx.invoked_subcommand is not None:
        return
    from aisec.label.intake import review_queue
    from aisec.store import open_store

    with open_store(db) as store:
        rows = review_queue(store, None if status is StatusFilter.all else status.value)
    if fmt is OutputFormat.json:
        json.dump([_item_dict(r) for r in rows], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    table = Table(title=f"Review queue ({status.value})", title_justify="left")
    for col in ("id", "file", "platform", "Label", "implicit", "why", "status", "reviewed"):
        table.add_column(col, overflow="fold")
    for r in rows:
        last = r.reviews[-1] if r.reviews else None
        table.add_row(
            str(r.id),
            r.path,
            r.platform,
            r.label or "-",
            r.verdict,
            str(r.evidence.get("rule", "-")),
            r.status,
            f"{last.reviewer} {last.decided_at:%Y-%m-%d %H:%M}" if last else "-",
        )
    out_console.print(table)
    out_console.print(f"{len(rows)} item(s)", markup=False)


@review_app.command("decide")
def review_decide(
    item: Annotated[int, typer.Argument(help="The item's id (from `aisec label review`).")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who decides.")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve the item.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the item.")] = False,
    note: Annotated[
        str | None, typer.Option("--note", help="Why (kept with the decision).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Record a reviewer's decision (who, when, note) on one item."""
    if approve == reject:
        raise InputError("give exactly one of --approve or --reject")
    from aisec.label.intake import decide
    from aisec.store import open_store

    with open_store(db) as store:
        row = decide(store, item, approve=approve, reviewer=reviewer, note=note)
    err_console.print(f"item {row.id}: {row.status} by {reviewer}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``intake`` and ``review`` to the ``aisec label`` group."""
    app.command("intake")(intake_command)
    app.add_typer(review_app, name="review")
