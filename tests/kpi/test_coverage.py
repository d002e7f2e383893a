"""How much of a period the data covers (kpi.coverage.cover): the rule behind "No revenue data before…"
and "from Dec 4, 2025 (first data)"."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.compute import Cover
from kpi.coverage import cover
from kpi.periods import parse_period

UTC = ZoneInfo("UTC")
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
FIRST = date(2025, 12, 4)  # the first day with a row


def period(text: str):
    return parse_period(text, NOW, UTC).current


@pytest.mark.parametrize(
    "text, gap, expected",
    [
        ("2025-11", 1, Cover.NONE),  # ends before the data begins
        ("2025-12-03", 1, Cover.NONE),
        ("2025-12", 1, Cover.PARTIAL),  # the data begins 3 days in: more than a daily table's usual gap
        ("2025-12", 7, Cover.FULL),  # a weekly table may have had no row in those 3 days
        ("2025-12", None, Cover.FULL),  # its rhythm unknown: no claim of a partial period
        ("2025-12-04", 1, Cover.FULL),
        ("2026", 1, Cover.FULL),
        ("2027", 1, Cover.FUTURE),
        ("2026-12-05", 1, Cover.FUTURE),
    ],
)
def test_cover(text, gap, expected):
    assert cover(period(text), FIRST, NOW, usual_gap_days=gap) is expected


def test_a_cumulative_measure_is_whole_once_its_data_has_begun():
    assert cover(period("2025-12"), FIRST, NOW, cumulative=True) is Cover.FULL
    assert cover(period("2025-11"), FIRST, NOW, cumulative=True) is Cover.NONE


def test_an_empty_table_makes_no_claim():
    assert cover(period("1999"), None, NOW) is Cover.FULL
