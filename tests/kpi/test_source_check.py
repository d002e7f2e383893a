"""`python -m kpi check-source`: every table and column the catalog reads, checked in the source itself."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, text

from kpi.catalog import load_catalog
from kpi.source_check import check_source, lines
from kpi.store import canonical
from kpi.store.engines import dispose_all
from tests.support import fixtures
from tests.support.processes import env

CATALOG = load_catalog()


def test_a_complete_source_has_no_problem_and_counts_rows(db_url):
    fixtures.load(db_url)
    report = check_source(CATALOG, db_url)
    assert report.problems == []
    assert report.tables["sales"].rows == len(fixtures.SALES) == 6 and report.tables["products"].rows == 3
    assert lines(report)[-1] == "The source has everything the catalog reads."


def test_a_duckdb_source_is_checked_too(tmp_path):
    url = f"duckdb:///{tmp_path / 'facts.duckdb'}"
    canonical.ensure_tables(url)
    report = check_source(CATALOG, url)
    assert report.problems == [] and report.tables["sales"].rows == 0
    assert "  ok       sales: 0 rows (empty)" in lines(report)
    dispose_all()


def test_each_problem_names_the_measure_and_the_fix(tmp_path):
    """A hand-made source: sales without its amount, leads timed by text, visits dated by a timestamp,
    an amount stored as text, and no spend table at all."""
    path = tmp_path / "broken.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for ddl in [
            "CREATE TABLE leads (id INTEGER PRIMARY KEY, created_at TEXT, channel TEXT)",
            "CREATE TABLE sales (id INTEGER PRIMARY KEY, sold_at TIMESTAMP, customer_id INTEGER, "
            "product_id INTEGER, cost NUMERIC(14, 2))",
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, day TIMESTAMP, channel TEXT, visitors INTEGER)",
            "CREATE TABLE project_time (id INTEGER PRIMARY KEY, project_id INTEGER, day DATE, hours TEXT, "
            "billable BOOLEAN, cost NUMERIC(14, 2))",
        ]:
            conn.execute(text(ddl))
    engine.dispose()
    report = check_source(CATALOG, f"sqlite:///{path}")
    said = [str(p) for p in report.problems]
    assert any(s.startswith("spend: the table does not exist (read by acquisition_spend)") for s in said)
    assert any(
        s.startswith("measures.sales_amount: column 'amount' is not in sales. Fix: add it to sales") for s in said
    )
    assert any(
        "measures.leads: leads.created_at is a text column, the measure reads it as a timestamp" in s for s in said
    )
    assert any("measures.visitors: visits.day is a timestamp column, the measure reads it as a date" in s for s in said)
    assert any("project_time.hours holds text, not numbers" in s and "numeric column" in s for s in said)
    assert lines(report)[-1].endswith("problem(s): the KPIs that read them cannot be computed.")
    dispose_all()


def test_the_command_exits_2_on_a_problem_and_0_otherwise(tmp_path):
    bot_db = f"sqlite:///{tmp_path / 'bot.db'}"
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    create_engine(empty).connect().close()
    out = subprocess.run(
        [sys.executable, "-m", "kpi", "check-source"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(DATABASE_URL=bot_db, SOURCE_DATABASE_URL=empty),
    )
    assert out.returncode == 2, out.stderr
    assert "  missing  sales" in out.stdout and "Fix: create it (`python -m kpi migrate`" in out.stdout
    assert "Traceback" not in out.stderr
