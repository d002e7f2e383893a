"""`alembic upgrade head` creates exactly the model, on SQLite and PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES, metadata

ROOT = Path(__file__).resolve().parents[2]

COLUMNS = {
    "leads": {"id", "created_at", "channel"},
    "deals": {"id", "lead_id", "customer_id", "product_id", "status", "closed_at", "amount"},
    "customers": {"id", "acquired_at", "channel"},
    "visits": {"day", "channel", "visitors"},
    "spend": {"day", "kind", "channel", "amount"},
    "products": {"id", "name", "category"},
    "sales": {"id", "sold_at", "customer_id", "product_id", "amount", "cost"},
    "nps_responses": {"id", "responded_at", "customer_id", "score"},
    "projects": {"id", "name", "customer_id"},
    "project_time": {"id", "project_id", "day", "hours", "cost", "billable"},
    "project_invoices": {"id", "project_id", "invoiced_on", "amount"},
}


def test_migrated_database_has_the_canonical_tables_and_time_indexes(db_url):
    inspector = inspect(get_engine(db_url))
    for table, columns in COLUMNS.items():
        assert columns <= {c["name"] for c in inspector.get_columns(table)}, table
    indexed = {t: {tuple(i["column_names"]) for i in inspector.get_indexes(t)} for t in FACT_TABLES}
    assert ("sold_at",) in indexed["sales"] and ("created_at",) in indexed["leads"] and ("day",) in indexed["spend"]


def test_models_and_migrations_do_not_drift(db_url):
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_alembic_command_line_from_the_repository_root(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert set(COLUMNS) <= set(inspect(get_engine(url)).get_table_names())
