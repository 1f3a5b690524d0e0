"""The placeholders of Responses conversations kept upstream, encrypted (opt-in).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``guard_vault``."""
    op.create_table(
        "guard_vault",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_guard_vault")),
    )
    op.create_index(op.f("ix_guard_vault_expires_at"), "guard_vault", ["expires_at"], unique=False)


def downgrade() -> None:
    """Drop ``guard_vault``."""
    op.drop_index(op.f("ix_guard_vault_expires_at"), table_name="guard_vault")
    op.drop_table("guard_vault")
