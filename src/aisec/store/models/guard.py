"""The guard proxy's state (guide 1: keep the application under human control).

``guard_key`` holds the client and administrator API keys — only a SHA-256 digest of
each key, never the key itself — and ``guard_state`` one row (id 1) with the kill switch
and the policy generation that every proxy worker polls: a change made by one worker or
by the command line reaches all of them within a second.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
