"""Slack's inbound text format (bot.slack.wire.decode) and the fake Slack's encoder (slack_encode)."""

from __future__ import annotations

import pytest

from bot.sandbox.slack_typing import slack_encode
from bot.slack.wire import decode, mentions

DECODED = [
    ("revenue for R&amp;D", "revenue for R&D"),
    ("alert cac &gt; 150 30d", "alert cac > 150 30d"),
    ("alert cac &lt;= 150 30d", "alert cac <= 150 30d"),
    ("&amp;lt; stays typed", "&lt; stays typed"),  # a typed "&lt;" arrives as "&amp;lt;"
    ("&amp;amp;", "&amp;"),
    ("&lt;@U1&gt; typed by hand", "<@U1> typed by hand"),  # entities last: never a control sequence
    ("hi <@U123>", "hi @U123"),
    ("hi <@U123|ana>", "hi @ana"),
    ("hi <@W123|ana>", "hi @ana"),
    ("in <#C123|general>", "in #general"),
    ("in <#C123>", "in #C123"),
    ("in <#C123|>", "in #C123"),
    ("for <http://google.com|google.com>", "for google.com"),
    ("for <https://x.io>", "for x.io"),
    ("for <https://x.io/a?b=1&amp;c=2>", "for x.io/a?b=1&c=2"),
    ("mail <mailto:a@b.c|a@b.c>", "mail a@b.c"),
    ("mail <mailto:a@b.c>", "mail a@b.c"),
    ("<!channel> now", "@channel now"),
    ("<!here> now", "@here now"),
    ("<!everyone> now", "@everyone now"),
    ("<!here|@here> now", "@here now"),
    ("team <!subteam^S123|@sales>", "team @sales"),
    ("team <!subteam^S123>", "team @S123"),
    ("on <!date^1392734382^{date_pretty}|Feb 18, 2014>", "on Feb 18, 2014"),
    ("label <http://evil.example|R&amp;D &lt;x&gt;>", "label R&D <x>"),
    ("no control <> here", "no control  here"),
    ("plain 1.5 € by channel", "plain 1.5 € by channel"),
]


@pytest.mark.parametrize(("sent", "typed"), DECODED)
def test_decode_turns_slacks_text_into_what_was_typed(sent, typed):
    assert decode(sent) == typed


def test_the_bots_own_mention_is_removed_and_others_are_kept():
    assert decode("<@UKPIBOT> revenue for <@U1|ana>", "UKPIBOT").split() == ["revenue", "for", "@ana"]
    assert decode("<@UKPIBOT|kpi> revenue", "UKPIBOT").strip() == "revenue"
    assert mentions("hey <@UKPIBOT|kpi> revenue", "UKPIBOT") and mentions("<@UKPIBOT>", "UKPIBOT")
    assert not mentions("hey <@UOTHER> &lt;@UKPIBOT&gt;", "UKPIBOT") and not mentions("<@UKPIBOT>", "")


ENCODED = [
    ("revenue last month for google.com", "revenue last month for <http://google.com|google.com>"),
    ("alert cac > 150 30d", "alert cac &gt; 150 30d"),
    ("revenue for R&D", "revenue for R&amp;D"),
    ("write to a@b.com", "write to <mailto:a@b.com|a@b.com>"),
    ("see https://x.io/a", "see <https://x.io/a>"),
    ("cac 2026-10-01..2026-10-15 1.5", "cac 2026-10-01..2026-10-15 1.5"),
]


@pytest.mark.parametrize(("typed", "sent"), ENCODED)
def test_the_fake_slack_encodes_text_as_slack_does(typed, sent):
    assert slack_encode(typed) == sent
    assert decode(sent) == typed.replace("https://", "")
