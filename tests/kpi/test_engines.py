"""The same numbers from every engine the bot reads: DuckDB and ClickHouse (chDB, ClickHouse's engine
in-process, reached through the production dialect and driver, clickhouse-connect) against SQLite (and
PostgreSQL when it runs), on the demo data, for every built-in KPI, period form, breakdown and zone,
with and without rollups."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from kpi import demo
from kpi.catalog import load_catalog
from kpi.compute import compute_many
from kpi.errors import SourceError
from kpi.periods import parse_period
from kpi.store import canonical, facts
from kpi.store.dialects import check_supported
from kpi.store.engines import dispose_all, get_engine
from kpi.store.rollup import Rollups
from tests.conftest import clear, clickhouse_database

CATALOG = load_catalog()
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
PERIODS = ["2026-10", "month", "30d", "2026-W43", "last-month", "quarter", "2026-10-01..2026-10-15", "yesterday"]
ZONES = ["UTC", "Europe/Paris"]


@pytest.fixture(scope="module")
def demo_rows():
    return demo.generate(NOW, days=150)


ENGINES = ["duckdb", "clickhouse"]


@pytest.fixture(scope="module")
def duckdb_url(tmp_path_factory, demo_rows):
    url = f"duckdb:///{tmp_path_factory.mktemp('duck') / 'facts.duckdb'}"
    assert canonical.ensure_tables(url) and not canonical.ensure_tables(url)  # created once
    facts.replace_all(url, demo_rows)
    yield url
    dispose_all()


@pytest.fixture(scope="module")
def clickhouse_url(chdb_path, demo_rows):
    url = clickhouse_database(chdb_path, "conformance")
    assert canonical.ensure_tables(url) and not canonical.ensure_tables(url)  # created once
    facts.replace_all(url, demo_rows)
    return url


@pytest.fixture(params=ENGINES)
def source_url(request):
    """The demo data in each analytical engine."""
    return request.getfixturevalue(f"{request.param}_url")


def results(url, period, zone, by, rollups=None):
    kpis = [k for k in CATALOG.kpis.values() if by is None or by in CATALOG.metrics[k.key].dimensions]
    pair = parse_period(period, NOW, ZoneInfo(zone))
    out = {}
    for r in compute_many(CATALOG, get_engine(url), kpis, pair, by, rollups):
        out[(r.kpi.key, None)] = (r.value, r.previous_value)
        for row in r.breakdown:
            out[(r.kpi.key, row.key)] = (row.value, row.previous)
    return out


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("zone", ZONES)
def test_every_kpi_gives_the_same_values_on_each_engine(db_url, source_url, demo_rows, zone):
    """Reference: the bot's own test database (SQLite, or PostgreSQL) holding the same rows."""
    clear(db_url)
    facts.replace_all(db_url, demo_rows)
    dimensions = sorted({d for m in CATALOG.metrics.values() for d in m.dimensions})
    rollups = Rollups(db_url, ZoneInfo(zone), late_days=3)
    rollups.refresh(get_engine(source_url), list(CATALOG.specs.values()), NOW)
    assert rollups.states(list(CATALOG.specs)), "the rollups were built from the engine"
    compared = 0
    for period in PERIODS:
        for by in [None, *dimensions]:
            want = results(db_url, period, zone, by)
            for with_rollups in (None, rollups):
                got = results(source_url, period, zone, by, with_rollups)
                assert set(got) == set(want), (period, by)
                for key, (value, previous) in want.items():
                    assert same(got[key][0], value) and same(got[key][1], previous), (
                        period,
                        zone,
                        by,
                        key,
                        got[key],
                        (value, previous),
                    )
                    compared += 1
    assert compared >= 1000  # values and previous values, for every KPI, period, breakdown key and rollup use


def test_money_is_exact_to_the_cent_on_each_engine(source_url, demo_rows):
    """A 4-byte float cast read October's revenue as €…8.50 instead of €…8.49 on DuckDB."""
    start, end = datetime(2026, 10, 1), datetime(2026, 11, 1)
    exact = sum((Decimal(str(r["amount"])) for r in demo_rows["sales"] if start <= r["sold_at"] < end), Decimal(0))
    got = results(source_url, "2026-10", "UTC", None)[("revenue", None)][0]
    assert Decimal(f"{got:.2f}") == exact and abs(got - float(exact)) < 0.005


@pytest.mark.parametrize("engine", ENGINES)
def test_sums_stay_exact_for_large_totals(engine, tmp_path, chdb_path):
    url = f"duckdb:///{tmp_path / 'big.duckdb'}" if engine == "duckdb" else clickhouse_database(chdb_path, "big_totals")
    canonical.ensure_tables(url)
    day = datetime(2026, 10, 15, 12)
    rows = [
        {
            "id": i,
            "sold_at": day + timedelta(seconds=i),
            "customer_id": None,
            "product_id": None,
            "amount": Decimal("99999.99") if i % 2 else Decimal("0.01"),
            "cost": Decimal(0),
        }
        for i in range(1, 4001)
    ]
    rows.append({**rows[0], "id": 4001, "amount": Decimal("0.07")})  # a 4-byte float would round the total
    facts.replace_all(url, {"sales": rows})
    got = results(url, "2026-10", "UTC", None)[("revenue", None)][0]
    assert Decimal(f"{got:.2f}") == sum((r["amount"] for r in rows), Decimal(0)) == Decimal("200000000.07")
    with get_engine(url).connect() as conn:  # the column itself is exact, as in the canonical schema
        kind = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'sales' AND column_name = 'amount'"
            )
        ).scalar()
    assert kind.upper().replace(" ", "") == "DECIMAL(14,2)"
    dispose_all()


def test_an_engine_outside_the_list_is_named_with_the_supported_ones():
    from types import SimpleNamespace

    from sqlalchemy.dialects import mysql

    from kpi.errors import SourceError

    with pytest.raises(SourceError) as refused:
        check_supported(SimpleNamespace(dialect=mysql.dialect()))
    assert "mysql" in str(refused.value) and "SQLite, PostgreSQL, DuckDB" in str(refused.value)
    with pytest.raises(SourceError, match="supported: SQLite, PostgreSQL, DuckDB"):  # before any driver loads
        check_supported("oracle+cx_oracle://scott@db/orcl")


def test_a_driver_error_that_is_not_sqlalchemys_is_a_source_error(duckdb_url, caplog):
    """Some drivers raise their own exceptions, not DB-API ones: the person still gets "the data source
    could not answer", and the log gets the traceback."""
    engine = get_engine(duckdb_url)

    class DriverError(Exception):
        pass

    def broken():
        raise DriverError("the server closed the stream")

    original = engine.connect
    engine.connect = broken
    try:
        with pytest.raises(SourceError, match=r"could not answer \(DriverError\)"):
            results(duckdb_url, "2026-10", "UTC", None)
    finally:
        engine.connect = original
    assert any(r.exc_info and r.exc_info[0] is DriverError for r in caplog.records)
