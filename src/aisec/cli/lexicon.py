"""``aisec lexicon`` (placeholder until the lexicon tools land)."""

import typer

app = typer.Typer(help="Manage the keyword library.", no_args_is_help=True)
