"""``aisec scan`` (being written)."""

import typer


def register(app: typer.Typer) -> None:
    """Add the scan and unredact commands to ``app``."""
