"""Why it moved: each value's part of a KPI's change, parts that add up to the change (property-tested on
random data, for totals and ratios), and the mix and rate effects of a ratio."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.catalog import load_catalog
from kpi.compute import BreakdownRow, KpiResult, compute, evaluate
from kpi.periods import parse_period
from kpi.store.engines import get_engine
from kpi.why import decompose
from tests.support import fixtures

CATALOG = load_catalog()
PAIR = parse_period("2026-10", datetime(2026, 11, 25, tzinfo=timezone.utc), ZoneInfo("UTC"))
KEYS = ["organic", "paid_search", "social", "email", None]
AMOUNT = st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 2)))


def result(kpi: str, by: str, segments: dict) -> KpiResult | None:
    """A broken-down result whose totals are the sums of its values' measures (as the engine gives)."""
    names = CATALOG.metrics[kpi].measures
    now = {n: math.fsum(s[0][n] for s in segments.values()) for n in names}
    before = {n: math.fsum(s[1][n] for s in segments.values()) for n in names}
    formula = CATALOG.metrics[kpi].formula

    def value(measures):
        found, _ = evaluate(formula, {n: {0: v} for n, v in measures.items()}, [0])
        return None if math.isnan(found[0]) else found[0]

    rows = tuple(BreakdownRow(key, value(cur), value(prev), cur, prev) for key, (cur, prev) in segments.items())
    return KpiResult(
        CATALOG.kpis[kpi], PAIR.current, PAIR.previous, value(now), value(before), None, None, now, before, by, rows
    )


def segments_of(names):
    measures = st.fixed_dictionaries({n: AMOUNT for n in names})
    return st.dictionaries(st.sampled_from(KEYS), st.tuples(measures, measures), min_size=1, max_size=5)


def check(kpi: str, by: str, segments: dict) -> None:
    found = result(kpi, by, segments)
    if found.value is None or found.previous_value is None:
        assert decompose(CATALOG, found) is None
        return
    why = decompose(CATALOG, found)
    scale = max(abs(found.value), abs(found.previous_value), 1.0)
    assert abs(math.fsum(p.change for p in why.parts) - why.change) <= 1e-9 * scale
    assert abs(why.rest) <= 1e-9 * scale and why.change == found.value - found.previous_value
    for part in why.parts:
        if part.mix is not None:
            assert abs(part.mix + part.rate - part.change) <= 1e-12 * max(abs(part.mix), abs(part.rate), 1.0)


@settings(max_examples=200, deadline=None)
@given(segments_of(["sales_amount"]))
def test_the_parts_of_a_total_add_up_to_its_change(segments):
    check("revenue", "category", segments)


@settings(max_examples=200, deadline=None)
@given(segments_of(["acquisition_spend", "new_customers"]))
def test_the_parts_of_a_ratio_add_up_to_its_change(segments):
    check("cac", "channel", segments)


@settings(max_examples=100, deadline=None)
@given(segments_of(["promoters", "detractors", "nps_responses"]))
def test_a_ratio_with_a_scaled_difference_on_top_adds_up_too(segments):
    check("nps", "channel", segments)


def test_cac_by_channel_on_real_data(db_url):
    """October vs September: CAC €90 → €500. paid_search brings its first customer and €500 of spend
    (all mix); organic's own CAC went from €90 to €300 (all rate); the €200 of sales spend without a
    channel has no customer: it raises the average by €100."""
    fixtures.load(db_url)
    why = decompose(CATALOG, compute(CATALOG, get_engine(db_url), "cac", PAIR, "channel"))
    parts = {p.key: (p.change, p.mix, p.rate) for p in why.parts}
    assert why.change == 410 and why.rest == 0
    assert parts == {"paid_search": (205, 205, 0), "organic": (105, 0, 105), None: (100, 100, 0)}
    assert why.share(why.parts[0]) == 0.5


def test_a_ratio_of_ratios_is_not_split():
    measures = {n: 10.0 for n in CATALOG.metrics["ltv_cac"].measures}
    found = result("ltv_cac", "channel", {"organic": (measures, {**measures, "new_customers": 5.0})})
    assert found.value is not None and found.previous_value is not None
    assert decompose(CATALOG, found) is None  # LTV ÷ CAC: its parts do not add up across values
