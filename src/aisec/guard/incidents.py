"""Incidents: a record with a timeline, opened when something goes wrong in the proxy.

An incident opens by itself when, over a sliding window (``guard.incidents`` in the
policy; 60 s by default), the share of requests the guard blocked or the share of
requests the upstream failed reaches its threshold — and when the kill switch is used.
Its timeline gets an entry for each step: ``opened`` (with the rate, the threshold, the
number of requests in the window), ``threshold`` (another worker crossed it too),
``halt`` / ``resume`` (the kill switch, while it is open), ``closed``. A rate incident
closes by itself once its rate has stayed under the threshold for ``recover_seconds``; a
kill-switch incident closes on resume; an administrator can close any incident
(``aisec guard incidents close ID``, ``POST /admin/incidents/ID/close``). Opening and
closing are audit events (``type=admin``, ``decision=incident_open|incident_close``),
written in the same transaction as the incident.

Each worker counts its own requests (one-second buckets, no lock on the request path)
and evaluates its window in the background; workers share the database rows, so a
second worker crossing the same threshold joins the open incident instead of opening
another one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aisec.audit import Event, append_events
from aisec.guard.config import IncidentConfig
from aisec.guard.keys import GuardError
from aisec.store import Store
from aisec.store.models import GuardIncident, GuardIncidentEvent
from aisec.store.models.guard import utcnow

logger = logging.getLogger("aisec.guard.incidents")

BLOCK_RATE = "block_rate"
UPSTREAM_ERROR_RATE = "upstream_error_rate"
KILL_SWITCH = "kill_switch"
TRIGGERS = (BLOCK_RATE, UPSTREAM_ERROR_RATE, KILL_SWITCH)
#: the application of kill-switch incidents (the switch stops every application)
ALL_APPLICATIONS = "*"
#: the actor of what the proxy does by itself
SYSTEM_ACTOR = "aisec-guard"


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an incident."""

    time: datetime
    kind: str
    actor: str | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "time": self.time.isoformat(),
            "kind": self.kind,
            "actor": self.actor,
            "details": self.details,
        }


@dataclass(frozen=True)
class IncidentInfo:
    """An incident as read from the database."""

    id: int
    trigger: str
    status: str
    application: str
    summary: str | None
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    timeline: list[TimelineEntry] = field(default_factory=list)

    @classmethod
    def of(cls, row: GuardIncident) -> IncidentInfo:
        """From a stored row (with its timeline)."""
        return cls(
            row.id,
            row.trigger,
            row.status,
            row.application,
            row.summary,
            row.opened_at,
            row.closed_at,
            row.closed_by,
            [TimelineEntry(e.time, e.kind, e.actor, dict(e.details or {})) for e in row.events],
        )

    def as_dict(self, *, timeline: bool = True) -> dict[str, Any]:
        """JSON form (``/admin/incidents``, ``--json``)."""
        out: dict[str, Any] = {
            "id": self.id,
            "trigger": self.trigger,
            "status": self.status,
            "application": self.application,
            "summary": self.summary,
            "opened_at": self.opened_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_by": self.closed_by,
        }
        if timeline:
            out["timeline"] = [e.as_dict() for e in self.timeline]
        return out


def _audit(
    session: Session, action: str, row: GuardIncident, actor: str | None, **extra: Any
) -> None:
    append_events(
        session,
        [
            Event(
                type="admin",
                application=row.application,
                actor=actor,
                decision=action,
                details={
                    "action": action,
                    "incident": row.id,
                    "trigger": row.trigger,
                    **extra,
                },
            )
        ],
    )


def _entry(
    session: Session, row: GuardIncident, kind: str, actor: str | None, details: dict[str, Any]
) -> None:
    session.add(
        GuardIncidentEvent(
            incident_id=row.id, time=utcnow(), kind=kind, actor=actor, details=details
        )
    )


def _open_rows(
    session: Session, *, trigger: str | None = None, application: str | None = None
) -> list[GuardIncident]:
    stmt = select(GuardIncident).where(GuardIncident.status == "open")
    if trigger is not None:
        stmt = stmt.where(GuardIncident.trigger == trigger)
    if application is not None:
        stmt = stmt.where(GuardIncident.application == application)
    return list(session.scalars(stmt.order_by(GuardIncident.id).with_for_update()))


def open_in(
    session: Session,
    trigger: str,
    *,
    application: str,
    summary: str,
    actor: str | None,
    details: dict[str, Any],
) -> tuple[GuardIncident, bool]:
    """Open an incident in ``session`` — or, when one with the same trigger and
    application is open, add a ``threshold`` entry to it. Returns it and whether it is new."""
    if trigger not in TRIGGERS:
        raise GuardError(f"unknown incident trigger {trigger!r}")
    existing = _open_rows(session, trigger=trigger, application=application)
    if existing:
        row = existing[0]
        _entry(session, row, "threshold" if trigger != KILL_SWITCH else "halt", actor, details)
        return row, False
    row = GuardIncident(
        trigger=trigger,
        status="open",
        application=application,
        summary=summary[:1000],
        opened_at=utcnow(),
    )
    session.add(row)
    session.flush()
    _entry(session, row, "opened", actor, details)
    _audit(session, "incident_open", row, actor, summary=row.summary, **details)
    return row, True


def _close_row(session: Session, row: GuardIncident, actor: str, details: dict[str, Any]) -> None:
    row.status = "closed"
    row.closed_at = utcnow()
    row.closed_by = actor[:256]
    _entry(session, row, "closed", actor, details)
    _audit(session, "incident_close", row, actor, **details)


def open_incident(
    store: Store,
    trigger: str,
    *,
    application: str = "default",
    summary: str,
    actor: str | None = SYSTEM_ACTOR,
    details: dict[str, Any] | None = None,
) -> tuple[IncidentInfo, bool]:
    """`open_in` in a transaction of its own."""
    with store.transaction() as session:
        row, new = open_in(
            session,
            trigger,
            application=application,
            summary=summary,
            actor=actor,
            details=details or {},
        )
        session.flush()
        session.refresh(row)
        info = IncidentInfo.of(row)
    if new:
        logger.warning(
            "incident opened",
            extra={"fields": {"incident": info.id, "trigger": trigger, "application": application}},
        )
    return info, new


def close_incident(
    store: Store,
    ident: int,
    *,
    actor: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    only_if_open: bool = False,
) -> IncidentInfo | None:
    """Close incident ``ident``. An unknown or already closed incident raises
    `GuardError` (or returns None with ``only_if_open``, for the automatic close)."""
    with store.transaction() as session:
        stmt = select(GuardIncident).where(GuardIncident.id == ident).with_for_update()
        row = session.scalars(stmt).first()
        if row is None or row.status != "open":
            if only_if_open:
                return None
            what = "no incident" if row is None else "already closed: incident"
            raise GuardError(f"{what} {ident}; see `aisec guard incidents list`")
        info_details = {**(details or {}), **({"reason": reason} if reason else {})}
        _close_row(session, row, actor, info_details)
        session.flush()
        session.refresh(row)
        info = IncidentInfo.of(row)
    logger.warning("incident closed", extra={"fields": {"incident": ident, "actor": actor}})
    return info


def list_incidents(
    store: Store, *, status: str | None = None, limit: int = 100
) -> list[IncidentInfo]:
    """Incidents, newest first (``status``: open, closed or None for all)."""
    with store.transaction() as session:
        stmt = select(GuardIncident).order_by(GuardIncident.id.desc()).limit(max(1, limit))
        if status is not None:
            stmt = stmt.where(GuardIncident.status == status)
        return [IncidentInfo.of(r) for r in session.scalars(stmt)]


def get_incident(store: Store, ident: int) -> IncidentInfo:
    """One incident with its timeline."""
    with store.transaction() as session:
        row = session.get(GuardIncident, ident)
        if row is None:
            raise GuardError(f"no incident {ident}; see `aisec guard incidents list`")
        return IncidentInfo.of(row)


def is_open(store: Store, ident: int) -> bool:
    """Whether incident ``ident`` is still open."""
    with store.transaction() as session:
        row = session.get(GuardIncident, ident)
        return row is not None and row.status == "open"


def on_kill_switch(session: Session, halted: bool, *, actor: str, reason: str | None) -> None:
    """The kill switch was used (called inside `set_halted`'s transaction): a halt opens
    a ``kill_switch`` incident (or joins the open one) and is written on every open
    incident's timeline; a resume is written on them too and closes the kill-switch one."""
    details = {"reason": reason}
    if halted:
        row, _new = open_in(
            session,
            KILL_SWITCH,
            application=ALL_APPLICATIONS,
            summary=f"kill switch used by {actor}: {reason or ''}".strip(),
            actor=actor,
            details=details,
        )
        for other in _open_rows(session):
            if other.id != row.id:
                _entry(session, other, "halt", actor, details)
        return
    for row in _open_rows(session):
        _entry(session, row, "resume", actor, details)
        if row.trigger == KILL_SWITCH:
            _close_row(session, row, actor, {"reason": reason, "by": "resume"})


# -- the monitor ------------------------------------------------------------------------


class _Window:
    """Requests, blocks and upstream errors in one-second buckets over ``seconds``."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self.clock = clock
        self.buckets: deque[list[int]] = deque()  # [second, requests, blocks, errors]

    def add(self, blocked: bool, error: bool) -> None:
        second = int(self.clock())
        buckets = self.buckets
        if not buckets or buckets[-1][0] != second:
            buckets.append([second, 0, 0, 0])
            self._trim(second)
        b = buckets[-1]
        b[1] += 1
        b[2] += blocked
        b[3] += error

    def _trim(self, now: int) -> None:
        horizon = now - self.seconds
        while self.buckets and self.buckets[0][0] <= horizon:
            self.buckets.popleft()

    def totals(self) -> tuple[int, int, int]:
        self._trim(int(self.clock()))
        snapshot = list(self.buckets)
        return (
            sum(b[1] for b in snapshot),
            sum(b[2] for b in snapshot),
            sum(b[3] for b in snapshot),
        )


class IncidentMonitor:
    """One worker's view of one application's block and upstream-error rates.

    `observe` is called once per answered request (on the event loop, cheap);
    `evaluate` from a background thread every few hundred milliseconds opens and closes
    incidents in the database.
    """

    RECHECK_SECONDS = 5.0

    def __init__(
        self,
        store: Store,
        config: IncidentConfig,
        *,
        application: str = "default",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.application = application
        self.clock = clock
        self.config = config
        self.window = _Window(config.window_seconds, clock)
        #: trigger → id of the open incident this worker knows of
        self.open: dict[str, int] = {}
        self._recovered_since: dict[str, float] = {}
        self._peak: dict[str, float] = {}
        self._checked_at = clock()
        self._lock = threading.Lock()
        for info in list_incidents(store, status="open", limit=1000):
            if info.application == application and info.trigger != KILL_SWITCH:
                self.open.setdefault(info.trigger, info.id)

    def configure(self, config: IncidentConfig) -> None:
        """A reloaded policy's settings (the counts so far are kept)."""
        self.config = config
        self.window.seconds = config.window_seconds

    def observe(self, *, blocked: bool = False, upstream_error: bool = False) -> None:
        """Count one answered request."""
        self.window.add(blocked, upstream_error)

    def rates(self) -> dict[str, Any]:
        """Requests in the window and both rates."""
        n, blocks, errors = self.window.totals()
        return {
            "requests": n,
            BLOCK_RATE: round(blocks / n, 4) if n else 0.0,
            UPSTREAM_ERROR_RATE: round(errors / n, 4) if n else 0.0,
        }

    def evaluate(self) -> list[tuple[str, str, int]]:
        """Open or close incidents as the window says; returns ``(action, trigger, id)``
        for what was done. Database errors are logged, not raised (the next call tries
        again)."""
        with self._lock:
            try:
                return self._evaluate()
            except Exception as exc:
                logger.error("incident evaluation failed: %s", type(exc).__name__)
                return []

    def _evaluate(self) -> list[tuple[str, str, int]]:
        cfg = self.config
        done: list[tuple[str, str, int]] = []
        if not cfg.enabled:
            return done
        now = self.clock()
        rates = self.rates()
        n = rates["requests"]
        if self.open and now - self._checked_at >= self.RECHECK_SECONDS:
            self._checked_at = now  # an administrator may have closed one
            for trigger, known in list(self.open.items()):
                if not is_open(self.store, known):
                    del self.open[trigger]
                    self._recovered_since.pop(trigger, None)
        for trigger, threshold in (
            (BLOCK_RATE, cfg.block_rate),
            (UPSTREAM_ERROR_RATE, cfg.upstream_error_rate),
        ):
            if threshold is None:
                continue
            rate = float(rates[trigger])
            over = n >= cfg.min_requests and rate >= threshold
            values = {
                "rate": rate,
                "threshold": threshold,
                "requests": n,
                "window_seconds": cfg.window_seconds,
            }
            if over:
                self._recovered_since.pop(trigger, None)
                self._peak[trigger] = max(rate, self._peak.get(trigger, 0.0))
                if trigger not in self.open:
                    what = "block rate" if trigger == BLOCK_RATE else "upstream error rate"
                    info, new = open_incident(
                        self.store,
                        trigger,
                        application=self.application,
                        summary=(
                            f"{what} {rate:.0%} over {n} requests in "
                            f"{cfg.window_seconds:g} s (threshold {threshold:.0%})"
                        ),
                        details=values,
                    )
                    self.open[trigger] = info.id
                    done.append(("opened" if new else "joined", trigger, info.id))
                continue
            ident = self.open.get(trigger)
            if ident is None:
                continue
            since = self._recovered_since.setdefault(trigger, now)
            if now - since < cfg.recover_seconds:
                continue
            closed = close_incident(
                self.store,
                ident,
                actor=SYSTEM_ACTOR,
                details={**values, "peak_rate": self._peak.pop(trigger, rate), "by": "recovered"},
                only_if_open=True,
            )
            del self.open[trigger]
            self._recovered_since.pop(trigger, None)
            if closed is not None:
                done.append(("closed", trigger, ident))
        return done
