"""Digests: on time in their own time zone (DST included), once, caught up after downtime within grace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from bot.jobs.digests import last_slot, post_due_digests
from kpi.store import state
from kpi.store.state.records import DigestSpec
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import CAC_ABOVE_300, add_rule, subscribe

PARIS = ZoneInfo("Europe/Paris")


def local(y, m, d, h, mi=0, tz=PARIS):
    return datetime(y, m, d, h, mi, tzinfo=tz).astimezone(timezone.utc)


def test_posted_once_at_its_local_time(ctx, slack):
    subscribe(ctx.url)
    assert post_due_digests(ctx, local(2026, 10, 31, 8, 59)) == 0
    assert run_pass(ctx, local(2026, 10, 31, 9, 0)).digests == 1
    assert run_pass(ctx, local(2026, 10, 31, 9, 5)).digests == 0
    assert JobContext.from_settings(ctx.settings) and run_pass(ctx, local(2026, 10, 31, 9, 10)).digests == 0
    assert len(posts(slack, "C1")) == 1
    assert run_pass(ctx, local(2026, 11, 1, 9, 0)).digests == 1  # the next day


def test_slots_follow_dst_in_the_subscription_time_zone():
    digest = DigestSpec("daily", "09:00", None, "Europe/Paris")
    # Paris switches to summer time on 2026-03-29: 09:00 is 08:00 UTC before, 07:00 UTC after
    assert last_slot(digest, datetime(2026, 3, 28, 12, tzinfo=timezone.utc)) == local(2026, 3, 28, 9)
    assert last_slot(digest, datetime(2026, 3, 28, 12, tzinfo=timezone.utc)).astimezone(timezone.utc).hour == 8
    assert last_slot(digest, datetime(2026, 3, 30, 12, tzinfo=timezone.utc)).astimezone(timezone.utc).hour == 7
    # back to winter time on 2026-10-25
    assert last_slot(digest, datetime(2026, 10, 26, 12, tzinfo=timezone.utc)).astimezone(timezone.utc).hour == 8
    weekly = DigestSpec("weekly", "08:30", 0, "America/New_York")
    slot = last_slot(weekly, datetime(2026, 11, 25, 12, tzinfo=timezone.utc))  # a Wednesday
    assert slot == datetime(2026, 11, 23, 8, 30, tzinfo=ZoneInfo("America/New_York"))


def test_a_digest_missed_while_down_is_posted_once_within_grace(ctx, slack):
    subscribe(ctx.url)
    # down from 08:00 to 09:40 (grace is one hour): posted on restart, once
    assert run_pass(ctx, local(2026, 10, 31, 9, 40)).digests == 1
    assert run_pass(ctx, local(2026, 10, 31, 9, 45)).digests == 0
    # down from the day before 08:00 until 11:00 the next day: past the grace time, skipped, never twice
    assert run_pass(ctx, local(2026, 11, 1, 10, 30)).digests == 0
    assert run_pass(ctx, local(2026, 11, 2, 9, 0)).digests == 1
    assert len(posts(slack)) == 2


def test_digest_content_yesterday_month_to_date_and_firing_rules(ctx, slack):
    rule = add_rule(ctx.url, CAC_ABOVE_300)
    subscribe(ctx.url, at="13:00", tz="UTC", kpis="revenue,cac")
    run_pass(ctx, T0)  # the rule fires at 12:00
    run_pass(ctx, T0 + timedelta(hours=1))  # 13:00 digest
    digest = [p for p in posts(slack) if "KPI digest" in p.payload["text"]][0].payload
    body = texts(digest)
    assert "KPI digest - Saturday 31 October 2026" in body
    assert f"🔴 Firing now: #{rule} Customer acquisition cost" in body
    assert "*Revenue*\nYesterday: €0.00" in body and "Month to date: €400.00" in body
    assert "*Customer acquisition cost*" in body and "Net Promoter Score" not in body


def test_weekly_digest(ctx, slack):
    subscribe(ctx.url, cadence="weekly", weekday=0, at="08:00", tz="UTC")  # Mondays
    assert run_pass(ctx, datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)).digests == 0  # a Sunday
    assert run_pass(ctx, datetime(2026, 11, 2, 8, 1, tzinfo=timezone.utc)).digests == 1
    assert "Weekly KPI digest" in posts(slack)[0].payload["text"]


def test_subscribing_again_replaces_and_off_stops(ctx, slack):
    subscribe(ctx.url, at="09:00")
    subscribe(ctx.url, at="10:00")
    assert [d.spec.at_time for d in state.active_digests(ctx.url)] == ["10:00"]
    state.unsubscribe_digest(ctx.url, "T1", "C1", "UADMIN", datetime(2026, 10, 31))
    assert run_pass(ctx, local(2026, 11, 1, 10, 0)).digests == 0
    assert [e["action"] for e in state.audit_entries(ctx.url, "T1")] == [
        "digest.off",
        "digest.subscribe",
        "digest.subscribe",
    ]


def test_unusualness_is_a_move_against_the_usual_day_to_day_changes():
    from kpi.series import unusualness

    steady_climb = [float(i) for i in range(30)]
    assert unusualness(steady_climb) == 0.0  # always +1 a day: nothing unusual
    jump = [10.0, 11.0] * 14 + [40.0, 12.0]  # the last complete day jumps (the final point is today)
    assert unusualness(jump) > 10
    assert unusualness([None] * 30) == 0.0 and unusualness([1.0, 2.0]) == 0.0


def test_digest_leads_with_the_biggest_move_paces_targets_and_threads_an_image(ctx, slack, data):
    from tests.conftest import insert

    # revenue: a sale every day for four weeks, then a huge one yesterday (Oct 30)
    insert(
        data,
        "sales",
        [
            {
                "id": 100 + d,
                "sold_at": datetime(2026, 10, 1 + d, 10),
                "customer_id": None,
                "product_id": 1,
                "amount": 10,
                "cost": 0,
            }
            for d in range(29)
        ]
        + [
            {
                "id": 200,
                "sold_at": datetime(2026, 10, 30, 10),
                "customer_id": None,
                "product_id": 1,
                "amount": 5000,
                "cost": 0,
            }
        ],
    )
    state.set_target(ctx.url, "T1", "revenue", "month", 6000.0, "UADMIN", datetime(2026, 10, 1))
    subscribe(ctx.url, at="13:00", tz="UTC")
    run_pass(ctx, T0 + timedelta(hours=1))
    digest = [p for p in posts(slack) if "KPI digest" in p.payload["text"]][0].payload
    fields = [f["text"] for b in digest["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    assert fields[0].startswith("*Revenue*")  # the biggest move against its usual variation leads
    assert "🎯" in fields[0] and "target €6,000.00" in fields[0]
    calls = slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    complete = [c for c in calls if c.name == "files.completeUploadExternal"][0]
    digest_ts = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"][0]["result_ts"]
    assert complete.payload["thread_ts"] == digest_ts
    [png] = slack.uploads.values()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    run_pass(ctx, T0 + timedelta(hours=1, minutes=5))
    assert len(slack.uploads) == 1  # once
