"""Engines and sessions from a database URL.

The URL comes from, in order: the ``--db``/``--url`` option, ``AISEC_DATABASE_URL``, or a
SQLite file in the user's data folder (``$XDG_DATA_HOME/aisec/aisec.db``, by default
``~/.local/share/aisec/aisec.db``). SQLite connections run in WAL mode with foreign keys
enforced; PostgreSQL URLs use psycopg 3 (``postgresql://`` is read as
``postgresql+psycopg://``). A password is never printed: every message shows the URL
with it masked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from aisec.store.errors import StoreError

ENV_VAR = "AISEC_DATABASE_URL"
_SUPPORTED = ("sqlite", "postgresql")


def default_path() -> Path:
    """Where the default SQLite database lives."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aisec" / "aisec.db"


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``AISEC_DATABASE_URL``, else the default file."""
    chosen = url or os.environ.get(ENV_VAR)
    if chosen:
        return chosen
    return f"sqlite:///{default_path()}"


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (safe to print or log)."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable database URL>"
    return parsed.render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's background links and SQL echo."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return (message.splitlines() or [type(exc).__name__])[0].strip()


def parse_url(url: str) -> URL:
    """Parse and normalise a URL, or raise ``StoreError`` saying what is wrong."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "the database URL is not valid; use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in _SUPPORTED:
        raise StoreError(
            f"{mask_url(parsed)}: unsupported database {backend!r}; "
            "use sqlite:///PATH or postgresql://..."
        )
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        if "+" in parsed.drivername:
            raise StoreError(
                f"{mask_url(parsed)}: only the psycopg driver is installed; "
                "write postgresql:// or postgresql+psycopg://"
            )
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """A connected-and-checked engine for ``url`` (see :func:`resolve_url`).

    Raises ``StoreError`` for a malformed URL, an unknown back-end, a SQLite file that
    cannot be created, or a server that cannot be reached or refuses the login.
    """
    parsed = parse_url(resolve_url(url))
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"{mask_url(parsed)}: cannot create the folder for the database "
                    f"({exc.strerror}); choose another path with --db or {ENV_VAR}"
                ) from None
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, TypeError) as exc:
        raise StoreError(f"{mask_url(parsed)}: {first_line(exc)}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"{mask_url(parsed)}: cannot open the database: {first_line(exc)}; "
            f"check the URL (--db or {ENV_VAR}) and that the server is running"
        ) from None
    return engine
