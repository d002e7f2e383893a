"""Rule numbers per workspace: the number people type and see (`/kpi alert remove 3`) is counted in each
workspace from 1, and segments' rules carry their rule's number instead of using numbers up. Existing rules
keep the number they were shown (their id); their segments take their rule's.

Revision ID: 0009_rule_numbers
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0009_rule_numbers"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.execute("UPDATE alert_rules SET number = id WHERE parent_id IS NULL")
    op.execute(
        "UPDATE alert_rules SET number = (SELECT p.number FROM alert_rules AS p WHERE p.id = alert_rules.parent_id) "
        "WHERE parent_id IS NOT NULL"
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.create_index(
            "uq_alert_rules_team_number",
            ["team_id", "number"],
            unique=True,
            sqlite_where=sa.text("parent_id IS NULL"),
            postgresql_where=sa.text("parent_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_index("uq_alert_rules_team_number")
        batch_op.drop_column("number")
