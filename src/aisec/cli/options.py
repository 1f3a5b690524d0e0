"""Typer options that several command groups share."""

from __future__ import annotations

from typing import Annotated

import typer

#: The environment variable that names aisec's database; the same as
#: ``aisec.store.ENV_VAR``, written out so that printing help does not import the store.
ENV_VAR = "AISEC_DATABASE_URL"

#: ``--db``/``--url``: the database URL.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        "--url",
        help=f"Database URL (default: {ENV_VAR}, else ~/.local/share/aisec/aisec.db).",
    ),
]
