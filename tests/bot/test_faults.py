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
