"""Modals driven end to end: signed slash commands open them, signed view submissions fill them."""

import json
from urllib.parse import urlencode

import pytest

from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0
from tests.support.messages import texts
from tests.support.rules import add_rule


@pytest.fixture
def admin(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}, "UPLEB": {"id": "UPLEB"}})
    running = Server(make_settings(data, slack, kpi_timezone="Europe/Paris"), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    slack.reset()
    yield running
    running.stop()


def opened_view(slack):
    calls = slack.wait_for(lambda calls: any(c.name == "views.open" for c in calls))
    call = [c for c in calls if c.name == "views.open"][-1]
    view = call.payload["view"]
    return view if isinstance(view, dict) else json.loads(view)


def submit(server, view, values, user="UADMIN"):
    state_values = {}
    for block_id, value in values.items():
        if isinstance(value, list):
            element = {"type": "multi_static_select", "selected_options": [{"value": v} for v in value]}
        elif block_id == "time":
            element = {"type": "timepicker", "selected_time": value}
        elif block_id == "channel":
            element = {"type": "conversations_select", "selected_conversation": value}
        elif block_id in ("threshold", "timezone", "for"):
            element = {"type": "plain_text_input", "value": value}
        else:
            element = {"type": "static_select", "selected_option": {"value": value}}
        state_values[block_id] = {"value": element}
    payload = {
        "type": "view_submission",
        "team": {"id": "T123"},
        "user": {"id": user},
        "api_app_id": "A123",
        "view": {**view, "id": "V1", "state": {"values": state_values}},
    }
    return server.post_signed(urlencode({"payload": json.dumps(payload)}))


def test_digest_modal_subscribes_with_inline_errors(admin, slack, data):
    admin.command("digest", user="UADMIN", channel="C42")
    view = opened_view(slack)
    assert view["callback_id"] == "digest_modal"
    assert [b["block_id"] for b in view["blocks"]] == ["cadence", "weekday", "time", "timezone", "kpis", "channel"]
    base = {
        "cadence": "weekly",
        "weekday": "mon",
        "time": "08:30",
        "timezone": "Mars/Olympus",
        "kpis": ["revenue", "cac"],
        "channel": "C42",
    }
    bad = submit(admin, view, base).json()
    assert bad["response_action"] == "errors" and "is not a time zone" in bad["errors"]["timezone"]
    assert state.active_digests(data) == []
    assert submit(admin, view, {**base, "timezone": "Europe/Paris"}).status == 200
    [digest] = state.active_digests(data)
    assert (
        digest.spec.cadence,
        digest.spec.weekday,
        digest.spec.at_time,
        digest.spec.timezone,
        digest.spec.kpis,
        digest.channel_id,
    ) == ("weekly", 0, "08:30", "Europe/Paris", ("revenue", "cac"), "C42")
    confirm = slack.wait_for(lambda calls: any(c.name == "chat.postEphemeral" for c in calls))
    assert "every mon at 08:30 (Europe/Paris), for revenue, cac" in json.dumps(
        [c.payload for c in confirm if c.name == "chat.postEphemeral"][0], ensure_ascii=False
    )


def test_digest_modal_is_for_admins(admin, slack):
    message = admin.command("digest", user="UPLEB", channel="C42").json()
    assert "This channel has no digest." in texts(message)
    assert slack.calls_to("views.open") == []


def test_a_rule_is_edited_in_its_modal(admin, slack, data):
    rule = add_rule(data, channel="C123", team="T123")
    admin.command(f"alert edit {rule}", user="UADMIN")
    view = opened_view(slack)
    initial = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert initial["threshold"]["initial_value"] == "300" and initial["kpi"]["initial_option"]["value"] == "cac"
    assert initial["channel"]["initial_conversation"] == "C123"
    values = {
        "kpi": "cac",
        "op": "<",
        "threshold": "€50",
        "window": "7d",
        "channel": "C999",
        "for": "2",
        "repeat": "12h",
    }
    assert submit(admin, view, values).status == 200
    [row] = state.rules(data, "T123")
    assert (
        row.id,
        row.spec.op,
        row.spec.threshold,
        row.spec.window,
        row.channel_id,
        row.spec.for_count,
        row.spec.repeat_seconds,
    ) == (rule, "<", 50.0, "7d", "C999", 2, 43200)
    assert state.audit_entries(data, "T123")[0]["action"] == "rule.edit"
    assert "There is no rule `#999`" in texts(admin.command("alert edit 999", user="UADMIN").json())
