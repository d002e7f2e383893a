"""Channels whose posts Slack refuses (the bot was removed, the channel archived): shown on their rules, and
told once to the people whose rules and digests post there

Revision ID: 0010_delivery_problems
Revises: 0009_rule_numbers
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0010_delivery_problems"
down_revision = "0009_rule_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_problems",
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name=op.f("pk_delivery_problems")),
    )


def downgrade() -> None:
    op.drop_table("delivery_problems")
