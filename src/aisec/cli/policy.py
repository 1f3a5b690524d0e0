"""``aisec policy``: write, show and check policy files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisec.errors import InputError
from aisec.io import atomic_writer
from aisec.policy import default_policy_text, load_policy

app = typer.Typer(help="Write, show and check policy files.", no_args_is_help=True)


@app.command("init")
def init(
    out: Annotated[Path, typer.Argument(help="Where to write the starter policy.")] = Path(
        "aisec-policy.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write the default policy, commented, as a starting point."""
    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to overwrite it")
    with atomic_writer(out) as fh:
        fh.write(default_policy_text())
    typer.echo(f"wrote {out}")


@app.command("check")
def check(path: Annotated[Path, typer.Argument(help="Policy YAML to validate.")]) -> None:
    """Validate a policy file: exit 0 when valid, 2 with the line and key when not."""
    pol = load_policy(path)
    enabled = [n for n, d in pol.detectors.items() if d.enabled]
    typer.echo(f"{path}: valid policy {pol.name!r} (detectors: {', '.join(enabled) or 'none'})")


@app.command("show")
def show(
    path: Annotated[Path | None, typer.Argument(help="Policy YAML (default: built-in).")] = None,
) -> None:
    """Print the effective policy as YAML."""
    import yaml

    pol = load_policy(path)
    typer.echo(yaml.safe_dump(pol.model_dump(mode="json"), allow_unicode=True, sort_keys=False))
