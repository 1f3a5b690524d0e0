"""The ``aisec`` command. Faces are added here as sub-commands as they arrive."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

import aisec
from aisec.errors import AisecError
from aisec.runtime import tune_allocator

app = typer.Typer(
    name="aisec",
    help=(
        "aisec — TC260 AI security practice guides, put into practice.\n\n"
        "Find and redact personal data, secrets and harmful content (scan), manage the keyword "
        "library (lexicon) and policies (policy), restore encrypted redactions (unredact), "
        "label AI-generated content (label)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aisec {aisec.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """aisec command line."""


def _register() -> None:
    from aisec.cli import audit, clean, db, guard, label, lexicon, policy, scan

    scan.register(app)
    app.add_typer(lexicon.app, name="lexicon")
    app.add_typer(policy.app, name="policy")
    app.add_typer(label.app, name="label")
    app.add_typer(db.app, name="db")
    app.add_typer(audit.app, name="audit")
    app.add_typer(guard.app, name="guard")
    app.add_typer(clean.app, name="clean")


_register()


def main() -> None:
    """Console-script entry point: every `AisecError` becomes one line and exit code 2."""
    tune_allocator()
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except AisecError as exc:
        err_console.print(f"aisec: error: {exc}", markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aisec: aborted", markup=False)
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("aisec: interrupted", markup=False)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a usage error or a bug: one line, never a traceback
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):  # Typer's (vendored click) usage errors
            show()
            sys.exit(code)
        err_console.print(f"aisec: internal error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(2)
