"""Target-miss rules end to end: the month's projection against the team's target (`/kpi target`), posted
once to the fake Slack while there is time to act, resolved in the thread when back on pace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.jobs.clock import run_pass
from bot.jobs.digests import digest_payload
from kpi.catalog import load_catalog
from kpi.grammar import FieldRefusal, rule_from_fields, rule_from_words
from kpi.rules import Op, RuleError, RuleKind, RuleSpec
from kpi.store import state
from tests.conftest import insert
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

CATALOG = load_catalog()
REVENUE_TARGET = RuleSpec("revenue", RuleKind.TARGET, Op.LT, 0.05, "month")
OCT_20 = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)  # the fixture's October: €100 sold by the 20th


@pytest.fixture
def target(ctx):
    state.set_target(ctx.url, "T1", "revenue", "month", 1500.0, "UADMIN", OCT_20.replace(tzinfo=None))


def test_a_month_heading_for_a_miss_posts_the_pace_it_needs(ctx, slack, target):
    rule = add_rule(ctx.url, REVENUE_TARGET)
    assert run_pass(ctx, OCT_20).events == {"firing": 1}
    [post] = posts(slack)
    body = texts(post.payload)
    assert "🔴 Revenue off pace for its target" in body
    # €100 in 19.5 days: €5.13 a day, €158.97 by the 31st; €1,400 are left to make in 11.5 days
    assert (
        "On pace for €158.97 of €1,500.00 (−89.4%): €121.74 a day is needed for the 12 days left, "
        "against €5.13 a day so far."
    ) in body
    assert "*Target*\n€1,500.00" in body and "heading for a miss of its monthly target by more than 5.00%" in body
    assert run_pass(ctx, OCT_20 + timedelta(minutes=5)).events == {}  # the same miss: said once
    assert len(posts(slack)) == 1
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing"]


def test_back_on_pace_resolves_it_in_the_thread(ctx, slack, data, target):
    add_rule(ctx.url, REVENUE_TARGET)
    run_pass(ctx, OCT_20)
    alert_ts = state.outbox_rows(ctx.url)[0]["result_ts"]
    insert(
        data,
        "sales",
        [
            {
                "id": 90,
                "sold_at": datetime(2026, 10, 21, 9),
                "customer_id": 1,
                "product_id": 1,
                "amount": 1200,
                "cost": 0,
            }
        ],
    )  # €1,300 by the 21st: on pace for €1,898
    assert run_pass(ctx, OCT_20 + timedelta(days=1)).events == {"resolved": 1}
    reply = posts(slack)[-1]
    assert reply.payload["thread_ts"] == alert_ts
    assert "✅ Resolved: Revenue is back at €" in texts(reply.payload)


def test_no_warning_too_early_nor_too_late_to_act(ctx, slack, target):
    add_rule(ctx.url, REVENUE_TARGET)
    assert run_pass(ctx, datetime(2026, 10, 4, 12, tzinfo=timezone.utc)).events == {}  # 11 % of the month gone
    assert state.rules(ctx.url)[0].state == "ok"  # too early to judge, as the digest says
    late = datetime(2026, 10, 29, 12, tzinfo=timezone.utc)
    assert run_pass(ctx, late).events == {}  # 8 % of it left
    # off track, too late for a new warning: not 'ok' while the digest says 'off track' that day
    assert posts(slack) == [] and state.rules(ctx.url)[0].state == "pending"
    message, _ = digest_payload(ctx, None, late, "T1", "C1")
    assert ": off track" in texts(message)


def test_without_a_target_the_rule_says_how_to_set_one_once(ctx, slack):
    add_rule(ctx.url, REVENUE_TARGET)
    assert run_pass(ctx, OCT_20).events == {"no_data": 1}
    assert "no monthly target is set: /kpi target revenue VALUE month" in texts(posts(slack)[0].payload)
    assert run_pass(ctx, OCT_20 + timedelta(minutes=5)).events == {}


def test_a_level_kpi_is_judged_as_a_level(ctx, slack):
    state.set_target(ctx.url, "T1", "cac", "month", 300.0, "UADMIN", OCT_20.replace(tzinfo=None))
    add_rule(ctx.url, RuleSpec("cac", RuleKind.TARGET, Op.LT, 0.1, "month"))
    # October to the 20th: spend 1,000 for 1 new customer: CAC €1,000 against €300 (lower is better)
    assert run_pass(ctx, OCT_20).events == {"firing": 1}
    body = texts(posts(slack)[0].payload)
    assert "Customer acquisition cost is at €" in body and "against a target of €300.00" in body


@pytest.mark.parametrize(
    "words, grain, margin",
    [
        ("target", "month", 0.05),
        ("target quarter margin 10%", "quarter", 0.10),
        ("objectif semaine marge 3", "week", 0.03),
    ],
)
def test_target_rules_are_read_in_both_languages(words, grain, margin):
    spec = rule_from_words("revenue", words.split(), CATALOG)
    assert (spec.kind, spec.window) == (RuleKind.TARGET, grain) and spec.threshold == pytest.approx(margin)


def test_a_target_rule_with_a_stray_word_is_refused_with_the_usage():
    with pytest.raises(RuleError) as caught:
        rule_from_words("revenue", ["target", "30d"], CATALOG)
    assert "`/kpi alert KPI target [week|month|quarter|year] [margin 5%]`" in caught.value.text("en")
    spec = rule_from_fields({"kpi": "revenue", "op": "target", "threshold": "8%", "window": "quarter"}, CATALOG)
    assert (spec.kind, spec.window, spec.threshold) == (RuleKind.TARGET, "quarter", pytest.approx(0.08))
    with pytest.raises(FieldRefusal) as refused:
        rule_from_fields({"kpi": "revenue", "op": "target", "threshold": "", "window": "30d"}, CATALOG)
    assert set(refused.value.errors) == {"window"}


def test_a_target_and_its_rule_from_slack_and_the_acknowledge_button(data, slack):
    from tests.bot.conftest import Server, make_settings

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack), slack, clock=lambda: OCT_20)
    try:
        running.app.deps.synchronous = True
        running.command("target revenue 1500 month", user="UADMIN", channel="C9")
        message = running.command("alert revenue target month", user="UADMIN", channel="C9").json()
        assert "heading for a miss of its monthly target by more than 5.00%" in texts(message)
        assert "Tolerance: 5.00% below the target's pace." in texts(message)
        slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
        [alert] = posts(slack, "C9")
        assert "On pace for €158.97 of €1,500.00" in texts(alert.payload)
        ack = [
            e
            for b in alert.payload["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "alert_ack"
        ][0]
        running.action("alert_ack", ack["value"], user="U42", channel="C9")
    finally:
        running.stop()
    [rule] = state.rules(data)
    assert state.open_incidents(data, [rule.id])[rule.id]["acked_by"] == "U42"


# -- issue 25: targets a KPI can take, one judgement, a new period starts fresh ------------------------------


def test_a_target_a_positive_kpi_can_never_meet_is_refused_with_the_reason(server):
    server.slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    for value in ("-5", "0"):
        body = texts(server.command(f"target revenue {value} month", user="UADMIN").json())
        assert f"*Revenue* is never below zero: its target must be a positive number, not {value}." in body
    assert state.team_targets(server.settings.database_url, "T123") == {}  # nothing was set
    body = texts(server.command("target nps -10 month", user="UADMIN").json())
    assert "Target for *Net Promoter Score* set to −10" in body  # NPS can be below zero


def test_a_target_of_zero_is_judged(ctx, slack):
    """NPS can be 0 or below: a target of 0 is a real target (October to the 20th: NPS 40)."""
    state.set_target(ctx.url, "T1", "nps", "month", 0.0, "UADMIN", OCT_20.replace(tzinfo=None))
    rule = add_rule(ctx.url, RuleSpec("nps", RuleKind.TARGET, Op.LT, 0.05, "month"))
    assert run_pass(ctx, OCT_20).events == {}
    [row] = state.rules(ctx.url)
    assert (row.state, row.last_value) == ("ok", 40.0) and row.id == rule
    state.set_target(ctx.url, "T1", "nps", "month", 60.0, "UADMIN", OCT_20.replace(tzinfo=None))
    assert run_pass(ctx, OCT_20 + timedelta(minutes=5)).events == {"firing": 1}
    assert "Net Promoter Score is at 40.0 against a target of 60.0 (−33.3%)" in texts(posts(slack)[0].payload)


def test_a_stored_target_of_zero_for_revenue_is_not_judged_as_zero_percent(ctx, slack):
    state.set_target(ctx.url, "T1", "revenue", "month", 0.0, "UADMIN", OCT_20.replace(tzinfo=None))
    add_rule(ctx.url, REVENUE_TARGET)
    assert run_pass(ctx, OCT_20).events == {"no_data": 1}
    body = texts(posts(slack)[0].payload)
    assert "a target of 0 can't be met by a KPI that is never below zero" in body
    message, _ = digest_payload(ctx, None, OCT_20, "T1", "C1")
    assert "🎯" not in texts(message)


@pytest.mark.parametrize(
    "when, target, rule_state, digest_says",
    [
        (OCT_20, 1500.0, "firing", "on pace for €158.97: off track"),
        (OCT_20, 160.0, "ok", "on pace for €158.97: on track"),  # 0.6 % short: within the rule's 5 %
        (datetime(2026, 10, 4, 12, tzinfo=timezone.utc), 1500.0, "ok", "too early to judge (11.3%"),
    ],
)
def test_the_target_rule_and_the_digest_judge_alike(ctx, slack, when, target, rule_state, digest_says):
    state.set_target(ctx.url, "T1", "revenue", "month", target, "UADMIN", when.replace(tzinfo=None))
    add_rule(ctx.url, REVENUE_TARGET)
    run_pass(ctx, when)
    assert state.rules(ctx.url)[0].state == rule_state
    message, _ = digest_payload(ctx, None, when, "T1", "C1")
    assert digest_says in texts(message)


def test_a_new_period_resolves_a_miss_with_how_the_old_one_ended(ctx, slack, target):
    add_rule(ctx.url, REVENUE_TARGET)
    assert run_pass(ctx, OCT_20).events == {"firing": 1}
    # 90 minutes into November: no projection from them; October is told as it ended
    assert run_pass(ctx, datetime(2026, 11, 1, 1, 30, tzinfo=timezone.utc)).events == {"resolved": 1}
    body = texts(posts(slack)[-1].payload)
    assert "is back at" not in body
    assert (
        "✅ October 2026 is over: Revenue ended at €400.00 against its target of €1,500.00 (−73.3%), target missed."
    ) in body
    assert state.rules(ctx.url)[0].state == "ok"
    # and the new month starts fresh: nothing fires before a fifth of it
    assert run_pass(ctx, datetime(2026, 11, 3, 12, tzinfo=timezone.utc)).events == {}


def test_a_target_of_zero_and_its_rule_from_slack(data, slack):
    """`/kpi target nps 0 month` then `/kpi alert nps target month`: judged (NPS to date 40, above 0), not
    'no data'."""
    from tests.bot.conftest import Server, make_settings

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack), slack, clock=lambda: OCT_20)
    try:
        running.app.deps.synchronous = True
        body = texts(running.command("target nps 0 month", user="UADMIN", channel="C9").json())
        assert "Target for *Net Promoter Score* set to 0.0" in body
        running.command("alert nps target month", user="UADMIN", channel="C9")
        assert run_pass(running.app.deps.jobs, OCT_20 + timedelta(minutes=1)).events == {}
    finally:
        running.stop()
    [rule] = state.rules(data)
    assert (rule.state, rule.last_value, rule.last_error) == ("ok", 40.0, None)
    assert not [p for p in posts(slack, "C9") if "no data" in texts(p.payload).lower()]
