"""The expected range of a day (kpi/anomaly.py): same weekday, robust to outliers, not judged too early."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from kpi.anomaly import MIN_HISTORY, Sensitivity, judge

MONDAY = date(2026, 9, 7)
PROFILE = [100.0, 120.0, 125.0, 120.0, 110.0, 40.0, 30.0]  # Monday … Sunday: a shop closed-ish at weekends


def weeks_of(n: int, noise: float = 0.03, seed: int = 1) -> dict[date, float]:
    rng = random.Random(seed)
    return {MONDAY + timedelta(days=i): PROFILE[i % 7] * math.exp(rng.gauss(0, noise)) for i in range(7 * n)}


def test_a_day_is_judged_against_its_own_weekday():
    """A Sunday at 30 is normal for a Sunday, though it would be a collapse for a Tuesday."""
    daily = weeks_of(9)
    sunday = MONDAY + timedelta(weeks=8, days=6)
    tuesday = MONDAY + timedelta(weeks=8, days=1)
    assert not judge(daily, sunday).unusual and judge(daily, sunday).expected == pytest.approx(30, rel=0.05)
    daily[tuesday] = 30.0
    verdict = judge(daily, tuesday)
    assert verdict.direction == "low" and verdict.low > 90 and verdict.history == 8


@pytest.mark.parametrize("factor, direction", [(0.7, "low"), (1.3, "high"), (0.0, "low"), (1.0, None)])
def test_a_thirty_percent_move_is_unusual_at_medium(factor, direction):
    daily = weeks_of(9)
    day = MONDAY + timedelta(weeks=8, days=2)
    daily[day] = 125.0 * factor
    assert judge(daily, day, Sensitivity.MEDIUM).direction == direction


def test_not_judged_before_enough_history_and_says_how_much():
    daily = weeks_of(MIN_HISTORY)  # the day judged has MIN_HISTORY - 1 weeks before it
    day = MONDAY + timedelta(weeks=MIN_HISTORY - 1)
    verdict = judge(daily, day)
    assert not verdict.judged and verdict.expected is None and verdict.history == MIN_HISTORY - 1
    assert verdict.direction is None and not verdict.unusual


def test_one_broken_day_in_the_history_does_not_widen_the_range():
    """A broken feed three weeks ago (0) must not hide today's drop: median and pooled MAD ignore it."""
    daily = weeks_of(9)
    day = MONDAY + timedelta(weeks=8)
    before = judge(daily, day)
    daily[day - timedelta(weeks=3)] = 0.0
    after = judge(daily, day)
    assert after.low == pytest.approx(before.low, rel=0.08) and after.high == pytest.approx(before.high, rel=0.08)
    daily[day] = 70.0
    assert judge(daily, day).direction == "low"


def test_sensitivities_nest():
    daily = weeks_of(9, noise=0.06)
    day = MONDAY + timedelta(weeks=8, days=3)
    ranges = {s: judge(daily, day, s) for s in Sensitivity}
    assert ranges[Sensitivity.HIGH].low > ranges[Sensitivity.MEDIUM].low > ranges[Sensitivity.LOW].low
    assert ranges[Sensitivity.HIGH].high < ranges[Sensitivity.MEDIUM].high < ranges[Sensitivity.LOW].high


def test_a_kpi_that_goes_negative_gets_a_range_around_its_centre():
    """A margin can be below zero: the range is centre ± kσ × |centre|, not a ratio."""
    daily = {MONDAY + timedelta(weeks=i): value for i, value in enumerate([-10, -12, -9, -11, -10, -10, -11, -9])}
    day = MONDAY + timedelta(weeks=8)
    daily[day] = -10.5
    verdict = judge(daily, day)
    assert verdict.expected == pytest.approx(-10.0, abs=0.6) and verdict.low < -10.5 < verdict.high
    daily[day] = 5.0
    assert judge(daily, day).direction == "high"


def test_a_kpi_day_judged_from_the_source_and_said_in_both_languages(db_url, engine):
    """The demo's revenue: a usual Tuesday; then that Tuesday's sales gone (a broken import): unusually low,
    with the expected range; a KPI without enough history says so."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from sqlalchemy import delete

    from kpi import demo
    from kpi.catalog import load_catalog
    from kpi.present import unusual_text
    from kpi.series import judge_day
    from kpi.service import KpiService
    from kpi.store import facts
    from kpi.store.schema import sales

    facts.replace_all(db_url, demo.generate(datetime(2026, 11, 26, 8, tzinfo=timezone.utc), days=120))
    catalog = load_catalog()
    service = KpiService(
        catalog=catalog, source=engine, tz=ZoneInfo("Europe/Paris"), language="en", currency="EUR", rollups=None
    )
    revenue, tuesday = catalog.resolve("revenue"), date(2026, 11, 24)
    usual = judge_day(service, revenue, tuesday)
    assert usual.history == 8 and usual.judged and usual.low < usual.value < usual.high
    assert "(last 8 Tuesdays)" in unusual_text(revenue, usual, "en") and "as usual" in unusual_text(
        revenue, usual, "en"
    )
    with engine.begin() as conn:
        conn.execute(
            delete(sales).where(
                sales.c.sold_at >= datetime(2026, 11, 23, 23), sales.c.sold_at < datetime(2026, 11, 24, 23)
            )
        )
    broken = judge_day(service, revenue, tuesday)
    assert broken.value == 0 and broken.direction == "low"
    said = unusual_text(revenue, broken, "en")
    assert said.startswith("Revenue on Tue, Nov 24: €0.00, unusually low: expected €") and "for a Tuesday" in said
    assert "sous la normale : attendu entre" in unusual_text(revenue, broken, "fr")
    assert "pour un mardi (8 derniers mardis)" in unusual_text(revenue, broken, "fr")
    early = judge_day(service, revenue, date(2026, 8, 25))  # three weeks after the demo data begins
    assert not early.judged and "is not judged yet: 3 past Tuesdays known, 4 needed" in unusual_text(
        revenue, early, "en"
    )


def test_a_weekday_flat_at_zero_still_has_a_range():
    """A shop closed on Sundays: every Sunday is €0.00. €1.00 on a Sunday is not unusual (the range is at
    least FLOOR of the KPI's usual size), €5,000 is."""
    daily = {MONDAY + timedelta(days=i): (0.0 if i % 7 == 6 else PROFILE[i % 7] * 100) for i in range(7 * 9)}
    sunday = MONDAY + timedelta(weeks=8, days=6)
    daily[sunday] = 1.0
    verdict = judge(daily, sunday)
    assert verdict.expected == 0.0 and verdict.high > 100 and not verdict.unusual
    daily[sunday] = 5000.0
    assert judge(daily, sunday).direction == "high"


def test_a_kpi_centred_on_zero_gets_a_range_as_wide_as_its_swings():
    """A profit that swings around 0 (−40 … +40): the range is in its own unit, not a share of a centre of 0."""
    rng = random.Random(3)
    daily = {MONDAY + timedelta(days=i): rng.uniform(-40, 40) for i in range(7 * 9)}
    day = MONDAY + timedelta(weeks=8, days=2)
    daily[day] = 1.0
    verdict = judge(daily, day)
    assert verdict.high - verdict.low > 40 and not verdict.unusual
    daily[day] = 400.0
    assert judge(daily, day).direction == "high"
