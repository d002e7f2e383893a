"""Long lists cut the way people can read: on whole lines or blocks, with what was left out said, in the
person's language, and never over Slack's limits (the fake Slack's own checks judge each payload)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.render.home import home_view
from bot.render.rules import history_message, with_problem
from bot.sandbox.slack_rules import refusal

AT = datetime(2026, 11, 25, 10, 30)


@pytest.mark.parametrize("lang, more", [("en", "… and"), ("fr", "… et")])
def test_a_long_history_is_cut_on_whole_lines_and_says_how_many_more(lang, more):
    entries = [
        {"action": "rule.create", "target": str(n), "user_id": f"U{n:05d}", "at": AT, "channel_id": "C1"}
        for n in range(400)
    ]
    shown = history_message(entries, timezone.utc, lang)
    assert refusal("chat.postMessage", {"channel": "C1", **shown}) is None
    section = shown["blocks"][1]["text"]["text"]
    last = section.splitlines()[-1]
    assert last.startswith(more) and "400" not in last
    assert len(section) <= 3000 and section.count("\n") + 1 < 400


def test_the_channel_warning_stays_within_a_message_and_says_what_was_cut():
    rows = [{"type": "section", "text": {"type": "mrkdwn", "text": f"#{n}"}} for n in range(60)]
    listed = {"text": "rules", "blocks": rows}
    problem = {"since": AT, "error": "not_in_channel"}
    shown = with_problem(listed, [problem], timezone.utc, "en")
    assert len(shown["blocks"]) == 50 and "Alerts and digests can't be posted here" in str(shown["blocks"][0])
    assert shown["blocks"][-1]["text"]["text"] == "… and 12 more"


def test_home_says_how_many_channel_problems_it_left_out_in_the_persons_language():
    problems = [f":warning: <#C{n:05d}>: I'm not a member of it any more (since Nov {n % 28 + 1})" for n in range(200)]
    view = home_view([], {}, [], "month", [], None, "fr", "EUR", problems=problems)
    assert refusal("views.publish", {"user_id": "U1", "view": view}) is None
    text = "\n".join(str(b.get("text", {}).get("text", "")) for b in view["blocks"])
    assert "… +" not in text and "… et " in text
