"""The one rule for partial periods (kpi.spans.to_date): a period that contains now is compared to date,
against the same elapsed span of the period it is compared with; others are left as written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.periods import parse_period
from kpi.rules import RuleError, check_window
from kpi.spans import Kind

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)  # 11:00 in Paris, a Friday


def at(y, m, d, h=0, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


@pytest.mark.parametrize(
    "text, start, prev_start, prev_end",
    [
        ("december", at(2026, 12, 1), at(2026, 11, 1), at(2026, 11, 4, 11)),
        ("2026-12", at(2026, 12, 1), at(2026, 11, 1), at(2026, 11, 4, 11)),
        ("2026-W49", at(2026, 11, 30), at(2026, 11, 23), at(2026, 11, 27, 11)),
        ("w49", at(2026, 11, 30), at(2026, 11, 23), at(2026, 11, 27, 11)),
        ("2026-Q4", at(2026, 10, 1), at(2026, 7, 1), at(2026, 9, 3, 11)),  # 64 days and 11 hours, as `quarter`
        ("2026", at(2026, 1, 1), at(2025, 1, 1), at(2025, 12, 4, 11)),
        ("2026-12-04", at(2026, 12, 4), at(2026, 12, 3), at(2026, 12, 3, 11)),
        ("2026-11-20..2026-12-04", at(2026, 11, 20), at(2026, 11, 5), at(2026, 11, 19, 11)),
        ("december yoy", at(2026, 12, 1), at(2025, 12, 1), at(2025, 12, 4, 11)),
        ("2026-W49 vs last year", at(2026, 11, 30), at(2025, 12, 1), at(2025, 12, 5, 11)),  # ISO week 49 of 2025
    ],
)
def test_a_period_containing_now_is_cut_at_now_against_the_same_elapsed_span(text, start, prev_start, prev_end):
    pair = parse_period(text, NOW, PARIS)
    assert (pair.current.start, pair.current.end) == (start, NOW.astimezone(PARIS))
    assert (pair.previous.start, pair.previous.end) == (prev_start, prev_end)
    assert pair.current.is_to_date


def test_named_and_relative_forms_of_the_current_month_are_the_same_spans():
    month, december = parse_period("month", NOW, PARIS), parse_period("december", NOW, PARIS)
    assert (month.current.start, month.current.end, month.previous.start, month.previous.end) == (
        december.current.start,
        december.current.end,
        december.previous.start,
        december.previous.end,
    )


@pytest.mark.parametrize("text", ["2026-11", "last-week", "2027", "2026-12-05", "30d", "2026-11-01..2026-11-30"])
def test_periods_that_do_not_contain_now_are_left_as_written(text):
    pair = parse_period(text, NOW, PARIS)
    assert parse_period(text, NOW, PARIS, cut=False) == pair
    assert not (pair.current.kind is Kind.RANGE and pair.current.is_to_date)


def test_a_previous_span_is_never_longer_than_its_period():
    pair = parse_period("2026-03", datetime(2026, 3, 31, 12, tzinfo=timezone.utc), PARIS)
    assert pair.previous.end == at(2026, 3, 1)  # 30 days elapsed of March: the whole of February
    assert pair.current.end - pair.current.start > timedelta(days=30)


@pytest.mark.parametrize("window", ["2026-01", "january", "2026", "2026-W03", "q1"])
def test_a_fixed_period_is_no_rule_window_even_while_it_runs(window):
    with pytest.raises(RuleError) as refused:
        check_window(window)
    assert refused.value.key == "rule_fixed_window"
