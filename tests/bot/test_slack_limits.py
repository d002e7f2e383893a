"""The fake Slack refuses what Slack refuses (bot/sandbox/slack_rules.py), answering as Slack does, so that
every other test checks Slack's documented limits for free (tests/bot/conftest.py asserts none refused)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.bot.conftest import TOKEN


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", value: str = "v", action_id: str = "a") -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "value": value, "action_id": action_id}


def select(options: int, initial: str | None = None) -> dict:
    element = {
        "type": "static_select",
        "action_id": "value",
        "options": [{"text": {"type": "plain_text", "text": f"o{n}"}, "value": f"o{n}"} for n in range(options)],
    }
    if initial is not None:
        element["initial_option"] = {"text": {"type": "plain_text", "text": initial}, "value": initial}
    return element


def modal(blocks: list, title: str = "Alert rule", submit: str = "Save") -> dict:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "blocks": blocks,
    }


def field(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


MESSAGES = [  # (what is wrong, the message's arguments, Slack's error)
    ("51 blocks", {"text": "t", "blocks": [section("x")] * 51}, "invalid_blocks"),
    ("a section over 3,000", {"text": "t", "blocks": [section("x" * 3001)]}, "invalid_blocks"),
    ("an empty section", {"text": "t", "blocks": [section("")]}, "invalid_blocks"),
    ("11 fields", {"text": "t", "blocks": [{"type": "section", "fields": [field("f")] * 11}]}, "invalid_blocks"),
    (
        "a field over 2,000",
        {"text": "t", "blocks": [{"type": "section", "fields": [field("f" * 2001)]}]},
        "invalid_blocks",
    ),
    (
        "a header over 150",
        {"text": "t", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
        "invalid_blocks",
    ),
    (
        "a mrkdwn header",
        {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}]},
        "invalid_blocks",
    ),
    (
        "button text over 75",
        {"text": "t", "blocks": [{"type": "actions", "elements": [button("b" * 76)]}]},
        "invalid_blocks",
    ),
    (
        "button value over 2,000",
        {"text": "t", "blocks": [{"type": "actions", "elements": [button(value="v" * 2001)]}]},
        "invalid_blocks",
    ),
    (
        "action_id over 255",
        {"text": "t", "blocks": [{"type": "actions", "elements": [button(action_id="a" * 256)]}]},
        "invalid_blocks",
    ),
    ("101 options", {"text": "t", "blocks": [{"type": "actions", "elements": [select(101)]}]}, "invalid_blocks"),
    (
        "an initial option not among the options",
        {"text": "t", "blocks": [{"type": "actions", "elements": [select(3, initial="o9")]}]},
        "invalid_blocks",
    ),
    ("blocks without a text fallback", {"blocks": [section("x")]}, "invalid_arguments"),
    ("a text over 40,000", {"text": "x" * 40_001}, "msg_too_long"),
    ("nothing", {}, "no_text"),
]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize("method", ["chat_postMessage", "chat_postEphemeral", "chat_update"])
@pytest.mark.parametrize(("wrong", "arguments", "error"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_messages_over_slacks_limits_are_refused_as_slack_does(slack, method, wrong, arguments, error):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as refused:
        getattr(client, method)(channel="C1", user="U1", ts="1.2", **arguments)
    assert refused.value.response["error"] == error
    name = method.replace("_", ".")
    assert slack.refused == [(name, error)] and slack.calls_to(name) == []  # never posted
    assert slack.invalid[0][:2] == (name, error)
    slack.invalid.clear()  # refused on purpose (the fixture asserts no other refusal)


def test_a_message_within_every_limit_is_taken(slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    blocks = [section("x" * 3000)] * 49 + [
        {"type": "actions", "elements": [button("b" * 75, "v" * 2000), select(100, "o99")]}
    ]
    assert client.chat_postMessage(channel="C1", text="x" * 40_000, blocks=blocks)["ok"]
    assert slack.refused == [] and len(slack.calls_to("chat.postMessage")) == 1


VIEWS = [
    ("101 blocks", modal([section("x")] * 101)),
    ("a title over 24", modal([section("x")], title="t" * 25)),
    ("a submit over 24", modal([section("x")], submit="s" * 25)),
    (
        "an input with an initial option not among its options",
        modal([{"type": "input", "label": {"type": "plain_text", "text": "KPI"}, "element": select(2, "zz")}]),
    ),
]


@pytest.mark.parametrize(("wrong", "view"), VIEWS, ids=[v[0] for v in VIEWS])
def test_modals_over_slacks_limits_are_refused(slack, wrong, view):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id="t", view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert slack.calls_to("views.open") == []
    slack.invalid.clear()


def test_home_takes_100_blocks_and_refuses_101(slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("x")] * 100})["ok"]
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("x")] * 101})
    assert slack.refused == [("views.publish", "invalid_arguments")]
    slack.invalid.clear()


def test_a_response_url_refuses_invalid_blocks_with_http_400(slack):
    body = json.dumps({"text": "t", "blocks": [section("x" * 3001)]}).encode()
    request = urllib.request.Request(
        slack.response_url("r1"), data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400 and json.loads(refused.value.read())["error"] == "invalid_blocks"
    assert slack.responses() == []
    slack.invalid.clear()
