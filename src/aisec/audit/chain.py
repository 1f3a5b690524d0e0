"""The hash chain in the database: append, verify, export and purge.

Every function takes an open `Store`. Appending locks the head row (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite serialises writers anyway), so several writers — guard
replicas against one PostgreSQL — extend one chain without forking it.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from aisec.audit.event import Event, as_utc, chain_hash, format_time, utcnow
from aisec.errors import AisecError
from aisec.store import Store
from aisec.store.models import GENESIS_HASH, AuditEvent, AuditHead

#: guide 1 asks that logs be kept; aisec refuses to purge anything younger than this
#: unless told to (six months)
DEFAULT_RETENTION_DAYS = 180

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FIELDS = (
    "seq", "event_id", "time", "type", "application", "route", "request_id", "stage",
    "decision", "kinds", "detectors", "latency_ms", "excerpt", "actor", "details",
    "prev_hash", "hash",
)  # fmt: skip


class AuditError(AisecError):
    """The audit log cannot do what was asked (bad range, purge inside retention, …)."""


def _head(session: Session, *, lock: bool) -> AuditHead:
    """The chain's head row; ``lock``: held by this transaction until it ends, so that
    two writers (workers, the CLI) cannot both extend the chain from the same head."""
    stmt = select(AuditHead).where(AuditHead.id == 1)
    if lock:
        stmt = stmt.with_for_update()
        if session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks and ignores FOR UPDATE: a write first takes the
            # database's write lock (waiting for another writer's commit) before the read
            unchanged = update(AuditHead).where(AuditHead.id == 1)
            session.execute(unchanged.values(last_seq=AuditHead.last_seq))
    head = session.scalars(stmt).first()
    if head is None:  # the migration creates it; a hand-emptied table gets it back
        head = AuditHead(
            id=1, last_seq=0, last_hash=GENESIS_HASH, anchor_seq=0, anchor_hash=GENESIS_HASH
        )
        session.add(head)
        session.flush()
    return head


def row_fields(row: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored row (the same shape as `Event.to_dict`)."""
    return {
        "event_id": row.event_id,
        "time": format_time(row.time),
        "type": row.type,
        "application": row.application,
        "route": row.route,
        "request_id": row.request_id,
        "stage": row.stage,
        "decision": row.decision,
        "kinds": sorted(row.kinds or []),
        "detectors": dict(sorted((row.detectors or {}).items())),
        "latency_ms": row.latency_ms,
        "excerpt": row.excerpt,
        "actor": row.actor,
        "details": row.details or {},
    }


def append_events(session: Session, events: Sequence[Event], *, fresh: bool = False) -> int:
    """Chain and insert ``events`` in order, skipping any whose ``event_id`` is already
    stored (a replayed spill); returns how many were inserted. ``fresh``: the events were
    never handed to a database before, so the look-up for stored ones is skipped (a
    unique ``event_id`` still refuses a duplicate)."""
    if not events:
        return 0
    head = _head(session, lock=True)
    present: set[str] = set()
    if not fresh:
        ids = [e.event_id for e in events]
        stmt = select(AuditEvent.event_id).where(AuditEvent.event_id.in_(ids))
        present.update(session.scalars(stmt))
    seq, prev = head.last_seq, head.last_hash
    rows: list[dict[str, Any]] = []
    for event in events:
        if event.event_id in present:
            continue
        present.add(event.event_id)
        fields = event.to_dict()
        seq += 1
        digest = chain_hash(fields, seq, prev)
        rows.append(
            {
                "seq": seq,
                "event_id": event.event_id,
                "time": as_utc(event.time),
                "type": event.type,
                "application": event.application,
                "route": event.route,
                "request_id": event.request_id,
                "stage": event.stage,
                "decision": event.decision,
                "kinds": fields["kinds"],
                "detectors": fields["detectors"],
                "latency_ms": fields["latency_ms"],
                "excerpt": event.excerpt,
                "actor": event.actor,
                "details": event.details,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:  # one bulk INSERT (executemany), not an ORM object per event
        session.execute(insert(AuditEvent), rows)
    inserted = len(rows)
    head.last_seq, head.last_hash = seq, prev
    return inserted


@dataclass(frozen=True)
class VerifyReport:
    """The result of `verify`: ``ok``, how many events were checked, and the first problem."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    anchor_seq: int = 0


def _rows(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    after = -1
    while True:
        rows = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > after)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify(store: Store) -> VerifyReport:
    """Walk the chain from the purge anchor: every ``seq`` follows the previous one,
    every ``prev_hash`` is the previous ``hash``, every ``hash`` matches the row's
    content, the last row is the recorded head, and a purge anchor is vouched for by the
    purge event that set it. An edited, deleted, inserted or reordered event fails."""
    with store.transaction() as session:
        head = _head(session, lock=False)
        anchor_seq, anchor_hash = head.anchor_seq, head.anchor_hash
        last_seq, last_hash = head.last_seq, head.last_hash
        expect_seq, prev = anchor_seq + 1, anchor_hash
        checked = 0
        anchor_vouched = anchor_seq == 0

        def bad(seq: int | None, problem: str) -> VerifyReport:
            return VerifyReport(False, checked, seq, problem, anchor_seq)

        for row in _rows(session):
            if row.seq != expect_seq:
                return bad(
                    row.seq,
                    f"expected event {expect_seq} but found {row.seq}: events were deleted "
                    "or inserted",
                )
            if row.prev_hash != prev:
                return bad(row.seq, "prev_hash does not match the previous event's hash")
            if chain_hash(row_fields(row), row.seq, row.prev_hash) != row.hash:
                return bad(row.seq, "the event's content does not match its hash (edited)")
            if (
                row.type == "admin"
                and row.details.get("action") == "audit.purge"
                and row.details.get("anchor_seq") == anchor_seq
                and row.details.get("anchor_hash") == anchor_hash
            ):
                anchor_vouched = True
            prev = row.hash
            expect_seq += 1
            checked += 1
        if expect_seq - 1 != last_seq or prev != last_hash:
            return bad(
                expect_seq,
                f"the chain ends at event {expect_seq - 1} but its head says {last_seq}: "
                "events at the end were deleted",
            )
        if not anchor_vouched:
            return bad(anchor_seq, "the purge anchor is not vouched for by a purge event")
    return VerifyReport(True, checked, anchor_seq=anchor_seq)


def iter_events(
    store: Store, start: datetime | None = None, end: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Stored events with ``start <= time < end``, in chain order, as plain dicts."""
    with store.transaction() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if start is not None:
            stmt = stmt.where(AuditEvent.time >= as_utc(start))
        if end is not None:
            stmt = stmt.where(AuditEvent.time < as_utc(end))
        for row in session.scalars(stmt.execution_options(yield_per=1000)):
            out = row_fields(row)
            out["seq"] = row.seq
            out["prev_hash"] = row.prev_hash
            out["hash"] = row.hash
            yield {k: out[k] for k in EXPORT_FIELDS}


def write_export(rows: Iterable[dict[str, Any]], out: Path, fmt: ExportFormat) -> int:
    """Write rows to ``out`` (atomically: a temporary file renamed into place)."""
    if fmt not in ("csv", "jsonl"):
        raise AuditError(f"unknown export format {fmt!r}; use csv or jsonl")
    tmp = out.with_name(out.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        else:
            writer = csv.DictWriter(fh, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for row in rows:
                flat = {
                    k: json.dumps(v, ensure_ascii=False, sort_keys=True)
                    if isinstance(v, (list, dict))
                    else v
                    for k, v in row.items()
                }
                writer.writerow(flat)
                count += 1
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(out)
    return count


@dataclass(frozen=True)
class PurgeReport:
    """What `purge_before` removed and the anchor it left."""

    deleted: int
    anchor_seq: int


def purge_before(
    store: Store,
    days: int = DEFAULT_RETENTION_DAYS,
    *,
    actor: str = "aisec",
    now: datetime | None = None,
    allow_short: bool = False,
) -> PurgeReport:
    """Delete the oldest events, those older than ``days`` days, as one unbroken prefix
    of the chain (it stops at the first younger event). The hash of the last deleted
    event becomes the anchor the rest is verified from, and a purge event recording the
    anchor is appended to the chain, so a later ``verify`` stays green and a forged
    anchor does not. Retention shorter than `DEFAULT_RETENTION_DAYS` needs
    ``allow_short``."""
    if days < 0:
        raise AuditError("--older-than must be zero or more days")
    if days < DEFAULT_RETENTION_DAYS and not allow_short:
        raise AuditError(
            f"audit events must be kept at least {DEFAULT_RETENTION_DAYS} days (six months); "
            "pass --force to purge younger events anyway"
        )
    cutoff = as_utc(now or utcnow()) - timedelta(days=days)
    with store.transaction() as session:
        head = _head(session, lock=True)
        first_young = session.scalar(
            select(func.min(AuditEvent.seq)).where(AuditEvent.time >= cutoff)
        )
        upto = (first_young - 1) if first_young is not None else head.last_seq
        if upto <= head.anchor_seq:
            return PurgeReport(0, head.anchor_seq)
        last = session.get(AuditEvent, upto)
        if last is None:
            raise AuditError(f"event {upto} is missing; run `aisec audit verify` first")
        anchor_hash = last.hash
        result = session.execute(delete(AuditEvent).where(AuditEvent.seq <= upto))
        deleted = int(getattr(result, "rowcount", 0) or 0)
        head.anchor_seq, head.anchor_hash = upto, anchor_hash
        session.flush()
        append_events(
            session,
            [
                Event(
                    type="admin",
                    application="aisec",
                    route="audit",
                    decision=None,
                    actor=actor,
                    details={
                        "action": "audit.purge",
                        "anchor_seq": upto,
                        "anchor_hash": anchor_hash,
                        "deleted": int(deleted),
                        "older_than_days": days,
                    },
                )
            ],
        )
    return PurgeReport(int(deleted), upto)
