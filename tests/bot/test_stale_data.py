"""Stale data end to end: a table whose rows stop arriving turns the rules on its KPIs to *no data* (not a
fake collapse), its channels hear it once, and once again when rows come back."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.jobs.clock import run_pass
from kpi.freshness import usual_gap
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from tests.bot.test_unusual_alerts import UNUSUAL, sales
from tests.conftest import insert
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)
REVENUE_BELOW = RuleSpec("revenue", RuleKind.THRESHOLD, Op.LT, 3_000.0, "7d")  # a usual week makes ~€6,000


def test_a_table_that_stops_getting_rows_turns_its_rules_to_no_data_once_and_back(data, ctx, slack):
    insert(data, "sales", sales(date(2026, 12, 28), date(2027, 3, 6), 1000))  # daily, then nothing after Mar 6
    unusual, below = add_rule(ctx.url, UNUSUAL, channel="C1"), add_rule(ctx.url, REVENUE_BELOW, channel="C1")
    other = add_rule(ctx.url, channel="C2")  # CAC reads spend (daily until Oct 7, 2026) and customers, not sales
    assert run_pass(ctx, NOW).events == {"no_data": 3}
    [notice] = posts(slack, "C1")
    body = texts(notice.payload)
    assert "🟠 *Data looks stale:* no new rows in *sales* since 6 Mar 11:00, while they usually come every day" in body
    assert f"Rules `#{unusual}`, `#{below}` wait in *no data*" in body
    assert "not enough data to judge" not in body  # one notice for the table, not one per rule
    assert {r.id: r.state for r in state.rules(ctx.url)} == {unusual: "no_data", below: "no_data", other: "no_data"}
    [spend] = posts(slack, "C2")  # each channel hears of the tables its own rules read
    assert "no new rows in *spend* since 8 Oct 00:00" in texts(spend.payload)  # the end of its last day
    assert f"Rules `#{other}` wait" in texts(spend.payload) and "*sales*" not in texts(spend.payload)
    assert run_pass(ctx, NOW + timedelta(minutes=5)).events == {}  # said once
    assert len(posts(slack, "C1")) == 1

    insert(data, "sales", sales(date(2027, 3, 7), date(2027, 3, 9), 5000))  # the import catches up
    run_pass(ctx, NOW + timedelta(minutes=10))
    [back] = posts(slack, "C1")[1:]
    assert f"✅ New rows in *sales* again (the newest at 9 Mar 11:00): rules `#{unusual}`, `#{below}`" in texts(
        back.payload
    )
    assert state.rule(ctx.url, "T1", unusual).state == "ok" and state.rules(ctx.url)[1].state == "ok"
    assert set(state.stale(ctx.url)) == {"spend"}  # sales is fresh again; spend still is not


def test_a_weekly_table_is_not_stale_between_its_imports(data, ctx, slack):
    mondays = [date(2027, 1, 4) + timedelta(weeks=i) for i in range(9)]  # rows come once a week, the last Mar 1
    insert(data, "sales", [row for i, day in enumerate(mondays) for row in sales(day, day, 1000 + i)])
    add_rule(ctx.url, REVENUE_BELOW)
    report = run_pass(ctx, datetime(2027, 3, 7, 9, 0, tzinfo=timezone.utc))  # 6 days after: usual for it
    assert report.events == {"firing": 1} and state.stale(ctx.url) == {}
    assert run_pass(ctx, datetime(2027, 3, 13, 9, 0, tzinfo=timezone.utc)).events == {"no_data": 1}  # 12 days
    assert "usually come at least every 7 days" in texts(posts(slack)[-1].payload)


def test_the_usual_gap_is_the_longest_between_days_with_rows():
    days = [date(2027, 3, 1) + timedelta(days=i) for i in range(12)]
    weekdays = [d for d in days if d.weekday() < 5]
    assert usual_gap(weekdays) == 3  # Friday to Monday
    assert usual_gap(weekdays[:3]) is None  # too little history to know what is usual


def test_a_rule_created_while_its_table_is_stale_says_so_itself(data, ctx, slack):
    insert(data, "sales", sales(date(2026, 12, 28), date(2027, 3, 6), 1000))
    add_rule(ctx.url, UNUSUAL, channel="C1")
    run_pass(ctx, NOW)  # the table's notice, once
    later = add_rule(ctx.url, REVENUE_BELOW, channel="C3")
    assert run_pass(ctx, NOW + timedelta(minutes=5)).events == {"no_data": 1}
    [notice] = posts(slack, "C3")
    assert f"not enough data to judge rule `#{later}` (data looks stale in sales)" in texts(notice.payload)


def test_a_freshness_set_in_the_definitions_is_used_as_said(data, slack, tmp_path):
    from bot.jobs.context import JobContext
    from tests.bot.conftest import make_settings
    from tests.support.clock import FakeTime

    insert(data, "sales", sales(date(2026, 12, 28), date(2027, 3, 9), 1000))  # daily, the last Mar 9 11:00
    definitions = tmp_path / "kpis.yml"
    definitions.write_text(
        "measures:\n  sales_amount:\n    label: {en: sales, fr: ventes}\n    table: sales\n"
        "    time: sold_at\n    agg: sum\n    expr: amount\n    unit: currency\n"
        "    freshness: 12h\n    dimensions: {product: product.name, category: product.category}\n"
        "    joins:\n      product: {table: products, on: {product_id: id}}\n"
    )
    ctx = JobContext.from_settings(make_settings(data, slack, kpi_definitions=str(definitions)))
    ctx.sleep, ctx.monotonic = FakeTime().sleep, FakeTime().monotonic
    add_rule(ctx.url, REVENUE_BELOW)
    # 22 hours after the newest row: usual for a daily table (36 h), stale for this one (12 h)
    assert run_pass(ctx, NOW).events == {"no_data": 1}
    assert "no new rows in *sales* since 9 Mar 11:00" in texts(posts(slack)[0].payload)


def test_a_freshness_that_is_not_a_duration_is_refused_with_the_fix(tmp_path):
    import pytest

    from kpi.catalog import load_catalog
    from kpi.errors import DefinitionError

    bad = tmp_path / "kpis.yml"
    bad.write_text(
        "measures:\n  leads:\n    label: {en: leads, fr: leads}\n    table: leads\n    time: created_at\n"
        "    agg: count\n    freshness: soon\n"
    )
    with pytest.raises(DefinitionError) as caught:
        load_catalog(bad)
    assert "'soon' is not a duration: write hours, days or weeks, e.g. 36h, 2d, 1w" in str(caught.value)
