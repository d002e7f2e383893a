"""Money keeps its cents at any size the column holds: €12,345,678,901.34 is shown as such on every engine,
from the source alone and through the daily rollups, as a total, a breakdown, a change and a formula.
Before, values went through 12 significant digits: …901.34 + 0.01 showed as €12,345,678,901.40."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kpi.catalog import Unit, load_catalog
from kpi.compute import compute
from kpi.periods import parse_period
from kpi.present import format_delta, format_value
from kpi.store import canonical, facts
from kpi.store.engines import get_engine
from kpi.store.exact import Exact, clean, combine, constant, from_database
from kpi.store.rollup import Rollups
from tests.conftest import clear, clickhouse_database

CATALOG = load_catalog()
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
PRODUCTS = [{"id": 1, "name": "Turbine", "category": "Hardware"}, {"id": 2, "name": "Audit", "category": "Services"}]
# October: €12,345,678,901.34 + €0.01 + €987,654,321,098.65 on three days; September: €999,999,999,999.99
SALES = [
    (datetime(2026, 10, 5, 12), 1, "12345678901.34", "1234567890.12"),
    (datetime(2026, 10, 6, 12), 2, "0.01", "0.00"),
    (datetime(2026, 10, 7, 9), 2, "987654321098.65", "0.01"),
    (datetime(2026, 9, 6, 12), 1, "999999999999.99", "0.00"),
]
ROWS = {
    "products": PRODUCTS,
    "sales": [
        {"id": i, "sold_at": t, "customer_id": None, "product_id": p, "amount": Decimal(a), "cost": Decimal(c)}
        for i, (t, p, a, c) in enumerate(SALES, 1)
    ],
}


@pytest.fixture(params=["database", "duckdb", "clickhouse"])
def source(request, db_url, tmp_path, chdb_path):
    """The rows in each engine: the test database (SQLite, and PostgreSQL when it runs), DuckDB, chDB."""
    if request.param == "database":
        url = db_url
    elif request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'money.duckdb'}"
    else:
        url = clickhouse_database(chdb_path, "money")
    canonical.ensure_tables(url)
    facts.replace_all(url, ROWS)
    return url


@pytest.mark.parametrize("with_rollups", [False, True])
def test_cents_are_kept_beyond_ten_billion_on_every_engine(source, db_url, with_rollups):
    rollups = None
    if with_rollups:
        clear_rollups = Rollups(db_url, ZoneInfo("UTC"), late_days=3)
        clear_rollups.refresh(get_engine(source), list(CATALOG.specs.values()), NOW)
        rollups = clear_rollups
    pair = parse_period("2026-10", NOW, ZoneInfo("UTC"))
    revenue = compute(CATALOG, get_engine(source), "revenue", pair, rollups=rollups)
    assert format_value(revenue.value, Unit.CURRENCY, "en") == "€1,000,000,000,000.00"
    assert format_value(revenue.previous_value, Unit.CURRENCY, "en") == "€999,999,999,999.99"
    assert format_delta(revenue.change, Unit.CURRENCY, "en") == "+€0.01"
    by_product = compute(CATALOG, get_engine(source), "revenue", pair, by="product", rollups=rollups)
    shown = {row.key: format_value(row.value, Unit.CURRENCY, "fr") for row in by_product.breakdown}
    assert shown == {
        "Turbine": "12\u202f345\u202f678\u202f901,34\u00a0€",
        "Audit": "987\u202f654\u202f321\u202f098,66\u00a0€",
    }
    early = compute(
        CATALOG, get_engine(source), "revenue", parse_period("2026-10-05..2026-10-06", NOW), rollups=rollups
    )
    assert format_value(early.value, Unit.CURRENCY, "en") == "€12,345,678,901.35"


def test_exact_values_are_floats_that_keep_their_decimal():
    big = from_database(12345678901.34)
    assert isinstance(big, Exact) and big == 12345678901.34 and big.exact == Decimal("12345678901.34")
    assert combine("+", big, from_database(0.01)).exact == Decimal("12345678901.35")
    assert from_database(1727520.2599999998).exact == Decimal("1727520.26")  # a float sum's noise is dropped
    assert combine("/", big, constant(100)).exact == Decimal("123456789.0134")
    assert clean(combine("-", big, big)) == 0 and str(clean(combine("-", big, big))) == "0.0"
    assert clean(float("inf")) is None and clean(Exact(Decimal("1e400"))) is None
    assert clean(0.1 + 0.2) == 0.3  # a plain float still loses its binary noise
    assert format_value(Exact(Decimal("12345678901234.56")), Unit.CURRENCY, "en") == "€12,345,678,901,234.56"


def test_a_breakdown_total_stays_exact(db_url):
    clear(db_url)
    facts.replace_all(db_url, ROWS)
    result = compute(
        CATALOG, get_engine(db_url), "revenue", parse_period("2026-10", NOW, ZoneInfo("UTC")), by="category"
    )
    assert format_value(result.value, Unit.CURRENCY, "en") == "€1,000,000,000,000.00"


BIG = {  # twelve days of €999,999,999,999.99 (the most a DECIMAL(14, 2) row holds) in November
    "products": PRODUCTS,
    "sales": [
        {
            "id": 100 + day,
            "sold_at": datetime(2026, 11, day, 12),
            "customer_id": None,
            "product_id": 1,
            "amount": Decimal("999999999999.99"),
            "cost": Decimal(0),
        }
        for day in range(1, 13)
    ],
}


@pytest.mark.parametrize("with_rollups", [False, True])
def test_a_total_beyond_what_a_float_holds_is_exact_where_the_engine_has_decimals(source, db_url, with_rollups):
    """€11,999,999,999,999.88 has 16 significant digits, one more than an 8-byte float keeps: PostgreSQL, DuckDB
    and ClickHouse return it as a decimal; through rollups kept in PostgreSQL, days are added as decimals.
    (SQLite holds floats, as a source or as the bot's own database: its sums are exact to 15 significant
    digits, €9,999,999,999,999.99.)"""
    if get_engine(source).dialect.name == "sqlite" or (with_rollups and db_url.startswith("sqlite")):
        pytest.skip("SQLite holds floats")
    facts.replace_all(source, BIG)
    rollups = None
    if with_rollups:
        rollups = Rollups(db_url, ZoneInfo("UTC"), late_days=3)
        rollups.refresh(get_engine(source), list(CATALOG.specs.values()), NOW)
    result = compute(
        CATALOG, get_engine(source), "revenue", parse_period("2026-11", NOW, ZoneInfo("UTC")), rollups=rollups
    )
    assert format_value(result.value, Unit.CURRENCY, "en") == "€11,999,999,999,999.88"
