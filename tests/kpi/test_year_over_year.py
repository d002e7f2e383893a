"""Year over year: the same period a year earlier, by dates, and by ISO week for weeks."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.periods import asks_year_over_year, parse_period
from kpi.spans import Kind

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)  # a Wednesday, 11:30 in Paris


def previous(text: str):
    return parse_period(text, NOW, PARIS).previous


@pytest.mark.parametrize(
    "text, first, last",
    [
        ("2026-10 yoy", date(2025, 10, 1), date(2025, 10, 31)),
        ("2026-Q3 vs last year", date(2025, 7, 1), date(2025, 9, 30)),
        ("2026 yoy", date(2025, 1, 1), date(2025, 11, 25)),  # 2026 contains now: to date, Jan 1 – Nov 25
        ("2025 yoy", date(2024, 1, 1), date(2024, 12, 31)),
        ("2026-10-05 vs année dernière", date(2025, 10, 5), date(2025, 10, 5)),
        ("2026-10-01..2026-10-15 yoy", date(2025, 10, 1), date(2025, 10, 15)),
        ("2028-02-29 yoy", date(2027, 2, 28), date(2027, 2, 28)),  # no Feb 29 a year earlier
        ("2026-W47 yoy", date(2025, 11, 17), date(2025, 11, 23)),  # ISO week 47 of 2025: Monday to Sunday
        ("2020-W53 yoy", date(2019, 12, 23), date(2019, 12, 29)),  # 2019 has no week 53: its last week
    ],
)
def test_the_same_period_a_year_earlier(text, first, last):
    found = previous(text)
    assert (found.first_day(), found.end_day() - timedelta(days=1)) == (first, last)


def test_to_date_compares_the_same_elapsed_time_and_a_rolling_window_the_same_dates():
    month = previous("month yoy")  # Nov 1 - Nov 25 11:30, 2026 -> the same in 2025
    assert month.kind is Kind.TO_DATE and month.label == "2025-11 (to date)"
    assert month.start == datetime(2025, 11, 1, tzinfo=PARIS) and month.end == datetime(
        2025, 11, 25, 11, 30, tzinfo=PARIS
    )
    week = previous("week yoy")  # ISO week 48 of 2026 to Wednesday 11:30 -> week 48 of 2025, the same
    assert week.start == datetime(2025, 11, 24, tzinfo=PARIS) and week.end == datetime(
        2025, 11, 26, 11, 30, tzinfo=PARIS
    )
    rolling = previous("30d yoy")
    assert rolling.kind is Kind.RANGE and rolling.label == "2025-10-26..2025-11-25"


@pytest.mark.parametrize(
    "words, rest",
    [
        ("revenue yoy", "revenue"),
        ("revenue 2026-10 vs last year by category", "revenue 2026-10 by category"),
        ("ca mois vs année dernière", "ca mois"),
        ("ca vs l'an dernier", "ca"),
        ("cac 30d vs N-1", "cac 30d"),
    ],
)
def test_the_words_that_ask_for_it_in_both_languages(words, rest):
    assert asks_year_over_year(words.split()) == (True, rest.split())
    assert asks_year_over_year(rest.split()) == (False, rest.split())
