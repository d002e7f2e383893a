"""Periods: half-open ``[start, end)`` intervals in the KPI time zone.

Parsing never reads the clock: ``now`` is always passed in. Every parsed period
comes with its previous comparable period:

* a calendar period (``2026-10``, ``2026-Q3``, ``last-month``…) → the previous one of the same kind;
* a to-date period (``month``, ``week``…) → the same elapsed wall-clock span of the previous one
  (1–24 Nov → 1–24 Oct), clamped so that it never overlaps the current one;
* a rolling window (``30d``) or a day range (``2026-10-01..2026-10-15``) → the same length just before.

Calendar arithmetic is done on local wall-clock times and then localised, so a
day is a day even when it lasts 23 or 25 hours (DST).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from kpi.errors import PeriodError

ACCEPTED_FORMS = [
    "today", "yesterday", "week", "month", "quarter", "year",
    "last-week", "last-month", "last-quarter", "last-year",
    "7d", "30d", "90d", "2026", "2026-10", "2026-Q3", "2026-W43", "2026-10-05",
    "2026-10-01..2026-10-15",
    "aujourd'hui", "hier", "semaine", "mois", "trimestre", "année",
]

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
    TO_DATE = "to_date"    # the current day/week/… up to now
    ROLLING = "rolling"    # N days ending now
    RANGE = "range"        # inclusive day range


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, in the KPI time zone
    end: datetime    # aware, exclusive
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
        nxt = _shift(self.start.date(), self.grain, 1)
        return _localize(datetime.combine(nxt, time()), self.start.tzinfo)

    def end_utc(self) -> datetime:
        return _naive_utc(self.end)


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


def _grain_start(day: date, grain: Grain) -> date:
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


def _shift(day: date, grain: Grain, n: int) -> date:
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
    end = _shift(start, grain, 1)
    return Period(
        start=_localize(datetime.combine(start, time()), tz),
        end=_localize(datetime.combine(end, time()), tz),
        label=_label(start, grain),
        kind=Kind.CALENDAR,
        grain=grain,
    )


def calendar_pair(start: date, grain: Grain, tz: ZoneInfo) -> PeriodPair:
    return PeriodPair(_calendar(start, grain, tz), _calendar(_shift(start, grain, -1), grain, tz))


def to_date_pair(now: datetime, grain: Grain) -> PeriodPair:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    start = _grain_start(now.date(), grain)
    start_wall = datetime.combine(start, time())
    elapsed = _wall(now) - start_wall
    prev_start = _shift(start, grain, -1)
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


def rolling_pair(now: datetime, days: int) -> PeriodPair:
    tz: ZoneInfo = now.tzinfo  # type: ignore[assignment]
    end_wall = _wall(now)
    start_wall = end_wall - timedelta(days=days)
    prev_start_wall = start_wall - timedelta(days=days)
    return PeriodPair(
        Period(_localize(start_wall, tz), now, f"last {days} days", Kind.ROLLING),
        Period(
            _localize(prev_start_wall, tz),
            _localize(start_wall, tz),
            f"the {days} days before",
            Kind.ROLLING,
        ),
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


_TO_DATE_WORDS = {
    "today": Grain.DAY, "aujourd'hui": Grain.DAY, "aujourdhui": Grain.DAY,
    "week": Grain.WEEK, "wtd": Grain.WEEK, "semaine": Grain.WEEK,
    "month": Grain.MONTH, "mtd": Grain.MONTH, "mois": Grain.MONTH,
    "quarter": Grain.QUARTER, "qtd": Grain.QUARTER, "trimestre": Grain.QUARTER,
    "year": Grain.YEAR, "ytd": Grain.YEAR, "annee": Grain.YEAR, "an": Grain.YEAR,
}
_LAST_WORDS = {
    "yesterday": Grain.DAY, "hier": Grain.DAY,
    "last-week": Grain.WEEK, "semaine-derniere": Grain.WEEK,
    "last-month": Grain.MONTH, "mois-dernier": Grain.MONTH,
    "last-quarter": Grain.QUARTER, "trimestre-dernier": Grain.QUARTER,
    "last-year": Grain.YEAR, "annee-derniere": Grain.YEAR,
}

_ROLLING = re.compile(r"^(\d{1,5})-?(d|j|days?|jours?)$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?q(\d)$")
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


def normalize(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes, spaces and underscores to one form."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("_", "-")
    return re.sub(r"\s+", "-", text) if not _RANGE.match(text) else text


def _day(text: str, original: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(original, ACCEPTED_FORMS) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PeriodError(original, ACCEPTED_FORMS)
    return day


def parse_period(text: str, now: datetime, tz: ZoneInfo | None = None) -> PeriodPair:
    """Parse ``text`` relative to ``now`` (aware) in ``tz`` (defaults to now's zone)."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    tz = tz or now.tzinfo  # type: ignore[assignment]
    now = now.astimezone(tz)
    original = text
    if not isinstance(text, str) or len(text) > 64:
        raise PeriodError(str(text)[:64], ACCEPTED_FORMS)
    key = normalize(text)

    if key in _TO_DATE_WORDS:
        return to_date_pair(now, _TO_DATE_WORDS[key])
    if key in _LAST_WORDS:
        grain = _LAST_WORDS[key]
        return calendar_pair(_shift(_grain_start(now.date(), grain), grain, -1), grain, tz)
    if m := _ROLLING.match(key):
        days = int(m.group(1))
        if not 1 <= days <= MAX_ROLLING_DAYS:
            raise PeriodError(original, ACCEPTED_FORMS)
        return rolling_pair(now, days)
    if m := _YEAR.match(key):
        year = int(m.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(original, ACCEPTED_FORMS)
        return calendar_pair(date(year, 1, 1), Grain.YEAR, tz)
    if m := _MONTH.match(key):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(original, ACCEPTED_FORMS)
        return calendar_pair(date(year, month, 1), Grain.MONTH, tz)
    if m := _QUARTER.match(key):
        year, quarter = int(m.group(1)), int(m.group(2))
        if not 1 <= quarter <= 4 or not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(original, ACCEPTED_FORMS)
        return calendar_pair(date(year, 3 * quarter - 2, 1), Grain.QUARTER, tz)
    if m := _WEEK.match(key):
        if not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
            raise PeriodError(original, ACCEPTED_FORMS)
        try:
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise PeriodError(original, ACCEPTED_FORMS) from None
        return calendar_pair(monday, Grain.WEEK, tz)
    if _DAY.match(key):
        return calendar_pair(_day(key, original), Grain.DAY, tz)
    if m := _RANGE.match(key):
        first, last = _day(m.group(1), original), _day(m.group(2), original)
        if last < first or (last - first).days > MAX_ROLLING_DAYS:
            raise PeriodError(original, ACCEPTED_FORMS)
        return range_pair(first, last, tz)
    raise PeriodError(original[:64], ACCEPTED_FORMS)


def looks_like_period(text: str) -> bool:
    """True when ``text`` has the shape of a period (used by command parsers)."""
    key = normalize(text)
    return (
        key in _TO_DATE_WORDS
        or key in _LAST_WORDS
        or any(p.match(key) for p in (_ROLLING, _YEAR, _MONTH, _QUARTER, _WEEK, _DAY, _RANGE))
    )


def period_suggestions(text: str, limit: int = 2) -> list[str]:
    """Period words close to ``text`` ('lastmonth' -> ['last-month']), for a "did you mean"."""
    import difflib

    key = normalize(text)
    if not key or len(key) > 32:
        return []
    words = [w for w in list(_TO_DATE_WORDS) + list(_LAST_WORDS) if "'" not in w]
    return difflib.get_close_matches(key, words, n=limit, cutoff=0.75)
