"""Rollups give the same numbers as the raw source, on random data with late arrivals, in any zone."""

import json
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kpi.catalog import load_catalog
from kpi.compute import compute, compute_many
from kpi.periods import parse_period
from kpi.store.engines import get_engine
from kpi.store.rollup import Rollups, eligible
from kpi.store.state_schema import rollup_daily
from tests.conftest import clear, insert
from tests.support import fixtures
from tests.support.reference import dataset, reference, reference_revenue_by_category, same

CATALOG = load_catalog()
NOW = datetime(2026, 10, 20, 15, 0, tzinfo=timezone.utc)
PERIODS = [
    "2026-10",
    "2026-09",
    "month",
    "30d",
    "7d",
    "2026-W40",
    "2026-10-01",
    "last-month",
    "2026-09-15..2026-10-14",
    "quarter",
    "today",
    "year",
]


def rollups_for(url, zone):
    return Rollups(url, ZoneInfo(zone), late_days=3)


def check(engine, rollups, data, period, zone, now=NOW):
    pair = parse_period(period, now, ZoneInfo(zone))
    results = compute_many(CATALOG, engine, list(CATALOG.kpis.values()), pair, rollups=rollups)
    want_now, want_before = reference(data, pair.current), reference(data, pair.previous)
    for r in results:
        assert same(r.value, want_now[r.kpi.key]), (period, zone, r.kpi.key, r.value, want_now[r.kpi.key])
        assert same(r.previous_value, want_before[r.kpi.key]), (period, zone, r.kpi.key)
    by_category = compute(CATALOG, engine, "revenue", pair, "category", rollups)
    want = reference_revenue_by_category(data, pair)
    got = {row.key: row.value for row in by_category.breakdown}
    assert set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    return results


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=dataset(),
    late=dataset(),
    period=st.sampled_from(PERIODS),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_rollup_answers_match_the_raw_reference_with_late_arrivals(db_url, data, late, period, zone):
    clear(db_url)
    for table, rows in data.items():
        insert(db_url, table, rows)
    engine = get_engine(db_url)
    rollups = rollups_for(db_url, zone)
    rollups.refresh(engine, list(CATALOG.specs.values()), NOW)
    check(engine, rollups, data, period, zone)

    # late arrivals: rows for the last three days, loaded after the refresh, seen at the next one
    shifted = {}
    for table in ("leads", "sales", "customers", "nps_responses"):
        time_col = {
            "leads": "created_at",
            "sales": "sold_at",
            "customers": "acquired_at",
            "nps_responses": "responded_at",
        }[table]
        rows = []
        for i, row in enumerate(late[table]):
            moved = dict(row, id=1000 + i)
            moved[time_col] = NOW.replace(tzinfo=None) - timedelta(hours=1 + (i * 7) % 70)
            if table == "sales":
                moved["customer_id"] = None
            rows.append(moved)
        shifted[table] = rows
        insert(db_url, table, rows)
    merged = {k: v + shifted.get(k, []) for k, v in data.items()}
    rollups.refresh(engine, list(CATALOG.specs.values()), NOW + timedelta(minutes=5))
    check(engine, rollups, merged, period, zone, NOW + timedelta(minutes=5))


@pytest.fixture
def loaded(db_url):
    fixtures.load(db_url)
    engine = get_engine(db_url)
    rollups = rollups_for(db_url, "Europe/Paris")
    rollups.refresh(engine, list(CATALOG.specs.values()), datetime(2026, 11, 25, 9, tzinfo=timezone.utc))
    return engine, rollups


def test_answers_say_as_of_when_past_days_came_from_the_rollup(loaded):
    engine, rollups = loaded
    now = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
    month = compute(CATALOG, engine, "revenue", parse_period("2026-10", now, ZoneInfo("Europe/Paris")), None, rollups)
    assert month.value == 400 and month.as_of == datetime(2026, 11, 25, 9)
    today = compute(CATALOG, engine, "revenue", parse_period("today", now, ZoneInfo("Europe/Paris")), None, rollups)
    assert today.as_of is None  # nothing of today comes from the rollup


def test_days_from_the_rollup_are_the_source_days(loaded):
    """A chart's or an unusual rule's days: those the rollup holds come from it, later ones from the
    source, and together they are what the source alone gives (Europe/Paris, over the autumn DST change)."""
    from datetime import date

    from kpi.store.days import daily_values

    engine, rollups = loaded
    for name in ("sales_amount", "new_customers", "acquisition_spend"):
        spec = CATALOG.specs[name]
        start, end = date(2026, 9, 1), date(2026, 11, 28)  # the rollup holds up to Nov 24
        source = {
            r["day"]: r["value"]
            for r in daily_values(engine, spec, ZoneInfo("Europe/Paris"), start, end)
            if r["dim"] == ""
        }
        got = {r["day"]: r["value"] for r in rollups.days(engine, spec, start, end)}
        assert got == source and sum(got.values()) > 0, name
    with get_engine(rollups.state_url).begin() as conn:  # the rollup is what answered: change it, see it
        conn.execute(
            rollup_daily.update()
            .where(rollup_daily.c.measure == "sales_amount", rollup_daily.c.dim == "")
            .values(value=rollup_daily.c.value + 1)
        )
    days = rollups.days(engine, CATALOG.specs["sales_amount"], date(2026, 10, 1), date(2026, 11, 1))
    assert sum(r["value"] for r in days) == 400 + len(days)


def test_which_measures_are_rolled_up():
    # cumulative ones too: "sold before E by a customer acquired before E" = greatest(sold, acquired) < E
    assert eligible(CATALOG.specs["lifetime_margin"]) and eligible(CATALOG.specs["customers_to_date"])
    assert eligible(CATALOG.specs["sales_amount"]) and eligible(CATALOG.specs["won_deals"])
    distinct = replace(CATALOG.specs["new_customers"], agg="count_distinct")
    average = replace(CATALOG.specs["sales_amount"], agg="avg")
    assert not eligible(distinct) and not eligible(average)


def test_a_changed_definition_is_not_read_until_rebuilt(loaded, db_url):
    engine, rollups = loaded
    other_zone = Rollups(db_url, ZoneInfo("Asia/Tokyo"))  # local days differ: the fingerprint differs
    pieces, reads, as_of = other_zone.plan([CATALOG.specs["sales_amount"]], [], {})
    result = compute(
        CATALOG,
        engine,
        "revenue",
        parse_period("2026-10", datetime(2026, 11, 25, tzinfo=timezone.utc), ZoneInfo("Asia/Tokyo")),
        None,
        other_zone,
    )
    assert result.as_of is None and result.value == 400


def test_stretches_split_at_dst_transitions():
    r = Rollups("sqlite://", ZoneInfo("Europe/Paris"))
    parts = r.stretches(datetime(2026, 3, 28).date(), datetime(2026, 3, 31).date())
    assert [(a.isoformat(), b.isoformat(), o) for a, b, o in parts] == [
        ("2026-03-27T23:00:00", "2026-03-29T01:00:00", 3600),
        ("2026-03-29T01:00:00", "2026-03-30T22:00:00", 7200),
    ]


def test_two_refreshes_at_once_never_double_a_rollup(db_url):
    fixtures.load(db_url)
    engine = get_engine(db_url)
    now = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)
    barrier = threading.Barrier(2)
    errors = []

    def go():
        try:
            barrier.wait()
            rollups_for(db_url, "UTC").refresh(engine, list(CATALOG.specs.values()), now)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with engine.connect() as conn:
        total = conn.execute(
            select(func.sum(rollup_daily.c.value)).where(
                rollup_daily.c.measure == "sales_amount", rollup_daily.c.dim == ""
            )
        ).scalar()
    assert total == 400 + 80 + 20 + 1000  # every sale before today (Aug to Nov 2), once; doubled would be 3000


def test_cli_rebuild_and_import_keep_rollups_right(db_url, tmp_path):
    import os

    fixtures.load(db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DATABASE_URL", "SOURCE_"))}
    env.update(DATABASE_URL=db_url, KPI_TIMEZONE="UTC")

    def kpi(*args):
        out = subprocess.run(
            [sys.executable, "-m", "kpi", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "Rollups rebuilt: " in kpi("rollup", "--rebuild")
    csv = tmp_path / "sales.csv"
    csv.write_text("id,sold_at,customer_id,product_id,amount,cost\n500,2026-10-03T10:00:00,,1,1000,0\n")
    assert "Rollups brought up to date" in kpi("import", "sales", str(csv))  # a backfill far in the past
    data = json.loads(kpi("compute", "revenue", "2026-10", "--by", "category", "--json"))
    assert data["value"] == 1400
    assert {r["key"]: r["value"] for r in data["breakdown"]} == {"Software": 1150.0, "Hardware": 250.0}
