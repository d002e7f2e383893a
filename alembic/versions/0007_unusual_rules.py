"""Unusual and target-miss rules: two more kinds, a rule's sensitivity (low | medium | high) when it
watches for unusual values, segment rules (each value of a dimension watched on its own, as rules of
their own under the rule), and the source tables whose rows stopped arriving (stale data)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stale_tables",
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("last_row_at", sa.DateTime(), nullable=True),
        sa.Column("usual_gap_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_stale_tables")),
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sensitivity", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("segment_by", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("segment_key", sa.Text(), nullable=True))
        batch_op.create_unique_constraint("uq_alert_rules_parent_segment", ["parent_id", "segment_key"])
        batch_op.drop_constraint(op.f("ck_alert_rules_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_alert_rules_kind"), "kind IN ('threshold', 'change', 'unusual', 'target')"
        )
        batch_op.create_check_constraint(
            op.f("ck_alert_rules_sensitivity"), "sensitivity IS NULL OR sensitivity IN ('low', 'medium', 'high')"
        )


def downgrade() -> None:
    op.drop_table("stale_tables")
    op.execute(
        "DELETE FROM alert_rules WHERE kind IN ('unusual', 'target') OR segment_by IS NOT NULL OR parent_id IS NOT NULL"
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_rules_sensitivity"), type_="check")
        batch_op.drop_constraint(op.f("ck_alert_rules_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alert_rules_kind"), "kind IN ('threshold', 'change')")
        batch_op.drop_constraint("uq_alert_rules_parent_segment", type_="unique")
        batch_op.drop_column("segment_key")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("segment_by")
        batch_op.drop_column("sensitivity")
