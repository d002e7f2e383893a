"""Alerts end to end against the fake Slack over real HTTP, with time passed in (never slept on)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from tests.bot.conftest import make_settings
from tests.conftest import insert
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule


def test_a_breach_posts_one_alert_with_the_numbers_and_the_explanation(ctx, slack):
    rule = add_rule(ctx.url)
    report = run_pass(ctx, T0)
    assert report.events["firing"] == 1
    [post] = posts(slack)
    assert post.payload["channel"] == "C1"
    body = texts(post.payload)
    assert "🔴 Customer acquisition cost above €300.00" in body
    assert "*Now*\n€500.00" in body and "*Previous window*\n€90.00" in body
    assert "+€410.00 (+455.6%) ▲ 🔴 worse" in body
    assert "marketing and sales spend: €1,000.00 (was €90.00, +1,011.1%)" in body
    assert "new customers: 2 (was 1, +100.0%)" in body
    assert "Formula: marketing and sales spend ÷ new customers" in body and "Lower is better" in body
    blocks = post.payload["blocks"]
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["alert_ack", "alert_snooze_day", "alert_snooze_week", "alert_breakdown", "kpi_chart"]
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing"]

    # the next pass, still breached: nothing posted
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}
    assert len(posts(slack)) == 1


def test_recovery_replies_in_the_thread_and_updates_the_alert(ctx, slack, data):
    rule = add_rule(ctx.url)
    run_pass(ctx, T0)
    alert_ts = state.outbox_rows(ctx.url)[0]["result_ts"]  # the ts Slack gave the alert
    insert(
        data,
        "customers",
        [{"id": 10 + i, "acquired_at": datetime(2026, 10, 30), "channel": "organic"} for i in range(3)],
    )  # 5 customers: CAC €200
    report = run_pass(ctx, T0 + timedelta(minutes=5))
    assert report.events["resolved"] == 1
    reply = posts(slack)[-1]
    assert reply.payload["thread_ts"] == alert_ts
    assert "✅ Resolved: Customer acquisition cost is back at €200.00 (above €300.00)." in texts(reply.payload)
    [updated] = slack.calls_to("chat.update")
    assert updated.payload["ts"] == alert_ts
    assert "✅ Resolved at 31 Oct 12:05: €200.00" in texts(updated.payload)
    assert not any(b["type"] == "actions" for b in updated.payload["blocks"])  # no buttons on a resolved alert
    assert [h["to_state"] for h in state.history(ctx.url, rule)] == ["firing", "ok"]
    assert run_pass(ctx, T0 + timedelta(minutes=10)).events == {}
    assert len(posts(slack)) == 2


def test_breaches_of_one_pass_are_grouped_per_channel(ctx, slack):
    add_rule(ctx.url, channel="C1")
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 100.0, "30d"), channel="C1")
    add_rule(ctx.url, RuleSpec("nps", RuleKind.THRESHOLD, Op.GT, 10.0, "30d"), channel="C2")
    assert run_pass(ctx, T0).events["firing"] == 3
    assert len(posts(slack, "C1")) == 1 and len(posts(slack, "C2")) == 1
    c1 = posts(slack, "C1")[0].payload
    assert c1["blocks"][0]["text"]["text"] == "🔴 2 alerts"
    assert "Customer acquisition cost above €300.00" in texts(c1) and "Revenue above €100.00" in texts(c1)


def test_pending_for_consecutive_evaluations(ctx, slack):
    add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d", for_count=2))
    assert run_pass(ctx, T0).events == {}
    assert state.rules(ctx.url)[0].state == "pending"
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events["firing"] == 1
    assert len(posts(slack)) == 1


def test_hysteresis_keeps_firing_until_the_recovery_line(ctx, slack, data):
    add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d", recovery=150.0))
    run_pass(ctx, T0)
    insert(data, "customers", [{"id": 10 + i, "acquired_at": datetime(2026, 10, 30), "channel": "x"} for i in range(2)])
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}  # €250: below 300 but above 150
    assert state.rules(ctx.url)[0].state == "firing"
    insert(data, "customers", [{"id": 20 + i, "acquired_at": datetime(2026, 10, 30), "channel": "x"} for i in range(5)])
    assert run_pass(ctx, T0 + timedelta(minutes=10)).events["resolved"] == 1  # €111


def test_repeat_after_a_day_unless_acknowledged(ctx, slack):
    rule = add_rule(ctx.url)
    run_pass(ctx, T0)
    assert run_pass(ctx, T0 + timedelta(hours=23)).events == {}
    assert run_pass(ctx, T0 + timedelta(hours=24, minutes=1)).events["repeat"] == 1
    repeat = posts(slack)[-1].payload
    assert "Still firing since 31 Oct 12:00." in texts(repeat)
    state.acknowledge(ctx.url, "T1", rule, 1, "U5", (T0 + timedelta(hours=25)).replace(tzinfo=None))
    assert run_pass(ctx, T0 + timedelta(hours=50)).events == {}
    assert len(posts(slack)) == 2


def test_change_rules_compare_with_the_previous_window(ctx, slack):
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.CHANGE, Op.GE, 0.2, "30d"))  # revenue rises 20 %
    run_pass(ctx, T0)
    body = texts(posts(slack)[0].payload)
    assert "Revenue rises by 20.0% or more" in body
    assert "*Now*\n€400.00 (+400.0%)" in body


def test_no_data_is_reported_once_and_is_not_a_breach(ctx, slack):
    add_rule(ctx.url, RuleSpec("conversion_rate", RuleKind.THRESHOLD, Op.LT, 0.9, "30d", min_denominator=20))
    report = run_pass(ctx, T0)
    assert report.events == {"no_data": 1}
    [notice] = posts(slack)
    assert "not enough data to judge rule `#" in texts(notice.payload) and "fewer than 20" in texts(notice.payload)
    assert run_pass(ctx, T0 + timedelta(minutes=5)).events == {}
    assert len(posts(slack)) == 1
    assert state.rules(ctx.url)[0].state == "no_data"


def test_source_errors_are_reported_once_never_crash_and_recover(data, slack, ctx):
    add_rule(ctx.url)
    broken = JobContext.from_settings(
        make_settings(data, slack, source_database_url="postgresql+psycopg://x@127.0.0.1:1/none")
    )
    broken.sleep, broken.monotonic = ctx.sleep, ctx.monotonic
    assert run_pass(broken, T0).events == {"error": 1}
    assert run_pass(broken, T0 + timedelta(minutes=5)).events == {}
    [notice] = posts(slack)
    assert "the data source could not answer" in texts(notice.payload)
    assert state.rules(ctx.url)[0].state == "error"
    # the source comes back: the breach is judged on real data
    assert run_pass(ctx, T0 + timedelta(minutes=10)).events == {"firing": 1}
    assert [h["to_state"] for h in state.history(ctx.url, state.rules(ctx.url)[0].id)] == ["error", "firing"]


def test_a_snoozed_rule_stays_quiet_until_the_snooze_ends(ctx, slack):
    rule = add_rule(ctx.url)
    state.snooze_rule(
        ctx.url, "T1", rule, (T0 + timedelta(days=1)).replace(tzinfo=None), "UADMIN", T0.replace(tzinfo=None)
    )
    assert run_pass(ctx, T0).events == {}
    assert run_pass(ctx, T0 + timedelta(hours=23)).events == {}
    assert posts(slack) == []
    assert run_pass(ctx, T0 + timedelta(days=1, minutes=1)).events == {"firing": 1}


def test_two_passes_at_once_post_each_alert_once(data, slack):
    add_rule(data)
    add_rule(data, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 100.0, "30d"), channel="C2")
    contexts = []
    for _ in range(2):
        c = JobContext.from_settings(make_settings(data, slack))
        c.sleep = lambda s: None
        contexts.append(c)
    barrier = threading.Barrier(2)
    errors = []

    def go(c):
        try:
            barrier.wait()
            run_pass(c, T0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(c,)) for c in contexts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    run_pass(contexts[0], T0 + timedelta(minutes=1))  # deliver anything left by a conflict
    assert len(posts(slack, "C1")) == 1 and len(posts(slack, "C2")) == 1


def test_slack_429_then_500s_every_alert_arrives_once(ctx, slack):
    add_rule(ctx.url, channel="C1")
    add_rule(ctx.url, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 100.0, "30d"), channel="C2")
    slack.fail("chat.postMessage", 429, times=1, retry_after=3)
    slack.fail("chat.postMessage", 500, times=4)
    first = run_pass(ctx, T0)
    assert 3.0 in ctx.fake.slept  # Retry-After honoured (by waiting, within the pass's budget)
    assert first.delivery.delivered == 0 and first.delivery.retried == 2
    moment = T0
    for _ in range(10):  # later passes: backoff then success
        moment += timedelta(minutes=5)
        run_pass(ctx, moment)
    assert len(posts(slack, "C1")) == 1 and len(posts(slack, "C2")) == 1
    assert all(r["delivered_at"] is not None for r in state.outbox_rows(ctx.url))


def test_a_long_rate_limit_leaves_the_rest_for_the_next_pass(ctx, slack):
    add_rule(ctx.url)
    slack.fail("chat.postMessage", 429, times=1, retry_after=120)  # longer than the 20 s budget
    report = run_pass(ctx, T0)
    assert report.delivery.retried == 1 and posts(slack) == []
    row = state.outbox_rows(ctx.url)[0]
    assert row["next_attempt_at"] == (T0 + timedelta(seconds=120)).replace(tzinfo=None)
    assert run_pass(ctx, T0 + timedelta(minutes=1)).delivery.delivered == 0  # not due yet
    assert run_pass(ctx, T0 + timedelta(minutes=3)).delivery.delivered == 1
    assert len(posts(slack)) == 1


def test_permanent_slack_errors_are_not_retried_forever(ctx, slack, caplog):
    add_rule(ctx.url)
    slack.answer = lambda method, payload, headers=None: {"ok": False, "error": "channel_not_found"}
    report = run_pass(ctx, T0)
    assert report.delivery.failed == 1
    assert "channel_not_found" in caplog.text
    later = run_pass(ctx, T0 + timedelta(hours=1))
    assert len(posts(slack, "C1")) == 1  # the alert is not tried again
    # the only new attempt: the DM telling the rule's author (refused too, by this Slack that refuses all)
    assert later.delivery.failed == 1 and [c.payload["channel"] for c in posts(slack)] == ["C1", "UADMIN"]


def test_messages_to_one_channel_are_paced(ctx, slack):
    add_rule(ctx.url)
    run_pass(ctx, T0)
    insert(
        ctx.url, "customers", [{"id": 10 + i, "acquired_at": datetime(2026, 10, 30), "channel": "x"} for i in range(3)]
    )
    run_pass(ctx, T0 + timedelta(minutes=5))  # reply + update to the same channel
    assert any(0 < s <= 1.0 for s in ctx.fake.slept)
