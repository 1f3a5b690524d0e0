"""The guard proxy: API keys (hashed) and the kill-switch state row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-02-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``guard_key`` and ``guard_state`` (with its one row: not halted)."""
    op.create_table(
        "guard_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_guard_key_key_hash")),
    )
    state = op.create_table(
        "guard_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("halted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=256), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("policy_generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_state")),
    )
    op.bulk_insert(state, [{"id": 1, "halted": False, "policy_generation": 0}])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("guard_state")
    op.drop_table("guard_key")
