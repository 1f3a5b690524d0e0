"""The audit log (guide 1: keep records of what the guard decided and who intervened).

``audit_event`` holds one hash-chained row per event; ``audit_head`` holds one row (id 1)
with the chain's last sequence number and hash — so that cutting events off the end is
detected — and the anchor a retention purge leaves behind (the sequence number and hash
of the last purged event), from which the remaining chain is verified. The chain logic
lives in ``aisec.audit``; these are only the tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aisec.store.base import Base

#: the ``prev_hash`` of the first event of a chain
GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One audit event: a guard decision or an administrator's action."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_time", "time"),)

    #: position in the chain (1, 2, …), assigned when the event is stored
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: unique id given when the event was created: makes a replay of spilled events idempotent
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    type: Mapped[str] = mapped_column(String(32))
    application: Mapped[str] = mapped_column(String(256))
    route: Mapped[str] = mapped_column(String(256))
    request_id: Mapped[str | None] = mapped_column(String(128))
    stage: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str | None] = mapped_column(String(16))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    detectors: Mapped[dict[str, str]] = mapped_column(JSON)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    #: a short excerpt with personal data masked; never the raw text
    excerpt: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(256))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head and purge anchor: a single row with ``id = 1``."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))
