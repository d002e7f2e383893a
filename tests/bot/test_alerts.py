"""Alerts end to end against the fake Slack over real HTTP, with time passed in (never slept on)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.conftest import insert
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule


def test_a_breach_posts_one_alert_with_the_numbers_and_the_explanation(ctx, slack):
    rule = add_rule(ctx.url)
    report = run_pass(ctx, T0)
    assert report.events["firing"] == 1
    [post] = posts(slack)
    assert post.payload["channel"] == "C1"
    body = texts(post.payload)
    assert "🔴 Customer acquisition cost above €300.00" in body
    assert "*Now*\n€500.00" in body and "*Previous window*\n€90.00" in body
    assert "+€410.00 (+455.6%) ▲ 🔴 worse" in body
    assert "marketing and sales spend: €1,000.00 (was €90.00, +1,011.1%)" in body
    assert "new customers: 2 (was 1, +100.0%)" in body
    assert "Formula: marketing and sales spend ÷ new customers" in body and "Lower is better" in body
    blocks = post.payload["blocks"]
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["alert_ack", "alert_snooze_day", "alert_snooze_week", "alert_breakdown", "kpi_chart"]
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing"]

    # the next pass, still breached: nothing posted
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}
    assert len(posts(slack)) == 1


def test_recovery_replies_in_the_thread_and_updates_the_alert(ctx, slack, data):
    rule = add_rule(ctx.url)
    run_pass(ctx, T0)
    alert_ts = state.outbox_rows(ctx.url)[0]["result_ts"]  # the ts Slack gave the alert
    insert(data, "customers", [{"id": 10 + i, "acquired_at": datetime(2026, 10, 30), "channel": "organic"}
                               for i in range(3)])  # 5 customers: CAC €200
    report = run_pass(ctx, T0 + timedelta(minutes=5))
    assert report.events["resolved"] == 1
    reply = posts(slack)[-1]
    assert reply.payload["thread_ts"] == alert_ts
    assert "✅ Resolved: Customer acquisition cost is back at €200.00 (above €300.00)." in texts(reply.payload)
    [updated] = slack.calls_to("chat.update")
    assert updated.payload["ts"] == alert_ts
    assert "✅ Resolved at 31 Oct 12:05: €200.00" in texts(updated.payload)
    assert not any(b["type"] == "actions" for b in updated.payload["blocks"])  # no buttons on a resolved alert
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing", "ok"]
    assert run_pass(ctx, T0 + timedelta(minutes=10)).events == {}
    assert len(posts(slack)) == 2


def test_breaches_of_one_pass_are_grouped_per_channel(ctx, slack):
    add_rule(ctx.url, channel="C1")
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 100.0, "30d"), channel="C1")
    add_rule(ctx.url, RuleSpec("nps", RuleKind.THRESHOLD, Op.GT, 10.0, "30d"), channel="C2")
    assert run_pass(ctx, T0).events["firing"] == 3
    assert len(posts(slack, "C1")) == 1 and len(posts(slack, "C2")) == 1
    c1 = posts(slack, "C1")[0].payload
    assert c1["blocks"][0]["text"]["text"] == "🔴 2 alerts"
    assert "Customer acquisition cost above €300.00" in texts(c1) and "Revenue above €100.00" in texts(c1)


def test_pending_for_consecutive_evaluations(ctx, slack):
    add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d", for_count=2))
    assert run_pass(ctx, T0).events == {}
    assert state.rules(ctx.url)[0].state == "pending"
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events["firing"] == 1
    assert len(posts(slack)) == 1


def test_hysteresis_keeps_firing_until_the_recovery_line(ctx, slack, data):
    add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d", recovery=150.0))
    run_pass(ctx, T0)
    insert(data, "customers", [{"id": 10 + i, "acquired_at": datetime(2026, 10, 30), "channel": "x"} for i in range(2)])
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}  # €250: below 300 but above 150
    assert state.rules(ctx.url)[0].state == "firing"
    insert(data, "customers", [{"id": 20 + i, "acquired_at": datetime(2026, 10, 30), "channel": "x"} for i in range(5)])
    assert run_pass(ctx, T0 + timedelta(minutes=10)).events["resolved"] == 1  # €111


def test_repeat_after_a_day_unless_acknowledged(ctx, slack):
    rule = add_rule(ctx.url)
    run_pass(ctx, T0)
    assert run_pass(ctx, T0 + timedelta(hours=23)).events == {}
    assert run_pass(ctx, T0 + timedelta(hours=24, minutes=1)).events["repeat"] == 1
    repeat = posts(slack)[-1].payload
    assert "Still firing since 31 Oct 12:00." in texts(repeat)
    state.acknowledge(ctx.url, "T1", rule, 1, "U5", (T0 + timedelta(hours=25)).replace(tzinfo=None))
    assert run_pass(ctx, T0 + timedelta(hours=50)).events == {}
    assert len(posts(slack)) == 2


def test_change_rules_compare_with_the_previous_window(ctx, slack):
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.CHANGE, Op.GE, 0.2, "30d"))  # revenue rises 20 %
    run_pass(ctx, T0)
    body = texts(posts(slack)[0].payload)
    assert "Revenue rises by 20.0% or more" in body
    assert "*Now*\n€400.00 (+400.0%)" in body


def test_no_data_is_reported_once_and_is_not_a_breach(ctx, slack):
    add_rule(ctx.url, RuleSpec("conversion_rate", RuleKind.THRESHOLD, Op.LT, 0.9, "30d", min_denominator=20))
    report = run_pass(ctx, T0)
    assert report.events == {"no_data": 1}
    [notice] = posts(slack)
    assert "not enough data to judge rule `#" in texts(notice.payload) and "fewer than 20" in texts(notice.payload)
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}
    assert len(posts(slack)) == 1
    assert state.rules(ctx.url)[0].state == "no_data"


def test_source_errors_are_reported_once_never_crash_and_recover(data, slack, ctx):
    add_rule(ctx.url)
    broken = JobContext.from_settings(make_settings(data, slack,
                                                    source_database_url="postgresql+psycopg://x@127.0.0.1:1/none"))
    broken.sleep, broken.monotonic = ctx.sleep, ctx.monotonic
    assert run_pass(broken, T0).events == {"error": 1}
    assert run_pass(broken, T0 + timedelta(minutes=5)).events == {}
    [notice] = posts(slack)
    assert "the data source could not answer" in texts(notice.payload)
    assert state.rules(ctx.url)[0].state == "error"
    # the source comes back: the breach is judged on real data
    assert run_pass(ctx, T0 + timedelta(minutes=10)).events == {"firing": 1}
    assert [h["to_state"] for h in state.history(ctx.url, state.rules(ctx.url)[0].id)] == ["error", "firing"]


def test_a_snoozed_rule_stays_quiet_until_the_snooze_ends(ctx, slack):
    rule = add_rule(ctx.url)
    state.snooze_rule(ctx.url, "T1", rule, (T0 + timedelta(days=1)).replace(tzinfo=None), "UADMIN",
                      T0.replace(tzinfo=None))
    assert run_pass(ctx, T0).events == {}
    assert run_pass(ctx, T0 + timedelta(hours=23)).events == {}
    assert posts(slack) == []
    assert run_pass(ctx, T0 + timedelta(days=1, minutes=1)).events == {"firing": 1}


def test_two_passes_at_once_post_each_alert_once(data, slack):
    add_rule(data)
    add_rule(data, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 100.0, "30d"), channel="C2")
    contexts = []
    for _ in range(2):
        c = JobContext.from_settings(make_settings(data, slack))
        c.sleep = lambda s: None
        contexts.append(c)
    barrier = threading.Barrier(2)
    errors = []

    def go(c):
        try:
            barrier.wait()
            run_pass(c, T0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(c,)) for c in contexts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    run_pass(contexts[0], T0 + timedelta(minutes=1))  # deliver anything left by a conflict
    assert len(posts(slack, "C1")) == 1 and len(posts(slack, "C2")) == 1


def test_slack_429_then_500s_every_alert_arrives_once(ctx, slack):
    add_rule(ctx.url, channel="C1")
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 100.0, "30d"), channel="C2")
    slack.fail("chat.postMessage", 429, times=1, retry_after=3)
    slack.fail("chat.postMessage", 500, times=4)
    first = run_pass(ctx, T0)
    assert 3.0 in ctx.fake.slept  # Retry-After honoured (by waiting, within the pass's budget)
    assert first.delivery.delivered == 0 and first.delivery.retried == 2
    moment = T0
    for _ in range(10):  # later passes: backoff then success
        moment += timedelta(minutes=5)
        run_pass(ctx, moment)
    assert len(posts(slack, "C1")) == 1 and len(posts(slack, "C2")) == 1
    assert all(r["delivered_at"] is not None for r in state.outbox_rows(ctx.url))


def test_a_long_rate_limit_leaves_the_rest_for_the_next_pass(ctx, slack):
    add_rule(ctx.url)
    slack.fail("chat.postMessage", 429, times=1, retry_after=120)  # longer than the 20 s budget
    report = run_pass(ctx, T0)
    assert report.delivery.retried == 1 and posts(slack) == []
    row = state.outbox_rows(ctx.url)[0]
    assert row["next_attempt_at"] == (T0 + timedelta(seconds=120)).replace(tzinfo=None)
    assert run_pass(ctx, T0 + timedelta(minutes=1)).delivery.delivered == 0  # not due yet
    assert run_pass(ctx, T0 + timedelta(minutes=3)).delivery.delivered == 1
    assert len(posts(slack)) == 1


def test_permanent_slack_errors_are_not_retried_forever(ctx, slack, caplog):
    add_rule(ctx.url)
    slack.answer = lambda method, payload, headers=None: {"ok": False, "error": "channel_not_found"}
    report = run_pass(ctx, T0)
    assert report.delivery.failed == 1
    assert "channel_not_found" in caplog.text
    assert run_pass(ctx, T0 + timedelta(hours=1)).delivery.failed == 0


def test_messages_to_one_channel_are_paced(ctx, slack):
    add_rule(ctx.url)
    run_pass(ctx, T0)
    insert(ctx.url, "customers", [{"id": 10 + i, "acquired_at": datetime(2026, 10, 30), "channel": "x"}
                                  for i in range(3)])
    run_pass(ctx, T0 + timedelta(minutes=5))  # reply + update to the same channel
    assert any(0 < s <= 1.0 for s in ctx.fake.slept)


# -- through Slack: commands, permissions, buttons, the modal ---------------------------------------


@pytest.fixture
def admin_server(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}, "UPLEB": {"id": "UPLEB", "is_admin": False}})
    running = Server(make_settings(data, slack), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    slack.reset()
    yield running
    running.stop()


def test_creating_a_rule_from_slack_checks_it_at_once(admin_server, slack):
    message = admin_server.command("alert cac > 300 30d", user="UADMIN", channel="C9").json()
    assert "Rule `#" in texts(message)
    assert "when *Customer acquisition cost* is above €300.00 (30d). Threshold: €300.00." in texts(message)
    slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
    assert "🔴 Customer acquisition cost above €300.00" in texts(posts(slack, "C9")[0].payload)
    listing = texts(admin_server.command("alerts", user="UPLEB", channel="C9").json())
    assert "firing 🔴" in listing and "last value €500.00" in listing
    history = texts(admin_server.command("alert history", user="UPLEB", channel="C9").json())
    assert "<@UADMIN> created rule #" in history


def test_only_admins_change_rules(admin_server, slack, data):
    refused = texts(admin_server.command("alert cac > 300", user="UPLEB").json())
    assert "Sorry, only workspace admins and owners can create" in refused
    assert state.rules(data) == []
    assert [c.payload["user"] for c in slack.calls_to("users.info")] == ["UPLEB"]
    admins = Server(make_settings(data, slack, kpi_admins="U1,U2"), slack, clock=lambda: T0)
    try:
        refused = texts(admins.command("alert remove 1", user="UADMIN").json())
        assert "only the KPI admins (<@U1>, <@U2>) can" in refused
    finally:
        admins.stop()


def test_remove_and_snooze_commands_are_audited(admin_server, data):
    other_team = add_rule(data, channel="C123", team="TOTHER")
    assert "There is no rule" in texts(admin_server.command(f"alert remove {other_team}", user="UADMIN").json())
    rule = add_rule(data, channel="C123", team="T123")
    assert "snoozed until 1 Nov 12:00" in texts(admin_server.command(f"alert snooze {rule} 1d", user="UADMIN").json())
    assert f"Rule `#{rule}` removed." in texts(admin_server.command(f"alert remove {rule}", user="UADMIN").json())
    assert "There is no rule `#999`" in texts(admin_server.command("alert remove 999", user="UADMIN").json())
    actions = [e["action"] for e in state.audit_entries(data, "T123")]
    assert actions == ["rule.remove", "rule.snooze", "rule.create"]


@pytest.mark.parametrize("text, expected", [
    ("alert cac", "Write `/kpi alert KPI OP VALUE [WINDOW]`"),
    ("alert cac > lots", "*lots* is not a number"),
    ("alert nps < 10 2026-10", "is a fixed period"),
    ("alert revnue > 3", "I don't know the KPI *revnue*"),
    ("digest daily 25:00", "*25:00* is not a time"),
])
def test_bad_rules_get_the_usage(admin_server, data, text, expected):
    assert expected in texts(admin_server.command(text, user="UADMIN").json())
    assert state.rules(data) == []


def test_acknowledge_button_records_who_and_updates_the_alert(admin_server, slack, data):
    rule = add_rule(data, channel="C123", team="T123")
    ctx = admin_server.app.deps.jobs
    ctx.sleep = lambda s: None
    run_pass(ctx, T0)
    slack.reset()
    admin_server.action("alert_ack", f"{rule}:1", user="UPLEB")
    calls = slack.wait_for(lambda calls: len([c for c in calls if c.kind == "response_url"]) >= 2)
    replaced = [c.payload for c in calls if c.kind == "response_url" and c.payload.get("replace_original")][0]
    assert "👀 Acknowledged by <@UPLEB>" in texts(replaced)
    assert state.audit_entries(data, "T123")[0]["action"] == "incident.ack"


def test_snooze_button_needs_permission(admin_server, slack, data):
    rule = add_rule(data, channel="C123", team="T123")
    admin_server.action("alert_snooze_week", f"{rule}:1", user="UPLEB")
    calls = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
    assert "Sorry, only workspace admins" in texts([c for c in calls if c.kind == "response_url"][0].payload)
    assert state.rules(data)[0].snoozed_until is None


def test_the_modal_builds_a_rule_without_syntax(admin_server, slack, data):
    admin_server.command("alert", user="UADMIN", channel="C77")
    [opened] = slack.wait_for(lambda calls: any(c.name == "views.open" for c in calls))[-1:]
    view = opened.payload["view"] if isinstance(opened.payload["view"], dict) else json.loads(opened.payload["view"])
    assert view["callback_id"] == "alert_rule_modal"
    assert [b["block_id"] for b in view["blocks"]] == ["kpi", "op", "threshold", "window", "channel", "for", "repeat"]

    def submit(threshold: str):
        values = {"kpi": {"value": {"type": "static_select", "selected_option": {"value": "cac"}}},
                  "op": {"value": {"type": "static_select", "selected_option": {"value": ">"}}},
                  "threshold": {"value": {"type": "plain_text_input", "value": threshold}},
                  "window": {"value": {"type": "static_select", "selected_option": {"value": "30d"}}},
                  "for": {"value": {"type": "plain_text_input", "value": "1"}},
                  "repeat": {"value": {"type": "static_select", "selected_option": {"value": "24h"}}}}
        payload = {"type": "view_submission", "team": {"id": "T123"}, "user": {"id": "UADMIN"},
                   "api_app_id": "A123", "view": {**view, "id": "V1", "state": {"values": values}}}
        from urllib.parse import urlencode
        return admin_server.post_signed(urlencode({"payload": json.dumps(payload)}))

    bad = submit("lots")
    assert bad.json()["response_action"] == "errors" and "not a number" in bad.json()["errors"]["threshold"]
    assert state.rules(data) == []
    good = submit("€300")
    assert good.status == 200
    [rule] = state.rules(data)
    assert (rule.spec.kpi, rule.spec.op, rule.spec.threshold, rule.channel_id) == ("cac", ">", 300.0, "C77")
    slack.wait_for(lambda calls: any(c.name == "chat.postEphemeral" for c in calls))


def test_healthz_turns_503_when_no_pass_ran_for_two_intervals(data, slack):
    """Where the scheduler runs in the web process (`python -m bot`): the grace period is twice
    KPI_EVAL_INTERVAL from the process's start, then a pass must have succeeded within that."""
    clock = {"now": T0}
    running = Server(make_settings(data, slack, kpi_eval_interval=300), slack, clock=lambda: clock["now"],
                     scheduler_here=True)
    try:
        assert running.request("GET", "/healthz").json()["scheduler"] == "ok"
        clock["now"] = T0 + timedelta(minutes=10)  # exactly twice the interval: still within the grace period
        assert running.request("GET", "/healthz").status == 200
        clock["now"] = T0 + timedelta(minutes=10, seconds=1)
        res = running.request("GET", "/healthz")
        assert res.status == 503 and res.json()["scheduler"] == "stale"
        state.beat(data, "scheduler", (T0 + timedelta(minutes=10)).replace(tzinfo=None), success=True)
        res = running.request("GET", "/healthz")
        assert res.status == 200 and res.json()["last_pass"] == "2026-10-31T12:10:00Z"
    finally:
        running.stop()


def test_a_web_process_beside_a_clock_stays_healthy_and_reports_the_clock(data, slack):
    """`python -m bot web`: a stale scheduler is reported, but the web's own health does not fail on it;
    the clock's health is `python -m bot health`."""
    clock = {"now": T0}
    running = Server(make_settings(data, slack, kpi_eval_interval=300), slack, clock=lambda: clock["now"])
    try:
        res = running.request("GET", "/healthz")
        assert res.status == 200 and res.json()["scheduler"] == "stale"  # no pass yet, and no grace for a clock
        assert res.json()["scheduler_in_process"] is False
        state.beat(data, "scheduler", T0.replace(tzinfo=None), success=True)
        assert running.request("GET", "/healthz").json()["scheduler"] == "ok"
        clock["now"] = T0 + timedelta(hours=1)
        res = running.request("GET", "/healthz")
        assert (res.status, res.json()["scheduler"]) == (200, "stale")
    finally:
        running.stop()
