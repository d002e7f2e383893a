"""Property: the SQL push-down gives the same numbers as a plain pandas reference.

The reference below is written from the KPI definitions in the issue, with no
code shared with the engine except the period bounds: it filters whole
DataFrames in memory and divides, which is exactly what the engine must never
do on real data, and what makes it a trustworthy oracle on small random data.
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.catalog import load_catalog
from kpi.compute import compute, compute_many
from kpi.periods import parse_period
from kpi.store.engines import get_engine
from tests.conftest import clear, insert
from tests.support.reference import BOUNDARIES, CHANNELS, dataset, reference, reference_revenue_by_category, same  # noqa: F401

CATALOG = load_catalog()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=dataset(),
    period=st.sampled_from(
        [
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
        ]
    ),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]),
)
def test_sql_pushdown_matches_pandas_reference(db_url, data, period, zone):
    clear(db_url)
    for table, rows in data.items():
        insert(db_url, table, rows)
    engine = get_engine(db_url)
    now = datetime(2026, 10, 20, 15, 0, tzinfo=timezone.utc)
    pair = parse_period(period, now, ZoneInfo(zone))
    results = compute_many(CATALOG, engine, list(CATALOG.kpis.values()), pair)
    expected_now = reference(data, pair.current)
    expected_before = reference(data, pair.previous)
    for result in results:
        key = result.kpi.key
        assert same(result.value, expected_now[key]), (key, result.value, expected_now[key])
        assert same(result.previous_value, expected_before[key]), (key, result.previous_value, expected_before[key])
        assert (result.value is None) == (result.reason is not None)

    by_category = compute(CATALOG, engine, "revenue", pair, by="category")
    got = {r.key: r.value for r in by_category.breakdown}
    want = reference_revenue_by_category(data, pair)
    assert set(got) == set(want)
    for key in want:
        assert same(got[key], want[key])
