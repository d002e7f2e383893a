"""The canonical data model: business-fact tables the built-in KPI catalog reads.

Timestamps are naive and mean UTC. A DATE belongs to the day it names, in the
KPI time zone. Alembic's ``env.py`` targets :data:`metadata`; the migrations in
``alembic/versions`` create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Date, DateTime, Index, Integer, MetaData, Numeric, Table, Text

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

MONEY = Numeric(14, 2)
HOURS = Numeric(10, 2)

leads = Table(
    "leads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("channel", Text, nullable=True),
    Index("ix_leads_created_at", "created_at"),
    Index("ix_leads_created_at_channel", "created_at", "channel"),
)

deals = Table(
    "deals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", Integer, nullable=True),
    Column("customer_id", Integer, nullable=True),
    Column("product_id", Integer, nullable=True),
    Column("status", Text, nullable=False),
    Column("closed_at", DateTime, nullable=True),
    Column("amount", MONEY, nullable=True),
    CheckConstraint("status IN ('open', 'won', 'lost')", name="status"),
    Index("ix_deals_closed_at", "closed_at"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("acquired_at", DateTime, nullable=False),
    Column("channel", Text, nullable=True),
    Index("ix_customers_acquired_at", "acquired_at"),
    Index("ix_customers_acquired_at_channel", "acquired_at", "channel"),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("channel", Text, nullable=True),
    Column("visitors", Integer, nullable=False),
    CheckConstraint("visitors >= 0", name="visitors"),
    Index("ix_visits_day", "day"),
)

spend = Table(
    "spend",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=True),
    Column("amount", MONEY, nullable=False),
    CheckConstraint("kind IN ('marketing', 'sales')", name="kind"),
    Index("ix_spend_day", "day"),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("category", Text, nullable=False),
)

sales = Table(
    "sales",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sold_at", DateTime, nullable=False),
    Column("customer_id", Integer, nullable=True),
    Column("product_id", Integer, nullable=True),
    Column("amount", MONEY, nullable=False),
    Column("cost", MONEY, nullable=False),
    Index("ix_sales_sold_at", "sold_at"),
    Index("ix_sales_sold_at_product_id", "sold_at", "product_id"),
    Index("ix_sales_customer_id", "customer_id"),
)

nps_responses = Table(
    "nps_responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("responded_at", DateTime, nullable=False),
    Column("customer_id", Integer, nullable=True),
    Column("score", Integer, nullable=False),
    CheckConstraint("score BETWEEN 0 AND 10", name="score"),
    Index("ix_nps_responses_responded_at", "responded_at"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("customer_id", Integer, nullable=True),
)

project_time = Table(
    "project_time",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("hours", HOURS, nullable=False),
    Column("cost", MONEY, nullable=False),
    Column("billable", Boolean(create_constraint=False), nullable=False),
    Index("ix_project_time_day", "day"),
)

project_invoices = Table(
    "project_invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("invoiced_on", Date, nullable=False),
    Column("amount", MONEY, nullable=False),
    Index("ix_project_invoices_invoiced_on", "invoiced_on"),
)

FACT_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        leads,
        deals,
        customers,
        visits,
        spend,
        products,
        sales,
        nps_responses,
        projects,
        project_time,
        project_invoices,
    )
}
