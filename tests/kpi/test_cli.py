"""The CLI as a user runs it: a real subprocess, a real database, exit codes and output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES
from tests.support import fixtures

ROOT = Path(__file__).resolve().parents[2]


def run(args, db_url, tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DATABASE_URL", "SOURCE_"))}
    environment.update(DATABASE_URL=db_url, **env)
    return subprocess.run(
        [sys.executable, "-m", "kpi", *args], capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120
    )


def count(url, table):
    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(FACT_TABLES[table])).scalar_one()


def test_list_json(db_url, tmp_path):
    out = run(["list", "--json"], db_url, tmp_path)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["key"]: r["unit"] for r in rows}["cac"] == "currency"
    assert [r["key"] for r in rows][:2] == ["conversion_rate", "visitor_conversion"]


def test_compute_json_has_the_documented_shape(db_url, tmp_path):
    fixtures.load(db_url)
    out = run(["compute", "revenue", "2026-10", "--by", "category", "--json"], db_url, tmp_path, KPI_TIMEZONE="UTC")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["kpi"] == "revenue"
    assert data["value"] == 400 and data["previous"]["value"] == 80
    assert data["period"] == {
        "start": "2026-10-01T00:00:00+00:00",
        "end": "2026-11-01T00:00:00+00:00",
        "label": "October 2026",
    }
    assert data["previous"]["start"] == "2026-09-01T00:00:00+00:00"
    assert data["unit"] == "currency" and data["reason"] is None
    assert data["breakdown"] == [{"key": "Hardware", "value": 250.0}, {"key": "Software", "value": 150.0}]
    assert data["coverage"] == {
        "current": "full",
        "previous": "full",
        "first_data": "2026-08-01",  # sales and the products they join: the first sale
        "stale": [],
        "notes": [],
    }


def test_compute_text_in_french(db_url, tmp_path):
    fixtures.load(db_url)
    out = run(["compute", "cac", "2026-10"], db_url, tmp_path, KPI_LANGUAGE="fr", KPI_TIMEZONE="Europe/Paris")
    assert out.returncode == 0, out.stderr
    assert "Coût d'acquisition client — octobre 2026" in out.stdout
    assert "500,00\u00a0€" in out.stdout
    assert "Formule : dépenses marketing et commerciales ÷ nouveaux clients" in out.stdout


def test_zero_denominator_json(db_url, tmp_path):
    out = run(["compute", "conversion_rate", "2025-01", "--json"], db_url, tmp_path)
    data = json.loads(out.stdout)
    assert data["value"] is None
    assert data["reason"] == "No value: «leads» is zero in this period."


@pytest.mark.parametrize(
    "args, message",
    [
        (["compute", "revenu", "month"], "Did you mean revenue?"),
        (["compute", "cac", "2026-13"], "Accepted forms:"),
        (["compute", "revenue", "month", "--by", "categroy"], "Did you mean category?"),
        (["explain", "npss"], "Did you mean nps?"),
    ],
)
def test_bad_questions_exit_2_with_one_line(db_url, tmp_path, args, message):
    out = run(args, db_url, tmp_path)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_explain(db_url, tmp_path):
    out = run(["explain", "ltv"], db_url, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Customer lifetime value (ltv)" in out.stdout
    assert "How to read it: Higher is better" in out.stdout
    assert "Current value (" in out.stdout


@pytest.mark.slow
def test_demo_data_fills_every_table_and_refuses_to_overwrite(db_url, tmp_path):
    out = run(["demo-data", "--days", "60", "--seed", "7"], db_url, tmp_path)
    assert out.returncode == 0, out.stderr
    counts = {name: count(db_url, name) for name in FACT_TABLES}
    assert all(n > 0 for n in counts.values()), counts
    again = run(["demo-data"], db_url, tmp_path)
    assert again.returncode == 2 and "--replace" in again.stderr
    assert count(db_url, "sales") == counts["sales"]  # nothing changed
    overview = run(["overview", "30d"], db_url, tmp_path)
    assert overview.returncode == 0
    assert "—" not in overview.stdout  # every KPI has a value on demo data


def test_bad_configuration_is_reported(db_url, tmp_path):
    out = run(["list"], db_url, tmp_path, KPI_TIMEZONE="Mars/Olympus")
    assert out.returncode == 2
    assert "KPI_TIMEZONE" in out.stderr and "Traceback" not in out.stderr


def test_a_warehouse_as_the_bots_own_database_is_refused_with_the_fix(tmp_path):
    """The bot's records need SQLite or PostgreSQL (Alembic migrates them); a DuckDB or ClickHouse URL there
    is a mistake for SOURCE_DATABASE_URL, said as such, not Alembic's KeyError."""
    for url in (f"duckdb:///{tmp_path / 'facts.duckdb'}", "clickhousedb://default@localhost:8123/default"):
        out = run(["migrate"], url, tmp_path)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert "must be SQLite or PostgreSQL" in out.stderr and "SOURCE_DATABASE_URL" in out.stderr


def test_unreachable_source_exits_1_politely(tmp_path):
    out = run(["compute", "revenue", "month"], "postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    assert out.returncode == 1
    assert "could not answer" in out.stderr and "Traceback" not in out.stderr.splitlines()[-1]


def test_importing_the_same_csv_twice_changes_no_kpi(db_url, tmp_path):
    """The reproduction: `python -m kpi import spend spend.csv` twice used to double the CAC."""
    fixtures.load(db_url)
    path = tmp_path / "spend.csv"
    path.write_text("day,kind,channel,amount\n2026-11-02,marketing,ads,975.38\n", encoding="utf-8")
    first = run(["import", "spend", str(path)], db_url, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "spend: 1 inserted, 0 updated, 0 unchanged, 0 deleted." in first.stdout
    cac = json.loads(run(["compute", "cac", "2026-11", "--json"], db_url, tmp_path).stdout)["value"]
    again = run(["import", "spend", str(path)], db_url, tmp_path)  # each mode: tests/kpi/test_import_modes.py
    assert again.returncode == 0, again.stderr
    assert "spend: 0 inserted, 0 updated, 1 unchanged, 0 deleted." in again.stdout
    assert json.loads(run(["compute", "cac", "2026-11", "--json"], db_url, tmp_path).stdout)["value"] == cac


def test_the_import_modes_offered_are_the_store_s():
    from kpi.__main__ import IMPORT_MODES
    from kpi.store.facts import Mode

    assert IMPORT_MODES == tuple(m.value for m in Mode)


def test_listing_kpis_imports_no_engine():
    """`python -m kpi list` answers from the catalog alone: neither SQLAlchemy's engine, pandas nor
    matplotlib is imported (the start-up the README's figures measure)."""
    import subprocess
    import sys

    code = (
        "import runpy, sys\n"
        "sys.argv = ['kpi', 'list']\n"
        "try:\n    runpy.run_module('kpi', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'numpy', 'kpi.service') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
