"""The ``aisec`` command. Faces are added here as sub-commands as they arrive."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Annotated

import typer
from rich.console import Console

import aisec
from aisec.errors import AisecError
from aisec.runtime import tune_allocator

_HELP = (
    "aisec — TC260 AI security practice guides, put into practice.\n\n"
    "Find and redact personal data, secrets and harmful content (scan), manage the keyword "
    "library (lexicon) and policies (policy), restore encrypted redactions (unredact), "
    "label AI-generated content (label)."
)

#: face → the module that defines its commands (a sub-app ``app``, or ``register(app)``)
FACES = {
    "scan": "aisec.cli.scan",
    "lexicon": "aisec.cli.lexicon",
    "policy": "aisec.cli.policy",
    "label": "aisec.cli.label",
    "db": "aisec.cli.db",
    "audit": "aisec.cli.audit",
    "guard": "aisec.cli.guard",
    "clean": "aisec.cli.clean",
}
#: top-level commands that belong to a face without being its name
_COMMANDS = {"unredact": "scan", "keygen": "scan"}

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        from aisec.runtime import compiled_parts, native_enabled

        typer.echo(f"aisec {aisec.__version__}")
        built = [label for label, ok in compiled_parts().items() if ok]
        if not built:
            state = "none built (their Python versions run: same results, slower)"
        elif not native_enabled():
            state = "switched off (AISEC_NATIVE=0)"
        else:
            state = ", ".join(built)
        typer.echo(f"compiled parts: {state}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """aisec command line."""


def build_app(faces: Iterable[str] | None = None) -> typer.Typer:
    """The command with the given faces (default: all of them, in `FACES` order)."""
    import importlib

    cli = typer.Typer(
        name="aisec",
        help=_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    cli.callback()(root)
    for face in FACES if faces is None else faces:
        module = importlib.import_module(FACES[face])
        if face == "scan":
            module.register(cli)
        else:
            cli.add_typer(module.app, name=face)
    return cli


def _faces_for(args: list[str]) -> list[str] | None:
    """Only the face a command line asks for, so that ``aisec label verify x.png`` does
    not import the cleaning pipeline or the proxy (a fifth of a second); None (all faces)
    for ``--help``, a bare ``aisec`` or an unknown command, whose messages list them all."""
    word = next((a for a in args if not a.startswith("-")), None)
    if word is None:
        return [] if "--version" in args else None
    face = _COMMANDS.get(word, word)
    return [face] if face in FACES else None


def __getattr__(name: str) -> typer.Typer:
    """``aisec.cli.main.app``: the whole command, built on first use (tests, embedding)."""
    if name == "app":
        built = build_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point: every `AisecError` becomes one line and exit code 2."""
    tune_allocator()
    try:
        cli = build_app(_faces_for(sys.argv[1:]))
        rc = cli(standalone_mode=False)
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
