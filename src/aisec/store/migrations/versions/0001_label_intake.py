"""Label intake decisions and the review queue.

Revision ID: 0001
Revises:
Create Date: 2026-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``label_intake`` and ``label_review``."""
    op.create_table(
        "label_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(length=256), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256_out", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=1), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("declaration", sa.String(length=16), nullable=True),
        sa.Column("propagate_id", sa.String(length=256), nullable=True),
        sa.Column("notice", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('compliant', 'noncompliant', 'not_found', 'inconclusive')",
            name=op.f("ck_label_intake_verdict"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_label_intake_status")
        ),
        sa.CheckConstraint(
            "label IS NULL OR label IN ('1', '2', '3')", name=op.f("ck_label_intake_label")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_intake")),
    )
    op.create_index(
        "ix_label_intake_platform_sha256", "label_intake", ["platform", "sha256"], unique=False
    )
    op.create_index(
        "ix_label_intake_platform_sha256_out",
        "label_intake",
        ["platform", "sha256_out"],
        unique=False,
    )
    op.create_table(
        "label_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=256), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name=op.f("ck_label_review_decision")
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["label_intake.id"],
            name=op.f("fk_label_review_intake_id_label_intake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_review")),
    )
    op.create_index(op.f("ix_label_review_intake_id"), "label_review", ["intake_id"], unique=False)


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index(op.f("ix_label_review_intake_id"), table_name="label_review")
    op.drop_table("label_review")
    op.drop_index("ix_label_intake_platform_sha256_out", table_name="label_intake")
    op.drop_index("ix_label_intake_platform_sha256", table_name="label_intake")
    op.drop_table("label_intake")
