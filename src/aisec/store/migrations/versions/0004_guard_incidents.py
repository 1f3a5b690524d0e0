"""Guard incidents with their timelines; API keys bound to an application.

Revision ID: 0004
Revises: 0003
Create Date: 2026-02-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``guard_incident`` and ``guard_incident_event``; add
    ``guard_key.application``."""
    op.create_table(
        "guard_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("application", sa.String(length=256), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_incident")),
    )
    op.create_index("ix_guard_incident_status", "guard_incident", ["status"], unique=False)
    op.create_table(
        "guard_incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["guard_incident.id"],
            name=op.f("fk_guard_incident_event_incident_id_guard_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_incident_event")),
    )
    op.create_index(
        op.f("ix_guard_incident_event_incident_id"),
        "guard_incident_event",
        ["incident_id"],
        unique=False,
    )
    with op.batch_alter_table("guard_key") as batch:
        batch.add_column(sa.Column("application", sa.String(length=256), nullable=True))


def downgrade() -> None:
    """Drop the incident tables and ``guard_key.application``."""
    with op.batch_alter_table("guard_key") as batch:
        batch.drop_column("application")
    op.drop_index(op.f("ix_guard_incident_event_incident_id"), table_name="guard_incident_event")
    op.drop_table("guard_incident_event")
    op.drop_index("ix_guard_incident_status", table_name="guard_incident")
    op.drop_table("guard_incident")
