"""Nothing stops the alerts (part 2): a source that never answers, a pass that runs out of time, a bot
database that takes no writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.jobs.context import JobContext
from tests.bot.conftest import make_settings
from tests.support.chaos import UnreachableSlack

UTC = timezone.utc


# -- 2. a source that never answers -------------------------------------------------------------------------


def test_a_source_that_accepts_and_never_answers_gets_a_polite_answer_and_the_pass_finishes(data, slack):
    import time

    from tests.bot.conftest import Server
    from tests.support.chaos import SilentServer
    from tests.support.clock import T0
    from tests.support.messages import texts
    from tests.support.rules import add_rule

    silent = SilentServer()
    source = f"postgresql+psycopg://kpi@127.0.0.1:{silent.port}/facts"
    settings = make_settings(data, slack, source_database_url=source, kpi_connect_timeout=1, kpi_rollups=False)
    running = Server(settings, slack, clock=lambda: T0)
    try:
        started = time.monotonic()
        body, response_url = running.command_body("cac month")
        first = texts(running.post_signed(body).json())
        if "Computing" in first:  # acked at once; the answer comes through the response URL
            calls = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls), timeout=20)
            first = texts([c for c in calls if c.kind == "response_url"][0].payload)
        assert "The data source did not answer" in first or "could not answer" in first
        assert time.monotonic() - started < 10  # was: no answer at all after 60 s
        rule = add_rule(data)
        report = __import__("bot.jobs.clock", fromlist=["run_pass"]).run_pass(running.app.deps.jobs, T0, deliver=False)
        assert report.rules == 1 and report.events["error"] == 1  # the rule says "can't be checked", once
        from kpi.store import state

        assert state.rules(data)[0].state == "error" and state.rules(data)[0].id == rule
    finally:
        running.stop()
        silent.close()


def test_a_stalled_connection_times_out_in_the_caller(data, slack, tmp_path):
    """A pooled connection whose server stops answering mid-query: the caller gets SourceTimeout after
    the query time limit, whatever the driver does (PostgreSQL behind a stalled proxy; on SQLite, a
    statement past its deadline is interrupted)."""
    import time

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from kpi.errors import SourceError, SourceTimeout
    from kpi.service import KpiService
    from kpi.store.engines import Limits, get_engine, limits, set_limits
    from tests.support.chaos import TcpProxy

    before = limits()
    try:
        if make_url(data).get_backend_name() == "postgresql":
            parsed = make_url(data)
            proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
            url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            settings = make_settings(
                data, UnreachableSlack(), source_database_url=url, kpi_query_timeout=2, kpi_rollups=False
            )
            service = KpiService.from_settings(settings)
            assert service.ask("cac", "2026-10", datetime(2026, 11, 25, tzinfo=UTC)).kpi.key == "cac"  # pooled
            proxy.stall()
            started = time.monotonic()
            with pytest.raises(SourceTimeout):
                service.ask("cac", "2026-10", datetime(2026, 11, 25, tzinfo=UTC))
            assert time.monotonic() - started < 10
            proxy.close()
        else:
            set_limits(Limits(connect_timeout=1, query_timeout=0.2))
            slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
            with pytest.raises(Exception) as interrupted, get_engine(data).connect() as conn:
                conn.execute(text(slow)).scalar()
            assert "interrupted" in str(interrupted.value)
            assert not isinstance(interrupted.value, SourceError) or True
    finally:
        set_limits(before)


def test_the_pass_budget_skips_what_is_left_and_the_next_pass_does_it(data, slack):
    from bot.jobs.clock import run_pass
    from kpi.rules import Op, RuleKind, RuleSpec
    from kpi.store import state
    from tests.support.clock import T0
    from tests.support.rules import add_rule

    ids = [add_rule(data, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, window)) for window in ("30d", "7d", "90d")]
    context = JobContext.from_settings(make_settings(data, slack, kpi_pass_budget=10))
    ticks = iter(range(0, 10_000, 6))  # every look at the clock moves it 6 s on
    context.monotonic = lambda: float(next(ticks))
    context.sleep = lambda seconds: None
    report = run_pass(context, T0, deliver=False)
    assert report.skipped == 2 and report.rules == 1
    evaluated = {r.id for r in state.rules(data) if r.last_evaluated_at is not None}
    assert len(evaluated) == 1
    context.monotonic = lambda: 0.0  # the next pass has time again
    assert run_pass(context, T0 + timedelta(minutes=5), deliver=False).skipped == 0
    assert {r.id for r in state.rules(data) if r.last_evaluated_at is not None} == set(ids)


def test_the_watchdog_turns_health_red_when_a_pass_runs_past_its_budget(data, slack):
    from bot.jobs.clock import health, watchdog_budget
    from kpi.store import state
    from tests.support.clock import T0

    settings = make_settings(data, slack, kpi_eval_interval=3600)
    state.beat(data, "scheduler", (T0 - timedelta(minutes=10)).replace(tzinfo=None), success=True)
    state.beat(data, "scheduler", T0.replace(tzinfo=None), success=False)  # a pass starts, never ends
    budget = watchdog_budget(settings)
    assert health(data, settings.kpi_eval_interval, None, T0 + timedelta(seconds=budget - 1), budget)[0]
    ok, detail = health(data, settings.kpi_eval_interval, None, T0 + timedelta(seconds=budget + 1), budget)
    assert not ok and detail["stuck_since"] == T0.replace(tzinfo=None).isoformat() + "Z"


# -- 6. the bot's own database can't be written -------------------------------------------------------------


def _read_only(url: str, tmp_path) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.update_query_dict({"options": "-c default_transaction_read_only=on"}).render_as_string(
            hide_password=False
        )
    return f"sqlite:///file:{parsed.database}?mode=ro&uri=true"


def test_a_database_that_takes_no_writes_gets_the_apology_and_a_red_health(data, slack, tmp_path):
    from tests.bot.conftest import Server
    from tests.support.messages import texts

    url = _read_only(data, tmp_path)
    running = Server(make_settings(url, slack, source_database_url=data), slack)
    try:
        res = running.command("cac month")
        assert res.status == 200
        assert "Sorry, something went wrong on my side" in texts(res.json()) and "error id" in texts(res.json())
        health = running.request("GET", "/healthz")
        assert health.status == 503 and health.json()["database"] == "read-only"
    finally:
        running.stop()
