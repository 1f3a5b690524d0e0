"""Platform intake of AI-generated content (GB 45438, 标识办法 Art. 6): one row per file
a platform received, and the reviewers' decisions on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aisec.store.base import Base

VERDICTS = ("compliant", "noncompliant", "not_found", "inconclusive")
STATUSES = ("pending", "approved", "rejected")
REVIEW_DECISIONS = ("approved", "rejected")
DECLARATIONS = ("ai", "not-ai", "unknown")


def utcnow() -> datetime:
    """Timestamps are stored in UTC."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class IntakeDecision(Base):
    """What the platform decided about one received file, and the evidence why."""

    __tablename__ = "label_intake"
    __table_args__ = (
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("label IS NULL OR label IN ('1', '2', '3')", name="label"),
        Index("ix_label_intake_platform_sha256", "platform", "sha256"),
        Index("ix_label_intake_platform_sha256_out", "platform", "sha256_out"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(256))
    #: SHA-256 of the file as received, and after the propagator fields were added.
    sha256: Mapped[str] = mapped_column(String(64))
    sha256_out: Mapped[str | None] = mapped_column(String(64))
    #: "1" is AI-generated, "2" may be, "3" suspected; None: not identified as AI.
    label: Mapped[str | None] = mapped_column(String(1))
    #: The implicit-label verdict of the file as received.
    verdict: Mapped[str] = mapped_column(String(16))
    declaration: Mapped[str | None] = mapped_column(String(16))
    propagate_id: Mapped[str | None] = mapped_column(String(256))
    #: The notice the platform shows next to the content (None when there is none).
    notice: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    reviews: Mapped[list[ReviewAction]] = relationship(
        back_populates="intake",
        order_by="ReviewAction.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class ReviewAction(Base):
    """One reviewer's decision on an intake row (the row keeps the latest as its status)."""

    __tablename__ = "label_review"
    __table_args__ = (CheckConstraint(_in("decision", REVIEW_DECISIONS), name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("label_intake.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    intake: Mapped[IntakeDecision] = relationship(back_populates="reviews")
