"""Rules on one value of a breakdown (`/kpi alert cac > 250 30d for organic`, `pour le canal organic`,
`channel=organic`): only that value is watched, through the app, the fake Slack and real passes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.jobs.clock import run_pass
from bot.render import rules as rr
from kpi.catalog import load_catalog
from kpi.grammar import rule_from_words
from kpi.rules import RuleError
from kpi.store import state
from tests.bot.test_alert_commands import admin_server  # noqa: F401 - the fixture
from tests.support.clock import T0
from tests.support.messages import posts, texts

CATALOG = load_catalog()


@pytest.mark.parametrize(
    "words, by, value",
    [
        ("> 250 30d for organic", "", "organic"),
        ("> 250 30d channel=organic", "channel", "organic"),
        ("> 250 30d pour le canal organic", "channel", "organic"),
        ("> 250 30d for the channel organic for 2", "channel", "organic"),
        ("drops 20% month for paid_search", "", "paid_search"),
    ],
)
def test_filters_are_read_in_both_languages(words, by, value):
    spec = rule_from_words("cac", words.split(), CATALOG)
    assert (spec.segment_by, spec.segment_only) == (by, value)


def test_for_a_number_is_still_the_count_and_a_filter_with_each_is_refused():
    assert rule_from_words("cac", "> 250 30d for 2".split(), CATALOG).for_count == 2
    with pytest.raises(RuleError):
        rule_from_words("cac", "> 250 30d for organic by channel".split(), CATALOG)
    with pytest.raises(RuleError) as caught:
        rule_from_words("cac", "> 250 30d product=starter".split(), CATALOG)
    assert "its breakdowns are channel" in caught.value.text("en")


def test_a_filtered_rule_watches_only_its_value(admin_server, slack, data):  # noqa: F811 - the fixture
    # the fixture's last 30 days, CAC by channel: paid_search €500, organic €300
    message = admin_server.command("alert cac > 250 30d for ORGANIC", user="UADMIN", channel="C9").json()
    assert "Only channel = organic is watched." in texts(message)
    slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
    [post] = posts(slack, "C9")
    body = texts(post.payload)
    assert "Customer acquisition cost · organic above €250.00" in body and "*Now*\n€300.00" in body
    assert "paid_search" not in body
    [parent] = [r for r in state.rules(data) if r.parent_id is None]
    assert (parent.spec.segment_by, parent.spec.segment_only) == ("channel", "organic")
    assert {r.segment_key for r in state.rules(data) if r.parent_id == parent.id} == {"organic"}
    listing = rr.rules_message(
        state.rules(data, "T123", "C9"), CATALOG, T0.replace(tzinfo=None), T0.tzinfo, "en", "EUR"
    )
    assert "Customer acquisition cost (channel = organic)" in texts(listing)
    assert run_pass(admin_server.app.deps.jobs, T0).events == {}  # firing already: not told again


def test_a_value_not_in_the_data_is_refused_with_the_closest(admin_server, data):  # noqa: F811
    message = admin_server.command("alert cac > 250 30d pour organik", user="UADMIN", channel="C9").json()
    assert "No *organik* among the values of channel for *cac* in that period. Did you mean `organic`?" in texts(
        message
    )
    assert state.rules(data) == []


def test_a_digest_for_one_channel(admin_server, slack, data):  # noqa: F811 - the fixture
    message = admin_server.command(
        "digest daily 13:00 UTC revenue cac nps for Organic", user="UADMIN", channel="C9"
    ).json()
    assert "For channel = organic only." in texts(message)
    [digest] = state.active_digests(data, "T123", "C9")
    assert (digest.spec.kpis, digest.spec.where) == (("revenue", "cac", "nps"), "channel=organic")
    slack.reset()
    run_pass(admin_server.app.deps.jobs, T0 + timedelta(hours=1))  # the 13:00 digest
    [post] = [c for c in posts(slack, "C9") if "KPI digest" in c.payload["text"]]
    body = texts(post.payload)
    assert "KPI digest - Saturday 31 October 2026 · channel = organic" in body
    # October to date for organic: sales of customer 1 (€100 + €50); spend €300 for 1 new customer
    assert "*Revenue*\nYesterday: €0.00" in body and "Month to date: €150.00" in body
    assert "Month to date: €300.00" in body


def test_a_digest_filter_on_a_breakdown_no_kpi_has_is_refused(admin_server, data):  # noqa: F811
    message = admin_server.command("digest daily 9h revenue colour=red", user="UADMIN", channel="C9").json()
    assert "*colour* is not a breakdown of any KPI; the breakdowns are category, channel, product, project." in texts(
        message
    )
    message = admin_server.command("digest daily 9h revenue pour organik", user="UADMIN", channel="C9").json()
    assert "No *organik* among the values of" in texts(message) and "Did you mean `organic`?" in texts(message)
    assert state.active_digests(data, "T123", "C9") == []


def test_a_filtered_alert_says_what_moved_inside_its_value(admin_server, slack, data):  # noqa: F811
    # organic's revenue over the 30 days to Oct 31: €150 (Starter €100, Pro €50) against €80 (Starter)
    admin_server.command("alert revenue > 100 30d for organic", user="UADMIN", channel="C9")
    slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
    body = texts(posts(slack, "C9")[0].payload)
    assert "Revenue · organic above €100.00" in body and "*Now*\n€150.00" in body
    assert "*Pro* explains 71.4% of the rise" in body


def test_show_chart_on_a_filtered_alert_draws_its_value(admin_server, slack, data):  # noqa: F811 - the fixture
    """The button carries the rule's value, and the chart posted is organic's CAC, not the total's."""
    import json

    admin_server.command("alert cac > 250 30d for organic", user="UADMIN", channel="C9")
    slack.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls))
    [post] = posts(slack, "C9")
    [chart] = [
        e
        for b in post.payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "kpi_chart"
    ]
    assert json.loads(chart["value"]) == {"k": "cac", "p": "30d", "b": None, "w": "channel=organic"}
    admin_server.action("kpi_chart", chart["value"], user="U77", channel="C9")
    calls = slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    [done] = [c for c in calls if c.name == "files.completeUploadExternal"]
    assert done.payload["initial_comment"].startswith("Customer acquisition cost · channel = organic")


def test_show_chart_on_a_segment_alert_draws_its_value(ctx, slack):
    """A rule for each channel: each segment's alert charts its own channel."""
    import json

    from kpi.rules import Op, RuleKind, RuleSpec
    from tests.support.rules import add_rule

    add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 250.0, "30d", segment_by="channel"))
    run_pass(ctx, T0)
    [post] = posts(slack)
    values = [
        json.loads(e["value"])
        for b in post.payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "kpi_chart"
    ]
    assert sorted(v["w"] for v in values) == ["channel=organic", "channel=paid_search"]
