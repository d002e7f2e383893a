"""Channels the bot is not in: the fake Slack refuses as Slack does, and the bot never looks successful there.

A slash command works in any channel, but the bot can only post where it is a member. Public channels are
joined (conversations.join); private ones, DMs between people and archived channels get a clear answer
saying what to do, and nothing is saved. A channel that later refuses the bot's posts is shown on its rules
and told once to their authors."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs import delivery
from bot.jobs.clock import run_pass
from bot.slack import membership
from bot.slack.listeners.home import dashboard
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

CAC_ABOVE_200 = RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 200.0, "30d")

INVITE = "invite me with `/invite @kpi-bot`"


@pytest.fixture
def admin(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    slack.add_channel("CPUB", member=False, name="sales")  # public, the bot not in it
    slack.add_channel("GPRIV", kind="private", member=False, name="board")  # private, the bot not in it
    slack.add_channel("COLD", archived=True, name="old")
    slack.add_channel("GMINE", kind="private", name="finance")  # private, the bot invited
    running = Server(make_settings(data, slack), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    slack.reset()
    yield running
    running.stop()


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as refused:
        call()
    return refused.value.response["error"]


# -- the fake Slack ---------------------------------------------------------------------------------


def test_the_fake_slack_refuses_to_post_where_slack_would(slack):
    slack.add_channel("CPUB", member=False)
    slack.add_channel("GPRIV", kind="private", member=False)
    slack.add_channel("COLD", archived=True)
    slack.add_channel("GMINE", kind="private")
    slack.add_channel("DTHEM", kind="im", member=False)
    client = WebClient(token="xoxb-x", base_url=slack.api_url)
    post = client.chat_postMessage
    assert error_of(lambda: post(channel="CPUB", text="hi")) == "not_in_channel"
    assert error_of(lambda: client.chat_postEphemeral(channel="CPUB", user="U1", text="hi")) == "not_in_channel"
    # private conversations the bot is not in are invisible to it
    assert error_of(lambda: post(channel="GPRIV", text="hi")) == "channel_not_found"
    assert error_of(lambda: post(channel="DTHEM", text="hi")) == "channel_not_found"
    assert error_of(lambda: post(channel="CNOPE", text="hi")) == "channel_not_found"
    assert error_of(lambda: post(channel="COLD", text="hi")) == "is_archived"
    assert error_of(lambda: client.files_upload_v2(channel="CPUB", content="x", filename="x.txt")) == "not_in_channel"
    assert post(channel="GMINE", text="hi")["ok"] and post(channel="C1", text="hi")["ok"]
    # conversations.join: public channels only
    assert error_of(lambda: client.conversations_join(channel="GPRIV")) == "method_not_supported_for_channel_type"
    assert error_of(lambda: client.conversations_join(channel="COLD")) == "is_archived"
    assert error_of(lambda: client.conversations_join(channel="CNOPE")) == "channel_not_found"
    assert client.conversations_info(channel="CPUB")["channel"]["is_member"] is False
    assert client.conversations_join(channel="CPUB")["channel"]["is_member"] is True
    assert client.conversations_join(channel="CPUB")["warning"] == "already_in_channel"
    assert post(channel="CPUB", text="hi")["ok"]
    info = client.conversations_info(channel="GMINE")["channel"]
    assert (info["is_private"], info["is_member"], info["is_archived"]) == (True, True, False)
    assert error_of(lambda: client.conversations_info(channel="GPRIV")) == "channel_not_found"


# -- commands ---------------------------------------------------------------------------------------


def test_a_chart_in_a_public_channel_joins_it_and_posts(admin, slack):
    message = admin.command("cac 2026-10 chart", channel="CPUB").json()
    assert "Drawing the chart of Customer acquisition cost" in texts(message)
    calls = slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    assert [c.payload["channel"] for c in calls if c.name == "conversations.join"] == ["CPUB"]
    [complete] = [c for c in calls if c.name == "files.completeUploadExternal"]
    assert complete.payload["channel_id"] == "CPUB"
    assert slack.channels is not None and slack.channels["CPUB"].member


@pytest.mark.parametrize(
    "channel, expected",
    [("GPRIV", INVITE), ("DTHEM", INVITE), ("COLD", "This channel is archived, so I can't post here")],
)
def test_a_chart_where_the_bot_cannot_post_says_what_to_do(admin, slack, channel, expected):
    message = admin.command("cac 2026-10 chart", channel=channel).json()
    assert expected in texts(message)
    assert "error id" not in texts(message) and "Drawing the chart" not in texts(message)
    assert slack.uploads == {} and slack.calls_to("files.completeUploadExternal") == []


def test_a_chart_refused_while_posting_is_explained_not_an_error_id(admin, slack):
    """The bot was removed between the check and the upload: the person is told what to do."""
    slack.add_channel("CGONE", member=True)
    real_join = slack._conversations

    def removed_after_join(method, payload):
        answer = real_join(method, payload)
        slack.channels["CGONE"].member = False  # someone removes the bot right after the check
        return answer

    slack._conversations = removed_after_join
    admin.command("cac 2026-10 chart", channel="CGONE")
    calls = slack.wait_for(lambda calls: len([c for c in calls if c.kind == "response_url"]) >= 1)
    said = "\n".join(texts(c.payload) for c in calls if c.kind == "response_url")
    assert INVITE in said and "error id" not in said


def test_an_alert_in_a_private_channel_the_bot_is_not_in_is_not_saved(admin, slack, data):
    answer = texts(admin.command("alert cac > 300 30d", user="UADMIN", channel="GPRIV").json())
    assert INVITE in answer and "nothing was saved" in answer and "Rule `#" not in answer
    assert state.rules(data) == []
    archived = texts(admin.command("alert cac > 300 30d", user="UADMIN", channel="COLD").json())
    assert "This channel is archived" in archived and state.rules(data) == []
    # once invited, the same command works
    slack.channels["GPRIV"].member = True
    assert "Rule `#" in texts(admin.command("alert cac > 300 30d", user="UADMIN", channel="GPRIV").json())
    [rule] = [r for r in state.rules(data) if r.parent_id is None]
    assert rule.channel_id == "GPRIV"
    assert "Customer acquisition cost" in texts(posts(slack, "GPRIV")[0].payload)  # checked at once, posted


def test_an_alert_in_a_public_channel_joins_it_and_its_alert_is_posted(admin, slack, data):
    answer = texts(admin.command("alert cac > 300 30d", user="UADMIN", channel="CPUB").json())
    assert "Rule `#" in answer
    assert [c.payload["channel"] for c in slack.calls_to("conversations.join")] == ["CPUB"]
    [alert] = posts(slack, "CPUB")
    assert "Customer acquisition cost above €300.00" in texts(alert.payload)
    assert [o["failed_at"] for o in state.outbox_rows(data)] == [None]


def test_digest_now_and_a_digest_in_a_private_channel_say_how_to_invite_the_bot(admin, slack, data):
    now = texts(admin.command("digest now", user="UADMIN", channel="GPRIV").json())
    assert INVITE in now and "Posting the digest" not in now
    daily = texts(admin.command("digest daily 09:00", user="UADMIN", channel="GPRIV").json())
    assert INVITE in daily
    assert state.active_digests(data) == [] and posts(slack, "GPRIV") == []
    assert state.outbox_rows(data) == []
    # a private channel the bot was invited to works as before
    assert "Posting the digest" in texts(admin.command("digest now", user="UADMIN", channel="GMINE").json())
    slack.wait_for(lambda calls: any(c.name == "chat.postMessage" and c.payload["channel"] == "GMINE" for c in calls))


def test_the_texts_are_in_french_too(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    slack.add_channel("GPRIV", kind="private", member=False)
    running = Server(make_settings(data, slack, kpi_language="fr"), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    try:
        answer = texts(running.command("alert cac > 300 30d", user="UADMIN", channel="GPRIV").json())
    finally:
        running.stop()
    assert "invitez-moi avec `/invite @kpi-bot`" in answer and state.rules(data) == []


# -- forms ------------------------------------------------------------------------------------------


def opened_view(slack) -> dict:
    calls = slack.wait_for(lambda calls: any(c.name == "views.open" for c in calls))
    view = [c for c in calls if c.name == "views.open"][-1].payload["view"]
    return view if isinstance(view, dict) else json.loads(view)


def rule_values(channel: str) -> dict:
    return {
        "kpi": {"value": {"type": "static_select", "selected_option": {"value": "cac"}}},
        "op": {"value": {"type": "static_select", "selected_option": {"value": ">"}}},
        "threshold": {"value": {"type": "plain_text_input", "value": "300"}},
        "window": {"value": {"type": "static_select", "selected_option": {"value": "30d"}}},
        "channel": {"value": {"type": "conversations_select", "selected_conversation": channel}},
        "for": {"value": {"type": "plain_text_input", "value": "1"}},
        "repeat": {"value": {"type": "static_select", "selected_option": {"value": "24h"}}},
    }


def submit(server, view: dict, values: dict):
    payload = {
        "type": "view_submission",
        "team": {"id": "T123"},
        "user": {"id": "UADMIN"},
        "api_app_id": "A123",
        "view": {**view, "id": "V1", "state": {"values": values}},
    }
    return server.post_signed(urlencode({"payload": json.dumps(payload)}))


def test_the_forms_channel_pickers_offer_channels_only(admin, slack):
    for command in ("alert", "digest"):
        slack.reset()
        admin.command(command, user="UADMIN", channel="C42")
        [picker] = [b["element"] for b in opened_view(slack)["blocks"] if b["block_id"] == "channel"]
        assert picker["type"] == "conversations_select"
        assert picker["filter"] == {"include": ["public", "private"], "exclude_bot_users": True}


@pytest.mark.parametrize("channel, expected", [("GPRIV", "/invite @kpi-bot"), ("COLD", "This channel is archived")])
def test_a_form_for_a_channel_the_bot_cannot_post_in_answers_under_the_channel_field(
    admin, slack, data, channel, expected
):
    admin.command("alert", user="UADMIN", channel="C42")
    answer = submit(admin, opened_view(slack), rule_values(channel))
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "errors" and list(body["errors"]) == ["channel"]
    assert expected in body["errors"]["channel"] and len(body["errors"]["channel"]) <= 150
    assert state.rules(data) == []
    # the digest form too
    slack.reset()
    admin.command("digest", user="UADMIN", channel="C42")
    values = {
        "cadence": {"value": {"type": "static_select", "selected_option": {"value": "daily"}}},
        "time": {"value": {"type": "timepicker", "selected_time": "09:00"}},
        "timezone": {"value": {"type": "plain_text_input", "value": "UTC"}},
        "channel": {"value": {"type": "conversations_select", "selected_conversation": channel}},
    }
    digest = submit(admin, opened_view(slack), values).json()
    assert digest["response_action"] == "errors" and expected in digest["errors"]["channel"]
    assert state.active_digests(data) == []


def test_a_form_for_a_public_channel_joins_it_and_saves(admin, slack, data):
    admin.command("alert", user="UADMIN", channel="C42")
    assert submit(admin, opened_view(slack), rule_values("CPUB")).status == 200
    [rule] = [r for r in state.rules(data) if r.parent_id is None]
    assert rule.channel_id == "CPUB"
    [confirmation] = slack.wait_for(lambda calls: any(c.name == "chat.postEphemeral" for c in calls))[-1:]
    assert confirmation.payload["channel"] == "CPUB" and "Rule `#" in texts(confirmation.payload)


def test_a_form_whose_confirmation_fails_saves_once_and_is_never_an_http_500(admin, slack, data):
    admin.command("alert", user="UADMIN", channel="C42")
    view = opened_view(slack)
    slack.fail("chat.postEphemeral", 500, times=5)
    answer = submit(admin, view, rule_values("C42"))
    assert answer.status == 200
    [rule] = [r for r in state.rules(data) if r.parent_id is None]
    dm = slack.wait_for(
        lambda calls: any(c.name == "chat.postMessage" and c.payload["channel"] == "UADMIN" for c in calls)
    )
    [told] = [c for c in dm if c.name == "chat.postMessage" and c.payload["channel"] == "UADMIN"]
    assert f"Rule `#{rule.id}` created" in texts(told.payload)


# -- a delivery that later fails --------------------------------------------------------------------


def test_a_channel_that_later_refuses_the_bot_is_shown_on_its_rules_and_told_once(ctx, slack, data, admin):
    rule = add_rule(data, channel="C9", team="T123")
    slack.channels["C9"].member = False  # someone removed the bot from the channel
    run_pass(ctx, T0)
    [failed] = [o for o in state.outbox_rows(data) if o["channel_id"] == "C9"]
    assert failed["failed_at"] is not None and failed["last_error"] == "not_in_channel"
    delivery.deliver(ctx, T0.replace(tzinfo=None) + timedelta(seconds=1))
    [dm] = posts(slack, "UADMIN")
    assert "can't be posted any more" in texts(dm.payload) and "<#C9>" in texts(dm.payload)
    assert INVITE.split("with ")[1] in texts(dm.payload)
    # another rule of that channel fires later and fails too: not told twice
    add_rule(data, spec=CAC_ABOVE_200, channel="C9", team="T123")
    later = T0 + timedelta(minutes=5)
    run_pass(ctx, later)
    delivery.deliver(ctx, later.replace(tzinfo=None) + timedelta(seconds=1))
    assert [o["last_error"] for o in state.outbox_rows(data) if o["channel_id"] == "C9"] == ["not_in_channel"] * 2
    assert len(posts(slack, "UADMIN")) == 1
    # shown on the rule, where people look: /kpi alerts in that channel, and Home
    listing = texts(admin.command("alerts", user="UADMIN", channel="C9").json())
    assert "can't be posted here since" in listing and "I'm no longer a member of this channel" in listing
    assert f"#{rule}" in listing
    home = json.dumps(dashboard(admin.app.deps, "T123", "month"))
    assert "<#C9>: alerts and digests can't be posted since" in home
    # invited back: the next post goes through (a new rule, checked at once) and the warning is gone
    slack.channels["C9"].member = True
    refused = len(posts(slack, "C9"))  # the fake records the posts it refused too
    assert "Rule `#" in texts(admin.command("alert cac > 100 30d", user="UADMIN", channel="C9").json())
    assert len(posts(slack, "C9")) == refused + 1
    assert state.channel_problems(data, "T123") == []
    assert "can't be posted" not in texts(admin.command("alerts", user="UADMIN", channel="C9").json())


def test_an_archived_channel_is_shown_as_archived(ctx, slack, data, admin):
    add_rule(data, channel="C9", team="T123")
    slack.channels["C9"].archived = True
    run_pass(ctx, T0)
    [problem] = state.channel_problems(data, "T123")
    assert (problem["channel_id"], problem["error"]) == ("C9", "is_archived")
    assert "this channel is archived" in texts(admin.command("alerts", user="UADMIN", channel="C9").json())


def test_private_channels_the_bot_is_in_and_its_own_dm_work_as_before(admin, slack, data):
    for channel in ("GMINE", "D1"):
        assert "Rule `#" in texts(admin.command("alert cac > 300 30d", user="UADMIN", channel=channel).json())
        assert "Customer acquisition cost above €300.00" in texts(posts(slack, channel)[0].payload)
    assert sorted(r.channel_id for r in state.rules(data) if r.parent_id is None) == ["D1", "GMINE"]
    assert slack.calls_to("conversations.info") and all(o["failed_at"] is None for o in state.outbox_rows(data))


def test_a_slow_slack_never_holds_a_form_past_its_check_budget(slack):
    """Slack must have the form's answer within 3 s: a channel check Slack does not answer in time is given
    up (read as "can post"; a later refusal is shown on the rule and told to its author)."""
    slack.add_channel("GPRIV", kind="private", member=False)
    client = WebClient(token="xoxb-x", base_url=slack.api_url)
    slack.hold("conversations.join")
    try:
        assert membership.problem_within(client, "GPRIV", 0.05) is None  # given up, not waited for
        slack.wait_until_held()
    finally:
        slack.release(drop=True)
    slack.hold("none")
    assert membership.problem_within(client, "GPRIV", 5.0) == "channel_invite_me"  # answered in time


@pytest.mark.parametrize("channel, joined", [("CPUB", True), ("GPRIV", False)])
def test_the_show_chart_button_checks_the_channel_like_the_command(admin, slack, channel, joined):
    """The button of an answer shared in a channel: a public one is joined before the upload, a private one
    the bot is not in gets the invitation, and nothing is uploaded there."""
    value = json.dumps({"k": "cac", "p": "2026-10", "b": None})
    assert admin.action("kpi_chart", value, user="UADMIN", channel=channel).status == 200
    if joined:
        calls = slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
        assert [c.payload["channel_id"] for c in calls if c.name == "files.completeUploadExternal"] == [channel]
    else:
        calls = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
        said = "\n".join(texts(c.payload) for c in calls if c.kind == "response_url")
        assert INVITE in said and slack.calls_to("files.completeUploadExternal") == []
    assert slack.channels is not None and slack.channels[channel].member is joined
