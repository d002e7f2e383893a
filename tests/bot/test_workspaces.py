"""Two workspaces on one database: neither sees nor changes the other's rules, digests, pins, targets
or history, whatever ids its users type or send back in buttons and modals."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from bot.render import alerts as ra
from bot.render import modals
from bot.render.home import ACTION_PIN, ACTION_UNPIN
from bot.slack.signing import signed_headers
from kpi.store import state
from kpi.store.state.records import DigestSpec
from tests.bot.conftest import Server
from tests.support.clock import T0, FakeTime
from tests.support.messages import texts
from tests.support.oauth import CLIENT, TOKEN_A, TOKEN_B, install, oauth_settings
from tests.support.rules import CAC_ABOVE_300

NAIVE = T0.replace(tzinfo=None)


@pytest.fixture
def two(data, slack):
    """Workspaces TA and TB installed; UA administers TA, UB administers TB; B has a firing alert."""
    slack.client_credentials = CLIENT
    slack.users.update({"UA": {"id": "UA", "is_admin": True}, "UB": {"id": "UB", "is_admin": True}})
    running = Server(oauth_settings(data, slack), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    install(running, slack, "TA", TOKEN_A)
    install(running, slack, "TB", TOKEN_B)
    running.rule_a = state.create_rule(data, "TA", "CA", CAC_ABOVE_300, "UA", NAIVE)
    running.rule_b = state.create_rule(data, "TB", "CB", CAC_ABOVE_300, "UB", NAIVE)
    state.pin(data, "TB", "nps", "UB", NAIVE, True)
    state.set_target(data, "TB", "revenue", "month", 99999.0, "UB", NAIVE)
    state.subscribe_digest(data, "TB", "CB", DigestSpec("daily", "08:00", None, "UTC", ("revenue",)), "UB", NAIVE)
    ctx = JobContext.from_settings(running.settings)
    fake = FakeTime()
    ctx.sleep, ctx.monotonic = fake.sleep, fake.monotonic
    run_pass(ctx, T0)
    running.seq_b = state.open_incidents(data, [running.rule_b])[running.rule_b]["seq"]
    slack.reset()
    yield running
    running.stop()


def b_snapshot(url: str) -> dict:
    """Everything workspace B owns, to compare before and after A's attempts."""
    return {
        "rules": state.rules(url, "TB"),
        "audit": state.audit_entries(url, "TB", limit=100),
        "digests": state.active_digests(url, "TB"),
        "pins": state.pinned(url, "TB"),
        "targets": state.team_targets(url, "TB"),
    }


def submit_view(server, callback_id: str, meta: dict, values: dict, user="UA", team="TA"):
    state_values = {block: {"value": element} for block, element in values.items()}
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(meta),
        "state": {"values": state_values},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A123",
        "view": view,
    }
    return server.post_signed(urlencode({"payload": json.dumps(payload)}))


RULE_VALUES = {
    "kpi": {"type": "static_select", "selected_option": {"value": "cac"}},
    "op": {"type": "static_select", "selected_option": {"value": "<"}},
    "threshold": {"type": "plain_text_input", "value": "1"},
    "window": {"type": "static_select", "selected_option": {"value": "7d"}},
    "channel": {"type": "conversations_select", "selected_conversation": "CB"},
}


def test_a_users_commands_on_bs_rule_ids_find_nothing_and_change_nothing(two, slack, data):
    before = b_snapshot(data)
    b = two.rule_b
    for text, expected in [
        (f"alert remove {b}", f"There is no rule `#{b}`"),
        (f"alert snooze {b} 1w", f"There is no rule `#{b}`"),
        (f"alert edit {b}", f"There is no rule `#{b}`"),
    ]:
        answer = texts(two.command(text, user="UA", team="TA", channel="CA").json())
        assert expected in answer, text
    assert slack.calls_to("views.open") == []  # no modal opened on B's rule
    listing = texts(two.command("alerts", user="UA", team="TA", channel="CB").json())
    assert f"#{b}" not in listing
    history = texts(two.command("alert history", user="UA", team="TA", channel="CB").json())
    assert "UB" not in history
    assert b_snapshot(data) == before


def test_a_users_buttons_carrying_bs_ids_change_nothing(two, slack, data):
    before = b_snapshot(data)
    incident = f"{two.rule_b}:{two.seq_b}"
    for action in (ra.ACTION_ACK, ra.ACTION_SNOOZE_DAY, ra.ACTION_SNOOZE_WEEK):
        two.action(action, incident, user="UA", team="TA", channel="CB")
    replies = slack.wait_for(lambda calls: len([c for c in calls if c.kind == "response_url"]) >= 3)
    notices = [json.dumps(c.payload) for c in replies if c.kind == "response_url"]
    assert len(notices) == 3 and all(f"There is no rule `#{two.rule_b}`" in n for n in notices)
    two.action(ACTION_UNPIN, "nps", user="UA", team="TA")
    two.action(ACTION_PIN, "cac", user="UA", team="TA")
    slack.wait_for(lambda calls: len(slack.calls_to("views.publish")) >= 2)
    after = b_snapshot(data)
    assert after == before
    assert state.open_incidents(data, [two.rule_b])[two.rule_b]["acked_by"] is None
    assert state.pinned(data, "TA") == ["cac"]


def test_a_modal_submitted_in_a_with_bs_rule_id_and_team_in_its_metadata_changes_nothing(two, slack, data):
    before = b_snapshot(data)
    response = submit_view(two, modals.CALLBACK_RULE, {"team": "TB", "channel": "CB", "rule": two.rule_b}, RULE_VALUES)
    assert response.status == 200
    slack.wait_for(lambda calls: any(c.name == "chat.postEphemeral" for c in calls))
    [notice] = slack.calls_to("chat.postEphemeral")
    assert f"There is no rule `#{two.rule_b}`" in json.dumps(notice.payload)
    assert slack.team_of(notice) == "TA"  # answered in A, with A's token
    # a digest modal claiming to be B's subscribes A's channel, never B's
    digest_values = {
        "cadence": {"type": "static_select", "selected_option": {"value": "daily"}},
        "time": {"type": "timepicker", "selected_time": "09:00"},
        "timezone": {"type": "plain_text_input", "value": "UTC"},
        "channel": {"type": "conversations_select", "selected_conversation": "CA"},
    }
    assert submit_view(two, modals.CALLBACK_DIGEST, {"team": "TB", "channel": "CB"}, digest_values).status == 200
    assert [d.channel_id for d in state.active_digests(data, "TA")] == ["CA"]
    assert b_snapshot(data) == before


def test_a_non_admin_of_a_cannot_change_as_rules_either(two, slack, data):
    slack.users["UPLEB"] = {"id": "UPLEB"}
    rule_a = state.rule(data, "TA", two.rule_a)
    answer = texts(two.command(f"alert remove {two.rule_a}", user="UPLEB", team="TA", channel="CA").json())
    assert "only" in answer and state.rule(data, "TA", two.rule_a) == rule_a
    response = submit_view(two, modals.CALLBACK_RULE, {"rule": two.rule_a}, RULE_VALUES, user="UPLEB")
    assert "only" in json.dumps(response.json()["errors"]) and state.rule(data, "TA", two.rule_a) == rule_a


def test_app_home_shows_only_the_workspaces_own_rules_pins_and_targets(two, slack):
    event = {
        "token": "x",
        "team_id": "TA",
        "api_app_id": "A123",
        "type": "event_callback",
        "event_id": "EvHomeA",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": "UA", "tab": "home", "event_ts": "1.0"},
    }
    body = json.dumps(event)
    two.request(
        "POST",
        "/slack/events",
        body.encode(),
        signed_headers(two.settings.slack_signing_secret.get_secret_value(), body, None, "application/json"),
    )
    slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
    [call] = slack.calls_to("views.publish")
    home = json.dumps(call.payload["view"], ensure_ascii=False)
    assert slack.team_of(call) == "TA"
    assert "#CB" not in home and "<#CB>" not in home and "99,999" not in home and f"#{two.rule_b}" not in home
    assert f"#{two.rule_a} Customer acquisition cost (<#CA>)" in home
