"""Alembic environment for aisec's database.

aisec runs this from code (``aisec.store.migrate``), handing over its engine in
``config.attributes["engine"]``. A developer can also run the ``alembic`` command with a
``sqlalchemy.url`` option or ``AISEC_DATABASE_URL`` set, e.g. to draft a new revision
with ``--autogenerate``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from aisec.store import models  # noqa: F401  (registers every table on Base.metadata)
from aisec.store.base import Base
from aisec.store.engine import make_engine

config = context.config


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    return make_engine(config.get_main_option("sqlalchemy.url"))


def run_migrations_online() -> None:
    """Run the migrations in one transaction per revision on the given engine."""
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("aisec migrations run online only (they need a database connection)")
run_migrations_online()
