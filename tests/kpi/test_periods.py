from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kpi.errors import PeriodError
from kpi.periods import looks_like_period, parse_period
from kpi.spans import Kind

UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


def local(y, m, d, h=0, mi=0, tz=UTC):
    return datetime(y, m, d, h, mi, tzinfo=tz)


@pytest.mark.parametrize(
    "text, start, end, prev_start, prev_end, label",
    [
        ("2026-10", local(2026, 10, 1), local(2026, 11, 1), local(2026, 9, 1), local(2026, 10, 1), "2026-10"),
        ("2026-Q3", local(2026, 7, 1), local(2026, 10, 1), local(2026, 4, 1), local(2026, 7, 1), "2026-Q3"),
        ("2026-q1", local(2026, 1, 1), local(2026, 4, 1), local(2025, 10, 1), local(2026, 1, 1), "2026-Q1"),
        # a period that contains now is compared to date (kpi.spans.to_date): Jan 1 – Nov 25 10:30, both years
        ("2026", local(2026, 1, 1), NOW, local(2025, 1, 1), local(2025, 11, 25, 10, 30), "2026 (to date)"),
        ("2025", local(2025, 1, 1), local(2026, 1, 1), local(2024, 1, 1), local(2025, 1, 1), "2025"),
        ("2026-W43", local(2026, 10, 19), local(2026, 10, 26), local(2026, 10, 12), local(2026, 10, 19), "2026-W43"),
        ("2026-W01", local(2025, 12, 29), local(2026, 1, 5), local(2025, 12, 22), local(2025, 12, 29), "2026-W01"),
        ("2026-10-05", local(2026, 10, 5), local(2026, 10, 6), local(2026, 10, 4), local(2026, 10, 5), "2026-10-05"),
        (
            "2026-10-01..2026-10-15",
            local(2026, 10, 1),
            local(2026, 10, 16),
            local(2026, 9, 16),
            local(2026, 10, 1),
            "2026-10-01..2026-10-15",
        ),
        ("yesterday", local(2026, 11, 24), local(2026, 11, 25), local(2026, 11, 23), local(2026, 11, 24), "2026-11-24"),
        ("hier", local(2026, 11, 24), local(2026, 11, 25), local(2026, 11, 23), local(2026, 11, 24), "2026-11-24"),
        ("last-month", local(2026, 10, 1), local(2026, 11, 1), local(2026, 9, 1), local(2026, 10, 1), "2026-10"),
        ("Last Month", local(2026, 10, 1), local(2026, 11, 1), local(2026, 9, 1), local(2026, 10, 1), "2026-10"),
        ("mois-dernier", local(2026, 10, 1), local(2026, 11, 1), local(2026, 9, 1), local(2026, 10, 1), "2026-10"),
        ("last-week", local(2026, 11, 16), local(2026, 11, 23), local(2026, 11, 9), local(2026, 11, 16), "2026-W47"),
        ("last-quarter", local(2026, 7, 1), local(2026, 10, 1), local(2026, 4, 1), local(2026, 7, 1), "2026-Q3"),
        ("last-year", local(2025, 1, 1), local(2026, 1, 1), local(2024, 1, 1), local(2025, 1, 1), "2025"),
        # to date: the same elapsed span of the previous period
        ("month", local(2026, 11, 1), NOW, local(2026, 10, 1), local(2026, 10, 25, 10, 30), "2026-11 (to date)"),
        ("mois", local(2026, 11, 1), NOW, local(2026, 10, 1), local(2026, 10, 25, 10, 30), "2026-11 (to date)"),
        ("week", local(2026, 11, 23), NOW, local(2026, 11, 16), local(2026, 11, 18, 10, 30), "2026-W48 (to date)"),
        ("semaine", local(2026, 11, 23), NOW, local(2026, 11, 16), local(2026, 11, 18, 10, 30), "2026-W48 (to date)"),
        ("quarter", local(2026, 10, 1), NOW, local(2026, 7, 1), local(2026, 8, 25, 10, 30), "2026-Q4 (to date)"),
        ("trimestre", local(2026, 10, 1), NOW, local(2026, 7, 1), local(2026, 8, 25, 10, 30), "2026-Q4 (to date)"),
        ("year", local(2026, 1, 1), NOW, local(2025, 1, 1), local(2025, 11, 25, 10, 30), "2026 (to date)"),
        ("année", local(2026, 1, 1), NOW, local(2025, 1, 1), local(2025, 11, 25, 10, 30), "2026 (to date)"),
        ("today", local(2026, 11, 25), NOW, local(2026, 11, 24), local(2026, 11, 24, 10, 30), "2026-11-25 (to date)"),
        (
            "aujourd'hui",
            local(2026, 11, 25),
            NOW,
            local(2026, 11, 24),
            local(2026, 11, 24, 10, 30),
            "2026-11-25 (to date)",
        ),
        (
            "Aujourd’hui",
            local(2026, 11, 25),
            NOW,
            local(2026, 11, 24),
            local(2026, 11, 24, 10, 30),
            "2026-11-25 (to date)",
        ),
        # rolling windows: the same length just before
        ("7d", NOW - timedelta(days=7), NOW, NOW - timedelta(days=14), NOW - timedelta(days=7), "last 7 days"),
        ("30d", NOW - timedelta(days=30), NOW, NOW - timedelta(days=60), NOW - timedelta(days=30), "last 30 days"),
        ("90d", NOW - timedelta(days=90), NOW, NOW - timedelta(days=180), NOW - timedelta(days=90), "last 90 days"),
        ("30j", NOW - timedelta(days=30), NOW, NOW - timedelta(days=60), NOW - timedelta(days=30), "last 30 days"),
        ("30 days", NOW - timedelta(days=30), NOW, NOW - timedelta(days=60), NOW - timedelta(days=30), "last 30 days"),
    ],
)
def test_parse_period(text, start, end, prev_start, prev_end, label):
    pair = parse_period(text, NOW, UTC)
    assert (pair.current.start, pair.current.end) == (start, end)
    assert (pair.previous.start, pair.previous.end) == (prev_start, prev_end)
    assert pair.current.label == label


def test_to_date_previous_is_clamped_to_the_shorter_month():
    now = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
    pair = parse_period("month", now, UTC)
    # 30.5 days of March elapsed; February has only 28 days: previous is the whole of February
    assert pair.previous.start == local(2026, 2, 1)
    assert pair.previous.end == local(2026, 3, 1)


def test_first_instant_of_a_month_is_an_empty_to_date_period():
    now = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)
    pair = parse_period("month", now, UTC)
    assert pair.current.start == pair.current.end == now
    assert pair.previous.start == pair.previous.end == local(2026, 10, 1)


def test_periods_are_read_in_the_kpi_time_zone():
    # 23:30 UTC on Oct 31 is already Nov 1 in Paris
    now = datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc)
    pair = parse_period("month", now, PARIS)
    assert pair.current.start == datetime(2026, 11, 1, tzinfo=PARIS)
    assert pair.current.start_utc() == datetime(2026, 10, 31, 23, 0)
    assert pair.current.label == "2026-11 (to date)"


def test_dst_spring_forward_day_is_23_hours_in_paris():
    pair = parse_period("2026-03-29", NOW, PARIS)
    assert pair.current.start_utc() == datetime(2026, 3, 28, 23, 0)
    assert pair.current.end_utc() == datetime(2026, 3, 29, 22, 0)
    assert pair.current.end_utc() - pair.current.start_utc() == timedelta(hours=23)


def test_dst_fall_back_day_is_25_hours_in_paris():
    pair = parse_period("2026-10-25", NOW, PARIS)
    assert pair.current.start_utc() == datetime(2026, 10, 24, 22, 0)
    assert pair.current.end_utc() == datetime(2026, 10, 25, 23, 0)
    assert pair.current.end_utc() - pair.current.start_utc() == timedelta(hours=25)


def test_month_across_dst_in_paris():
    pair = parse_period("2026-10", NOW, PARIS)
    assert pair.current.start_utc() == datetime(2026, 9, 30, 22, 0)  # CEST, +02:00
    assert pair.current.end_utc() == datetime(2026, 10, 31, 23, 0)  # CET, +01:00
    assert pair.previous.start_utc() == datetime(2026, 8, 31, 22, 0)


def test_days_counted_by_a_rolling_window():
    pair = parse_period("7d", NOW, UTC)
    # starts at 10:30 on Nov 18: Nov 18 itself began before the window, so days are Nov 19..25
    assert pair.current.first_day() == date(2026, 11, 19)
    assert pair.current.end_day() == date(2026, 11, 26)
    assert pair.previous.first_day() == date(2026, 11, 12)
    assert pair.previous.end_day() == date(2026, 11, 19)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "  ",
        "2026-13",
        "2026-00",
        "2026-Q5",
        "2026-W54",
        "2026-02-30",
        "2026-10-15..2026-10-01",
        "0d",
        "tomorrow",
        "month; DROP TABLE sales",
        "x" * 10_000,
        "99999d",
        "0000",
        "9999-12",
        "2026-10-01..2040-10-01",
        "🙂",
    ],
)
def test_bad_periods_are_refused_with_the_accepted_forms(bad):
    with pytest.raises(PeriodError) as info:
        parse_period(bad, NOW, UTC)
    assert "Accepted forms" in str(info.value)
    assert "2026-Q3" in str(info.value)
    assert len(str(info.value)) < 600


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        parse_period("month", datetime(2026, 11, 25), UTC)


def test_looks_like_period():
    assert looks_like_period("last-month") and looks_like_period("2026-Q3") and looks_like_period("30d")
    assert not looks_like_period("category") and not looks_like_period("by")


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)),
    text=st.sampled_from(
        [
            "today",
            "yesterday",
            "week",
            "month",
            "quarter",
            "year",
            "last-week",
            "last-month",
            "last-quarter",
            "last-year",
            "7d",
            "30d",
            "90d",
            "2026-10",
            "2026-Q3",
            "2026-W43",
            "2026-10-05",
            "2024",
            "2026-10-01..2026-10-15",
        ]
    ),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
@example(now=datetime(2024, 4, 6, 15, 0, tzinfo=UTC), text="today", zone="Australia/Sydney")  # 02:00, twice
def test_period_invariants(now, text, zone):
    tz = ZoneInfo(zone)
    pair = parse_period(text, now, tz)
    cur, prev = pair.current, pair.previous
    assert cur.start <= cur.end and prev.start <= prev.end
    assert prev.end <= cur.start  # the previous period never overlaps the current one
    assert prev.kind == cur.kind
    if cur.kind in (Kind.TO_DATE, Kind.ROLLING):
        # the same instant (PEP 495: an ambiguous local time never compares equal across zones, so
        # instants are compared; e.g. 2024-04-06 15:00 UTC is 02:00 the first time in Sydney)
        assert cur.end.timestamp() == now.timestamp()
    if cur.kind is Kind.TO_DATE:
        # same elapsed wall-clock span, unless clamped by a shorter previous period
        elapsed = cur.end.replace(tzinfo=None) - cur.start.replace(tzinfo=None)
        prev_elapsed = prev.end.replace(tzinfo=None) - prev.start.replace(tzinfo=None)
        assert prev_elapsed == elapsed or prev.end == cur.start
    if cur.kind is Kind.CALENDAR:
        assert prev.end == cur.start  # contiguous
        assert cur.start.hour == 0 and cur.start.minute == 0
    # days counted are within the period's local dates
    assert cur.first_day() <= cur.end_day()
