"""Random ids (`aisec.audit.ids`) and events made by the writer thread (`PendingEvent`):
the same ids as ``uuid.uuid4().hex``, the same stored events as when made by the caller."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aisec.audit import AuditLog, Event, PendingEvent, verify
from aisec.audit.ids import new_id, uuid4_hex
from aisec.store import open_store
from aisec.store.models import AuditEvent


def test_ids_are_uuid4_hex() -> None:
    for _ in range(2000):
        raw = os.urandom(16)
        assert uuid4_hex(raw) == uuid.UUID(bytes=raw, version=4).hex
    for raw in (bytes(16), b"\xff" * 16):
        assert uuid4_hex(raw) == uuid.UUID(bytes=raw, version=4).hex
    ids = [new_id() for _ in range(5000)]  # across several 4 KiB reads
    assert len(set(ids)) == len(ids)
    for i in ids[:300]:
        u = uuid.UUID(hex=i)
        assert u.hex == i and u.version == 4 and u.variant == uuid.RFC_4122


def test_ids_are_unique_across_threads() -> None:
    found: list[list[str]] = [[] for _ in range(8)]

    def work(out: list[str]) -> None:
        out.extend(new_id() for _ in range(3000))

    threads = [threading.Thread(target=work, args=(out,)) for out in found]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for out in found for i in out]
    assert len(set(every)) == len(every) == 24000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_repeats_the_parent_s_ids() -> None:
    new_id()  # the buffer holds the parent's next ids now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write, "".join(new_id() for _ in range(4)).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as f:
        text = f.read().decode()
    child = {text[i : i + 32] for i in range(0, len(text), 32)}
    parent = {new_id() for _ in range(4)}
    assert len(child) == 4 and not child & parent


def test_event_and_context_ids_are_fresh_uuid4() -> None:
    from aisec.guard.decision import RequestContext

    a, b = Event(), Event()
    assert a.event_id != b.event_id and uuid.UUID(hex=a.event_id).version == 4
    c = RequestContext()
    assert uuid.UUID(hex=c.request_id).version == 4
    assert RequestContext(request_id="r1").request_id == "r1"


def _make(request_id: str, at: datetime, excerpt: str) -> Event:
    return Event(request_id=request_id, stage="input", excerpt=excerpt.upper(), time=at)


def _rows(url: str) -> list[AuditEvent]:
    with open_store(url) as store:
        assert verify(store).ok
        with store.transaction() as session:
            return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_pending_events_are_made_by_the_writer_in_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    made_on: list[int] = []

    def make(request_id: str, when: datetime, excerpt: str) -> Event:
        made_on.append(threading.get_ident())
        return _make(request_id, when, excerpt)

    with AuditLog(url, spill_path=tmp_path / "spill.jsonl") as log:
        assert log.takes_pending is True
        for i in range(6):
            if i % 2:
                log.record(PendingEvent(make, f"r{i}", at, f"text {i}"))
            else:
                log.record(Event(request_id=f"r{i}", stage="input"))
        assert log.stats.recorded == 6
        assert log.flush()
    rows = _rows(url)
    assert [r.request_id for r in rows] == [f"r{i}" for i in range(6)]
    assert rows[1].excerpt == "TEXT 1" and rows[1].time.replace(tzinfo=UTC) == at
    assert made_on and threading.get_ident() not in made_on  # the writer made them


def test_a_pending_event_that_overflows_is_made_before_the_spill_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    spill = tmp_path / "spill.jsonl"
    log = AuditLog(url, spill_path=spill, queue_size=1, batch_size=1, put_timeout=0.001)
    at = datetime(2026, 1, 2, tzinfo=UTC)
    try:
        for i in range(150):
            log.record(PendingEvent(_make, f"r{i}", at, f"x{i}"))
        assert log.stats.overflowed > 0
        assert log.flush(timeout=30)
    finally:
        log.close()
    rows = _rows(url)
    assert sorted(r.request_id or "" for r in rows) == sorted(f"r{i}" for i in range(150))
    assert {r.excerpt for r in rows} == {f"X{i}" for i in range(150)}


def test_a_maker_that_fails_does_not_stop_the_writer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"

    def broken(*_args: Any) -> Event:
        raise RuntimeError("bug")

    with AuditLog(url, spill_path=tmp_path / "spill.jsonl") as log:
        log.record(Event(request_id="a"))
        log.record(PendingEvent(broken))
        log.record(Event(request_id="b"))
        assert log.flush()
        log.record(Event(request_id="c"))
        assert log.flush()
    rows = _rows(url)
    assert [r.request_id for r in rows] == ["a", None, "b", "c"]
    # in its place, an event that says one was lost (the error's name, nothing else)
    assert rows[1].type == "audit_error"
    assert "could not be made" in caplog.text
