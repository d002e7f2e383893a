"""Year over year through the app: answers (EN and FR), the chart's year-earlier line, and change rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.jobs.clock import run_pass
from kpi.periods import parse_period
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.series import series
from kpi.service import KpiService
from tests.bot.conftest import Server, make_settings
from tests.conftest import insert
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

LAST_OCTOBER = [
    {
        "id": 200 + i,
        "sold_at": datetime(2025, 10, 10 + i),
        "customer_id": 1,
        "product_id": 1,
        "amount": 250,
        "cost": 100,
    }
    for i in range(4)
]  # €1,000 in October 2025


def test_an_answer_against_the_same_month_a_year_earlier(data, slack):
    insert(data, "sales", LAST_OCTOBER)
    running = Server(make_settings(data, slack), slack)
    try:
        body = texts(running.command("revenue 2026-10 vs last year").json())
        french = Server(make_settings(data, slack, kpi_language="fr"), slack)
        try:
            fr = texts(french.command("ca 2026-10 vs année dernière").json())
        finally:
            french.stop()
    finally:
        running.stop()
    assert "*€400.00*  ·  October 2026" in body
    assert "Read as: Revenue · October 2026 · vs a year earlier" in body
    assert "*A year earlier*\n€1,000.00 (Oct 1\u2009–\u200931, 2025)" in body
    assert "−€600.00 (−60.0%) ▼" in body
    assert "*Un an plus tôt*\n1\u202f000,00\u00a0€" in fr and "octobre 2026" in fr


def test_the_chart_draws_the_year_earlier_line(data, slack):
    insert(data, "sales", LAST_OCTOBER)
    service = KpiService.from_settings(make_settings(data, slack))
    drawn = series(service, service.resolve("revenue"), parse_period("2026-10 yoy", T0, service.tz))
    assert drawn.previous.labels[0] == date(2025, 10, 1) and len(drawn.previous.labels) == 31
    assert sum(v or 0 for v in drawn.previous.values) == 1000  # the dashed line is October 2025


def test_a_change_rule_against_last_year(ctx, slack, data):
    insert(data, "sales", LAST_OCTOBER)
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.CHANGE, Op.LE, -0.2, "month yoy"))
    assert run_pass(ctx, T0).events == {"firing": 1}  # October 2026 to the 31st, 12:00: €400, a year before €1,000
    body = texts(posts(slack)[0].payload)
    assert "🔴 Revenue drops by 20.0% or more" in body
    assert "*A year earlier*\n€1,000.00" in body and "(−60.0%)" in body
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}
