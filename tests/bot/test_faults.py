"""Nothing stops the alerts: each hostile reproduction of issue 12, on SQLite and PostgreSQL, time passed in."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import JobContext, last_slot, post_due_digests
from tests.bot.conftest import make_settings
from tests.bot.test_alerts import FakeTime
from tests.bot.test_digests import subscribe

UTC = timezone.utc


@pytest.fixture
def ctx(data, slack):
    context = JobContext.from_settings(make_settings(data, slack))
    fake = FakeTime()
    context.sleep, context.monotonic = fake.sleep, fake.monotonic
    return context


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
    digest = {"cadence": "daily", "weekday": None, "at_time": "02:30", "timezone": "Europe/Paris"}
    assert last_slot(digest, datetime(2026, 10, 25, 6, tzinfo=UTC)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # the spring night: 02:30 does not exist, the digest comes at 03:00 (01:00 UTC)
    assert last_slot(digest, datetime(2026, 3, 29, 6, tzinfo=UTC)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    weekly = {**digest, "cadence": "weekly", "weekday": 6, "timezone": "America/New_York", "at_time": "01:30"}
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
