"""The README's `/kpi …` commands, sent the way Slack sends what people type (entity-encoded, domains as
links), work as a slash command, in a DM and as a mention: read as typed, never "not understood"."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from bot.sandbox.slack_typing import slack_encode
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.bot.test_conversations import Events
from tests.support.clock import T0
from tests.support.messages import texts

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
# a usage line has placeholders (KPI, PERIOD, [a|b], …); an example is a command as people type it
EXAMPLES = list(
    dict.fromkeys(
        c
        for c in re.findall(r"`(/kpi(?: [^`]*)?)`", README)
        if not re.search(r"\b[A-Z]{2,}\b|[\[\]…|]", c) and "average_basket" not in c  # a KPI you define yourself
    )
)
CHANGES = ("alert", "digest", "target", "pin", "unpin", "share")  # the command's work (permissions, forms)
QUESTIONS = [c for c in EXAMPLES if c.split()[1:2] and c.split()[1] not in CHANGES]
NOT_READ = ("didn't understand", "Sorry, something went wrong", "OP is one of", "&amp;", "amp;")


def test_the_readme_has_the_examples_this_test_sends():
    assert "/kpi alert cac > 200 30d by channel" in EXAMPLES and "/kpi what was our cac last month?" in QUESTIONS
    assert len(EXAMPLES) >= 20 and len(QUESTIONS) >= 10


@pytest.fixture
def running(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    server = Server(make_settings(data, slack), slack, clock=lambda: T0)
    server.app.deps.synchronous = True  # what a command posts is posted before its request returns
    slack.reset()
    yield server
    server.stop()


def said(server: Server, seen: int, reply: str) -> str:
    """What the person reads after a request: its inline answer and what the bot posted since ``seen``."""
    shown = [texts(server.json_or_empty(reply))] if reply else []
    shown += [texts(call.payload) for call in server.slack.calls[seen:] if call.name != "views.open"]
    return "\n".join(shown)


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_readme_command_sent_as_slack_sends_it_is_read_as_typed(running, slack, example):
    text = example.removeprefix("/kpi").strip()
    body, _ = running.command_body(text, user="UADMIN")
    assert parse_qs(body)["text"] == [slack_encode(text)] if text else True  # sent as Slack sends it
    seen = len(slack.calls)
    response = running.post_signed(body)
    shown = said(running, seen, response.body)
    assert shown.strip() or slack.calls_to("views.open"), example  # answered, or a form opened
    for wrong in NOT_READ:
        assert wrong not in shown, (example, shown)


def test_an_alert_with_a_sign_creates_the_rule_and_shows_the_sign(running, slack, data):
    body, _ = running.command_body("alert cac > 150 30d", user="UADMIN")
    assert "cac+%26gt%3B+150+30d" in body  # `alert cac &gt; 150 30d`, as Slack sends it
    shown = said(running, len(slack.calls), running.post_signed(body).body)
    [rule] = state.rules(data, "T123")
    assert (rule.spec.kpi, rule.spec.op, rule.spec.threshold, rule.spec.window) == ("cac", ">", 150.0, "30d")
    assert "&amp;gt;" not in shown and "&amp;" not in shown
    assert "above €150.00" in shown or "&gt; €150.00" in shown or "> €150.00" in shown, shown


@pytest.mark.parametrize("example", QUESTIONS)
def test_each_readme_question_is_read_as_typed_in_a_dm_and_a_mention(running, slack, example):
    text = example.removeprefix("/kpi").strip()
    events = Events(running)
    events.dm(text, "10.1")
    events.mention(text, "20.1")
    answers = [texts(call.payload) for call in slack.calls_to("chat.postMessage")]
    assert len(answers) >= 2, (example, answers)
    for shown in answers:
        for wrong in NOT_READ:
            assert wrong not in shown, (example, shown)


def test_an_alert_in_a_dm_is_sent_to_the_command_with_its_sign_as_typed(running, slack):
    Events(running).dm("alert cac > 200 30d", "30.1")
    [answer] = slack.calls_to("chat.postMessage")
    shown = texts(answer.payload)
    assert "alert cac &gt; 200 30d" in shown or "alert cac > 200 30d" in shown, shown
    assert "&amp;gt;" not in shown
