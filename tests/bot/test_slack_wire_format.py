"""Text as Slack sends it, through the real app and the fake Slack: entity-encoded, with links, channels,
mentions and groups in Slack's syntax. Values Slack turned into links are read as typed, never dropped."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.sandbox.console import Console
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.bot.test_conversations import Events, posts
from tests.conftest import insert
from tests.support.messages import texts

ALL_REVENUE = "Read as: Revenue · October 2026\n"


@pytest.fixture
def talk(data, slack):
    running = Server(make_settings(data, slack), slack)
    running.app.deps.synchronous = True
    slack.reset()
    yield running
    running.stop()


# what Slack sends for "revenue 2026-10 for VALUE" -> the value the person typed
LINKED = [
    ("<http://google.com|google.com>", "google.com"),
    ("<https://google.com>", "google.com"),
    ("<#C123|general>", "#general"),
    ("<#C123>", "#C123"),
    ("<!subteam^S1|@sales>", "@sales"),
    ("<!channel>", "@channel"),
    ("<@U9|ana>", "@ana"),
    ("R&amp;D", "R&D"),
]


def refused_for(typed: str, body: str) -> bool:
    """The answer says the typed value is not in the data (read in lower case; `&` escaped or not, the
    outbound escaping is another part's)."""
    said = body.lower().replace("&amp;", "&")
    return f"no *{typed.lower()}* among the values" in said


@pytest.mark.parametrize(("sent", "typed"), LINKED)
def test_a_value_slack_turned_into_a_link_is_read_as_typed_in_a_command(talk, sent, typed):
    body = texts(talk.command(f"revenue 2026-10 for {sent}", raw=True).json())
    assert refused_for(typed, body), body
    assert "€" not in body and ALL_REVENUE not in body  # never answered as all revenue


@pytest.mark.parametrize(("sent", "typed"), LINKED[:4])
def test_a_value_slack_turned_into_a_link_is_read_as_typed_in_a_dm_and_a_mention(talk, slack, sent, typed):
    events = Events(talk)
    events.send(
        {"type": "message", "channel_type": "im", "channel": "D42", "user": "U123", "ts": "1.1"}
        | {"text": f"revenue 2026-10 for {sent}"}
    )
    events.send(
        {"type": "app_mention", "channel": "C123", "user": "U123", "ts": "2.1"}
        | {"text": f"<@UKPIBOT> revenue 2026-10 for {sent}"}
    )
    answers = [texts(call.payload) for call in posts(slack)]
    assert len(answers) == 2, answers
    for body in answers:
        assert refused_for(typed, body) and ALL_REVENUE not in body, body


def test_a_linked_value_that_is_in_the_data_is_answered_for_it(talk, slack):
    """A domain in the data (a source named google.com): the linked value filters, as typed."""
    body = texts(talk.command("revenue 2026-10 for <http://organic|organic>", raw=True).json())
    assert "Read as: Revenue · October 2026 · channel = organic" in body, body


def test_a_dm_for_r_and_d_is_read_with_the_value_r_and_d(talk, slack):
    Events(talk).dm("revenue 2026-10 for R&D", "3.1")
    [answer] = posts(slack)
    body = texts(answer.payload)
    assert refused_for("R&D", body) and "amp" not in body.replace("&amp;", ""), body


def test_the_console_sends_what_is_typed_as_slack_sends_it(data, slack):
    """The console's lines go through the same decoding as Slack's: `>` creates the rule, `R&D` is a value."""
    console = Console(make_settings(data, slack))
    try:
        created = console.run_line("/kpi alert cac > 150 30d")
        refused = console.run_line("/kpi revenue 2026-10 for R&D")
    finally:
        console.close()
    [rule] = state.rules(data, "T0LOCAL")
    assert (rule.spec.op.value, rule.spec.threshold) == (">", 150.0)
    assert "Rule `#1` created" in created and "&amp;gt;" not in created
    assert "No r&d among the values" in refused, refused  # the console shows text without its *bold*


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("alert cac &gt; 200 30d for <http://google.com|google.com>", "google.com"),
        ("alert cac &gt; 200 30d for <!subteam^S1|@sales>", "@sales"),
        ("digest daily 09:00 for <!channel>", "@channel"),
        ("digest daily 09:00 for <#C1|general>", "#general"),
    ],
)
def test_a_rule_or_digest_for_a_linked_value_is_refused_with_the_value_as_typed(data, slack, text, typed):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack), slack)
    try:
        body = texts(running.command(text, user="UADMIN", raw=True).json())
    finally:
        running.stop()
    assert refused_for(typed, body), body
    assert "<!" not in body and "<#" not in body and "<http" not in body  # never a live mention or link
    assert state.rules(data) == [] and state.active_digests(data, "T123") == []  # nothing created


def test_a_domain_in_the_data_typed_as_slack_links_it_is_answered_for_that_value(data, slack):
    """ "revenue 2026-10 for google.com" arrives as `…for <http://google.com|google.com>`: answered for the
    product google.com (€12,000.00), not for all revenue."""
    insert(data, "products", [{"id": 90, "name": "google.com", "category": "Ads"}])
    sold = {"customer_id": None, "product_id": 90, "cost": 0, "sold_at": datetime(2026, 10, 12, 10)}
    insert(data, "sales", [{"id": 900, "amount": 12000, **sold}])
    running = Server(make_settings(data, slack), slack)
    running.app.deps.synchronous = True
    try:
        body, _ = running.command_body("revenue 2026-10 for google.com")
        assert "%3Chttp%3A%2F%2Fgoogle.com%7Cgoogle.com%3E" in body  # sent as Slack links it
        answer = texts(running.post_signed(body).json())
        Events(running).dm("revenue 2026-10 for google.com", "5.1")
        [dm] = posts(slack)
    finally:
        running.stop()
    for shown in (answer, texts(dm.payload)):
        assert "*€12,000.00*" in shown and "product = google.com" in shown, shown
