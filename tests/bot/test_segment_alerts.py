"""Segment rules end to end: each value of a dimension watched on its own (its own incident, `min` guard and
resolution), the breaches of a pass grouped into one message per Slack channel, new values watched too."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.jobs.clock import run_pass
from bot.render import rules as rr
from kpi.catalog import load_catalog
from kpi.grammar import rule_from_fields, rule_from_words
from kpi.rules import Op, RuleError, RuleKind, RuleSpec
from kpi.store import state
from tests.bot.test_alert_commands import admin_server  # noqa: F401 - the fixture
from tests.conftest import insert
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

CATALOG = load_catalog()
# the fixture's last 30 days, CAC by channel: paid_search €500 (500 / 1), organic €300 (300 / 1),
# no channel: €200 of sales spend and no customer (no value)
BY_CHANNEL = RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 250.0, "30d", segment_by="channel")


def segments(url: str, parent: int) -> dict[str, object]:
    return {r.segment_key: r for r in state.rules(url) if r.parent_id == parent}


def test_each_channel_has_its_own_incident_in_one_message(ctx, slack):
    parent = add_rule(ctx.url, BY_CHANNEL)
    assert run_pass(ctx, T0).events == {"firing": 2, "no_data": 1}  # no value without a channel: not told
    [post] = posts(slack)
    body = texts(post.payload)
    assert post.payload["blocks"][0]["text"]["text"] == "🔴 2 alerts"
    assert "Customer acquisition cost · paid_search above €250.00" in body
    assert "Customer acquisition cost · organic above €250.00" in body
    assert "*Now*\n€500.00" in body and "*Now*\n€300.00" in body
    found = segments(ctx.url, parent)
    assert set(found) == {"paid_search", "organic", ""}
    assert (found["paid_search"].state, found["organic"].state, found[""].state) == ("firing", "firing", "no_data")
    assert state.rule(ctx.url, "T1", parent).state == "ok"  # the rule itself is judged through its segments
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}


def test_one_segment_resolves_while_the_other_keeps_firing(ctx, slack, data):
    parent = add_rule(ctx.url, BY_CHANNEL)
    run_pass(ctx, T0)
    insert(
        data,
        "customers",
        [{"id": 20 + i, "acquired_at": datetime(2026, 10, 30), "channel": "organic"} for i in range(2)],
    )  # organic: 300 / 3 = €100
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {"resolved": 1}
    reply = posts(slack)[-1]
    assert "✅ Resolved: Customer acquisition cost · organic is back at €100.00 (above €250.00)." in texts(
        reply.payload
    )
    found = segments(ctx.url, parent)
    assert (found["organic"].state, found["paid_search"].state) == ("ok", "firing")


def test_a_value_that_appears_later_is_watched_too(ctx, slack, data):
    parent = add_rule(ctx.url, BY_CHANNEL)
    run_pass(ctx, T0)
    insert(
        data, "spend", [{"day": datetime(2026, 10, 29).date(), "kind": "marketing", "channel": "email", "amount": 900}]
    )
    insert(data, "customers", [{"id": 30, "acquired_at": datetime(2026, 10, 29), "channel": "email"}])
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {"firing": 1}
    assert "Customer acquisition cost · email above €250.00" in texts(posts(slack)[-1].payload)
    assert segments(ctx.url, parent)["email"].state == "firing"


def test_the_min_guard_applies_to_each_segment(ctx, slack):
    add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 250.0, "30d", min_denominator=2, segment_by="channel"))
    assert run_pass(ctx, T0).events == {"no_data": 3}  # one new customer per channel: too few to judge
    assert posts(slack) == []  # segments without enough data are not told one by one


def test_the_list_shows_the_rule_with_its_segments_and_removing_it_stops_them(ctx, slack):
    parent = add_rule(ctx.url, BY_CHANNEL)
    run_pass(ctx, T0)
    listing = rr.rules_message(
        state.rules(ctx.url, "T1", "C1"), CATALOG, T0.replace(tzinfo=None), ctx.service.tz, "en", "EUR"
    )["text"]
    assert f"`#{parent}` *Customer acquisition cost (for each channel)* above €250.00 · 30d · 3 segments:" in listing
    assert "3 segments: 2 firing 🔴, 1 no data ⚪ · 🔴 organic, paid_search" in listing
    assert listing.count("`#") == 1  # the segments' own rules are not listed one by one
    state.snooze_rule(
        ctx.url, "T1", parent, (T0 + timedelta(days=1)).replace(tzinfo=None), "UADMIN", T0.replace(tzinfo=None)
    )
    assert all(r.snoozed_until for r in segments(ctx.url, parent).values())  # snoozing it snoozes them
    state.remove_rule(ctx.url, "T1", parent, "UADMIN", T0.replace(tzinfo=None))
    assert state.rules(ctx.url) == []  # and removing it removes them


def test_a_segment_rule_from_slack(admin_server, slack):  # noqa: F811 - the fixture
    message = admin_server.command("alert cac > 250 30d for each channel", user="UADMIN", channel="C9").json()
    assert "Each channel is watched on its own, with its own alert and resolution." in texts(message)
    slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
    assert "Customer acquisition cost · paid_search above €250.00" in texts(posts(slack, "C9")[0].payload)


@pytest.mark.parametrize("words", ["> 250 30d by channel", "> 250 30d for each channel", "> 250 par canal"])
def test_segment_rules_are_read_in_both_languages(words):
    assert rule_from_words("cac", words.split(), CATALOG).segment_by == "channel"


def test_a_dimension_the_kpi_does_not_have_is_refused_with_its_breakdowns():
    with pytest.raises(RuleError) as caught:
        rule_from_words("cac", "> 250 by product".split(), CATALOG)
    assert "*cac* cannot be watched for each *product*: its breakdowns are channel." == caught.value.text("en")
    spec = rule_from_fields({"kpi": "cac", "op": ">", "threshold": "250", "window": "30d", "segment": "canal"}, CATALOG)
    assert spec.segment_by == "channel"


def test_a_dimension_with_too_many_values_is_capped_and_the_channel_told_once(ctx, slack, data, monkeypatch):
    from bot.jobs import segments as jobs

    monkeypatch.setattr(jobs, "MAX_SEGMENTS", 2)
    parent = add_rule(ctx.url, BY_CHANNEL)
    run_pass(ctx, T0)
    assert set(segments(ctx.url, parent)) == {"paid_search", "organic"}  # the two with new customers
    notices = [p for p in posts(slack) if "largest values" in texts(p.payload)]
    assert len(notices) == 1
    assert (
        f"Rule `#{parent}` watches the 2 largest values of *channel* (by new customers): 1 smaller are not "
        "watched (the largest of them: no channel (sales team spend))."
    ) in texts(notices[0].payload)
    run_pass(ctx, T0 + timedelta(minutes=5))
    assert len([p for p in posts(slack) if "largest values" in texts(p.payload)]) == 1  # told once


@pytest.mark.slow
def test_a_dimension_with_100_000_values_watches_the_largest_first(ctx, slack, data):
    """100,000 more channels of one new customer each: `social` (71 new customers, the largest here) is
    watched, although 'seg_…' come before it in alphabetical order; the channel is told what was left out."""
    start = 1000
    customers = [
        {"id": start + i, "acquired_at": datetime(2026, 10, 20), "channel": f"seg_{i:06d}"} for i in range(100_000)
    ]
    customers += [{"id": 200_000 + i, "acquired_at": datetime(2026, 10, 21), "channel": "social"} for i in range(71)]
    insert(data, "customers", customers)
    insert(
        data,
        "spend",
        [{"day": datetime(2026, 10, 22).date(), "kind": "marketing", "channel": "social", "amount": 71_000}],
    )
    parent = add_rule(ctx.url, BY_CHANNEL)
    run_pass(ctx, T0)
    watched = segments(ctx.url, parent)
    assert len(watched) == 50 and {"social", "organic", "paid_search"} <= set(watched)
    alerts = [p for p in posts(slack) if "🔴" in texts(p.payload)]
    assert any("Customer acquisition cost · social above €250.00" in texts(p.payload) for p in alerts)  # €1,000
    [notice] = [p for p in posts(slack) if "largest values" in texts(p.payload)]
    assert "watches the 50 largest values of *channel* (by new customers): 99,954 smaller are not watched" in texts(
        notice.payload
    )
