"""Human control of the guard proxy: the kill switch and policy reloads.

The state lives in the database (``guard_state``), so that ``aisec guard halt`` on any
machine, or ``POST /admin/halt`` on any worker, reaches every worker: each one re-reads
the row (and the active API keys) every `REFRESH_SECONDS` in the background and answers
requests from that snapshot — a halt takes effect everywhere within a second, and the
request path never waits for the database. Every change is an ``admin`` audit event,
written in the same transaction as the change, with who did it and why; a halt opens a
``kill_switch`` incident and a resume closes it (`aisec.guard.incidents`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aisec.audit import Event, append_events
from aisec.guard.incidents import on_kill_switch
from aisec.guard.keys import KeyInfo, active_keys
from aisec.store import Store
from aisec.store.models import GuardState
from aisec.store.models.guard import utcnow

logger = logging.getLogger("aisec.guard.control")

#: how often each worker re-reads the kill switch and the keys (well under a second)
REFRESH_SECONDS = 0.4


@dataclass(frozen=True)
class ControlState:
    """The kill switch and the policy generation as last read."""

    halted: bool = False
    reason: str | None = None
    actor: str | None = None
    changed_at: datetime | None = None
    policy_generation: int = 0


def _row(session: Session, *, lock: bool = False) -> GuardState:
    stmt = select(GuardState).where(GuardState.id == 1)
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:  # the migration creates it; a hand-emptied table gets it back
        row = GuardState(id=1, halted=False, policy_generation=0)
        session.add(row)
        session.flush()
    return row


def _state(row: GuardState) -> ControlState:
    return ControlState(row.halted, row.reason, row.actor, row.changed_at, row.policy_generation)


def read_state(store: Store) -> ControlState:
    """The current kill-switch state."""
    with store.transaction() as session:
        return _state(_row(session))


def set_halted(store: Store, halted: bool, *, actor: str, reason: str | None) -> ControlState:
    """Halt (or resume) every worker; recorded as an audit event with who and why."""
    with store.transaction() as session:
        row = _row(session, lock=True)
        was = row.halted
        row.halted, row.actor, row.reason, row.changed_at = halted, actor, reason, utcnow()
        action = "halt" if halted else "resume"
        on_kill_switch(session, halted, actor=actor, reason=reason)
        append_events(
            session,
            [
                Event(
                    type="admin",
                    actor=actor,
                    decision=action,
                    details={"action": action, "reason": reason, "was_halted": was},
                )
            ],
        )
        state = _state(row)
    logger.warning("guard %s by %s", "halted" if halted else "resumed", actor)
    return state


def request_reload(store: Store, *, actor: str, reason: str | None = None) -> int:
    """Ask every worker to reload its policy; returns the new policy generation."""
    with store.transaction() as session:
        row = _row(session, lock=True)
        row.policy_generation += 1
        append_events(
            session,
            [
                Event(
                    type="admin",
                    actor=actor,
                    decision="reload",
                    details={
                        "action": "reload",
                        "reason": reason,
                        "generation": row.policy_generation,
                    },
                )
            ],
        )
        return row.policy_generation


@dataclass
class ControlCache:
    """One worker's snapshot of the kill switch and the active keys; `refresh` re-reads
    both (call it from a thread). When the database cannot be read the last snapshot is
    kept and `healthy` turns false (``/readyz`` reports it).

    Reads may overlap (the background refresher and an admin call), and one that started
    earlier may finish later with an older reading; each read takes a ticket when it
    starts, and a reading older than the snapshot in use is dropped, so that the snapshot
    never goes back (a halt un-done for a moment, a policy generation going backwards)."""

    store: Store
    state: ControlState = field(default_factory=ControlState)
    keys: dict[str, KeyInfo] = field(default_factory=dict)
    loaded: bool = False
    healthy: bool = False
    refreshed_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _issued: int = 0  # tickets handed out, in the order reads and local changes started
    _applied: int = 0  # the ticket of the snapshot in use

    def _ticket(self) -> int:
        with self._lock:
            self._issued += 1
            return self._issued

    def refresh(self) -> None:
        """Read the state and the keys once."""
        ticket = self._ticket()
        try:
            state = read_state(self.store)
            keys = active_keys(self.store)
        except Exception as exc:  # any database failure: keep serving from the snapshot
            if self.healthy:
                logger.error("guard state unreadable: %s", type(exc).__name__)
            self.healthy = False
            return
        with self._lock:
            self.loaded = self.healthy = True
            self.refreshed_at = time.monotonic()
            if ticket < self._applied:
                return  # a read that started later (or a local change) is in use already
            self.state, self.keys, self._applied = state, keys, ticket

    def set_state(self, state: ControlState) -> None:
        """Apply a change this worker made itself without waiting for the next read."""
        ticket = self._ticket()
        with self._lock:
            self.state, self._applied = state, ticket
