"""Heavy work has one queue and one quota, whatever door it comes in by (`/kpi`, a DM, a mention) and whatever
the number of web processes: a flood of heavy DMs never delays anyone's cheap answer, and two processes over
the same database count the same uses."""

from __future__ import annotations

import json

import pytest

from tests.bot.conftest import Server, make_settings
from tests.support.messages import texts

pytestmark = pytest.mark.slow


def send_event(server: Server, event: dict, number: int) -> None:
    envelope = {
        "token": "x",
        "team_id": "T123",
        "api_app_id": "A123",
        "type": "event_callback",
        "event_id": f"EvFlood{number}",
        "event_time": 1,
        "event": event,
    }
    assert server.post_signed(json.dumps(envelope), content_type="application/json").status == 200


def dm(user: str, text: str, number: int) -> dict:
    channel = f"D{number:03d}"
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": f"{number}.1",
    }


def test_a_flood_of_heavy_dms_and_mentions_leaves_another_persons_kpi_answered_inline(data, slack):
    running = Server(make_settings(data, slack), slack)
    slack.reset()
    slack.add_channel("C777")  # the bot is in the channel of the mentions, and each DM is the bot's own
    for i in range(40):
        slack.add_channel(f"D{i:03d}", kind="im")
    # every chart, once drawn, waits at Slack's upload for as long as the test wants: whatever holds a worker
    # stays held, so a cheap answer that queued behind the flood would never come inline
    slack.hold("files.getUploadURLExternal")
    try:
        for i in range(40):
            if i % 2:
                send_event(running, dm(f"UDM{i:02d}", "ltv_cac 3660d chart", i), i)
            else:
                mention = {"type": "app_mention", "channel": "C777", "user": f"UDM{i:02d}", "ts": f"{i}.1"}
                send_event(running, mention | {"text": "<@UKPIBOT> ltv_cac 3660d chart"}, i)
        slack.wait_until_held()  # the flood has reached Slack: one chart is stuck at its upload
        answer = running.command("cac month", user="UOTHER")
        body = texts(answer.json())
        assert "Customer acquisition cost" in body and "Working on it" not in body  # answered in the HTTP reply
        # the flood went to the heavy queue: one worker at a time, the others wait their turn there
        assert running.app.deps.heavy._work_queue.qsize() >= 25
    finally:
        running.app.deps.heavy.shutdown(wait=False, cancel_futures=True)
        slack.release(drop=True)
        running.stop()


def test_heavy_dms_count_against_the_same_quota_as_kpi_commands(data, slack):
    running = Server(make_settings(data, slack), slack)
    running.app.deps.limits.clock = lambda: 1000.0  # one instant: the window never slides in this test
    slack.reset()
    try:
        for _ in range(3):
            assert "You have asked for a lot of heavy work" not in texts(
                running.command("cac 3000d", user="UHEAVY").json()
            )
        send_event(running, dm("UHEAVY", "ltv_cac 3660d", 1), 1)  # a long range in a DM is heavy too
        slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
        [refusal] = slack.calls_to("chat.postMessage")
        assert "You have asked for a lot of heavy work" in texts(refusal.payload)
    finally:
        running.stop()


def test_quotas_hold_across_two_web_processes_over_one_database(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    first = Server(make_settings(data, slack), slack)
    second = Server(make_settings(data, slack), slack)
    second.count = 1000  # its requests are not the first's (the same signed body twice is a replay)
    for server in (first, second):
        server.app.deps.limits.clock = lambda: 1000.0
    try:
        assert first.app.deps.limits is not second.app.deps.limits  # each process has its own
        assert "Posting the digest" in texts(first.command("digest now", user="UADMIN").json())
        assert "This channel just got a digest" in texts(second.command("digest now", user="UADMIN").json())
        assert "Posting the digest" in texts(second.command("digest now", user="UADMIN", channel="C999").json())
        answers = [texts(server.command("cac 3000d", user="UHEAVY").json()) for server in (first, second, first)]
        assert not any("You have asked for a lot of heavy work" in a for a in answers)
        fourth = texts(second.command("cac 3000d", user="UHEAVY").json())
        assert "You have asked for a lot of heavy work" in fourth and "try again in 60 s" in fourth
        first.app.deps.limits.clock = second.app.deps.limits.clock = lambda: 1061.0  # a minute later
        assert "heavy work" not in texts(second.command("cac 3000d", user="UHEAVY").json())
    finally:
        first.stop()
        second.stop()
