"""``Store``: one database, its engine and its transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aisec.store.engine import make_engine, mask_url
from aisec.store.migrate import ensure_current


class Store:
    """A database ready for use: every migration applied, sessions on demand."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        """The URL with its password masked."""
        return mask_url(self.engine.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on leaving, rolled back on an exception."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the database at ``url`` (or ``AISEC_DATABASE_URL``, or the default SQLite
    file) and, unless ``migrate`` is false, bring its schema up to date first."""
    engine = make_engine(url)
    try:
        if migrate:
            ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
