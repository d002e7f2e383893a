"""Nothing stops the alerts: each hostile reproduction of issue 12, on SQLite and PostgreSQL, time passed in."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.jobs.context import JobContext
from bot.jobs.digests import last_slot, post_due_digests
from kpi.store.state.records import DigestSpec
from tests.bot.conftest import make_settings
from tests.support.rules import subscribe

UTC = timezone.utc


# -- 1. a digest at a local time that happens twice, or not at all --------------------------------------

# (zone, time of the digest, the autumn night, the spring night): both DST changes fall on a Sunday
NIGHTS = [
    ("Europe/Paris", "02:30", datetime(2026, 10, 25), datetime(2026, 3, 29)),
    ("Europe/Paris", "02:00", datetime(2026, 10, 25), datetime(2026, 3, 29)),
    ("America/New_York", "01:30", datetime(2026, 11, 1), datetime(2026, 3, 8)),
    ("America/New_York", "02:30", datetime(2026, 11, 1), datetime(2026, 3, 8)),
]


@pytest.mark.parametrize("zone, at, autumn, spring", NIGHTS, ids=[f"{z}-{a}" for z, a, _, _ in NIGHTS])
@pytest.mark.parametrize("cadence", ["daily", "weekly"])
def test_digests_are_posted_once_across_both_dst_nights(ctx, zone, at, autumn, spring, cadence):
    tz = ZoneInfo(zone)
    for night in (autumn, spring):
        since = night - timedelta(days=1, hours=1)  # before the first local slot of the day before
        digest = subscribe(ctx.url, at=at, tz=zone, cadence=cadence, weekday=6 if cadence == "weekly" else None,
                           since=since, channel=f"C{night:%m}", kpis="cac")
        posted: Counter = Counter()
        now = since.replace(tzinfo=UTC)
        while now < (night + timedelta(days=2)).replace(tzinfo=UTC):  # a pass every 30 minutes, 3 days
            count = post_due_digests(ctx, now)
            if count:
                posted[now.astimezone(tz).date()] += count
            now += timedelta(minutes=30)
        days = [(night + timedelta(days=d)).date() for d in (-1, 0, 1)]
        expected = {day: 1 for day in days} if cadence == "daily" else {night.date(): 1}
        assert dict(posted) == expected, digest


def test_the_reproduction_returns_at_once():
    """`run-jobs --at 2026-10-25T06:00:00Z` with a 02:30 Paris digest looped for ever."""
    digest = DigestSpec("daily", "02:30", None, "Europe/Paris")
    assert last_slot(digest, datetime(2026, 10, 25, 6, tzinfo=UTC)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # the spring night: 02:30 does not exist, the digest comes at 03:00 (01:00 UTC)
    assert last_slot(digest, datetime(2026, 3, 29, 6, tzinfo=UTC)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    weekly = DigestSpec("weekly", "01:30", 6, "America/New_York")
    assert last_slot(weekly, datetime(2026, 11, 1, 12, tzinfo=UTC)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00+01:00", "1e9", "x" * 5000])
def test_run_jobs_refuses_an_instant_it_cannot_compute(text, capsys):
    from bot.__main__ import instant, main

    assert instant(text) is None
    assert main(["run-jobs", "--at", text]) == 2
    assert "is not an ISO 8601 instant between 2000 and 2999" in capsys.readouterr().err


# -- 3, 4, 13. hostile files and placeholder dates -----------------------------------------------------------

def _import(url, tmp_path, table: str, content: bytes):
    from kpi.importer import import_csv

    path = tmp_path / "hostile.csv"
    path.write_bytes(content)
    return import_csv(url, table, path)


def _count(url, table: str) -> int:
    from sqlalchemy import func, select

    from kpi.store.engines import get_engine
    from kpi.store.schema import FACT_TABLES

    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(FACT_TABLES[table])).scalar_one()


GOOD_SALES = "".join(f"{i},2026-10-0{1 + i % 9}T10:00:00,,1,10.00,1.00\n" for i in range(1, 40))


@pytest.mark.parametrize("content, line, expected", [
    (("id,sold_at,customer_id,product_id,amount,cost\n" + GOOD_SALES + "99,0001-01-01T00:00:00,,1,5,1\n").encode(),
     41, "is outside the years 1900-2999"),
    (("id,sold_at,customer_id,product_id,amount,cost\n" + GOOD_SALES + "99,9999-12-31,,1,5,1\n").encode(),
     41, "is outside the years 1900-2999"),
    ("id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,1,5\u00e9,1\n"
     .encode("latin-1"), 3, "is not UTF-8 text"),
    ("id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n".encode("utf-16"), 1,
     "is not UTF-8 text"),
    (b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,1," + b"9" * 140_000
     + b",1\n", 3, "has a cell longer than 128 KiB"),
    (b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,1,5\x00,1\n", 3,
     "contains a NUL character"),
    (b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n12345678901234567890,2026-10-01,,1,5,1\n",
     3, "is not a whole number"),
    (b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,99999999999,5,1\n",
     3, "is too large for this column"),
    (b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,1e999999,1\n2,2026-10-01,,1,1e20,1\n",
     2, "is too large for this column"),
])
def test_hostile_files_are_refused_by_line_and_load_nothing(data, tmp_path, content, line, expected):
    from kpi.errors import DataImportError

    before = _count(data, "sales")
    with pytest.raises(DataImportError) as refused:
        _import(data, tmp_path, "sales", content)
    assert refused.value.problems[0].line == line, refused.value.problems
    assert expected in str(refused.value)
    assert _count(data, "sales") == before  # all or nothing, on SQLite and PostgreSQL


def test_a_placeholder_date_in_the_source_never_breaks_a_pass(data):
    """One 0001-01-01 in the source crashed every pass in a non-UTC zone (a fresh rollup build)."""
    from sqlalchemy import text

    from kpi.service import KpiService
    from kpi.store.engines import get_engine

    with get_engine(data).begin() as conn:
        conn.execute(text("INSERT INTO sales (id, sold_at, amount, cost) VALUES "
                          "(990001, '0001-01-01 00:00:00', 5, 1), (990002, '9999-12-31 00:00:00', 7, 1)"))
    for zone in ("Europe/Paris", "Pacific/Kiritimati", "America/Adak"):
        service = KpiService.from_settings(make_settings(data, _NoSlack(), kpi_timezone=zone))
        report = service.refresh_rollups(datetime(2026, 11, 25, 10, tzinfo=UTC))
        assert report.measures > 0
        assert service.ask("revenue", "2026-10", datetime(2026, 11, 25, 10, tzinfo=UTC)).value is not None


class _NoSlack:
    api_url = "http://127.0.0.1:9/api/"


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
            settings = make_settings(data, _NoSlack(), source_database_url=url, kpi_query_timeout=2,
                                     kpi_rollups=False)
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
        return parsed.update_query_dict({"options": "-c default_transaction_read_only=on"}) \
            .render_as_string(hide_password=False)
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


# -- 7, 12. a quiet log, and requests no Slack sends --------------------------------------------------------

def test_a_flood_of_forged_requests_leaves_a_short_log_and_no_body(server, caplog):
    import logging

    from bot.logs import rejections

    rejections._start, rejections._count, rejections._dropped = rejections.clock(), 0, 0
    forged = ("command=%2Fkpi&text=cac&response_url=https%3A%2F%2Fhooks.slack.com%2Fsecret-url"
              "&x=%0A2026-11-25 ERROR bot.delivery: notification dropped&pad=" + "a" * 200_000)
    caplog.set_level(logging.INFO)  # production's level (at DEBUG, Bolt says which middleware runs)
    for _ in range(50):
        assert server.post_signed(forged, secret="not-the-secret").status == 401
    # (uvicorn's access lines are the test server's; production runs it with access_log=False)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "uvicorn.access")
    assert "secret-url" not in text and "notification dropped" not in text and "aaaa" not in text
    refused = [r for r in caplog.records if r.name == "bot.security"]
    assert len(refused) == 10  # then counted, and said once a minute
    assert len(text) < 5_000


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "9" * 5000, "-1", "12.5"])
def test_a_malformed_timestamp_is_401_not_500(server, timestamp):
    from bot.slack.signing import signed_headers

    body = "command=%2Fkpi&text=cac"
    headers = {**signed_headers("x", body), "X-Slack-Request-Timestamp": timestamp}
    res = server.request("POST", "/slack/events", body.encode(), headers)
    assert (res.status, res.json()) == (401, {"error": "invalid request"})
    assert server.slack.calls == []


def test_a_body_that_is_not_utf8_is_400(server):
    from bot.slack.signing import signed_headers

    res = server.request("POST", "/slack/events", b"command=%2Fkpi&text=\xff\xfe", signed_headers("x", "x"))
    assert (res.status, res.json()) == (400, {"error": "malformed request"})


def test_log_lines_cannot_be_forged():
    import logging

    from bot.logs import RedactSecrets

    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "unknown KPI %s", ("x\n2026 ERROR forged",), None)
    RedactSecrets().filter(record)
    assert record.getMessage() == "unknown KPI x\\n2026 ERROR forged"


# -- 15. delivery that can't be fooled ---------------------------------------------------------------------

def _firing(ctx, repeat_seconds: int = 3600) -> int:
    from kpi.rules import Op, RuleKind, RuleSpec
    from tests.support.rules import add_rule

    return add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d", repeat_seconds=repeat_seconds))


def test_a_huge_retry_after_is_capped_and_the_pass_goes_on(ctx, slack):
    from bot.jobs.clock import run_pass
    from kpi.store import state
    from tests.support.clock import T0

    _firing(ctx)
    slack.fail("chat.postMessage", 429, times=1, retry_after=10**12)
    report = run_pass(ctx, T0)
    assert report.delivery.retried == 1
    [row] = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"]
    assert row["next_attempt_at"] == T0.replace(tzinfo=None) + timedelta(hours=1)


def test_an_answer_without_ts_is_not_taken_for_delivered(ctx, slack):
    from bot.jobs.clock import run_pass
    from kpi.store import state
    from tests.support.clock import T0

    _firing(ctx)
    slack.without_ts.add("chat.postMessage")
    report = run_pass(ctx, T0)
    assert report.delivery.delivered == 0 and report.delivery.retried == 1
    [row] = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"]
    assert row["delivered_at"] is None and row["attempts"] == 1


def test_no_reminder_is_queued_on_top_of_an_alert_still_in_the_outbox(ctx, slack):
    from bot.jobs.clock import run_pass
    from kpi.store import state
    from tests.support.clock import T0

    rule = _firing(ctx, repeat_seconds=3600)
    slack.fail("chat.postMessage", 503, times=1000)  # Slack down longer than the repeat interval
    for hours in range(0, 5):
        run_pass(ctx, T0 + timedelta(hours=hours))
    alerts_queued = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"]
    assert len(alerts_queued) == 1, [r["dedupe_key"] for r in alerts_queued]
    slack.clear_failures()
    refused = len(slack.calls_to("chat.postMessage"))
    run_pass(ctx, T0 + timedelta(hours=5))
    assert len(slack.calls_to("chat.postMessage")) == refused + 1  # the one alert, once Slack is back
    assert state.rules(ctx.url)[0].id == rule


# -- 11. digits that are not ASCII digits -----------------------------------------------------------------

def test_superscript_digits_get_a_polite_answer_everywhere(server, slack, caplog):
    import logging

    from tests.support.messages import texts

    caplog.set_level(logging.ERROR)
    for command, expected in [("alert remove ²", "Write `/kpi alert remove ID`"),
                              ("alert cac > 300 30d for ²", "`for` takes a count"),
                              ("digest daily ²:00", "is not a time"),
                              ("alert cac > ² 30d", "is not a number")]:
        assert expected in texts(server.command(command).json()), command
    res = server.action("alert_ack", "²:1")
    assert res.status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no "error id" apology, no traceback


# -- 9, 10. fair sharing, and the acknowledgement whatever Slack's latency ------------------------------------

def test_the_ack_comes_within_the_budget_while_slack_is_slow(data, slack):
    import time

    from kpi.store import state
    from tests.bot.conftest import Server
    from tests.support.messages import texts

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack, kpi_inline_budget=0.5), slack)
    try:
        slack.reset()
        slack.hold("users.info")  # the permission check waits on Slack as long as Slack wants
        started = time.monotonic()
        body, _ = running.command_body("alert cac > 100 30d", user="UADMIN")
        first = running.post_signed(body)
        assert time.monotonic() - started < 2.5  # Slack's 3 s, whatever Slack's own latency
        assert "Working on it" in texts(first.json())
        slack.release(drop=False)
        calls = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls), timeout=20)
        answer = [c for c in calls if c.kind == "response_url"][0].payload
        assert "Rule `#" in texts(answer) and "Threshold: €100.00." in texts(answer)
        assert len(state.rules(data)) == 1
    finally:
        slack.release(drop=False)
        running.stop()


def test_heavy_work_has_a_quota_per_person_and_digests_now_per_channel(data, slack):
    from tests.bot.conftest import Server
    from tests.support.messages import texts

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack), slack)
    running.app.deps.limits.clock = lambda: 1000.0  # one instant: the window never slides in this test
    try:
        answers = [texts(running.command("cac 3000d", user="UHEAVY").json()) for _ in range(4)]
        assert all("try again in 60 s" not in a for a in answers[:3])
        assert "You have asked for a lot of heavy work" in answers[3] and "try again in 60 s" in answers[3]
        assert "Customer acquisition cost" in texts(running.command("cac month", user="UHEAVY").json())  # cheap
        assert "Posting the digest" in texts(running.command("digest now", user="UADMIN").json())
        assert "This channel just got a digest" in texts(running.command("digest now", user="UOTHER").json())
    finally:
        running.stop()


# -- 5. infinities and huge numbers in the source ------------------------------------------------------------

def test_infinite_or_huge_values_in_the_source_are_left_out_with_one_warning(data, caplog):
    """SQLite stores 1e999999 as infinity (and 1e20 as is): a sum over it said "no data" for ever.
    PostgreSQL's numeric has NaN, which poisons a sum the same way."""
    import logging

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from kpi.service import KpiService
    from kpi.store.engines import get_engine

    now = datetime(2026, 11, 25, 10, tzinfo=UTC)
    service = KpiService.from_settings(make_settings(data, _NoSlack(), kpi_rollups=False))
    clean = service.ask("revenue", "2026-10", now).value
    hostile = ["'NaN'"] if make_url(data).get_backend_name() == "postgresql" else ["1e999999", "1e20", "-1e999999"]
    with get_engine(data).begin() as conn:
        for i, amount in enumerate(hostile):
            conn.execute(text(f"INSERT INTO sales (id, sold_at, amount, cost) VALUES "
                              f"({990100 + i}, '2026-10-10 10:00:00', {amount}, 0)"))
    assert service.ask("revenue", "2026-10", now).value == clean
    caplog.set_level(logging.WARNING)
    with_rollups = KpiService.from_settings(make_settings(data, _NoSlack(), kpi_timezone="Europe/Paris"))
    with_rollups.refresh_rollups(now)
    warned = [r.getMessage() for r in caplog.records if "infinite or at least" in r.getMessage()]
    assert f"sales: {len(hostile)} rows whose value is infinite or at least 1e+15 are left out of sales_amount" \
        in warned
    assert with_rollups.ask("revenue", "2026-10", now).value == clean


def test_a_dollar_sign_in_a_name_draws(data):
    """`Price $10 # $20` crashed breakdown charts (matplotlib read it as TeX)."""
    import io

    from PIL import Image

    from bot.render import charts
    from kpi.catalog import load_catalog
    from kpi.compute import BreakdownRow, KpiResult

    result = KpiResult(kpi=load_catalog(None).kpis["revenue"], current=None, previous=None, value=3.0,
                       previous_value=2.0, reason=None, previous_reason=None, measures={}, previous_measures={},
                       by="product", breakdown=(BreakdownRow("Price $10 # $20", 10.0, 8.0),))
    assert Image.open(io.BytesIO(charts.breakdown(result, "$x$", "a", "b", "en", "EUR"))).size[0] == 880


# -- 14. a number too large for a definition -------------------------------------------------------------------

@pytest.mark.parametrize("formula", ["revenue * 1e309", "revenue / 1" + "0" * 400])
def test_an_infinite_number_in_a_formula_is_refused_at_load_time(tmp_path, formula):
    """`1e309` passed the definitions check; the KPI then said "no data" for ever."""
    from kpi.catalog import load_catalog
    from kpi.errors import DefinitionError

    path = tmp_path / "team.yml"
    path.write_text(f"""
kpis:
  huge:
    name: {{en: Huge, fr: Énorme}}
    formula: "{formula}"
    unit: number
    direction: up
    description: {{en: d, fr: d}}
    explanation:
      meaning: {{en: m, fr: m}}
      reading: {{en: r, fr: r}}
      drivers: {{en: d, fr: d}}
""", encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_catalog(path)
    assert "is too large (at most 1e15)" in str(refused.value)
