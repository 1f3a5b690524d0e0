"""The store on SQLite and a real PostgreSQL: migrations, sessions, constraints, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from aisec.store import (
    Base,
    StoreError,
    current,
    default_path,
    head,
    make_engine,
    mask_url,
    open_store,
    resolve_url,
    upgrade,
)
from aisec.store.migrate import alembic_config
from aisec.store.models import IntakeDecision, ReviewAction

AISEC = Path(sys.executable).parent / "aisec"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(AISEC), *args], capture_output=True, text=True, timeout=120)


def _row(**changes: object) -> IntakeDecision:
    values: dict[str, object] = {
        "path": "/x.png", "platform": "P", "sha256": "0" * 64, "verdict": "not_found",
        "evidence": {"rule": "r", "list": [1, "二"]}, "status": "pending",
    }  # fmt: skip
    values.update(changes)
    return IntakeDecision(**values)


def test_store_migrates_empty_to_head_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current(engine) is None
        latest = head()
        assert latest.isdigit() and int(latest) >= 1  # "0001", "0002" …: numbered revisions
        assert upgrade(engine) == latest
        tables = set(inspect(engine).get_table_names())
        assert {"alembic_version", "label_intake", "label_review"} <= tables
        # the migrations create exactly the schema the models describe
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert upgrade(engine) == latest  # idempotent
        command.downgrade(alembic_config(engine), "base")
        assert current(engine) is None
        assert "label_intake" not in inspect(engine).get_table_names()
        assert upgrade(engine) == latest
    finally:
        engine.dispose()


def test_store_open_upgrades_on_first_use_and_round_trips(db_url: str) -> None:
    with open_store(db_url) as store:
        assert current(store.engine) == head()
        with store.transaction() as session:
            row = _row()
            session.add(row)
            session.flush()
            row_id = row.id
        with store.transaction() as session:
            got = session.get(IntakeDecision, row_id)
            assert got is not None
            assert got.evidence == {"rule": "r", "list": [1, "二"]}
            assert got.created_at is not None and got.status == "pending"
    # reopening neither migrates again nor loses data
    with open_store(db_url) as again, again.transaction() as session:
        assert session.scalars(select(IntakeDecision.id)).all() == [row_id]


def test_store_enforces_foreign_keys_and_checks(db_url: str) -> None:
    with open_store(db_url) as store:
        with pytest.raises(IntegrityError), store.transaction() as session:
            session.add(ReviewAction(intake_id=999, decision="approved", reviewer="a"))
        with pytest.raises(IntegrityError), store.transaction() as session:
            session.add(_row(status="maybe"))
        with pytest.raises(IntegrityError), store.transaction() as session:
            session.add(_row(label="9"))
        with store.transaction() as session:
            assert session.scalars(select(IntakeDecision)).all() == []


def test_store_sqlite_runs_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'er' / 'a.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
    assert (tmp_path / "deep" / "er" / "a.db").exists()


def test_store_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AISEC_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path() == tmp_path / "aisec" / "aisec.db"
    assert resolve_url() == f"sqlite:///{tmp_path / 'aisec' / 'aisec.db'}"
    monkeypatch.setenv("AISEC_DATABASE_URL", "postgresql://u:pw@h/db")
    assert resolve_url() == "postgresql://u:pw@h/db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    assert mask_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "not valid"),
        ("mysql://u:s3cret@h/db", "unsupported database 'mysql'"),
        ("postgresql+asyncpg://u:s3cret@h/db", "only the psycopg driver"),
        ("postgresql://u:s3cret@127.0.0.1:1/db", "cannot open the database"),
    ],
)
def test_store_bad_url_is_a_clear_error(url: str, says: str) -> None:
    with pytest.raises(StoreError, match=says) as info:
        make_engine(url)
    assert "s3cret" not in str(info.value)
    assert "\n" not in str(info.value)


def test_store_cli_upgrade_and_current(db_url: str) -> None:
    r = run("db", "current", "--url", db_url)
    assert r.returncode == 1 and "revision empty, behind" in r.stdout
    r = run("db", "upgrade", "--url", db_url)
    assert r.returncode == 0, r.stderr
    assert f"upgraded from empty to revision {head()}" in r.stderr
    r = run("db", "current", "--url", db_url)
    assert r.returncode == 0 and f"revision {head()}, up to date" in r.stdout


def test_store_cli_bad_url_one_line_password_masked() -> None:
    r = run("db", "upgrade", "--url", "postgresql://bob:s3cret@127.0.0.1:1/x")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("aisec: error: ")
    assert "bob:***@" in r.stderr and "s3cret" not in r.stderr
    assert "Traceback" not in r.stderr
