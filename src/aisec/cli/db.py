"""``aisec db``: create or upgrade aisec's database and show its revision."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

# The store (SQLAlchemy, Alembic) is imported inside the commands: `aisec` starts faster.
ENV_VAR = "AISEC_DATABASE_URL"

app = typer.Typer(
    help=(
        "aisec's database (review queues, audit): a SQLite file by default, PostgreSQL by "
        f"URL (--url or {ENV_VAR}). Migrations also run automatically on first use."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        "--db",
        help=f"Database URL (default: {ENV_VAR}, else ~/.local/share/aisec/aisec.db).",
    ),
]


@app.command("upgrade")
def upgrade_command(url: UrlOption = None) -> None:
    """Apply every pending migration (creates the database on first use)."""
    from aisec.store import current, make_engine, mask_url, upgrade

    engine = make_engine(url)
    try:
        before = current(engine)
        reached = upgrade(engine)
    finally:
        engine.dispose()
    where = mask_url(engine.url)
    if before == reached:
        err_console.print(f"{where}: already at revision {reached}", markup=False)
    else:
        err_console.print(
            f"{where}: upgraded from {before or 'empty'} to revision {reached}", markup=False
        )


@app.command("current")
def current_command(url: UrlOption = None) -> None:
    """Print the database's revision and whether it is the newest (exit 1 when behind)."""
    from aisec.store import current, head, make_engine, mask_url

    engine = make_engine(url)
    try:
        revision = current(engine)
    finally:
        engine.dispose()
    newest = head()
    state = "up to date" if revision == newest else f"behind (newest is {newest})"
    typer.echo(f"{mask_url(engine.url)}: revision {revision or 'empty'}, {state}")
    if revision != newest:
        raise typer.Exit(1)
