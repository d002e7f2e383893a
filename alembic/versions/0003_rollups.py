"""daily rollups and time+dimension indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("dim", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_daily")),
    )
    with op.batch_alter_table("rollup_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_daily_measure_dim_day", ["measure", "dim", "day"], unique=False)

    op.create_table(
        "rollup_state",
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("horizon", sa.Date(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("measure", name=op.f("pk_rollup_state")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_acquired_at_channel", ["acquired_at", "channel"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_created_at_channel", ["created_at", "channel"], unique=False)

    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index("ix_sales_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_sales_sold_at_product_id", ["sold_at", "product_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_sold_at_product_id")
        batch_op.drop_index("ix_sales_customer_id")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_created_at_channel")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_acquired_at_channel")

    op.drop_table("rollup_state")
    with op.batch_alter_table("rollup_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_daily_measure_dim_day")

    op.drop_table("rollup_daily")
