"""Unusual and target-miss rules: two more kinds, and a rule's sensitivity (low | medium | high) when it
watches for unusual values

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitivity', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_alert_rules_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_alert_rules_kind'), "kind IN ('threshold', 'change', 'unusual', 'target')")
        batch_op.create_check_constraint(op.f('ck_alert_rules_sensitivity'),
                                         "sensitivity IS NULL OR sensitivity IN ('low', 'medium', 'high')")


def downgrade() -> None:
    op.execute("DELETE FROM alert_rules WHERE kind IN ('unusual', 'target')")
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_rules_sensitivity'), type_='check')
        batch_op.drop_constraint(op.f('ck_alert_rules_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_alert_rules_kind'), "kind IN ('threshold', 'change')")
        batch_op.drop_column('sensitivity')
