"""Events as a real workspace sends them, not only as our own tests do: other bots, thread replies of other
subtypes, envelopes no Slack client sends, very long messages, and the bot's database failing then recovering.
Signed events through the real app and the fake Slack."""

from __future__ import annotations

import json
import logging

import pytest

from tests.bot.conftest import Server, make_settings
from tests.support.chaos import ReadOnlyDatabase
from tests.support.messages import texts


@pytest.fixture
def talk(data, slack):
    running = Server(make_settings(data, slack), slack)
    running.app.deps.synchronous = True  # the answer is posted before the event's request returns
    slack.reset()
    yield running
    running.stop()


class Events:
    def __init__(self, server: Server):
        self.server, self.count = server, 0

    def send(self, event, **envelope) -> int:
        self.count += 1
        body = {
            "token": "x",
            "team_id": "T123",
            "api_app_id": "A123",
            "type": "event_callback",
            "event_id": f"EvOdd{self.count}",
            "event_time": 1,
            "event": event,
        }
        return self.server.post_signed(json.dumps(body | envelope), content_type="application/json").status

    def dm(self, text: str, ts: str, **extra) -> None:
        event = {"type": "message", "channel_type": "im", "channel": "D42", "user": "U123", "text": text, "ts": ts}
        assert self.send(event | extra) == 200

    def mention(self, text: str, ts: str, **extra) -> None:
        event = {"type": "app_mention", "channel": "C123", "user": "U123", "text": f"<@UKPIBOT> {text}", "ts": ts}
        assert self.send(event | extra) == 200

    def reply(self, text: str, thread: str, ts: str, **extra) -> None:
        event = {"type": "message", "channel_type": "channel", "channel": "C123", "user": "U123", "text": text}
        assert self.send(event | {"ts": ts, "thread_ts": thread} | extra) == 200


def posts(slack) -> list:
    return slack.calls_to("chat.postMessage")


def test_mentions_from_other_bots_are_ignored(talk, slack):
    events = Events(talk)
    events.mention("cac last month", "100.1", bot_id="BOTHER", subtype="bot_message", username="reporter")
    events.mention("cac last month", "100.2", bot_id="BOTHER")  # a bot's app_mention without a subtype
    assert posts(slack) == []
    events.mention("cac last month", "100.3")  # a person's is answered
    [answer] = posts(slack)
    assert answer.payload["thread_ts"] == "100.3" and "Customer acquisition cost" in texts(answer.payload)


def test_dms_and_thread_replies_from_other_bots_are_ignored(talk, slack):
    events = Events(talk)
    events.dm("cac last month", "110.1", bot_id="BOTHER")  # a bot posting as itself in a DM with the bot
    events.dm("cac last month", "110.2", bot_id="BOTHER", bot_profile={"id": "BOTHER"}, user="UBOTUSER")
    events.mention("revenue in october 2026", "110.3")
    events.reply("and by channel?", "110.3", "110.4", bot_id="BOTHER")
    assert len(posts(slack)) == 1  # the person's mention only
    events.dm("cac last month", "110.5")  # a person's DM is answered
    assert len(posts(slack)) == 2 and "Customer acquisition cost" in texts(posts(slack)[-1].payload)


def test_a_command_asked_in_a_dm_is_pointed_to_slash_kpi_with_what_was_typed_escaped(talk, slack):
    events = Events(talk)
    events.dm("alert cac &gt; 5 30d for &lt;!channel&gt;", "120.1")  # Slack's "alert cac > 5 30d for <!channel>"
    [answer] = posts(slack)
    said = json.dumps(answer.payload)
    assert "<!channel>" not in said and "&lt;!channel&gt;" in said and "/kpi" in texts(answer.payload)


def test_thread_replies_sent_to_the_channel_too_or_with_a_file_are_answered_like_plain_ones(talk, slack):
    events = Events(talk)
    events.mention("revenue in october 2026", "200.1")
    events.reply("and by channel?", "200.1", "200.2", subtype="thread_broadcast")
    assert "Read as: Revenue · October 2026 · by channel" in texts(posts(slack)[-1].payload)
    events.reply("and for organic?", "200.1", "200.3", subtype="file_share", files=[{"id": "F1"}])
    assert "Read as: Revenue · October 2026 · channel = organic" in texts(posts(slack)[-1].payload)
    events.dm("cac in october 2026", "300.1", subtype="file_share", files=[{"id": "F2"}])
    assert "Read as: Customer acquisition cost · October 2026" in texts(posts(slack)[-1].payload)
    assert [p.payload.get("thread_ts") for p in posts(slack)] == ["200.1", "200.1", "200.1", None]
    events.reply("and by category?", "200.1", "200.4", subtype="message_changed")  # an edit: not a question
    assert len(posts(slack)) == 4


def test_people_talking_about_the_numbers_in_a_thread_are_not_answered(talk, slack):
    events = Events(talk)
    events.mention("revenue in october 2026", "700.1")
    for number, chatter in enumerate(
        ["this month is better than last month", "revenue is up this month", "we did better in october 2026"]
    ):
        events.reply(chatter, "700.1", f"700.{number + 2}")
    assert len(posts(slack)) == 1  # the answer to the mention only
    events.reply("and last month?", "700.1", "700.9")
    events.reply("same for september 2026", "700.1", "700.10")
    assert [texts(p.payload).count("Read as: Revenue · ") for p in posts(slack)[1:]] == [1, 1]
    assert "Read as: Revenue · September 2026" in texts(posts(slack)[-1].payload)


def test_a_signed_event_that_is_not_an_object_gets_200_and_one_log_line(talk, slack, caplog):
    events = Events(talk)
    with caplog.at_level(logging.INFO):
        statuses = [events.send("x"), events.send(["x"]), events.send(None)]
        home_for_no_one = events.send({"type": "app_home_opened", "tab": "home"})  # no user: nothing to publish
    assert statuses == [200, 200, 200] and home_for_no_one == 200
    lines = [r for r in caplog.records if "event is not an object" in r.getMessage()]
    assert len(lines) == 3 and "(str)" in lines[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]  # no traceback
    unsigned = talk.post_signed(json.dumps({"type": "event_callback", "event": "x"}), secret="not-the-secret")
    assert unsigned.status == 401
    assert posts(slack) == [] and slack.calls_to("views.publish") == []


def test_a_40_kb_dm_is_refused_with_its_real_length(talk, slack):
    Events(talk).dm("revenue " + "x" * 40_000, "400.1")
    [answer] = posts(slack)
    assert "That command is too long (40008 characters); the most I read is 500." in texts(answer.payload)


def test_a_bot_database_that_takes_no_writes_gets_the_apology_then_recovers_without_a_restart(talk, slack, data):
    if not data.startswith("sqlite"):
        pytest.skip("the read-only switch is SQLite's")
    outage = ReadOnlyDatabase(data)
    events = Events(talk)
    try:
        outage.down()
        events.dm("cac in october 2026", "500.1")
        events.mention("cac in october 2026", "500.2")
        apologies = [texts(p.payload) for p in posts(slack)]
        assert len(apologies) == 2
        assert all("Sorry, something went wrong on my side" in a and "error id" in a for a in apologies)
        assert [p.payload.get("thread_ts") for p in posts(slack)] == [None, "500.2"]
        outage.up()  # the same process, its pool as the outage left it
        events.dm("cac in october 2026", "500.3")
        assert "Read as: Customer acquisition cost · October 2026" in texts(posts(slack)[-1].payload)
        assert talk.request("GET", "/healthz").json()["database"] == "ok"
    finally:
        outage.close()
