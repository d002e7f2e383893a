"""Hostile values everywhere, checked the way Slack would read them (issue 24's "done when").

Products, categories and channels named like Slack's control sequences (``<!channel>``, ``<!here>``,
``<@U1>``, ``<#C1>``, ``<http://evil|x>``, ``&``, 300 characters), 60 products, a team catalog of 120 KPIs
with such names (129 KPIs in all), and words typed back: every message kind (answers, breakdowns, list,
explain, why, help, refusals, rule lists, alerts of every kind incl. 60-segment ones, digests, Home,
modals, charts' comments) is rendered, every text of every payload walked, and no control sequence built
from data is found; the fake Slack refuses none of them (its limits: bot/sandbox/slack_rules.py).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from bot.render import alerts as ra
from bot.render import rules as rr
from bot.render.blocks import MAX_SECTION, clip_lines, escape, fixed, plain
from bot.sandbox.slack_rules import refusal
from kpi.anomaly import Judgement
from kpi.catalog import load_catalog
from kpi.grammar import rule_from_words
from kpi.pacing import Miss, Pace
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.bot.test_conversations import Events
from tests.support import hostile
from tests.support.clock import T0, FakeTime
from tests.support.messages import posts, texts
from tests.support.rules import add_rule, subscribe

ADMIN = "UADMIN"
TEAM = "T123"
CHANNEL = "C123"
OURS = ("C0ALERTS", "C0SEG", "C0DIGEST", "C0ALL", "C0EMPTY")  # channels of this test, the bot in them
INTENDED = {f"<@{ADMIN}>", f"<#{CHANNEL}>", *(f"<#{c}>" for c in OURS)}


@pytest.fixture(autouse=True)
def our_channels(slack):
    for channel in OURS:
        slack.add_channel(channel, name=channel.lower())


def payloads(slack) -> list[tuple[str, dict]]:
    return [(c.name, c.payload) for c in slack.calls if c.kind in ("api", "response_url")]


def assert_clean(found: list[tuple[str, dict]]) -> None:
    """No control sequence from data in any payload, and none Slack would refuse."""
    problems = [f"{name}: {p}" for name, payload in found for p in hostile.control_sequences(payload, INTENDED)]
    assert problems == []
    refused = [(name, refusal(name if not name.startswith(("cmd", "act")) else "response_url", p)) for name, p in found]
    assert [r for r in refused if r[1] is not None] == []


def jobs(data, slack, definitions) -> JobContext:
    ctx = JobContext.from_settings(make_settings(data, slack, kpi_definitions=str(definitions)))
    fake = FakeTime()
    ctx.sleep, ctx.monotonic = fake.sleep, fake.monotonic
    return ctx


def test_the_checker_finds_what_slack_would_act_on():
    """The walk of payloads can fail: raw data in a text, an entity in a plain text."""
    bad = {"text": "hi <!channel>", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "&lt;"}}]}
    assert len(hostile.control_sequences(bad, INTENDED)) == 2
    good = {
        "text": escape("hi <!channel> <@U1>") + f" <@{ADMIN}>",
        "blocks": [
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "<!here>"}, "value": "<!here>"}],
            }
        ],
    }
    assert hostile.control_sequences(good, INTENDED) == []
    assert (
        fixed("OP is one of >, <, >=, <= · <@U12> & R&amp;D")
        == "OP is one of &gt;, &lt;, &gt;=, &lt;= · <@U12> &amp; R&amp;D"
    )
    assert plain("Which KPI? `/kpi alert cac` *now* &lt;x&gt;") == "Which KPI? /kpi alert cac now <x>"


def test_alerts_of_every_kind_and_digests_with_hostile_values(hostile_data, hostile_definitions, slack):
    ctx = jobs(hostile_data, slack, hostile_definitions)
    catalog = ctx.service.catalog
    url = ctx.url
    add_rule(url, RuleSpec(hostile.kpi_key(0), RuleKind.THRESHOLD, Op.GT, 0.0, "30d"), channel="C0ALERTS")
    add_rule(url, rule_from_words(hostile.kpi_key(1), ["rises", "10%", "30d"], catalog), channel="C0ALERTS")
    add_rule(url, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 0.0, "30d", segment_by="product"), channel="C0SEG")
    add_rule(url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 0.0, "30d", segment_by="channel"), channel="C0SEG")
    only = hostile.product_name(0)
    add_rule(
        url,
        RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 0.0, "30d", segment_by="product", segment_only=only),
        channel="C0ALERTS",
    )
    add_rule(url, rule_from_words("revenue", ["unusual", "day"], catalog), channel="C0ALERTS")
    subscribe(url, at="13:00", tz="UTC", channel="C0DIGEST", kpis=",".join(hostile.kpi_key(n) for n in range(12)))
    subscribe(url, at="13:00", tz="UTC", channel="C0ALL")  # every one of the 129 KPIs
    subscribe(url, at="13:00", tz="UTC", channel="C0SEG", kpis="revenue")  # 53 segments firing there
    run_pass(ctx, T0)
    run_pass(ctx, T0 + timedelta(hours=1))  # 13:00: the digests
    segment_posts = posts(slack, "C0SEG")
    headers = [p.payload["blocks"][0].get("text", {}).get("text", "") for p in segment_posts]
    assert any(h.startswith("🔴 ") and h.endswith(" alerts") for h in headers)  # 50 segments, grouped
    assert "watches the 50 largest values of *product* (by sales): 13 smaller are not watched" in texts(
        segment_posts[0].payload
    )
    assert posts(slack, "C0ALERTS") and posts(slack, "C0DIGEST") and posts(slack, "C0ALL")
    [digest] = [p.payload for p in segment_posts if "KPI digest" in p.payload["text"]]
    firing = digest["blocks"][1]["text"]["text"]
    assert firing.startswith("🔴 Firing now: #") and len(firing) <= 3000
    shown, more = firing.count(", "), int(firing.rsplit("… and ", 1)[1].split(" more")[0])
    assert shown + more == len([r for r in state.rules(url, "T1", "C0SEG") if r.state == "firing"])
    body = texts(posts(slack, "C0ALERTS")[0].payload)
    assert "&lt;!channel&gt;" in body or "&lt;!here&gt;" in body  # the names are there, escaped
    listed = rr.rules_message(
        state.rules(url, "T1", "C0SEG"), catalog, T0.replace(tzinfo=None), ctx.service.tz, "en", "EUR"
    )
    assert refusal("chat.postEphemeral", listed) is None
    firing_values = texts(listed).split(" · 🔴 ")[1].split("\n")[0]
    assert firing_values.endswith(" more") and len(firing_values) <= 2000  # those that fit, the others counted
    assert_clean(payloads(slack) + [("chat.postEphemeral", listed)])
    assert slack.invalid == []


def test_unusual_and_target_alerts_render_hostile_names_safely(hostile_data, hostile_definitions, slack):
    ctx = jobs(hostile_data, slack, hostile_definitions)
    catalog = ctx.service.catalog
    kpi = catalog.kpis[hostile.kpi_key(5)]
    unusual = rule_from_words(kpi.key, ["unusual", "week", "high"], catalog)
    verdict = Judgement(date(2026, 10, 30), 10.0, 8, 100.0, 80.0, 120.0)
    target = RuleSpec(kpi.key, RuleKind.TARGET, Op.LT, 0.05, "month")
    pace = Pace(target=1000.0, value=100.0, prorated=True, expected=500.0, projected=200.0, on_track=False)
    miss = Miss(pace=pace, shortfall=0.8, elapsed=0.5, days_gone=15, days_left=16, margin=0.05)
    result = ctx.service.ask(kpi.key, "2026-10", T0)
    for lang in ("en", "fr"):
        snapshots = [
            ra.unusual_snapshot(1, 1, unusual, kpi, verdict, catalog, lang, "EUR", since="30 Oct 12:00"),
            ra.target_snapshot(2, 1, target, result, miss, catalog, lang, "EUR"),
        ]
        message = ra.alert_message(snapshots, [None, f"👀 Acknowledged by <@{ADMIN}>"], lang)
        resolved = ra.resolved_reply(kpi.name(lang), "€1.00", "above €0.00", lang)
        for shown in (message, resolved):
            assert refusal("chat.postMessage", shown) is None
            assert hostile.control_sequences(shown, INTENDED) == []
        assert "&lt;!channel&gt;" in json.dumps(message) or "&lt;!here&gt;" in json.dumps(message)


def test_commands_buttons_modals_and_home_with_hostile_values(hostile_data, hostile_definitions, slack):
    slack.users.update({ADMIN: {"id": ADMIN, "is_admin": True}})
    running = Server(make_settings(hostile_data, slack, kpi_definitions=str(hostile_definitions)), slack)
    running.app.deps.synchronous = True
    slack.reset()
    acks: list[tuple[str, dict]] = []
    try:
        for text in [
            f"{hostile.kpi_key(0)} 2026-10",
            "revenue 2026-10 by product",
            f"{hostile.kpi_key(1)} 2026-10 by product",
            "revenue 2026-10 by category",
            "cac 2026-10 by channel",
            "list",
            f"explain {hostile.kpi_key(2)}",
            "why revenue 2026-10",
            f"why {hostile.kpi_key(3)} 2026-10",
            "help",
            "revenue 2026-10 for <!channel> Pro",  # a value not in the data: refused, with the closest
            "<!channel> & <@U1> <http://evil|x> *bold*",  # words not understood, echoed
            f"{hostile.kpi_key(4)} <!here>",
            "revenue 2026-10 by <#C1>",
            "<!channel>-kpi 2026-10",
            f"alert {hostile.kpi_key(0)} > 0 30d",
            "alert revenue > 0 30d by product",
            "alert cac <> 5",  # the usage, with its literal "OP is one of >, <, >=, <="
            "alerts",
            "digest daily 09:00 for <!channel>",
            "digest daily 09:00",
            "digest now",
            "alert",  # the form
            "digest",  # the digest form
            f"{hostile.kpi_key(0)} 2026-10 chart",
            "revenue 2026-10 by product chart",
        ]:
            response = running.command(text, user=ADMIN, channel=CHANNEL, team=TEAM)
            assert response.status == 200, text
            acks.append((f"ack {text}", response.json() if response.body else {}))
        empty = running.command("alerts", user=ADMIN, channel="C0EMPTY", team=TEAM)
        acks.append(("ack alerts elsewhere", empty.json()))
        assert "Create one with `/kpi alert cac &gt; 150 30d`" in texts(empty.json())
        for action, value in [
            ("kpi_share", json.dumps({"k": "revenue", "p": "2026-10", "b": "product"})),
            ("kpi_explain", hostile.kpi_key(6)),
            ("kpi_why", json.dumps({"k": hostile.kpi_key(7), "p": "2026-10", "b": None})),
        ]:
            assert running.action(action, value, user=ADMIN, team=TEAM, channel=CHANNEL).status == 200
        talk = Events(running)
        for n, question in enumerate(
            [
                "revenue last month for <!channel> Pro",  # did you mean …? in a public thread
                "revenue 2026-10 by product",
                "why revenue 2026-10",
                f"{hostile.kpi_key(8)} 2026-10 for {hostile.product_name(2)}",
                "<!here> &amp; <@U1> <#C1|general> <http://evil|x>",
            ]
        ):
            talk.mention(question, ts=f"1700000100.{n:06d}")
            talk.dm(question, ts=f"1700000200.{n:06d}")
        event = {
            "token": "x",
            "team_id": TEAM,
            "api_app_id": "A123",
            "type": "event_callback",
            "event_id": "Ev9",
            "event_time": 1,
            "event": {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"},
        }
        assert running.post_signed(json.dumps(event), content_type="application/json").status == 200
        slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
    finally:
        running.stop()
    found = payloads(slack)
    in_threads = [texts(c.payload) for c in slack.calls_to("chat.postMessage") if c.payload.get("thread_ts")]
    assert any("Did you mean `&lt;@U1&gt;" in text for text in in_threads)  # a public thread: escaped
    kinds = {name for name, _ in found}
    assert {"chat.postMessage", "views.open", "views.publish", "files.completeUploadExternal"} <= kinds
    everything = json.dumps([p for _, p in found + acks], ensure_ascii=False)
    assert "&lt;!channel&gt;" in everything  # the hostile values were shown, escaped
    assert "OP is one of &gt;, &lt;, &gt;=, &lt;=" in everything
    assert "`/kpi alert KPI &gt; VALUE by DIMENSION`" in everything  # the help's fixed text
    assert_clean(found + acks)
    assert slack.invalid == []


def test_home_with_129_kpis_and_60_firing_segments_loses_nothing_silently(hostile_data, hostile_definitions, slack):
    ctx = jobs(hostile_data, slack, hostile_definitions)
    for kpi in ("revenue", hostile.kpi_key(0)):  # 50 products watched by each (Slack's limit of a message)
        spec = RuleSpec(kpi, RuleKind.THRESHOLD, Op.GT, 0.0, "30d", segment_by="product")
        add_rule(ctx.url, spec, channel="C0ALERTS", team=TEAM)
    run_pass(ctx, T0)
    firing = [r for r in state.rules(ctx.url, TEAM) if r.parent_id is not None and r.state == "firing"]
    assert len(firing) >= 56
    slack.users.update({ADMIN: {"id": ADMIN, "is_admin": True}})
    running = Server(
        make_settings(hostile_data, slack, kpi_definitions=str(hostile_definitions)), slack, clock=lambda: T0
    )
    running.app.deps.synchronous = True
    slack.reset()
    try:
        event = {
            "token": "x",
            "team_id": TEAM,
            "api_app_id": "A123",
            "type": "event_callback",
            "event_id": "Ev10",
            "event_time": 1,
            "event": {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"},
        }
        assert running.post_signed(json.dumps(event), content_type="application/json").status == 200
        [call] = [
            c
            for c in slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
            if c.name == "views.publish"
        ]
    finally:
        running.stop()
    view = call.payload["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    blocks = view["blocks"]
    assert len(blocks) == 100  # as many as Slack takes, and what did not fit is said
    body = json.dumps(blocks, ensure_ascii=False)
    assert "more KPIs: `/kpi list` shows them all." in body
    shown = [b for b in blocks if b["type"] == "section" and b.get("accessory")]
    told = int(body.split("… and ")[1].split(" more KPIs")[0])
    assert len(shown) + told == len(load_catalog(hostile_definitions).kpis) == 129
    fire = next(b["text"]["text"] for b in blocks if b["type"] == "section" and "Firing now" in b["text"]["text"])
    assert len(fire) <= MAX_SECTION
    lines = fire.split("\n")
    assert lines[-1].startswith("… and ") and "more" in lines[-1]  # "…and N more", not a token cut in two
    listed = [line for line in lines[1:-1]]
    assert all(line.endswith(">)") for line in listed)  # each rule whole, its channel last
    assert len(listed) + int(lines[-1].split()[2]) == len(firing)
    assert blocks[-1]["type"] == "context"  # the next digest, never dropped
    assert_clean([("views.publish", call.payload)])


def test_clip_lines_keeps_whole_lines_and_counts_the_rest():
    lines = [f"line {n} " + "x" * 50 for n in range(100)]
    text = clip_lines(lines, 500, lambda n: f"… and {n} more")
    assert len(text) <= 500
    kept = text.split("\n")
    assert kept[-1] == f"… and {100 - len(kept) + 1} more"
    assert all(line in lines for line in kept[:-1])
    assert clip_lines(lines[:3], 500, lambda n: f"… and {n} more") == "\n".join(lines[:3])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_fixed_texts_keep_the_bots_own_mentions_and_escape_the_rest(lang):
    from kpi.texts import t

    usage = fixed(t(lang, "err_rule_usage"))
    assert "`/kpi alert cac &gt; 150 30" in usage and "&lt;=" in usage and "<" not in usage.replace("&lt;", "")
    assert fixed(t(lang, "alert_acked", user=ADMIN)).endswith(f"<@{ADMIN}>")
    assert fixed(t(lang, "home_next_digest", channel="C0DIGEST", when="x")).count("<#C0DIGEST>") == 1


def test_form_errors_are_plain_texts_with_every_placeholder_filled(hostile_data, hostile_definitions, slack):
    """Slack shows a form's errors as plain text: no *bold*, no backticks, no entity, no "{command}"."""
    from tests.bot.test_modals import opened_view, submit

    slack.users.update({ADMIN: {"id": ADMIN, "is_admin": True}, "UPLEB": {"id": "UPLEB"}})
    running = Server(make_settings(hostile_data, slack, kpi_definitions=str(hostile_definitions)), slack)
    running.app.deps.synchronous = True
    slack.reset()
    try:
        running.command("alert", user=ADMIN, channel=CHANNEL, team=TEAM)
        view = opened_view(slack)
        errors = {}
        for values, user in [
            ({"kpi": "<!channel>", "op": ">", "threshold": "1", "window": "30d", "channel": CHANNEL}, ADMIN),
            ({"kpi": "revenue", "op": ">", "threshold": "<!channel> & *x*", "window": "30d"}, ADMIN),
            ({"kpi": "revenue", "op": "unusual", "threshold": "`<@U1>`", "window": "30d"}, ADMIN),
            ({"kpi": "revenue", "op": ">", "threshold": "1", "window": "30d", "channel": "CGONE"}, ADMIN),
        ]:
            answer = submit(running, view, values, user=user).json()
            assert answer["response_action"] == "errors"
            errors.update({f"{user}:{k}": v for k, v in answer["errors"].items()})
    finally:
        running.stop()
    assert "Which KPI? For example /kpi alert cac." in errors[f"{ADMIN}:kpi"]
    assert f"{ADMIN}:channel" in errors  # a channel the bot can't post in, said on the form
    for field, text in errors.items():
        assert "{" not in text and "`" not in text and "&lt;" not in text and "&amp;" not in text, field
        assert not re.search(r"(?<![\w*])\*[^*\n]+\*(?![\w*])", text), field
        assert len(text) <= 150
