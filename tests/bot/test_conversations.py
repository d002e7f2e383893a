"""Questions in free text through the real app and the fake Slack: in a DM, as an @mention, and replies
in the thread of an answer that follow it up, in English and French. Events are signed as Slack signs them."""

from __future__ import annotations

import json

import pytest

from bot.sandbox.slack_typing import slack_encode
from kpi.store import state
from tests.bot.conftest import NOW, Server, make_settings
from tests.support.messages import texts


@pytest.fixture
def talk(data, slack):
    running = Server(make_settings(data, slack), slack)
    running.app.deps.synchronous = True  # the answer is posted before the event's request returns
    slack.reset()
    yield running
    running.stop()


class Events:
    """Events as Slack sends them: the typed text entity-encoded, with links in Slack's syntax."""

    def __init__(self, server: Server):
        self.server, self.count = server, 0

    def send(self, event: dict) -> None:
        self.count += 1
        envelope = {
            "token": "x",
            "team_id": "T123",
            "api_app_id": "A123",
            "type": "event_callback",
            "event_id": f"EvTalk{self.count}",
            "event_time": 1,
            "event": event,
        }
        response = self.server.post_signed(json.dumps(envelope), content_type="application/json")
        assert response.status == 200

    def dm(self, text: str, ts: str, thread: str | None = None, channel: str = "D42") -> None:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": "U123",
            "text": slack_encode(text),
            "ts": ts,
        }
        self.send(event | ({"thread_ts": thread} if thread else {}))

    def mention(self, text: str, ts: str, channel: str = "C123") -> None:
        self.send(
            {
                "type": "app_mention",
                "channel": channel,
                "user": "U123",
                "text": f"<@UKPIBOT> {slack_encode(text)}",
                "ts": ts,
            }
        )
        # Slack also sends the mention as a message of the channel: it must not be answered twice
        self.send(
            {
                "type": "message",
                "channel_type": "channel",
                "channel": channel,
                "user": "U123",
                "text": f"<@UKPIBOT> {slack_encode(text)}",
                "ts": ts,
            }
        )

    def reply(self, text: str, thread: str, ts: str, channel: str = "C123") -> None:
        self.send(
            {
                "type": "message",
                "channel_type": "channel",
                "channel": channel,
                "user": "U123",
                "text": slack_encode(text),
                "ts": ts,
                "thread_ts": thread,
            }
        )


def posts(slack) -> list:
    return slack.calls_to("chat.postMessage")


def test_a_dm_question_is_answered_with_how_it_was_read(talk, slack):
    Events(talk).dm("what was our cac last month?", "100.1")
    [answer] = posts(slack)
    assert answer.payload["channel"] == "D42" and "thread_ts" not in answer.payload  # in the DM itself
    body = texts(answer.payload)
    # October 2026 (NOW is Nov 25): €1,500 of spend for 3 new customers
    assert "Read as: Customer acquisition cost · October 2026" in body
    assert "*€500.00*  ·  October 2026" in body


def test_a_mention_is_answered_once_in_its_thread_and_followed_up(talk, slack, data):
    events = Events(talk)
    events.mention("how is revenue doing in october 2026 by channel?", "200.1")
    [answer] = posts(slack)
    assert answer.payload["thread_ts"] == "200.1" and answer.payload["channel"] == "C123"
    assert "Read as: Revenue · October 2026 · by channel" in texts(answer.payload)

    events.reply("and for organic?", "200.1", "200.2")
    follow = posts(slack)[-1]
    assert follow.payload["thread_ts"] == "200.1"
    assert "Read as: Revenue · October 2026 · channel = organic" in texts(follow.payload)

    events.reply("same for september 2026", "200.1", "200.3")
    assert "Read as: Revenue · September 2026 · channel = organic" in texts(posts(slack)[-1].payload)
    assert "*€80.00*" in texts(posts(slack)[-1].payload)

    events.reply("vs last year", "200.1", "200.4")
    assert "Read as: Revenue · September 2026 · channel = organic · vs a year earlier" in texts(
        posts(slack)[-1].payload
    )

    events.reply("what about cac?", "200.1", "200.5")  # Sep organic: €90 of spend for 1 new customer
    body = texts(posts(slack)[-1].payload)
    assert "Read as: Customer acquisition cost · September 2026 · channel = organic · vs a year earlier" in body
    assert "*€90.00*" in body

    events.reply("thanks, I'll check with finance", "200.1", "200.6")  # chatter: no answer
    events.reply("good call", "999.1", "999.2")  # a thread without an answer of the bot
    assert len(posts(slack)) == 5
    kept = state.asked(data, "T123", "C123", "200.1", NOW.replace(tzinfo=None))
    assert kept == {"k": "cac", "p": "2026-09", "b": None, "w": "channel=organic", "y": True, "g": False}


def test_a_dm_follow_up_without_a_thread(talk, slack):
    events = Events(talk)
    events.dm("revenue in october 2026", "300.1", channel="D43")
    events.dm("and by category?", "300.2", channel="D43")
    assert "Read as: Revenue · October 2026 · by category" in texts(posts(slack)[-1].payload)
    events.dm("et en septembre ?", "300.3", channel="D43")
    assert "Read as: Revenue · September 2026 · by category" in texts(posts(slack)[-1].payload)


def test_a_question_not_understood_says_what_and_offers_readings(talk, slack):
    events = Events(talk)
    events.dm("what was our cost per lead last month", "400.1", channel="D44")
    body = texts(posts(slack)[-1].payload)
    assert "I couldn't tell which KPI you mean: I didn't understand *cost*." in body
    [actions] = [b for b in posts(slack)[-1].payload["blocks"] if b["type"] == "actions"]
    button = actions["elements"][0]
    assert button["text"]["text"] == "Customer acquisition cost · last-month"  # 'by lead' is not a breakdown of it
    talk.action(button["action_id"], button["value"])
    [answered] = [c for c in slack.responses()][-1:]
    assert "Read as: Customer acquisition cost · October 2026" in texts(answered.payload)

    events.dm("revenue for organik in october 2026", "400.2", channel="D44")  # a value not in the data
    body = texts(posts(slack)[-1].payload)
    assert (
        "No *organik* among the values of product / category / channel for *revenue* in that period. "
        "Did you mean `organic`?" in body
    )
    events.dm("revenue zork in october 2026", "400.3", channel="D45")  # an unknown word read as a value, not found
    last = posts(slack)[-1].payload
    assert "I didn't understand *zork* in your question." in texts(last)
    labels = [e["text"]["text"] for b in last["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert labels[0] == "Revenue · 2026-10"


def test_commands_that_change_things_stay_with_the_slash_command(talk, slack, data):
    Events(talk).dm("alert cac > 200 month", "500.1", channel="D46")
    assert "are set with the `/kpi` command: `/kpi alert cac &gt; 200 month`" in texts(posts(slack)[-1].payload)
    assert state.rules(data) == []


def test_in_french(data, slack):
    running = Server(make_settings(data, slack, kpi_language="fr"), slack)
    running.app.deps.synchronous = True
    slack.reset()
    try:
        events = Events(running)
        events.mention("quel est le taux de transformation d'octobre 2026 pour le canal organic ?", "600.1")
        first = texts(posts(slack)[-1].payload)
        events.reply("et par canal ?", "600.1", "600.2")
        second = texts(posts(slack)[-1].payload)
        events.reply("et en septembre ?", "600.1", "600.3")
        third = texts(posts(slack)[-1].payload)
    finally:
        running.stop()
    assert "Compris comme : Taux de transformation · octobre 2026 · canal = organic" in first
    assert "Compris comme : Taux de transformation · octobre 2026 · par canal" in second
    assert "Compris comme : Taux de transformation · septembre 2026 · par canal" in third


def test_charts_asked_in_dms_count_against_the_same_quota_as_the_command(talk, slack):
    events = Events(talk)
    for n in range(4):
        events.dm("revenue in october 2026 as a chart", f"700.{n}", channel="D47")
    refused = posts(slack)[-1].payload
    assert "You have asked for a lot of heavy work (charts, long ranges) in the last minute" in texts(refused)
    assert len(slack.calls_to("files.completeUploadExternal")) == 3  # the fourth chart was not drawn


def test_a_bot_database_that_fails_gets_an_apology_not_silence(talk, slack, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(state, "asked", broken)
    Events(talk).dm("what was our cac last month?", "800.1", channel="D48")
    body = texts(posts(slack)[-1].payload)
    assert "Sorry, something went wrong on my side. If it happens again, give this error id" in body
    assert "unexpected error while handling a Slack request" in caplog.text  # logged with its traceback
