"""Failures injected into real parts: nothing lost, nothing doubled, the process still healthy.

Every scenario runs on SQLite and on PostgreSQL, with the fake Slack server. Time is passed in: a
"several minutes" outage is a run of passes at successive instants, never a wait. After each one we
check that every alert and digest reached Slack exactly once, that the history is complete, and
that the scheduler reports itself healthy.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from bot.jobs.clock import health, run_pass
from bot.jobs.context import JobContext
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from kpi.store.engines import get_engine
from kpi.store.migrations import upgrade
from kpi.store.state.records import DigestSpec
from tests.bot.conftest import SECRET, TOKEN, make_settings
from tests.support import fixtures
from tests.support.chaos import SourceOutage
from tests.support.clock import T0, FakeTime
from tests.support.messages import texts
from tests.support.processes import env
from tests.support.rules import add_rule

NAIVE = T0.replace(tzinfo=None)
DIGEST = DigestSpec("daily", "12:05", None, "UTC", ("revenue", "cac"))


def context(settings):
    ctx = JobContext.from_settings(settings)
    fake = FakeTime()
    ctx.sleep, ctx.monotonic = fake.sleep, fake.monotonic
    return ctx


@pytest.fixture
def ctx(data, slack):
    return context(make_settings(data, slack))


def posts_to(slack, channel):
    return [c for c in slack.calls_to("chat.postMessage") if c.payload.get("channel") == channel]


def assert_healthy(ctx, started, now):
    ok, detail = health(ctx.url, ctx.settings.kpi_eval_interval, started, now)
    assert ok, detail


def assert_outbox_settled(url):
    rows = state.outbox_rows(url)
    assert rows and all(r["delivered_at"] is not None and r["failed_at"] is None for r in rows), [
        (r["dedupe_key"], r["last_error"]) for r in rows if r["delivered_at"] is None
    ]


def test_a_429_storm_then_a_5xx_outage_lose_nothing_and_double_nothing(ctx, slack, data):
    rules = [add_rule(data, channel=f"C{i}") for i in range(3)]
    state.subscribe_digest(data, "T1", "CD", DIGEST, "UADMIN", NAIVE)
    # 4 minutes of 429 (Retry-After 30 s, longer than the delivery budget allows), then 6 minutes of
    # 503 on every Web API method, then Slack is back. One pass a minute for 25 minutes.
    for minute in range(25):
        now = T0 + timedelta(minutes=minute)
        slack.clear_failures()
        if minute < 4:
            slack.fail("*", 429, times=10**6, retry_after=30)
        elif minute < 10:
            slack.fail("*", 503, times=10**6)
        run_pass(ctx, now)
        assert_healthy(ctx, T0, now)
        if minute < 10:
            assert slack.calls_to("chat.postMessage") == []  # nothing got through during the outage
    for i in range(3):
        [alert] = posts_to(slack, f"C{i}")
        assert "Customer acquisition cost" in texts(alert.payload) and "€500.00" in texts(alert.payload)
    [digest] = posts_to(slack, "CD")
    assert "Revenue" in texts(digest.payload)
    assert len(slack.calls_to("files.completeUploadExternal")) == 1  # the digest's sparkline, once
    assert_outbox_settled(data)
    for rule in rules:
        assert [h["to_state"] for h in state.history(data, rule)] == ["firing"]
    # it never flooded Slack: at most one attempt per notification per pass while Slack refused
    notifications = len(state.outbox_rows(data))
    assert len(slack.refused) <= notifications * 10
    assert {status for _, status in slack.refused} == {429, 503}


@pytest.fixture
def outage(data, tmp_path):
    down = SourceOutage(data, tmp_path)
    if down.backend == "sqlite":  # a source of its own; PostgreSQL reaches the test database through the proxy
        upgrade(down.url)
        fixtures.load(down.url)
    yield down
    down.close()


def test_the_source_going_down_and_coming_back_gives_one_notice_and_recovers(outage, data, slack):
    ctx = context(make_settings(data, slack, source_database_url=outage.url))
    rule = add_rule(data)
    assert run_pass(ctx, T0).events == {"firing": 1}
    outage.down()
    for minute in (5, 10, 15, 20):
        run_pass(ctx, T0 + timedelta(minutes=minute))
        assert_healthy(ctx, T0, T0 + timedelta(minutes=minute))
    assert state.rule(data, "T1", rule).state == "error"
    outage.up()
    report = run_pass(ctx, T0 + timedelta(minutes=25))
    assert report.events == {}  # the breach was announced already; it is still the same incident
    assert state.rule(data, "T1", rule).state == "firing"
    alert, notice = posts_to(slack, "C1")
    assert "€500.00" in texts(alert.payload)
    assert "the data source could not answer" in texts(notice.payload)
    assert [h["to_state"] for h in state.history(data, rule)] == ["firing", "error", "firing"]
    assert_outbox_settled(data)
    assert_healthy(ctx, T0, T0 + timedelta(minutes=25))


def test_the_database_connection_dropped_mid_transaction_is_redone_once(ctx, slack, data):
    rules = [add_rule(data, channel="C1"), add_rule(data, channel="C2")]
    engine = get_engine(data)
    armed = {"left": 1}

    @event.listens_for(engine, "before_cursor_execute")
    def drop(conn, cursor, statement, parameters, context, executemany):
        if armed["left"] and statement.lstrip().upper().startswith("INSERT INTO ALERT_HISTORY"):
            armed["left"] = 0
            if engine.dialect.name == "postgresql":  # really kill this connection's server process
                pid = conn.connection.dbapi_connection.info.backend_pid
                with engine.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                    other.commit()
            else:  # SQLite has no server to lose: fail the statement as a lost connection would
                import sqlite3

                raise sqlite3.OperationalError("disk I/O error (connection lost)")

    try:
        with pytest.raises(Exception) as raised:
            run_pass(ctx, T0)
        assert "connection" in str(raised.value).lower() or "terminat" in str(raised.value).lower()
    finally:
        event.remove(engine, "before_cursor_execute", drop)
    # the transaction of the first channel was rolled back whole (no state, history or outbox from it),
    # and the pass stopped there
    assert [state.rule(data, "T1", r).state for r in rules] == ["ok", "ok"]
    assert state.outbox_rows(data) == [] and state.history(data, rules[0]) == []
    run_pass(ctx, T0 + timedelta(minutes=1))
    run_pass(ctx, T0 + timedelta(minutes=2))
    for channel, rule in zip(("C1", "C2"), rules, strict=True):
        assert len(posts_to(slack, channel)) == 1, channel
        assert [h["to_state"] for h in state.history(data, rule)] == ["firing"]
    assert_outbox_settled(data)
    assert_healthy(ctx, T0, T0 + timedelta(minutes=2))


def test_a_digest_due_while_the_scheduler_was_down_is_posted_once(ctx, slack, data):
    state.subscribe_digest(data, "T1", "CD", DIGEST, "UADMIN", NAIVE)
    run_pass(ctx, T0)  # 12:00, then the scheduler is down from 12:01 until 12:40 (digest due 12:05)
    assert posts_to(slack, "CD") == []
    slack.fail("*", 503, times=2)  # and Slack stumbles when it comes back
    for minute in (40, 41, 42, 43):
        run_pass(ctx, T0 + timedelta(minutes=minute))
    [digest] = posts_to(slack, "CD")
    assert "Revenue" in texts(digest.payload)
    assert_outbox_settled(data)
    # the next day's digest is the next one: nothing is posted twice for the same day
    run_pass(ctx, T0 + timedelta(hours=2))
    assert len(posts_to(slack, "CD")) == 1
    run_pass(ctx, T0 + timedelta(days=1, minutes=6))
    assert len(posts_to(slack, "CD")) == 2


@pytest.mark.slow
def test_the_clock_killed_mid_pass_and_restarted_delivers_each_alert_once(data, slack, tmp_path):
    """A real `python -m bot run-jobs` (the clock's pass in a process of its own) is SIGKILLed while
    it waits on Slack for its second alert, then a new process runs the next pass."""
    rules = [add_rule(data, channel=f"C{i}") for i in range(3)]
    environment = env(
        DATABASE_URL=data,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        KPI_TIMEZONE="UTC",
    )
    slack.hold("chat.postMessage", after=1)
    first = subprocess.Popen(
        [sys.executable, "-m", "bot", "run-jobs", "--at", T0.isoformat()],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        slack.wait_until_held(timeout=120)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        slack.release(drop=True)  # the request in flight never reached Slack
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert len(slack.calls_to("chat.postMessage")) == 1
    # the restarted process: its pass comes after the killed one's claim expired (2 minutes)
    later = (T0 + timedelta(minutes=3)).isoformat()
    out = subprocess.run(
        [sys.executable, "-m", "bot", "run-jobs", "--at", later],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 failed" in out.stdout and "Traceback" not in out.stdout + out.stderr
    assert sorted(c.payload["channel"] for c in slack.calls_to("chat.postMessage")) == ["C0", "C1", "C2"]
    for rule in rules:
        assert [h["to_state"] for h in state.history(data, rule)] == ["firing"]
    assert_outbox_settled(data)
    beat = state.last_beat(data, "scheduler")
    assert beat["last_success_at"] == (T0 + timedelta(minutes=3)).replace(tzinfo=None)


def test_alert_and_notice_payloads_survive_the_outbox_round_trip(ctx, slack, data):
    """What is stored for later delivery is exactly what is posted (JSON in, JSON out)."""
    add_rule(data, RuleSpec("nps", RuleKind.THRESHOLD, Op.LT, 99.0, "30d"), channel="C9")
    slack.fail("chat.postMessage", 503)
    run_pass(ctx, T0)
    [row] = state.outbox_rows(data)
    run_pass(ctx, T0 + timedelta(minutes=1))
    [post] = posts_to(slack, "C9")
    stored = json.loads(row["payload"])
    assert post.payload["text"] == stored["text"] and post.payload["blocks"] == stored["blocks"]
