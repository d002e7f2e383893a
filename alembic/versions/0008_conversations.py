"""Follow-ups and filters: the question answered in each thread (and each DM), so that a reply can follow
it up; the one value a filtered rule watches (`/kpi alert cac > 200 month for referral`) and a filtered
digest shows (`/kpi digest daily 9h cac revenue for organic`)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("thread_ts", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", "thread_ts", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_only", sa.Text(), nullable=True))
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("where_filter", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM alert_rules WHERE parent_id IN (SELECT id FROM alert_rules WHERE segment_only IS NOT NULL)")
    op.execute("DELETE FROM alert_rules WHERE segment_only IS NOT NULL")
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_column("where_filter")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_column("segment_only")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_updated_at")
    op.drop_table("conversations")
