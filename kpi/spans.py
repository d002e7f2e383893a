"""Periods as spans of time: half-open ``[start, end)`` intervals in the KPI time zone, and how each
kind of period and its previous comparable period are built.

* a calendar period (``2026-10``, ``2026-Q3``, ``last-month``…) → the previous one of the same kind;
* a to-date period (``month``, ``week``…) → the same elapsed wall-clock span of the previous one
  (1–24 Nov → 1–24 Oct), clamped so that it never overlaps the current one;
* a rolling window (``30d``) or a day range (``2026-10-01..2026-10-15``) → the same length just before;
* any period that contains *now* (``december``, ``2026-W49``, a range ending today) is cut at now and
  compared with the same elapsed span of its comparison period (:func:`to_date`): the one rule for
  partial periods, used by answers, alerts, digests, Home, follow-ups and charts alike.

Calendar arithmetic is done on local wall-clock times and then localised, so a
day is a day even when it lasts 23 or 25 hours (DST). Reading a period from text is
:mod:`kpi.periods`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import cast
from zoneinfo import ZoneInfo

MAX_ROLLING_DAYS = 3660
MIN_YEAR, MAX_YEAR = 1900, 2999  # keeps the previous/next period representable


class Grain(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Kind(str, Enum):
    CALENDAR = "calendar"  # a whole day/week/month/quarter/year
    TO_DATE = "to_date"  # the current day/week/… up to now
    ROLLING = "rolling"  # N days ending now
    RANGE = "range"  # inclusive day range


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, in the KPI time zone
    end: datetime  # aware, exclusive
    label: str
    kind: Kind
    grain: Grain | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Period bounds must be time-zone aware")
        if self.end < self.start:
            raise ValueError("Period end is before its start")

    @property
    def tz(self) -> ZoneInfo:
        return self.start.tzinfo  # type: ignore[return-value]

    def first_day(self) -> date:
        """First calendar day whose local midnight falls inside the period."""
        local = self.start
        midnight = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
        return local.date() if midnight >= self.start else local.date() + timedelta(days=1)

    def end_day(self) -> date:
        """First calendar day (exclusive) after the days counted in the period."""
        local = self.end
        midnight = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
        return local.date() if midnight >= self.end else local.date() + timedelta(days=1)

    def start_utc(self) -> datetime:
        return _naive_utc(self.start)

    def calendar_end(self) -> datetime:
        """Where the whole calendar period ends (for 'November 2026 to date': Dec 1); else ``end``."""
        if self.grain is None or self.kind not in (Kind.TO_DATE, Kind.CALENDAR):
            return self.end
        nxt = shift(self.start.date(), self.grain, 1)
        return _localize(datetime.combine(nxt, time()), cast(ZoneInfo, self.start.tzinfo))

    def end_utc(self) -> datetime:
        return _naive_utc(self.end)

    @property
    def is_to_date(self) -> bool:
        """A period cut at a moment inside it: 'month', 'december' on Dec 4, or a range ending today."""
        if self.kind is Kind.TO_DATE:
            return True
        midnight = datetime.combine(self.end.date(), time(), tzinfo=self.end.tzinfo)
        return self.kind is Kind.RANGE and self.end != midnight

    def starts_after(self, now: datetime) -> bool:
        """True when the period has not begun at ``now`` (aware)."""
        return self.start > now


@dataclass(frozen=True)
class PeriodPair:
    current: Period
    previous: Period


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _localize(naive: datetime, tz: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=tz)


def _wall(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def grain_start(day: date, grain: Grain) -> date:
    match grain:
        case Grain.DAY:
            return day
        case Grain.WEEK:
            return day - timedelta(days=day.weekday())
        case Grain.MONTH:
            return day.replace(day=1)
        case Grain.QUARTER:
            return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        case Grain.YEAR:
            return day.replace(month=1, day=1)
    raise AssertionError(grain)


def shift(day: date, grain: Grain, n: int) -> date:
    """Move a grain start by ``n`` grains (n may be negative)."""
    match grain:
        case Grain.DAY:
            return day + timedelta(days=n)
        case Grain.WEEK:
            return day + timedelta(weeks=n)
        case Grain.MONTH | Grain.QUARTER | Grain.YEAR:
            months = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}[grain] * n
            index = day.year * 12 + day.month - 1 + months
            return date(index // 12, index % 12 + 1, 1)
    raise AssertionError(grain)


def _label(start: date, grain: Grain) -> str:
    match grain:
        case Grain.DAY:
            return start.isoformat()
        case Grain.WEEK:
            iso = start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        case Grain.MONTH:
            return f"{start.year}-{start.month:02d}"
        case Grain.QUARTER:
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        case Grain.YEAR:
            return str(start.year)
    raise AssertionError(grain)


def _calendar(start: date, grain: Grain, tz: ZoneInfo) -> Period:
    end = shift(start, grain, 1)
    return Period(
        start=_localize(datetime.combine(start, time()), tz),
        end=_localize(datetime.combine(end, time()), tz),
        label=_label(start, grain),
        kind=Kind.CALENDAR,
        grain=grain,
    )


def calendar_pair(start: date, grain: Grain, tz: ZoneInfo) -> PeriodPair:
    return PeriodPair(_calendar(start, grain, tz), _calendar(shift(start, grain, -1), grain, tz))


def to_date_pair(now: datetime, grain: Grain) -> PeriodPair:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    start = grain_start(now.date(), grain)
    start_wall = datetime.combine(start, time())
    elapsed = _wall(now) - start_wall
    prev_start = shift(start, grain, -1)
    prev_start_wall = datetime.combine(prev_start, time())
    prev_end_wall = min(prev_start_wall + elapsed, start_wall)
    suffix = " (to date)"
    return PeriodPair(
        Period(_localize(start_wall, tz), now, _label(start, grain) + suffix, Kind.TO_DATE, grain),
        Period(
            _localize(prev_start_wall, tz),
            _localize(prev_end_wall, tz),
            _label(prev_start, grain) + suffix,
            Kind.TO_DATE,
            grain,
        ),
    )


def to_date(pair: PeriodPair, now: datetime) -> PeriodPair:
    """The one rule for partial periods: a period that contains ``now`` is compared *to date*.

    Its current period is cut at ``now`` and its comparison period (the one before, or a year earlier) at
    the same elapsed wall-clock time from its start, never past its own end: on Dec 4 at 10:00,
    ``december`` is Dec 1 00:00 – Dec 4 10:00 against Nov 1 00:00 – Nov 4 10:00, as ``month`` is.
    Periods that do not contain ``now`` (past ones, future ones, rolling windows, periods already to date)
    are returned unchanged. Charts can use it on their own pair to draw the same spans."""
    current, previous = pair.current, pair.previous
    if current.kind in (Kind.TO_DATE, Kind.ROLLING) or not current.start <= now < current.end:
        return pair
    now = now.astimezone(current.tz)
    elapsed = _wall(now) - _wall(current.start)
    prev_end = min(_wall(previous.start) + elapsed, _wall(previous.end))
    if current.grain is not None:
        suffix = " (to date)"
        return PeriodPair(
            Period(current.start, now, current.label + suffix, Kind.TO_DATE, current.grain),
            Period(
                previous.start, _localize(prev_end, previous.tz), previous.label + suffix, Kind.TO_DATE, previous.grain
            ),
        )
    return PeriodPair(
        Period(current.start, now, current.label, current.kind),
        Period(previous.start, _localize(prev_end, previous.tz), previous.label, previous.kind),
    )


def rolling_pair(now: datetime, days: int) -> PeriodPair:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    end_wall = _wall(now)
    start_wall = end_wall - timedelta(days=days)
    prev_start_wall = start_wall - timedelta(days=days)
    return PeriodPair(
        Period(_localize(start_wall, tz), now, f"last {days} days", Kind.ROLLING),
        Period(_localize(prev_start_wall, tz), _localize(start_wall, tz), f"the {days} days before", Kind.ROLLING),
    )


def range_pair(first: date, last: date, tz: ZoneInfo) -> PeriodPair:
    days = (last - first).days + 1
    prev_first = first - timedelta(days=days)
    prev_last = first - timedelta(days=1)

    def make(a: date, b: date) -> Period:
        return Period(
            _localize(datetime.combine(a, time()), tz),
            _localize(datetime.combine(b + timedelta(days=1), time()), tz),
            f"{a.isoformat()}..{b.isoformat()}",
            Kind.RANGE,
        )

    return PeriodPair(make(first, last), make(prev_first, prev_last))


def _year_before(wall: datetime) -> datetime:
    """The same wall-clock time a year earlier (Feb 29 → Feb 28)."""
    try:
        return wall.replace(year=wall.year - 1)
    except ValueError:
        return wall.replace(year=wall.year - 1, day=28)


def year_earlier(period: Period) -> Period:
    """The same period a year earlier: the same dates (Feb 29 → Feb 28); a week, the same ISO week of the
    previous ISO year (week 53 → week 52), so that Mondays compare with Mondays. A rolling window ending
    now becomes the day range of the same dates (its label says them)."""
    start, end = _wall(period.start), _wall(period.end)
    if period.grain is Grain.WEEK and period.kind in (Kind.CALENDAR, Kind.TO_DATE):
        iso = start.date().isocalendar()
        weeks = date(iso.year - 1, 12, 28).isocalendar().week  # the previous ISO year's last week
        monday = date.fromisocalendar(iso.year - 1, min(iso.week, weeks), 1)
        delta = datetime.combine(monday, time()) - datetime.combine(start.date(), time())
        new_start, new_end = start + delta, end + delta
    else:
        new_start, new_end = _year_before(start), _year_before(end)
    tz = period.tz
    if period.kind is Kind.ROLLING:
        return Period(
            _localize(new_start, tz),
            _localize(new_end, tz),
            f"{new_start.date().isoformat()}..{new_end.date().isoformat()}",
            Kind.RANGE,
        )
    if period.grain is not None and period.kind in (Kind.CALENDAR, Kind.TO_DATE):
        label = _label(new_start.date(), period.grain) + (" (to date)" if period.kind is Kind.TO_DATE else "")
    else:
        label = f"{new_start.date().isoformat()}..{(new_end.date() - timedelta(days=1)).isoformat()}"
    return Period(_localize(new_start, tz), _localize(new_end, tz), label, period.kind, period.grain)


def year_over_year(pair: PeriodPair) -> PeriodPair:
    """The period against the same period a year earlier, instead of the one just before."""
    return PeriodPair(pair.current, year_earlier(pair.current))
