"""The audit log: hash-chained events in aisec's database (foundation layer).

Every guard decision and every administrator action becomes an `Event`; `AuditLog`
stores events without blocking the caller (bounded queue, background writer, spill file
while the database is down); `verify` proves the chain, `iter_events`/`write_export`
export a time range, `purge_before` applies retention and leaves the chain verifiable.
"""

from __future__ import annotations

from aisec.audit.chain import (
    DEFAULT_RETENTION_DAYS,
    AuditError,
    PurgeReport,
    VerifyReport,
    append_events,
    iter_events,
    purge_before,
    verify,
    write_export,
)
from aisec.audit.event import Event, PendingEvent, chain_hash
from aisec.audit.log import AuditLog, AuditStats, default_spill_path
from aisec.audit.spill import SpillFile

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "AuditError",
    "AuditLog",
    "AuditStats",
    "Event",
    "PendingEvent",
    "PurgeReport",
    "SpillFile",
    "VerifyReport",
    "append_events",
    "chain_hash",
    "default_spill_path",
    "iter_events",
    "purge_before",
    "verify",
    "write_export",
]
