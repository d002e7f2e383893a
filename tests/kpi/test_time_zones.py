"""Time columns give the same answer whatever the session's or the process's time zone: every engine × every
kind of time column it has × three session zones (UTC, Asia/Tokyo, America/New_York) gives the exact totals,
local days and newest row computed here from the rows themselves.

The session's zone is set the way each engine's users set it: PostgreSQL in the URL (``-c TimeZone=…``),
DuckDB through the process's ``TZ``, ClickHouse (chDB) with ``session_timezone``; SQLite has no zone.
Before the bot fixed the session's zone (PostgreSQL, DuckDB) and sent explicit UTC instants (ClickHouse),
October's revenue of a ``timestamptz`` column moved with the session (€1,670,454.61 / €1,663,157.71 /
€1,668,826.94 for the demo)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, Table, text
from sqlalchemy.engine import make_url

from kpi.catalog import load_catalog
from kpi.compute import compute
from kpi.periods import parse_period
from kpi.source_check import check_source, lines
from kpi.store.arrivals import last_row
from kpi.store.days import daily_values
from kpi.store.engines import dispose_all, get_engine
from tests.conftest import TEST_POSTGRES_URL, clickhouse_database

CATALOG = load_catalog()
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
SESSION_ZONES = ["UTC", "Asia/Tokyo", "America/New_York"]
START = datetime(2026, 9, 28)
# one sale every 137 minutes from Sep 28 to Nov 4 (UTC): every month and day edge has sales on both sides
ROWS = [
    {"id": i + 1, "sold_at": START + timedelta(minutes=137 * i), "amount": Decimal(f"{(i * 37) % 1000}.{i % 100:02d}")}
    for i in range(0, 37 * 24 * 60 // 137)
]
KINDS = {
    "sqlite": ["DATETIME"],
    "duckdb": ["TIMESTAMP", "TIMESTAMPTZ"],
    "clickhouse": [
        "DateTime64(6, 'UTC')",
        "DateTime64(6)",
        "DateTime",
        "DateTime('Asia/Tokyo')",
        "DateTime64(3, 'America/New_York')",
    ],
    "postgres": ["timestamp", "timestamptz"],
}
CASES = [
    pytest.param(engine, kind, id=f"{engine}-{kind}", marks=[pytest.mark.postgres] if engine == "postgres" else [])
    for engine, kinds in KINDS.items()
    for kind in kinds
    if engine != "postgres" or TEST_POSTGRES_URL
]


def exact(lo: datetime, hi: datetime) -> Decimal:
    """The revenue of the rows in [lo, hi) (naive UTC), from the rows themselves."""
    return sum((r["amount"] for r in ROWS if lo <= r["sold_at"] < hi), Decimal(0))


def utc(day: date, zone: str) -> datetime:
    local = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _fill_with_sqlalchemy(url: str, kind: str) -> None:
    """SQLite, DuckDB and PostgreSQL: through the bot's engine, whose session is in UTC (naive values are UTC)."""
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS sales"))
        conn.execute(
            text(
                f"CREATE TABLE sales (id INTEGER PRIMARY KEY, sold_at {kind} NOT NULL, customer_id INTEGER, "
                "product_id INTEGER, amount NUMERIC(14, 2) NOT NULL, cost NUMERIC(14, 2) NOT NULL)"
            )
        )
        sales = Table(
            "sales",
            MetaData(),
            Column("id", Integer),
            Column("sold_at", DateTime),
            Column("amount", Numeric(14, 2)),
            Column("cost", Numeric(14, 2)),
        )
        conn.execute(sales.insert(), [{**r, "cost": Decimal(0)} for r in ROWS])


def _fill_clickhouse(url: str, kind: str) -> None:
    """Explicit UTC instants, whatever the column's or the session's zone."""
    with get_engine(url).begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE sales (id Int64, sold_at {kind}, customer_id Nullable(Int64), "
                "product_id Nullable(Int64), amount Decimal(14, 2), cost Decimal(14, 2)) "
                "ENGINE = MergeTree ORDER BY sold_at"
            )
        )
        values = ", ".join(
            f"({r['id']}, toDateTime64('{r['sold_at']:%Y-%m-%d %H:%M:%S}', 0, 'UTC'), NULL, NULL, {r['amount']}, 0)"
            for r in ROWS
        )
        conn.execute(text(f"INSERT INTO sales VALUES {values}"))


@pytest.fixture(scope="module")
def sources(tmp_path_factory, chdb_path) -> Iterator[dict[tuple[str, str], str]]:
    """(engine, kind) -> the URL of a source whose `sales.sold_at` is of that kind, holding :data:`ROWS`."""
    out: dict[tuple[str, str], str] = {}
    folder = tmp_path_factory.mktemp("zones")
    for n, kind in enumerate(KINDS["clickhouse"]):
        out[("clickhouse", kind)] = url = clickhouse_database(chdb_path, f"zones_{n}")
        _fill_clickhouse(url, kind)
    for engine in ("sqlite", "duckdb"):
        for n, kind in enumerate(KINDS[engine]):
            out[(engine, kind)] = url = f"{engine}:///{folder / f'{engine}_{n}.db'}"
            _fill_with_sqlalchemy(url, kind)
    schemas = []
    if TEST_POSTGRES_URL:
        for kind in KINDS["postgres"]:
            schema = f"kpi_zones_{kind}"
            with get_engine(TEST_POSTGRES_URL).begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            schemas.append(schema)
            out[("postgres", kind)] = url = _postgres(schema)
            _fill_with_sqlalchemy(url, kind)
    yield out
    for schema in schemas:
        with get_engine(TEST_POSTGRES_URL or "").begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    dispose_all()


def _postgres(schema: str, zone: str | None = None) -> str:
    options = f"-c search_path={schema}" + (f" -c TimeZone={zone}" if zone else "")
    url = make_url(TEST_POSTGRES_URL or "").update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


@contextmanager
def session_in(engine: str, url: str, zone: str) -> Iterator[str]:
    """The URL of ``url`` with its session in ``zone``, as that engine's users would set it."""
    if engine == "clickhouse":
        yield f"{url}&ch_session_timezone={zone}"
    elif engine == "postgres":
        yield _postgres(make_url(url).query["options"].split("search_path=")[1].split()[0], zone)  # type: ignore[union-attr]
    else:  # DuckDB (and SQLite) follow the process's zone
        before = os.environ.get("TZ")
        os.environ["TZ"] = zone
        time.tzset()
        dispose_all()  # new connections, which take the process's zone
        try:
            yield url
        finally:
            dispose_all()
            if before is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = before
            time.tzset()


def _session_zone(engine: str, url: str) -> str | None:
    """The zone the session would use for a zone-less conversion, to check the test sets what it says."""
    query = {"duckdb": "SELECT current_setting('TimeZone')", "clickhouse": "SELECT timezone()"}.get(engine)
    if query is None:
        return None
    with get_engine(url).connect() as conn:
        return str(conn.execute(text(query)).scalar())


@pytest.mark.parametrize(("engine", "kind"), CASES)
def test_every_time_column_kind_gives_the_same_numbers_in_every_session_zone(sources, engine, kind):
    url = sources[(engine, kind)]
    spec = replace(CATALOG.specs["sales_amount"], dimensions=())  # the sales table alone
    seen = []
    for zone in SESSION_ZONES:
        with session_in(engine, url, zone) as there:
            if engine == "clickhouse":  # the session really is in that zone (the bot only sends UTC instants)
                assert _session_zone(engine, there) == zone
            source = get_engine(there)
            for kpi_zone in ("UTC", "Asia/Kolkata"):
                result = compute(CATALOG, source, "revenue", parse_period("2026-10", NOW, ZoneInfo(kpi_zone)))
                want = exact(utc(date(2026, 10, 1), kpi_zone), utc(date(2026, 11, 1), kpi_zone))
                want_before = exact(utc(date(2026, 9, 1), kpi_zone), utc(date(2026, 10, 1), kpi_zone))
                assert (Decimal(f"{result.value:.2f}"), Decimal(f"{result.previous_value:.2f}")) == (
                    want,
                    want_before,
                ), (zone, kpi_zone)
            # local days across a DST change (Paris, Oct 25), as the rollups and charts read them
            days = {r["day"]: r["value"] for r in daily_values(source, spec, ZoneInfo("Europe/Paris"), *WEEK)}
            for day in (WEEK[0] + timedelta(days=n) for n in range(7)):
                want_day = exact(utc(day, "Europe/Paris"), utc(day + timedelta(days=1), "Europe/Paris"))
                assert Decimal(f"{days.get(day, 0.0):.2f}") == want_day, (zone, day)
            newest = last_row(source, spec, datetime(2026, 10, 20, 12))
            assert newest == max(r["sold_at"] for r in ROWS if r["sold_at"] < datetime(2026, 10, 21, 12)), zone
            seen.append(result.value)
    assert len(set(seen)) == 1 and seen[0] and seen[0] > 0


WEEK = (date(2026, 10, 22), date(2026, 10, 29))


@pytest.mark.parametrize(("engine", "kind"), CASES)
def test_check_source_says_each_time_columns_kind_and_what_the_bot_does(sources, engine, kind):
    said = "\n".join(lines(check_source(CATALOG, sources[(engine, kind)])))
    zone = kind.split("'")[1] if "'" in kind else None
    if engine == "clickhouse":
        want = f"ClickHouse {kind.split('(')[0]} " + (f"in {zone}: instants" if zone else "without a zone: instants")
    elif kind.upper() == "TIMESTAMPTZ":
        want = "timestamp with time zone: instants, compared in a session the bot sets to UTC"
    else:
        want = "timestamp without time zone: its times are read as UTC"
    assert f"  time     sales.sold_at: {want}" in said, said
