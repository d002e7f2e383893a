"""Unusual rules end to end: yesterday against the range its own weekday's history expects, posted once to
the fake Slack over real HTTP, resolved in the thread, snoozed, and not judged before there is history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.jobs.clock import run_pass
from kpi.catalog import load_catalog
from kpi.grammar import FieldRefusal, rule_from_fields, rule_from_words
from kpi.rules import Op, RuleError, RuleKind, RuleSpec
from kpi.store import state
from tests.conftest import insert
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)  # a Wednesday: yesterday, Tuesday Mar 9, is judged
USUAL = {0: 1000.0, 1: 1200.0, 2: 1100.0, 3: 1000.0, 4: 900.0, 5: 500.0, 6: 300.0}  # by weekday
UNUSUAL = RuleSpec("revenue", RuleKind.UNUSUAL, Op.GT, 0.0, "day", sensitivity="medium")
CATALOG = load_catalog()


def sales(first: date, last: date, start_id: int, override: dict[date, float] | None = None) -> list[dict]:
    """One sale a day: the weekday's usual revenue, ±2 % by a fixed pattern (a real week is never flat)."""
    rows, day, i = [], first, 0
    while day <= last:
        wobble = (1.0, 1.02, 0.98, 1.01, 0.99)[i % 5]
        amount = (override or {}).get(day, round(USUAL[day.weekday()] * wobble, 2))
        rows.append(
            {
                "id": start_id + i,
                "sold_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=11),
                "customer_id": 1,
                "product_id": 1,
                "amount": amount,
                "cost": 0,
            }
        )
        day, i = day + timedelta(days=1), i + 1
    return rows


@pytest.fixture
def history(data):
    """Ten weeks of sales up to Tuesday Mar 9, 2027, whose revenue fell to €600 (a Tuesday makes ~€1,200)."""
    insert(data, "sales", sales(date(2026, 12, 28), date(2027, 3, 9), 1000, {date(2027, 3, 9): 600.0}))
    return data


def test_an_unusual_day_posts_one_alert_with_what_was_expected(history, ctx, slack):
    rule = add_rule(ctx.url, UNUSUAL)
    report = run_pass(ctx, NOW)
    assert report.events["firing"] == 1
    [post] = posts(slack)
    body = texts(post.payload)
    assert "🔴 Revenue unusually low" in body
    assert "Revenue on Tue, Mar 9: €600.00, unusually low: expected €" in body
    assert "for a Tuesday (last 8 Tuesdays)" in body
    assert "*Now*\n€600.00" in body and "unusual for a day (medium sensitivity)" in body
    assert "median of the same weekday over the last 8 weeks" in body  # how the range was made
    [expected] = [f["text"] for b in post.payload["blocks"] for f in b.get("fields", []) if "Expected" in f["text"]]
    low, high = (
        float(x.replace("€", "").replace(",", "")) for x in expected.split("\n")[1].split(" for ")[0].split("–")
    )
    assert 1000 < low < 1200 < high < 1450  # around the usual Tuesday, clear of the €600 day
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing"]
    # later passes the same day: the same incident, nothing posted again
    assert run_pass(ctx, NOW + timedelta(minutes=5)).events == {}
    assert run_pass(ctx, NOW + timedelta(hours=6)).events == {}
    assert len(posts(slack)) == 1


def test_a_usual_next_day_resolves_the_alert_in_its_thread(history, ctx, slack):
    add_rule(ctx.url, UNUSUAL)
    run_pass(ctx, NOW)
    alert_ts = state.outbox_rows(ctx.url)[0]["result_ts"]
    insert(history, "sales", sales(date(2027, 3, 10), date(2027, 3, 10), 5000))  # a usual Wednesday
    report = run_pass(ctx, NOW + timedelta(days=1))
    assert report.events == {"resolved": 1}
    reply = posts(slack)[-1]
    assert reply.payload["thread_ts"] == alert_ts
    assert "✅ Resolved: Revenue is back at €1,100.00 (unusual for a day (medium sensitivity))." in texts(reply.payload)
    [updated] = slack.calls_to("chat.update")
    assert "✅ Resolved at 11 Mar 09:00: €1,100.00" in texts(updated.payload)


def test_a_usual_day_fires_nothing_and_a_saturday_is_judged_against_saturdays(data, ctx, slack):
    # Saturday Mar 6 made €500, as Saturdays do (half a weekday): judged on Sunday, it is usual
    insert(data, "sales", sales(date(2026, 12, 28), date(2027, 3, 6), 1000))
    add_rule(ctx.url, UNUSUAL)
    assert run_pass(ctx, datetime(2027, 3, 7, 9, 0, tzinfo=timezone.utc)).events == {}
    assert posts(slack) == [] and state.rules(ctx.url)[0].state == "ok"


def test_a_snoozed_unusual_rule_stays_quiet(history, ctx, slack):
    rule = add_rule(ctx.url, UNUSUAL)
    state.snooze_rule(
        ctx.url, "T1", rule, (NOW + timedelta(days=1)).replace(tzinfo=None), "UADMIN", NOW.replace(tzinfo=None)
    )
    assert run_pass(ctx, NOW).events == {}
    assert posts(slack) == []


def test_without_enough_history_the_rule_says_so_once_and_does_not_fire(data, ctx, slack):
    insert(data, "sales", sales(date(2027, 2, 16), date(2027, 3, 9), 1000, {date(2027, 3, 9): 600.0}))  # 3 weeks
    rule = add_rule(ctx.url, UNUSUAL)
    assert run_pass(ctx, NOW).events == {"no_data": 1}
    [notice] = posts(slack)
    assert "not enough data to judge rule" in texts(notice.payload)
    assert "3 past same weekdays known, 4 needed for an expected range" in texts(notice.payload)
    assert run_pass(ctx, NOW + timedelta(minutes=5)).events == {}
    assert len(posts(slack)) == 1 and state.rule(ctx.url, "T1", rule).state == "no_data"


def test_a_weekly_rule_judges_last_week_against_the_weeks_before(data, ctx, slack):
    half = {date(2027, 3, 8) + timedelta(days=i): USUAL[i] / 2 for i in range(7)}  # the week of Mar 8: half
    insert(data, "sales", sales(date(2026, 12, 28), date(2027, 3, 14), 1000, half))
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.UNUSUAL, Op.GT, 0.0, "week", sensitivity="medium"))
    assert run_pass(ctx, datetime(2027, 3, 15, 9, 0, tzinfo=timezone.utc)).events == {"firing": 1}
    body = texts(posts(slack)[0].payload)
    assert "Revenue in the week of Mar 8: €3,000.00, unusually low" in body
    assert "for a week (last 8 weeks)" in body


# -- what people type, and the form ------------------------------------------------------------


@pytest.mark.parametrize(
    "words, grain, sensitivity",
    [
        ("unusual", "day", "medium"),
        ("unusual week high", "week", "high"),
        ("inhabituel semaine faible", "week", "low"),
        ("anomaly low day for 2", "day", "low"),
    ],
)
def test_unusual_rules_are_read_in_both_languages(words, grain, sensitivity):
    spec = rule_from_words("revenue", words.split(), CATALOG)
    assert (spec.kind, spec.window, spec.sensitivity) == (RuleKind.UNUSUAL, grain, sensitivity)


def test_an_unusual_rule_with_a_stray_word_is_refused_with_the_usage():
    with pytest.raises(RuleError) as caught:
        rule_from_words("revenue", ["unusual", "30d"], CATALOG)
    assert "`/kpi alert KPI unusual [day|week] [low|medium|high]`" in caught.value.text("en")


def test_the_form_takes_unusual_with_a_sensitivity_and_a_grain():
    spec = rule_from_fields({"kpi": "revenue", "op": "unusual", "threshold": "haute", "window": "week"}, CATALOG)
    assert (spec.kind, spec.window, spec.sensitivity) == (RuleKind.UNUSUAL, "week", "high")
    with pytest.raises(FieldRefusal) as caught:
        rule_from_fields({"kpi": "revenue", "op": "unusual", "threshold": "", "window": "30d"}, CATALOG)
    assert set(caught.value.errors) == {"window"}


# -- the chart: the expected range drawn behind the line --------------------------------------------


def band_pixels(png: bytes) -> int:
    """How many pixels have the colour of the expected range (#2da44e at 18 % over white)."""
    import io

    from matplotlib import image

    rgb = image.imread(io.BytesIO(png), format="png")[..., :3]
    expected = [1 - 0.18 * (1 - c / 255) for c in (0x2D, 0xA4, 0x4E)]
    near = abs(rgb - expected).max(axis=-1) < 0.02
    return int(near.sum())


def test_show_chart_on_an_unusual_alert_draws_the_expected_range(history, slack):
    from kpi.series import expected_band, judge_day
    from kpi.service import KpiService
    from tests.bot.conftest import Server, make_settings

    state.create_rule(history, "T123", "C1", UNUSUAL, "UADMIN", NOW.replace(tzinfo=None))
    running = Server(make_settings(history, slack), slack, clock=lambda: NOW)
    try:
        running.app.deps.synchronous = True
        running.action("kpi_chart", '{"k":"revenue","p":"56d","b":null}', channel="C1")  # the alert's button
        slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
        running.action("kpi_chart", '{"k":"revenue","p":"56d","b":null}', channel="C2")  # no rule there
        slack.wait_for(lambda calls: len([c for c in calls if c.name == "files.completeUploadExternal"]) == 2)
    finally:
        running.stop()
    with_rule, without = slack.uploads.values()
    assert band_pixels(with_rule) > 2_000 and band_pixels(without) == 0
    # the band is the rule's own judgement, day by day
    service = KpiService.from_settings(make_settings(history, slack))
    kpi = service.resolve("revenue")
    verdict = judge_day(service, kpi, date(2027, 3, 9))
    assert expected_band(service, kpi, [date(2027, 3, 8), date(2027, 3, 9)])[1] == (verdict.low, verdict.high)


# -- through Slack: the command, and the alert's snooze button --------------------------------------


def test_an_unusual_rule_from_slack_fires_at_once_and_its_button_snoozes_it(history, slack):
    from tests.bot.conftest import Server, make_settings

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(history, slack), slack, clock=lambda: NOW)
    try:
        running.app.deps.synchronous = True
        message = running.command("alert revenue unusual", user="UADMIN", channel="C9").json()
        assert "when *Revenue* unusual for a day (medium sensitivity) (day)" in texts(message)
        assert "Yesterday is judged against the same weekday of the last 8 weeks" in texts(message)
        slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
        [alert] = posts(slack, "C9")
        assert "Revenue on Tue, Mar 9: €600.00, unusually low" in texts(alert.payload)
        snooze = [
            e
            for b in alert.payload["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "alert_snooze_day"
        ][0]
        running.action("alert_snooze_day", snooze["value"], user="UADMIN", channel="C9")
    finally:
        running.stop()
    [rule] = state.rules(history)
    assert rule.snoozed_until == (NOW + timedelta(days=1)).replace(tzinfo=None)


def test_a_ratio_is_judged_through_its_parts_and_its_min_guard(data, ctx, slack):
    """Visitor conversion (new customers ÷ visitors), day by day: 2 % as usual, then 0.5 % on Tuesday."""
    days = [date(2026, 12, 28) + timedelta(days=i) for i in range(72)]  # up to Mar 9, 2027
    insert(data, "visits", [{"day": d, "channel": "organic", "visitors": 1000} for d in days])
    customers, next_id = [], 100
    for d in days:
        for _ in range(5 if d == date(2027, 3, 9) else 20):
            customers.append(
                {
                    "id": next_id,
                    "acquired_at": datetime.combine(d, datetime.min.time()) + timedelta(hours=10),
                    "channel": "organic",
                }
            )
            next_id += 1
    insert(data, "customers", customers)
    add_rule(ctx.url, RuleSpec("visitor_conversion", RuleKind.UNUSUAL, Op.GT, 0.0, "day", sensitivity="medium"))
    guarded = add_rule(
        ctx.url,
        RuleSpec("visitor_conversion", RuleKind.UNUSUAL, Op.GT, 0.0, "day", min_denominator=5000, sensitivity="medium"),
        channel="C2",
    )
    assert run_pass(ctx, NOW).events == {"firing": 1, "no_data": 1}
    body = texts(posts(slack, "C1")[0].payload)
    # every usual day is exactly 2 %: the range is the floor's, ±12 % (e^(3 × 0.04)) around it
    assert (
        "Visitor conversion on Tue, Mar 9: 0.50%, unusually low: expected 1.77%–2.25% for a Tuesday (last 8 Tuesdays)"
    ) in body
    assert "fewer than 5000" in texts(posts(slack, "C2")[0].payload)  # 1,000 visitors: too few for this rule
    assert state.rule(ctx.url, "T1", guarded).state == "no_data"


def test_a_weekday_whose_history_is_flat_at_zero_does_not_always_fire(data, ctx, slack):
    """A shop closed on Tuesdays (€0.00 every Tuesday for ten weeks): €1.00 on Tuesday Mar 9 is within the
    range, never 'expected €0.00–€0.00'; €3,000 is unusual."""
    tuesdays = {date(2026, 12, 29) + timedelta(weeks=i): 0.0 for i in range(11)}
    rows = [r for r in sales(date(2026, 12, 28), date(2027, 3, 9), 1000, tuesdays) if r["amount"]]
    insert(data, "sales", rows + [{**rows[-1], "id": 5000, "sold_at": datetime(2027, 3, 9, 11), "amount": 1.0}])
    rule = add_rule(ctx.url, UNUSUAL)
    assert run_pass(ctx, NOW).events == {}
    assert state.rules(ctx.url)[0].state == "ok" and posts(slack) == []
    insert(data, "sales", [{**rows[-1], "id": 5001, "sold_at": datetime(2027, 3, 9, 12), "amount": 2999.0}])
    assert run_pass(ctx, NOW + timedelta(minutes=5)).events == {"firing": 1}
    body = texts(posts(slack)[0].payload)
    assert "Revenue on Tue, Mar 9: €3,000.00, unusually high: expected €0.00–€" in body
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing"]
