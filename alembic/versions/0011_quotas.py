"""Quotas shared by every web process: each use of heavy work per person and of `digest now` per channel

Revision ID: 0011_quotas
Revises: 0010_delivery_problems
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0011_quotas"
down_revision = "0010_delivery_problems"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_uses")),
    )
    with op.batch_alter_table("quota_uses", schema=None) as batch_op:
        batch_op.create_index("ix_quota_uses_key_used_at", ["key", "used_at"], unique=False)
        batch_op.create_index("ix_quota_uses_used_at", ["used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quota_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_quota_uses_used_at")
        batch_op.drop_index("ix_quota_uses_key_used_at")
    op.drop_table("quota_uses")
