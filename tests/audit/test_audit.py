"""The audit log on SQLite and a real PostgreSQL: chain, tamper detection, spill and
replay while the database is down, back-pressure, export, retention and the CLI."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from rich.console import Console
from sqlalchemy import func, select, text

from aisec.audit import AuditError, AuditLog, Event, iter_events, purge_before, verify, write_export
from aisec.cli import main as cli_main
from aisec.store import Store, open_store
from aisec.store.models import AuditEvent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``aisec`` entry point, in this process (a fresh interpreter costs seconds)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        patch.object(sys, "argv", ["aisec", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        patch.object(cli_main, "err_console", Console(file=err, soft_wrap=True)),
    ):
        try:
            cli_main.main()
        except SystemExit as exc:
            code = int(exc.code or 0)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def event(i: int, **changes: Any) -> Event:
    values: dict[str, Any] = {
        "application": "shop", "route": "/v1/chat/completions", "request_id": f"r{i}",
        "stage": "input", "decision": "redact", "kinds": ("pii.cn_mobile",),
        "detectors": {"pii": "1.0"}, "latency_ms": 1.25 + i, "excerpt": f"我的手机号是<pii.cn_mobile> #{i}",
    }  # fmt: skip
    values.update(changes)
    return Event(**values)


def stored(store: Store) -> list[AuditEvent]:
    with store.transaction() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def write(url: str, events: list[Event], tmp_path: Path) -> None:
    with AuditLog(url, spill_path=tmp_path / "spill.jsonl") as log:
        for e in events:
            log.record(e)
        assert log.flush()


def test_chain_written_and_verified(db_url: str, tmp_path: Path) -> None:
    write(db_url, [event(i) for i in range(60)], tmp_path)
    with open_store(db_url) as store:
        rows = stored(store)
        assert [r.seq for r in rows] == list(range(1, 61))
        assert rows[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert rows[5].excerpt == "我的手机号是<pii.cn_mobile> #5"
        report = verify(store)
    assert report.ok and report.checked == 60


TAMPERS = {
    "edit": ["UPDATE audit_event SET decision = 'allow' WHERE seq = 5"],
    "edit_kinds_json": ["UPDATE audit_event SET latency_ms = 99 WHERE seq = 7"],
    "delete_middle": ["DELETE FROM audit_event WHERE seq = 4"],
    "delete_last": ["DELETE FROM audit_event WHERE seq = 10"],
    "reorder": [
        "UPDATE audit_event SET seq = 1000 WHERE seq = 3",
        "UPDATE audit_event SET seq = 3 WHERE seq = 6",
        "UPDATE audit_event SET seq = 6 WHERE seq = 1000",
    ],
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_tampering_is_detected(db_url: str, tmp_path: Path, tamper: str) -> None:
    write(db_url, [event(i) for i in range(10)], tmp_path)
    with open_store(db_url) as store:
        assert verify(store).ok
        with store.engine.begin() as conn:
            for sql in TAMPERS[tamper]:
                conn.execute(text(sql))
        report = verify(store)
    assert not report.ok
    assert report.problem


def _pg_ctl(cluster: Any, action: str) -> None:
    args = [*cluster.prefix, str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "-w"]
    if action == "stop":
        args += ["-m", "fast", "stop"]
    else:
        options = (
            f"-p {cluster.port} -k {cluster.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        args += ["-o", options, "-l", str(cluster.root / "log"), "start"]
    subprocess.run(args, check=True, capture_output=True, timeout=60, cwd=cluster.root)


def test_spill_and_replay_when_postgresql_stops(
    pg_url: str, pg_cluster: Any, tmp_path: Path
) -> None:
    spill = tmp_path / "spill.jsonl"
    log = AuditLog(pg_url, spill_path=spill, retry_interval=0.2)
    try:
        for i in range(20):
            log.record(event(i))
        assert log.flush()
        _pg_ctl(pg_cluster, "stop")
        try:
            t0 = time.perf_counter()
            for i in range(20, 70):
                log.record(event(i))
            assert time.perf_counter() - t0 < 1.0  # the caller never waits for the database
            assert not log.flush(timeout=10)  # stored nowhere but the spill file
            lines = spill.read_text(encoding="utf-8").splitlines()
            assert len(lines) == 50
            assert [json.loads(line)["request_id"] for line in lines] == [
                f"r{i}" for i in range(20, 70)
            ]
        finally:
            _pg_ctl(pg_cluster, "start")
        for i in range(70, 80):
            log.record(event(i))
        deadline = time.monotonic() + 20
        while not log.flush(timeout=5) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        log.close()
    assert spill.stat().st_size == 0
    # events recorded just after the restart may still go through the spill file until the
    # writer has seen the database again: order is kept either way
    stats = log.stats
    assert stats.db_failures >= 1 and stats.replayed >= 50
    assert stats.stored + stats.replayed == 80
    with open_store(pg_url) as store:
        rows = stored(store)
        assert [r.request_id for r in rows] == [f"r{i}" for i in range(80)]  # in order
        assert verify(store).ok


def test_spill_and_replay_when_sqlite_cannot_open(tmp_path: Path) -> None:
    blocker = tmp_path / "db"
    blocker.write_text("not a folder")  # the database's folder cannot be created
    url = f"sqlite:///{blocker / 'aisec.db'}"
    spill = tmp_path / "spill.jsonl"
    log = AuditLog(url, spill_path=spill, retry_interval=0.1)
    try:
        for i in range(30):
            log.record(event(i))
        assert not log.flush(timeout=10)
        assert len(spill.read_text(encoding="utf-8").splitlines()) == 30
        blocker.unlink()  # the database comes back
        assert log.flush(timeout=10)
    finally:
        log.close()
    with open_store(url) as store:
        assert [r.request_id for r in stored(store)] == [f"r{i}" for i in range(30)]
        assert verify(store).ok


def test_replay_is_idempotent_after_a_crash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    events = [event(i) for i in range(5)]
    write(url, events, tmp_path)
    # a crash after the database committed but before the spill file was emptied
    spill = tmp_path / "crash.jsonl"
    from aisec.audit import SpillFile

    SpillFile(spill).append(events)
    write_log = AuditLog(url, spill_path=spill)
    assert write_log.flush()
    write_log.close()
    with open_store(url) as store:
        assert len(stored(store)) == 5 and verify(store).ok


def test_back_pressure_spills_instead_of_blocking(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    spill = tmp_path / "spill.jsonl"
    log = AuditLog(url, spill_path=spill, queue_size=1, batch_size=1, put_timeout=0.001)
    try:
        worst = 0.0
        for i in range(150):
            t0 = time.perf_counter()
            log.record(event(i))
            worst = max(worst, time.perf_counter() - t0)
        assert log.stats.overflowed > 0  # the queue was full: those went to the spill file
        assert worst < 2.0
        assert log.flush(timeout=30)
    finally:
        log.close()
    with open_store(url) as store:
        rows = stored(store)
        assert sorted(r.request_id or "" for r in rows) == sorted(f"r{i}" for i in range(150))
        assert verify(store).ok


def test_export_time_range_csv_and_jsonl(db_url: str, tmp_path: Path) -> None:
    base = datetime(2026, 1, 10, tzinfo=UTC)
    write(db_url, [event(i, time=base + timedelta(days=i)) for i in range(10)], tmp_path)
    with open_store(db_url) as store:
        rows = list(iter_events(store, base + timedelta(days=2), base + timedelta(days=5)))
        assert [r["request_id"] for r in rows] == ["r2", "r3", "r4"]
        n = write_export(iter(rows), tmp_path / "out.jsonl", "jsonl")
        assert n == 3
        lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
        assert lines[0]["hash"] == rows[0]["hash"] and lines[0]["kinds"] == ["pii.cn_mobile"]
        write_export(iter_events(store), tmp_path / "out.csv", "csv")
    with (tmp_path / "out.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 10 and table[0]["seq"] == "1" and table[0]["excerpt"].startswith("我的")


def test_purge_keeps_the_chain_verifiable(db_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = [event(i, time=now - timedelta(days=400 - i)) for i in range(8)]
    young = [event(i, time=now - timedelta(days=10)) for i in range(8, 12)]
    write(db_url, old + young, tmp_path)
    with open_store(db_url) as store:
        with pytest.raises(AuditError, match="180"):
            purge_before(store, 30)
        report = purge_before(store, 180, actor="ops@example")
        assert (report.deleted, report.anchor_seq) == (8, 8)
        result = verify(store)
        assert result.ok and result.checked == 5 and result.anchor_seq == 8
        with store.transaction() as session:
            last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
            assert last is not None and last.actor == "ops@example"
            assert last.details["action"] == "audit.purge"
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == 5
        assert purge_before(store, 180).deleted == 0
        # moving the anchor forward by hand (deleting more history) is caught
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_event WHERE seq = 9"))
            conn.execute(
                text(
                    "UPDATE audit_head SET anchor_seq = 9, anchor_hash = "
                    "(SELECT prev_hash FROM audit_event WHERE seq = 10)"
                )
            )
        assert not verify(store).ok


def test_cli_verify_export_purge_exit_codes(db_url: str, tmp_path: Path) -> None:
    write(db_url, [event(i) for i in range(5)], tmp_path)
    ok = run("audit", "verify", "--db", db_url)
    assert ok.returncode == 0, ok.stderr
    assert "intact, 5 events" in ok.stdout
    out = tmp_path / "e.csv"
    exp = run("audit", "export", "--db", db_url, "--since", "2000-01-01", "--format", "csv",
              "--out", str(out))  # fmt: skip
    assert exp.returncode == 0, exp.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6
    short = run("audit", "purge", "--db", db_url, "--older-than", "7")
    assert short.returncode == 2 and "180" in short.stderr
    assert run("audit", "purge", "--db", db_url, "--older-than", "7", "--force").returncode == 0
    with open_store(db_url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET excerpt = 'x' WHERE seq = 2"))
    broken = run("audit", "verify", "--db", db_url)
    assert broken.returncode == 1
    assert "BROKEN" in broken.stdout


def test_a_burst_is_stored_in_one_transaction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    # the writer waits up to `linger` after the first event for the rest of the burst;
    # flush cuts the wait short (with a 60-second linger, it would time out otherwise)
    with AuditLog(url, spill_path=tmp_path / "spill.jsonl", linger=60) as log:
        for i in range(20):
            log.record(event(i))
        assert log.flush(timeout=10)
        assert (log.stats.stored, log.stats.batches) == (20, 1)
        log.record(event(20))
        assert log.flush(timeout=10)
        assert (log.stats.stored, log.stats.batches) == (21, 2)
    with open_store(url) as store:
        assert [e.request_id for e in stored(store)] == [f"r{i}" for i in range(21)]
        assert verify(store).ok


def test_writers_side_by_side_extend_one_chain(db_url: str) -> None:
    """Several writers at once (proxy workers, the CLI) on one database: each batch waits
    for the head, none fails on a taken sequence number, the chain stays whole. (SQLite
    ignores FOR UPDATE: without taking its write lock first, about a third failed.)"""
    import threading

    from aisec.audit import append_events

    open_store(db_url).close()
    failures: list[BaseException] = []

    def writer(w: int) -> None:
        with open_store(db_url) as store:
            for i in range(40):
                try:
                    with store.transaction() as session:
                        append_events(session, [event(w * 1000 + i * 5 + j) for j in range(5)])
                except Exception as exc:
                    failures.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with open_store(db_url) as store:
        report = verify(store)
    assert report.ok and report.checked == 4 * 40 * 5
