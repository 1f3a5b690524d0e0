"""Alembic migrations, run from code: no ``alembic.ini`` is needed.

The migration scripts ship inside the package (``aisec/store/migrations``). Every schema
change is a new script there; :func:`upgrade` brings any database to the newest one.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from aisec.store.engine import first_line, mask_url
from aisec.store.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the bundled scripts (and ``engine``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head() -> str:
    """The newest revision the bundled scripts define."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the package always ships a migration
        raise StoreError("no database migrations are bundled; reinstall aisec")
    return revision


def current(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"{mask_url(engine.url)}: {first_line(exc)}") from None


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply every migration up to ``revision``; returns the revision reached."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(
            f"{mask_url(engine.url)}: migration failed: {first_line(exc)}; "
            "the database was left at its previous revision"
        ) from None
    reached = current(engine)
    return reached or "base"


def ensure_current(engine: Engine) -> None:
    """Upgrade the database if it is behind the bundled scripts (cheap when it is not)."""
    if current(engine) != head():
        upgrade(engine)
