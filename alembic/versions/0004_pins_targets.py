"""dashboard pins and targets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Text(), server_default="", nullable=False),
        sa.Column("kpi", sa.Text(), nullable=False),
        sa.Column("pinned_by", sa.Text(), nullable=False),
        sa.Column("pinned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pins")),
        sa.UniqueConstraint("team_id", "kpi", name="uq_pins_team_kpi"),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Text(), server_default="", nullable=False),
        sa.Column("kpi", sa.Text(), nullable=False),
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("grain IN ('week', 'month', 'quarter', 'year')", name=op.f("ck_targets_grain")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("team_id", "kpi", "grain", name="uq_targets_team_kpi_grain"),
    )


def downgrade() -> None:
    op.drop_table("targets")
    op.drop_table("pins")
