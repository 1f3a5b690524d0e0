"""The guard proxy's state (guide 1: keep the application under human control).

``guard_key`` holds the client and administrator API keys — only a SHA-256 digest of
each key, never the key itself — and ``guard_state`` one row (id 1) with the kill switch
and the policy generation that every proxy worker polls: a change made by one worker or
by the command line reaches all of them within a second. ``guard_incident`` and
``guard_incident_event`` hold incidents and their timelines (migration 0004).
``guard_vault`` keeps, when a policy asks for it, the placeholders of a Responses
conversation the upstream stores, encrypted (migration 0005).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aisec.store.base import Base


def utcnow() -> datetime:
    """Timestamps are stored in UTC."""
    return datetime.now(UTC)


class GuardKey(Base):
    """One API key of the guard proxy (client or administrator)."""

    __tablename__ = "guard_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    #: SHA-256 (hex) of the whole key; the key has 256 random bits, so no slow hash is needed
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters of the key, to tell keys apart in listings
    prefix: Mapped[str] = mapped_column(String(32))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: requests per minute for this key (None: the policy's default)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the application the key belongs to (its policy); None: any application, by route
    application: Mapped[str | None] = mapped_column(String(256))


class GuardState(Base):
    """The kill switch and the policy generation: a single row with ``id = 1``."""

    __tablename__ = "guard_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    halted: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(256))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: bumped by a policy reload request; every worker reloads when it sees a new value
    policy_generation: Mapped[int] = mapped_column(Integer, default=0)


class GuardIncident(Base):
    """An incident: opened when the block rate or the upstream error rate crosses its
    threshold, or when the kill switch is used; closed when the rates recover (or by an
    administrator). Its timeline is in ``guard_incident_event``."""

    __tablename__ = "guard_incident"
    __table_args__ = (Index("ix_guard_incident_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what opened it: ``block_rate``, ``upstream_error_rate`` or ``kill_switch``
    trigger: Mapped[str] = mapped_column(String(32))
    #: ``open`` or ``closed``
    status: Mapped[str] = mapped_column(String(16), default="open")
    application: Mapped[str] = mapped_column(String(256), default="default")
    summary: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(256))

    events: Mapped[list[GuardIncidentEvent]] = relationship(
        back_populates="incident",
        order_by="GuardIncidentEvent.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class GuardIncidentEvent(Base):
    """One entry of an incident's timeline (opened, threshold, halt, resume, closed …)."""

    __tablename__ = "guard_incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("guard_incident.id", ondelete="CASCADE"), index=True
    )
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(256))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[GuardIncident] = relationship(back_populates="events")


class GuardVault(Base):
    """The placeholders of one turn of a conversation the upstream keeps (the Responses
    API's ``previous_response_id``, ``conversation``) and the user's values they stand
    for, so that the next turn can give them back (`aisec.guard.vaults`). The values are
    encrypted (AES-256-GCM, a key derived from the policy's master key); the row is found
    by a digest of the application and the response or conversation id, never by the id
    itself."""

    __tablename__ = "guard_vault"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: nonce (12 bytes) + ciphertext and tag
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
