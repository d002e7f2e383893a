"""A KPI's series as charts draw it (kpi.series): calendar buckets, what is partial, what is not known yet,
and nothing before the data begins."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.render import charts
from kpi.periods import parse_period
from kpi.series import Points, Series, series
from kpi.service import KpiService
from kpi.spans import Grain, calendar_pair, range_pair
from tests.bot.conftest import make_settings

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def service(data, slack):
    return KpiService.from_settings(make_settings(data, slack))


def test_series_mark_today_partial_and_leave_the_future_out(service):
    now = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
    whole_month = calendar_pair(date(2026, 11, 1), Grain.MONTH, ZoneInfo("UTC"))
    november = series(service, service.resolve("revenue"), whole_month, now=now)
    assert november.grain == "day" and len(november.current.values) == 30
    assert november.current.values[1] == 1000 and november.current.values[24] == 0  # Nov 2; today, so far
    assert november.current.values[25:] == [None] * 5  # Nov 26-30: not known yet, not zero
    assert [i for i, p in enumerate(november.current.partial) if p] == [24]
    assert not any(november.previous.partial)  # October is over


def test_weekly_buckets_are_calendar_weeks_with_their_cut_edges_marked(service):
    ninety = series(service, service.resolve("revenue"), parse_period("90d", NOW, ZoneInfo("UTC")), now=NOW)
    labels, partial = ninety.current.labels, ninety.current.partial
    assert ninety.grain == "week" and all(d.weekday() == 0 for d in labels)
    assert labels[0] == date(2026, 8, 24) and labels[-1] == date(2026, 11, 23)  # Aug 28 (Fri) .. Nov 25 (Wed)
    assert partial[0] and partial[-1] and not any(partial[1:-1])
    assert sum(v or 0 for v in ninety.current.values) == pytest.approx(400 + 80 + 1000)


def test_long_ranges_are_drawn_by_calendar_month(service):
    pair = range_pair(date(2025, 9, 15), date(2026, 11, 24), ZoneInfo("UTC"))
    months = series(
        service, service.resolve("revenue"), pair, with_previous=False, now=NOW, first_data=date(2025, 9, 1)
    )
    assert months.grain == "month" and months.current.labels[0] == date(2025, 9, 1)
    assert months.current.labels[-1] == date(2026, 11, 1) and len(months.current.labels) == 15
    assert months.current.partial == [True] + [False] * 13 + [True]  # from Sep 15; to Nov 24
    assert months.current.values[11:] == [20, 80, 400, 1000]  # Aug, Sep, Oct, Nov 2026
    assert sum(months.current.values) == 1500


def test_a_kpi_known_once_a_month_is_drawn_by_month_not_as_loose_weekly_dots(service):
    pair = range_pair(date(2026, 8, 1), date(2026, 10, 31), ZoneInfo("UTC"))  # invoices on Sep 30, Oct 1, Oct 31
    margin = series(service, service.resolve("project_margin"), pair, now=NOW)
    assert margin.grain == "month" and margin.current.labels == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    assert margin.current.values[0] is None and margin.current.values[2] == pytest.approx((1500 - 920) / 1500)


def test_a_previous_period_of_isolated_values_is_still_drawn(service):
    labels = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    current = Points(labels, [0.31, 0.24, 0.44], [False, False, True])
    previous = Points(labels, [None, 0.26, None])  # one value between two gaps: a line alone draws nothing
    drawn = Series(service.resolve("project_margin"), "month", current, previous)
    fig = charts.trend_figure(drawn, "Project profitability", "90 d", "before", "en", "EUR")
    charts.png(fig)
    [line] = [line for line in fig.axes[0].get_lines() if line.get_label() == "before"]
    assert line.get_marker() == "o" and line.get_markersize() > 0
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Sep 2026", "Oct 2026", "Nov 2026"]


def test_buckets_before_the_first_data_have_no_value_and_the_one_it_begins_in_is_partial(service):
    pair = parse_period("90d", NOW, ZoneInfo("UTC"))  # the 90 days before: May 29 .. Aug 27
    drawn = series(service, service.resolve("revenue"), pair, now=NOW, first_data=date(2026, 6, 10))
    known = zip(drawn.previous.values, drawn.previous.partial, strict=True)
    before = dict(zip(drawn.previous.labels, known, strict=True))
    assert before[date(2026, 5, 25)] == (None, False) and before[date(2026, 6, 1)] == (None, False)  # not €0
    assert before[date(2026, 6, 8)] == (0.0, True)  # from Wed Jun 10 only
    assert before[date(2026, 6, 15)] == (0.0, False)


def test_a_year_before_the_first_row_is_no_data_not_zero(service):
    year = calendar_pair(date(2026, 1, 1), Grain.YEAR, ZoneInfo("UTC"))  # sales begin on Aug 1, 2026
    revenue = series(service, service.resolve("revenue"), year, now=NOW)
    assert revenue.grain == "week" and all(v is None for v in revenue.previous.values)  # 2025: nothing, not €0
    known = zip(revenue.current.values, revenue.current.partial, strict=True)
    weeks = dict(zip(revenue.current.labels, known, strict=True))
    assert weeks[date(2026, 7, 20)] == (None, False)
    assert weeks[date(2026, 7, 27)] == (20, True)  # Aug 1-2 only: from the first row
    assert weeks[date(2026, 8, 3)] == (0, False)
