"""``aisec audit``: prove, export and prune the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aisec.cli.options import ENV_VAR, DbOption

app = typer.Typer(
    help=(
        "The audit log of guard decisions and administrator actions (hash-chained, in "
        f"aisec's database: --db URL or {ENV_VAR})."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from aisec.audit import AuditError
    from aisec.audit.event import parse_time

    try:
        return parse_time(value)
    except ValueError:
        raise AuditError(
            f"{option} {value!r}: not a date or time; use ISO 8601 such as 2026-01-31 or "
            "2026-01-31T12:00:00+08:00"
        ) from None


@app.command("verify")
def verify_command(db: DbOption = None) -> None:
    """Check the hash chain: exit 0 when intact, 1 when an event was edited, deleted,
    inserted or reordered."""
    from aisec.audit import verify
    from aisec.store import open_store

    with open_store(db) as store:
        report = verify(store)
        where = store.display_url
    if report.ok:
        anchor = f" (from purge anchor {report.anchor_seq})" if report.anchor_seq else ""
        typer.echo(f"{where}: audit chain intact, {report.checked} events{anchor}")
        return
    typer.echo(f"{where}: audit chain BROKEN at event {report.first_bad_seq}: {report.problem}")
    raise typer.Exit(1)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    since: Annotated[
        str | None, typer.Option("--since", help="First time included (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="First time excluded (ISO 8601).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "jsonl",
    db: DbOption = None,
) -> None:
    """Write the events of a time range, with their hashes, as CSV or JSON Lines."""
    from aisec.audit import iter_events, write_export
    from aisec.audit.chain import AuditError
    from aisec.store import open_store

    if fmt not in ("csv", "jsonl"):
        raise AuditError(f"--format {fmt!r}: use csv or jsonl")
    start, end = _when(since, "--since"), _when(until, "--until")
    with open_store(db) as store:
        count = write_export(
            iter_events(store, start, end), out, "csv" if fmt == "csv" else "jsonl"
        )
    err_console.print(f"wrote {count} events to {out}", markup=False)


@app.command("purge")
def purge_command(
    older_than: Annotated[
        int, typer.Option("--older-than", help="Delete events older than this many days.")
    ] = 180,
    force: Annotated[
        bool, typer.Option("--force", help="Allow retention shorter than 180 days.")
    ] = False,
    actor: Annotated[str, typer.Option("--actor", help="Who purges (recorded).")] = "cli",
    db: DbOption = None,
) -> None:
    """Apply retention: delete the oldest events, keep the chain verifiable (the purge
    is itself recorded)."""
    from aisec.audit import purge_before
    from aisec.store import open_store

    with open_store(db) as store:
        report = purge_before(store, older_than, actor=actor, allow_short=force)
    err_console.print(
        f"purged {report.deleted} events; the chain now starts after event {report.anchor_seq}",
        markup=False,
    )
