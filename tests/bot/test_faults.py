"""Nothing stops the alerts (issue 12's hostile reproductions, part 1): DST nights, hostile files and dates,
infinities in the source and the definitions."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.jobs.digests import last_slot, post_due_digests
from kpi.store.state.records import DigestSpec
from tests.bot.conftest import make_settings
from tests.support.chaos import UnreachableSlack
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
        digest = subscribe(
            ctx.url,
            at=at,
            tz=zone,
            cadence=cadence,
            weekday=6 if cadence == "weekly" else None,
            since=since,
            channel=f"C{night:%m}",
            kpis="cac",
        )
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


@pytest.mark.parametrize(
    "content, line, expected",
    [
        (
            (
                "id,sold_at,customer_id,product_id,amount,cost\n" + GOOD_SALES + "99,0001-01-01T00:00:00,,1,5,1\n"
            ).encode(),
            41,
            "is outside the years 1900-2999",
        ),
        (
            ("id,sold_at,customer_id,product_id,amount,cost\n" + GOOD_SALES + "99,9999-12-31,,1,5,1\n").encode(),
            41,
            "is outside the years 1900-2999",
        ),
        (
            "id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,1,5\u00e9,1\n".encode(
                "latin-1"
            ),
            3,
            "is not UTF-8 text",
        ),
        (
            "id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n".encode("utf-16"),
            1,
            "is not UTF-8 text",
        ),
        (
            b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,1,"
            + b"9" * 140_000
            + b",1\n",
            3,
            "has a cell longer than 128 KiB",
        ),
        (
            b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,1,5\x00,1\n",
            3,
            "contains a NUL character",
        ),
        (
            b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n12345678901234567890,2026-10-01,,1,5,1\n",
            3,
            "is not a whole number",
        ),
        (
            b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,5,1\n2,2026-10-01,,99999999999,5,1\n",
            3,
            "is too large for this column",
        ),
        (
            b"id,sold_at,customer_id,product_id,amount,cost\n1,2026-10-01,,1,1e999999,1\n2,2026-10-01,,1,1e20,1\n",
            2,
            "is too large for this column",
        ),
    ],
)
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
        conn.execute(
            text(
                "INSERT INTO sales (id, sold_at, amount, cost) VALUES "
                "(990001, '0001-01-01 00:00:00', 5, 1), (990002, '9999-12-31 00:00:00', 7, 1)"
            )
        )
    for zone in ("Europe/Paris", "Pacific/Kiritimati", "America/Adak"):
        service = KpiService.from_settings(make_settings(data, UnreachableSlack(), kpi_timezone=zone))
        report = service.refresh_rollups(datetime(2026, 11, 25, 10, tzinfo=UTC))
        assert report.measures > 0
        assert service.ask("revenue", "2026-10", datetime(2026, 11, 25, 10, tzinfo=UTC)).value is not None


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
    service = KpiService.from_settings(make_settings(data, UnreachableSlack(), kpi_rollups=False))
    clean = service.ask("revenue", "2026-10", now).value
    hostile = ["'NaN'"] if make_url(data).get_backend_name() == "postgresql" else ["1e999999", "1e20", "-1e999999"]
    with get_engine(data).begin() as conn:
        for i, amount in enumerate(hostile):
            conn.execute(
                text(
                    f"INSERT INTO sales (id, sold_at, amount, cost) VALUES "
                    f"({990100 + i}, '2026-10-10 10:00:00', {amount}, 0)"
                )
            )
    assert service.ask("revenue", "2026-10", now).value == clean
    caplog.set_level(logging.WARNING)
    with_rollups = KpiService.from_settings(make_settings(data, UnreachableSlack(), kpi_timezone="Europe/Paris"))
    with_rollups.refresh_rollups(now)
    warned = [r.getMessage() for r in caplog.records if "infinite or at least" in r.getMessage()]
    assert (
        f"sales: {len(hostile)} rows whose value is infinite or at least 1e+15 are left out of sales_amount" in warned
    )
    assert with_rollups.ask("revenue", "2026-10", now).value == clean


def test_a_dollar_sign_in_a_name_draws(data):
    """`Price $10 # $20` crashed breakdown charts (matplotlib read it as TeX)."""
    import io

    from PIL import Image

    from bot.render import charts
    from kpi.catalog import load_catalog
    from kpi.compute import BreakdownRow, KpiResult

    result = KpiResult(
        kpi=load_catalog(None).kpis["revenue"],
        current=None,
        previous=None,
        value=3.0,
        previous_value=2.0,
        reason=None,
        previous_reason=None,
        measures={},
        previous_measures={},
        by="product",
        breakdown=(BreakdownRow("Price $10 # $20", 10.0, 8.0),),
    )
    assert Image.open(io.BytesIO(charts.breakdown(result, "$x$", "a", "b", "en", "EUR"))).size[0] == 880


# -- 14. a number too large for a definition -------------------------------------------------------------------


@pytest.mark.parametrize("formula", ["revenue * 1e309", "revenue / 1" + "0" * 400])
def test_an_infinite_number_in_a_formula_is_refused_at_load_time(tmp_path, formula):
    """`1e309` passed the definitions check; the KPI then said "no data" for ever."""
    from kpi.catalog import load_catalog
    from kpi.errors import DefinitionError

    path = tmp_path / "team.yml"
    path.write_text(
        f"""
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
""",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as refused:
        load_catalog(path)
    assert "is too large (at most 1e15)" in str(refused.value)


def test_run_jobs_refuses_an_instant_in_the_future_and_does_nothing(data, slack, monkeypatch, capsys):
    """`run-jobs --at 2999-12-31T23:59:59Z` recorded every digest's slot in 2999 (no digest ever again) and
    told every channel its data was stale: it is refused before the databases are touched."""
    from bot.__main__ import main
    from kpi.store import state

    digest = subscribe(data)
    for name, value in {
        "DATABASE_URL": data,
        "SLACK_BOT_TOKEN": "xoxb-test-0000-secret-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret-0123456789",
        "SLACK_API_URL": slack.api_url,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["run-jobs", "--at", "2999-12-31T23:59:59Z"]) == 2
    err = capsys.readouterr().err
    assert "is in the future" in err and "a pass runs at most 5 minutes ahead of now" in err
    assert "nothing was done" in err
    [row] = state.active_digests(data)
    assert row.id == digest and row.last_slot == datetime(2026, 10, 30, 12, 0)  # as subscribed
    assert state.outbox_rows(data) == [] and slack.calls == []


def test_a_digest_stopped_by_a_slot_from_the_future_resumes_on_time(data, slack):
    """A bot damaged before the refusal (its digest's slot recorded in 2999) posts the next digest on time,
    and a replay long past never moves a slot back."""
    from bot.jobs.context import JobContext
    from kpi.store import state

    ctx = JobContext.from_settings(make_settings(data, slack))
    subscribe(data)
    [row] = state.active_digests(data)
    with state.unit_of_work(data) as uow:
        uow.mark_digest(row.id, row.last_slot, datetime(2999, 12, 31, 8))
    assert post_due_digests(ctx, datetime(2026, 11, 2, 12, tzinfo=timezone.utc)) == 0  # past its grace: later
    assert state.active_digests(data)[0].last_slot == datetime(2999, 12, 31, 8)
    assert post_due_digests(ctx, datetime(2026, 11, 3, 8, 5, tzinfo=timezone.utc)) == 1  # 09:05 in Paris
    assert state.active_digests(data)[0].last_slot == datetime(2026, 11, 3, 8, 0)
    assert post_due_digests(ctx, datetime(2026, 11, 3, 8, 10, tzinfo=timezone.utc)) == 0  # once
