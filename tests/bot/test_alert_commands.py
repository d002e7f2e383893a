"""Alert rules through Slack: commands, permissions, buttons, the rule modal, and the scheduler's health."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.jobs.clock import run_pass
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

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
    add_rule(data, channel="C123", team="TOTHER")
    add_rule(data, channel="C123", team="TOTHER")  # another workspace's #2
    assert "There is no rule" in texts(admin_server.command("alert remove 2", user="UADMIN").json())
    rule = state.rule(data, "T123", add_rule(data, channel="C123", team="T123")).number
    assert rule == 1  # the workspace's first rule, whatever the others have
    assert "snoozed until 1 Nov 12:00" in texts(admin_server.command(f"alert snooze {rule} 1d", user="UADMIN").json())
    assert f"Rule `#{rule}` removed." in texts(admin_server.command(f"alert remove {rule}", user="UADMIN").json())
    assert "There is no rule `#999`" in texts(admin_server.command("alert remove 999", user="UADMIN").json())
    actions = [e["action"] for e in state.audit_entries(data, "T123")]
    assert actions == ["rule.remove", "rule.snooze", "rule.create"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("alert cac", "Write `/kpi alert KPI OP VALUE [WINDOW]`"),
        ("alert cac > lots", "*lots* is not a number"),
        ("alert nps < 10 2026-10", "is a fixed period"),
        ("alert revnue > 3", "I don't know the KPI *revnue*"),
        ("digest daily 25:00", "*25:00* is not a time"),
    ],
)
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
    assert [b["block_id"] for b in view["blocks"]] == [
        "kpi",
        "op",
        "threshold",
        "window",
        "segment",
        "channel",
        "for",
        "repeat",
    ]

    def submit(threshold: str):
        values = {
            "kpi": {"value": {"type": "static_select", "selected_option": {"value": "cac"}}},
            "op": {"value": {"type": "static_select", "selected_option": {"value": ">"}}},
            "threshold": {"value": {"type": "plain_text_input", "value": threshold}},
            "window": {"value": {"type": "static_select", "selected_option": {"value": "30d"}}},
            "for": {"value": {"type": "plain_text_input", "value": "1"}},
            "repeat": {"value": {"type": "static_select", "selected_option": {"value": "24h"}}},
        }
        payload = {
            "type": "view_submission",
            "team": {"id": "T123"},
            "user": {"id": "UADMIN"},
            "api_app_id": "A123",
            "view": {**view, "id": "V1", "state": {"values": values}},
        }
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
    running = Server(
        make_settings(data, slack, kpi_eval_interval=300), slack, clock=lambda: clock["now"], scheduler_here=True
    )
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
