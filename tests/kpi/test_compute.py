from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.catalog import load_catalog
from kpi.compute import ReasonCode, compute, compute_many
from kpi.errors import UnknownDimension, UnknownKpi
from kpi.periods import parse_period
from tests.conftest import insert
from tests.support import fixtures

UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
CATALOG = load_catalog()


def ask(engine, key, period="2026-10", by=None, tz=UTC):
    return compute(CATALOG, engine, key, parse_period(period, NOW, tz), by)


@pytest.fixture
def data(db_url, engine):
    fixtures.load(db_url)
    return engine


@pytest.mark.parametrize(
    "key, value, previous",
    [
        ("conversion_rate", 2 / 4, 1 / 2),
        ("visitor_conversion", 2 / 200, 1 / 40),
        ("cac", 1000 / 2, 90 / 1),
        ("revenue", 400, 80),
        ("nps", 40, -100),
        ("ltv", 215 / 4, 65 / 2),
        ("project_margin", (1500 - 920) / 1500, (300 - 160) / 300),
        ("utilization", 18 / 23, 4 / 4),
        ("ltv_cac", (215 / 4) / 500, (65 / 2) / 90),
    ],
)
def test_every_kpi_matches_the_hand_computed_value(data, key, value, previous):
    result = ask(data, key)
    assert result.value == pytest.approx(value, rel=1e-9)
    assert result.previous_value == pytest.approx(previous, rel=1e-9)
    assert result.reason is None and result.previous_reason is None


def test_measures_behind_a_ratio_are_reported(data):
    result = ask(data, "cac")
    assert result.measures == {"acquisition_spend": 1000.0, "new_customers": 2.0}
    assert result.previous_measures == {"acquisition_spend": 90.0, "new_customers": 1.0}
    assert result.change == pytest.approx(410)
    assert result.change_pct == pytest.approx(410 / 90)
    assert result.improved is False  # CAC went up: worse


def test_revenue_by_category_and_product(data):
    by_category = ask(data, "revenue", by="category")
    assert [(r.key, r.value, r.previous) for r in by_category.breakdown] == [
        ("Hardware", 250.0, 0.0),
        ("Software", 150.0, 80.0),
    ]
    assert by_category.value == 400
    by_product = ask(data, "revenue", by="product")
    assert [(r.key, r.value) for r in by_product.breakdown] == [("Gateway", 250.0), ("Starter", 100.0), ("Pro", 50.0)]


def test_conversion_by_channel_including_leads_without_channel(data):
    result = ask(data, "conversion_rate", by="channel")
    rows = {r.key: r.value for r in result.breakdown}
    assert rows == {"paid_search": 1.0, "organic": 0.5, None: 0.0}
    assert result.value == 0.5  # the total is not an average of the rows


def test_cac_by_channel_gives_no_value_where_no_customer_came(data):
    result = ask(data, "cac", by="channel")
    rows = {r.key: r.value for r in result.breakdown}
    assert rows == {"paid_search": 500.0, "organic": 300.0, None: None}
    assert result.breakdown[-1].key is None  # rows without a value come last


def test_breakdowns_by_project(data):
    margin = {r.key: r.value for r in ask(data, "project_margin", by="project").breakdown}
    assert margin == {"Atlas": pytest.approx(0.4), "Borealis": pytest.approx(0.36)}
    utilization = {r.key: r.value for r in ask(data, "utilization", by="projet").breakdown}
    assert utilization == {"Atlas": pytest.approx(10 / 15), "Borealis": 1.0}


def test_nps_and_ltv_by_channel_follow_the_customer(data):
    nps = {r.key: r.value for r in ask(data, "nps", by="channel").breakdown}
    # organic: customer 1 answered 10 and 7 -> 100*(1-0)/2; paid: 9 and 3 -> 0; unknown customer: 9 -> 100
    assert nps == {"organic": 50.0, "paid_search": 0.0, None: 100.0}
    ltv = {r.key: r.value for r in ask(data, "ltv", by="channel").breakdown}
    # organic customers 1 and 3: (60+40+50)/2; paid: 50/1; email: 15/1
    assert ltv == {"organic": 75.0, "paid_search": 50.0, "email": 15.0}


def test_zero_denominators_give_no_value_and_a_reason(data):
    result = ask(data, "conversion_rate", "2025-01")
    assert result.value is None
    assert result.reason.code is ReasonCode.ZERO_DENOMINATOR
    assert result.reason.measures == ("leads",)
    nps = ask(data, "nps", "2025-01")
    assert nps.value is None and nps.reason.measures == ("nps_responses",)
    margin = ask(data, "project_margin", "2025-01")
    assert margin.value is None and margin.reason.measures == ("invoiced",)


def test_a_sum_over_an_empty_period_is_zero_not_missing(data):
    result = ask(data, "revenue", "2025-01")
    assert result.value == 0.0 and result.reason is None


def test_ltv_cac_with_no_spend_has_a_reason(db_url, engine):
    insert(db_url, "customers", [{"id": 1, "acquired_at": datetime(2026, 10, 2), "channel": "x"}])
    insert(
        db_url,
        "sales",
        [{"id": 1, "sold_at": datetime(2026, 10, 3), "customer_id": 1, "product_id": None, "amount": 10, "cost": 1}],
    )
    result = ask(engine, "ltv_cac")
    assert result.value is None
    assert result.reason.code is ReasonCode.ZERO_DENOMINATOR
    assert "acquisition_spend" in result.reason.measures


def test_period_boundaries_first_and_last_instant(db_url, engine):
    insert(
        db_url,
        "sales",
        [
            {
                "id": 1,
                "sold_at": datetime(2026, 10, 1, 0, 0, 0),
                "customer_id": None,
                "product_id": None,
                "amount": 1,
                "cost": 0,
            },
            {
                "id": 2,
                "sold_at": datetime(2026, 10, 31, 23, 59, 59, 999999),
                "customer_id": None,
                "product_id": None,
                "amount": 10,
                "cost": 0,
            },
            {
                "id": 3,
                "sold_at": datetime(2026, 11, 1, 0, 0, 0),
                "customer_id": None,
                "product_id": None,
                "amount": 100,
                "cost": 0,
            },
            {
                "id": 4,
                "sold_at": datetime(2026, 9, 30, 23, 59, 59, 999999),
                "customer_id": None,
                "product_id": None,
                "amount": 1000,
                "cost": 0,
            },
        ],
    )
    result = ask(engine, "revenue", "2026-10")
    assert result.value == 11
    assert result.previous_value == 1000
    assert ask(engine, "revenue", "2026-11-01").value == 100


def test_dst_day_in_paris_counts_local_days(db_url, engine):
    # Spring forward on 2026-03-29 in Paris: that local day is [Mar 28 23:00Z, Mar 29 22:00Z)
    insert(
        db_url,
        "sales",
        [
            {
                "id": 1,
                "sold_at": datetime(2026, 3, 28, 22, 59),
                "customer_id": None,
                "product_id": None,
                "amount": 1,
                "cost": 0,
            },
            {
                "id": 2,
                "sold_at": datetime(2026, 3, 28, 23, 0),
                "customer_id": None,
                "product_id": None,
                "amount": 10,
                "cost": 0,
            },
            {
                "id": 3,
                "sold_at": datetime(2026, 3, 29, 21, 59),
                "customer_id": None,
                "product_id": None,
                "amount": 100,
                "cost": 0,
            },
            {
                "id": 4,
                "sold_at": datetime(2026, 3, 29, 22, 0),
                "customer_id": None,
                "product_id": None,
                "amount": 1000,
                "cost": 0,
            },
        ],
    )
    paris = ask(engine, "revenue", "2026-03-29", tz=PARIS)
    assert paris.value == 110
    assert paris.previous_value == 1  # Mar 28 in Paris
    assert ask(engine, "revenue", "2026-03-30", tz=PARIS).value == 1000
    assert ask(engine, "revenue", "2026-03-29", tz=UTC).value == 1100


def test_dates_belong_to_the_day_they_name_in_any_zone(db_url, engine):
    insert(
        db_url,
        "spend",
        [
            {"day": datetime(2026, 10, 31).date(), "kind": "marketing", "channel": None, "amount": 5},
            {"day": datetime(2026, 11, 1).date(), "kind": "marketing", "channel": None, "amount": 7},
        ],
    )
    insert(db_url, "customers", [{"id": 1, "acquired_at": datetime(2026, 10, 15), "channel": None}])
    for tz in (UTC, PARIS, ZoneInfo("America/New_York")):
        result = ask(engine, "cac", "2026-10", tz=tz)
        assert result.measures["acquisition_spend"] == 5


def test_month_to_date_compares_the_same_elapsed_span(db_url, engine):
    insert(
        db_url,
        "sales",
        [
            {
                "id": 1,
                "sold_at": datetime(2026, 10, 20),
                "customer_id": None,
                "product_id": None,
                "amount": 3,
                "cost": 0,
            },
            {
                "id": 2,
                "sold_at": datetime(2026, 10, 26),
                "customer_id": None,
                "product_id": None,
                "amount": 30,
                "cost": 0,
            },
            {
                "id": 3,
                "sold_at": datetime(2026, 11, 24),
                "customer_id": None,
                "product_id": None,
                "amount": 300,
                "cost": 0,
            },
        ],
    )
    result = ask(engine, "revenue", "month")
    assert (result.value, result.previous_value) == (300, 3)


def test_compute_many_answers_the_whole_catalog_in_one_call(data):
    results = compute_many(CATALOG, data, list(CATALOG.kpis.values()), parse_period("2026-10", NOW, UTC))
    values = {r.kpi.key: r.value for r in results}
    assert values["revenue"] == 400 and values["cac"] == 500 and values["nps"] == 40
    assert len(results) == 9


def test_aliases_and_unknown_names():
    assert CATALOG.resolve("CA").key == "revenue"
    assert CATALOG.resolve("taux-transformation").key == "conversion_rate"
    assert CATALOG.resolve("Taux de transformation").key == "conversion_rate"
    assert CATALOG.resolve("Coût d'acquisition client").key == "cac"
    assert CATALOG.resolve("marge").key == "project_margin"
    assert CATALOG.resolve("LTV_CAC").key == "ltv_cac"
    with pytest.raises(UnknownKpi) as info:
        CATALOG.resolve("revenu")
    assert info.value.suggestions[0] == "revenue"
    assert "Did you mean revenue" in str(info.value)


def test_unknown_dimension_suggests_the_possible_ones(data):
    with pytest.raises(UnknownDimension) as info:
        ask(data, "revenue", by="categroy")
    assert info.value.suggestions == ["category"]
    assert "channel" in str(info.value)
