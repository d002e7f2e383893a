"""Only the installed workspace's people are answered (Slack Connect).

In a channel shared with a partner, Slack delivers the partner's members' mentions and messages with the
installation's ``team_id`` on the envelope and the person's own team in ``user_team`` / ``source_team`` /
``team``; their button clicks carry ``user.team_id``. They get a polite refusal and no data; the same
payload from a member of the installed workspace is answered (the control that makes each test able to fail).
"""

from __future__ import annotations

import json

import pytest

from bot.slack.middleware import foreign_team
from tests.bot.conftest import Server, make_settings
from tests.bot.test_conversations import Events
from tests.support.messages import texts

REFUSAL = "Sorry, I only answer members of the workspace that installed me"


@pytest.fixture
def talk(data, slack):
    running = Server(make_settings(data, slack), slack)
    running.app.deps.synchronous = True  # background work (the refusal) is done before the request returns
    slack.reset()
    yield running
    running.stop()


def _from(team: str) -> dict:
    return {"user_team": team, "source_team": team, "team": team}


def test_a_partner_mention_in_a_shared_channel_gets_a_refusal_and_no_data(talk, slack):
    events = Events(talk)
    mention = {"type": "app_mention", "channel": "C123", "user": "UEXT", "ts": "10.1"}
    events.send(mention | _from("TEXTERNAL") | {"text": "<@UKPIBOT> revenue by product"})
    assert slack.calls_to("chat.postMessage") == []
    [refusal] = slack.calls_to("chat.postEphemeral")
    assert refusal.payload["user"] == "UEXT" and REFUSAL in refusal.payload["text"]
    assert "€" not in json.dumps(refusal.payload) and "Revenue" not in json.dumps(refusal.payload)

    events.send(mention | _from("T123") | {"ts": "10.2", "text": "<@UKPIBOT> revenue by product"})
    [answer] = slack.calls_to("chat.postMessage")
    assert "Read as: Revenue" in texts(answer.payload)


def test_a_partner_dm_gets_a_refusal_and_no_data(talk, slack):
    events = Events(talk)
    dm = {"type": "message", "channel_type": "im", "channel": "D77", "user": "UEXT", "text": "revenue last month"}
    events.send(dm | _from("TEXTERNAL") | {"ts": "20.1"})
    [refusal] = slack.calls_to("chat.postMessage")
    assert refusal.payload["channel"] == "D77" and refusal.payload["text"].startswith(REFUSAL)
    assert "blocks" not in refusal.payload


def test_a_partner_thread_reply_is_ignored(talk, slack):
    Events(talk).send(
        {"type": "message", "channel_type": "channel", "channel": "C123", "user": "UEXT", "text": "and by channel?"}
        | _from("TEXTERNAL")
        | {"ts": "30.2", "thread_ts": "30.1"}
    )
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("chat.postEphemeral") == []


def test_a_partner_slash_command_gets_the_refusal_as_its_answer(talk, slack):
    body, _ = talk.command_body("revenue month by product")
    response = talk.post_signed(body + "&user_team=TEXTERNAL")
    assert response.status == 200 and response.json() == {
        "response_type": "ephemeral",
        "text": REFUSAL + ": KPIs stay inside the company.",
    }
    assert slack.responses() == []
    assert "Read as: Revenue" in texts(talk.command("revenue month by product").json())


def test_a_partner_button_click_changes_nothing_and_is_refused(talk, slack):
    question = json.dumps({"k": "revenue", "p": "month", "b": None})
    response = talk.action("kpi_share", question, team="T123")  # control: the installed workspace's member
    assert response.status == 200 and slack.responses()
    slack.reset()
    payload = {
        "type": "block_actions",
        "team": {"id": "T123"},
        "user": {"id": "UEXT", "team_id": "TEXTERNAL"},
        "api_app_id": "A123",
        "channel": {"id": "C123"},
        "trigger_id": "trig.x",
        "response_url": slack.response_url("ext"),
        "actions": [{"type": "button", "action_id": "kpi_share", "block_id": "b", "value": question, "action_ts": "1"}],
    }
    from urllib.parse import urlencode

    assert talk.post_signed(urlencode({"payload": json.dumps(payload)})).status == 200
    [refusal] = slack.responses()
    assert refusal.payload["text"].startswith(REFUSAL) and refusal.payload["replace_original"] is False
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "body, foreign",
    [
        ({"team_id": "T1", "event": {"user_team": "T1", "source_team": "T1", "team": "T1"}}, None),
        ({"team_id": "T1", "event": {"user_team": "T2"}}, "T2"),
        ({"team_id": "T1", "event": {"source_team": "T2", "user_team": "T1"}}, "T2"),
        ({"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T2"}}, "T2"),
        ({"team_id": "T1", "user_team": "T2", "command": "/kpi"}, "T2"),
        ({"team_id": "T1", "is_enterprise_install": True, "event": {"user_team": "T2"}}, None),
        ({"event": {"user_team": "T2"}}, None),  # no installation team to compare with: Bolt authorizes it
        ({"team_id": "T1", "event": {"team": {"id": "T2"}}}, None),  # not a team id: not a person's team
    ],
)
def test_foreign_team_reads_every_place_slack_puts_the_persons_team(body, foreign):
    assert foreign_team(body) == foreign


def test_a_partner_form_submission_saves_nothing_and_the_form_says_why(talk, slack, data):
    from bot.sandbox.slack_rules import refusal
    from kpi.store import state

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    talk.command("alert", user="UADMIN", channel="C42")
    view = [c for c in slack.calls_to("views.open")][-1].payload["view"]
    values = {"kpi": "cac", "op": ">", "threshold": "5", "window": "30d", "channel": "C42"}
    state_values = {
        block: {"value": {"type": "plain_text_input", "value": value}}
        if block == "threshold"
        else {"value": {"type": "conversations_select", "selected_conversation": value}}
        if block == "channel"
        else {"value": {"type": "static_select", "selected_option": {"value": value}}}
        for block, value in values.items()
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T123"},
        "user": {"id": "UADMIN", "team_id": "TEXTERNAL"},
        "api_app_id": "A123",
        "view": {**view, "id": "V1", "state": {"values": state_values}},
    }
    from urllib.parse import urlencode

    answer = talk.post_signed(urlencode({"payload": json.dumps(payload)})).json()
    assert answer["response_action"] == "update" and answer["view"]["blocks"][0]["text"]["text"].startswith(REFUSAL)
    assert refusal("views.update", {"view_id": "V1", "view": answer["view"]}) is None  # a view Slack accepts
    assert state.rules(data) == []
