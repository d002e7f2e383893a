"""Why it moved: each value's part of a KPI's change, parts that add up to the change (property-tested on
random data, for totals and ratios), and the mix and rate effects of a ratio."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
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


# Every built-in KPI, October 2026 against September, on its own and inside one value of a breakdown: either
# its change is split (the breakdowns named), or the reason said is the true one.
SPLIT = "split"
WHY_TABLE = [
    ("conversion_rate", None, "did not change: nothing to explain"),  # 50 % both months
    ("conversion_rate", "channel=organic", "is its only breakdown"),
    ("visitor_conversion", None, SPLIT),
    ("visitor_conversion", "channel=organic", "is its only breakdown"),
    ("cac", None, SPLIT),
    ("cac", "channel=organic", "is its only breakdown"),
    ("revenue", None, SPLIT),
    ("revenue", "channel=organic", SPLIT),  # by product and by category, inside organic
    ("nps", None, SPLIT),
    ("nps", "channel=organic", "is its only breakdown"),
    ("ltv", None, SPLIT),
    ("ltv", "channel=organic", "is its only breakdown"),
    ("project_margin", None, SPLIT),
    ("project_margin", "project=Atlas", "is its only breakdown"),
    ("utilization", None, SPLIT),
    ("utilization", "project=Atlas", "is its only breakdown"),
    ("ltv_cac", None, "not a total nor a ratio of totals"),
    ("ltv_cac", "channel=organic", "not a total nor a ratio of totals"),
]


def test_the_table_covers_every_built_in_kpi():
    assert {k for k, _, _ in WHY_TABLE} == set(CATALOG.kpis)


@pytest.mark.parametrize("kpi, where, expected", WHY_TABLE)
def test_why_splits_or_says_the_true_reason_for_every_kpi(db_url, kpi, where, expected):
    from bot.render.why import why_message
    from kpi.service import KpiService
    from tests.support.messages import texts

    fixtures.load(db_url)
    service = KpiService(CATALOG, get_engine(db_url), ZoneInfo("UTC"), "en", "EUR")
    total, whys = service.why(kpi, "2026-10", datetime(2026, 11, 25, tzinfo=timezone.utc), where=where)
    body = texts(why_message(total, whys, CATALOG, "en", "EUR"))
    if expected is SPLIT:
        dims = [d for d in CATALOG.metrics[kpi].dimensions if not where or not where.startswith(d + "=")]
        assert dims and all(f"*By {d}*" in body for d in dims), body
        assert "not split" not in body and "not a total" not in body
    else:
        assert expected in body, body
        assert "explains" not in body
    if kpi in ("cac", "ltv", "nps") and where:  # the value asked is named, and what to ask instead
        assert "for channel = organic is not split further" in body and "`/kpi " in body


def test_a_row_without_a_value_is_named_for_what_it_is(db_url):
    """The €200 of sales spend has no channel: the catalog says what such rows are."""
    from bot.render.why import part_line

    fixtures.load(db_url)
    why = decompose(CATALOG, compute(CATALOG, get_engine(db_url), "cac", PAIR, "channel"))
    [none] = [p for p in why.parts if p.key is None]
    line = part_line(why, none, CATALOG, CATALOG.kpis["cac"].unit, "en", "EUR")
    assert line.startswith("• *no channel (sales team spend)* explains 24.4% of the rise")
    line = part_line(why, none, CATALOG, CATALOG.kpis["cac"].unit, "fr", "EUR")
    assert "sans canal (dépenses commerciales)" in line


def test_a_dimension_without_a_label_says_unassigned():
    from kpi.present import breakdown_key

    assert breakdown_key(None, "en", "product", CATALOG) == "no product (unassigned)"
    assert breakdown_key(None, "fr", "product", CATALOG) == "sans produit (non attribué)"


def test_a_part_larger_than_the_change_says_what_offset_it():
    """Services +€663 of a €100 rise: the others went down by €563, and the line says so instead of a bare
    '663.2% of the rise'."""
    from bot.render.why import part_line
    from kpi.why import Part, Why

    why = Why("revenue", "category", 100.0, (Part("Services", 663.2), Part("Hardware", -563.2)), 0.0)
    line = part_line(why, why.parts[0], CATALOG, CATALOG.kpis["revenue"].unit, "en", "EUR")
    assert "*Services* accounts for +663.2% of the rise, offset by −563.2% elsewhere" in line
    assert "(+€663.20)" in line  # and its contribution in currency
    line = part_line(why, why.parts[1], CATALOG, CATALOG.kpis["revenue"].unit, "en", "EUR")
    assert "*Hardware* went the other way" in line and "(−€563.20)" in line
    small = Why("revenue", "category", 100.0, (Part("Services", 71.0), Part("Hardware", 29.0)), 0.0)
    assert "explains 71.0% of the rise" in part_line(
        small, small.parts[0], CATALOG, CATALOG.kpis["revenue"].unit, "en", "EUR"
    )


def test_the_reasons_in_french(db_url):
    from bot.render.why import why_message
    from kpi.service import KpiService
    from tests.support.messages import texts

    fixtures.load(db_url)
    service = KpiService(CATALOG, get_engine(db_url), ZoneInfo("UTC"), "fr", "EUR")
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    total, whys = service.why("cac", "2026-10", now, where="channel=organic")
    body = texts(why_message(total, whys, CATALOG, "fr", "EUR"))
    assert "*Coût d'acquisition client* pour canal = organic ne se répartit pas davantage" in body
    total, whys = service.why("ltv_cac", "2026-10", now)
    assert "ni un total ni un rapport de totaux" in texts(why_message(total, whys, CATALOG, "fr", "EUR"))


def test_no_value_to_compare_with_is_said_as_such(db_url):
    """September's visitor conversion against August, before the first visit recorded: nothing to compare, and
    the answer says why (the data's coverage, kpi.coverage) rather than that the change cannot be split."""
    from bot.render.why import why_message
    from kpi.service import KpiService
    from tests.support.messages import texts

    fixtures.load(db_url)
    service = KpiService(CATALOG, get_engine(db_url), ZoneInfo("UTC"), "en", "EUR")
    total, whys = service.why("visitor_conversion", "2026-09", datetime(2026, 11, 25, tzinfo=timezone.utc))
    assert total.value is not None and total.previous_value is None
    body = texts(why_message(total, whys, CATALOG, "en", "EUR"))
    assert "No visitor conversion data before Sep 30, 2026: nothing to compare with the period before." in body
    assert "cannot be split" not in body
