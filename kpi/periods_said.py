"""Periods as people say them, in the forms the question reader writes (:mod:`kpi.grammar.dates`): a day
without its year (``--11-03``: the latest one), a weekday (the latest one before today), named days
(``black-friday``), any two periods as a range (``july..november``, ``--07-01..today``), halves (``h1``,
``2025-h2``), the week of a day (``week-of---11-16``), a period to date (``q4-to-date``), the latest month of a
name ended (``last-december``), a period a year earlier (``last-month-1y``).

Read by :func:`kpi.periods.parse_period` against ``now``, which it passes in (``parse``) to read the pieces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kpi.errors import PeriodError, Refusal
from kpi.spans import (
    MAX_ROLLING_DAYS,
    Grain,
    PeriodPair,
    calendar_pair,
    grain_start,
    range_pair,
    shift,
    to_date_pair,
    year_earlier,
    year_over_year,
)

Parse = Callable[[str, datetime, ZoneInfo], PeriodPair]

MONTH_NAMES = {  # a month's name alone: the latest such month that has begun
    "january": 1,
    "jan": 1,
    "janvier": 1,
    "janv": 1,
    "february": 2,
    "feb": 2,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "march": 3,
    "mar": 3,
    "mars": 3,
    "april": 4,
    "apr": 4,
    "avril": 4,
    "avr": 4,
    "may": 5,
    "mai": 5,
    "june": 6,
    "jun": 6,
    "juin": 6,
    "july": 7,
    "jul": 7,
    "juillet": 7,
    "juil": 7,
    "august": 8,
    "aug": 8,
    "aout": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "septembre": 9,
    "october": 10,
    "oct": 10,
    "octobre": 10,
    "november": 11,
    "nov": 11,
    "novembre": 11,
    "december": 12,
    "dec": 12,
    "decembre": 12,
}
# The forms the question reader writes for what people say (kpi.grammar.phrases), read here against ``now``
YEARLESS_DAY = re.compile(r"^--(\d{2})-(\d{2})$")  # ISO 8601's day without a year: the latest one begun
SPOKEN_RANGE = re.compile(r"^(.+?)\.\.(.+)$")  # any two periods: from the first's start to the second's end
HALF = re.compile(r"^(?:(\d{4})-)?[hs]([12])$")  # H1 / S1 (semestre): the latest first half begun
WEEK_OF = re.compile(r"^week-of-(.+)$")  # the ISO week holding a day
LAST_MONTH = re.compile(r"^last-([a-z]+)$")  # last-december: the latest December that has ended
TO_DATE = re.compile(r"^(.+)-to-date$")  # "T4 à date": the period so far when it is the current one
YEAR_EARLIER = re.compile(r"^(.+)-1y$")  # "this month last year": the period a year earlier
COMPARED = re.compile(r"^([^~]+)~([^~]+)$")  # "october vs september": checked against the clock
WEEKDAY_NAMES = {
    "monday": 0, "lundi": 0, "tuesday": 1, "mardi": 1, "wednesday": 2, "mercredi": 2, "thursday": 3,
    "jeudi": 3, "friday": 4, "vendredi": 4, "saturday": 5, "samedi": 5, "sunday": 6, "dimanche": 6,
}  # fmt: skip


def _named_day(key: str, year: int) -> date | None:
    """Days people name: Black Friday (the day after the fourth Thursday of November), Cyber Monday,
    Christmas, New Year's Day."""
    november = date(year, 11, 1)
    thanksgiving = november + timedelta(days=(3 - november.weekday()) % 7 + 21)
    return {
        "black-friday": thanksgiving + timedelta(days=1),
        "cyber-monday": thanksgiving + timedelta(days=4),
        "christmas": date(year, 12, 25),
        "noel": date(year, 12, 25),
        "new-year": date(year, 1, 1),
    }.get(key)


def _latest_day(key: str, today: date) -> date | None:
    """A day without a year (``--11-03``, ``monday``, ``black-friday``): the latest one up to today (a
    weekday: the latest one before today)."""
    if m := YEARLESS_DAY.match(key):
        month, day = int(m.group(1)), int(m.group(2))
        for year in (today.year, today.year - 1):
            try:
                found = date(year, month, day)
            except ValueError:
                return None
            if found <= today:
                return found
        return None
    if key in WEEKDAY_NAMES:
        return today - timedelta(days=(today.weekday() - WEEKDAY_NAMES[key] - 1) % 7 + 1)
    if key == "before-yesterday":
        return today - timedelta(days=2)
    for year in (today.year, today.year - 1):
        named = _named_day(key, year)
        if named is None or named <= today:
            return named
    return None


def _bounds(pair: PeriodPair) -> tuple[date, date]:
    """The first and last day of a pair's current period."""
    cur = pair.current
    last = cur.end - timedelta(microseconds=1)
    return cur.start.date(), last.date()


def _spoken_range(first_text: str, last_text: str, now: datetime, tz: ZoneInfo, parse: Parse) -> PeriodPair | None:
    """``july..november``, ``--09-01..--09-15``, ``2026-07-01..today``: from the first period's first day to
    the second's last. Since the first day of the current year, quarter or month up to today is that period
    to date ("since January" = the year to date); a start after the end is the one a year before."""
    try:
        first, _ = _bounds(parse(first_text, now, tz))
        _, last = _bounds(parse(last_text, now, tz))
    except PeriodError:
        return None
    if first > last and (first_text in MONTH_NAMES or YEARLESS_DAY.match(first_text)):  # "from December to March"
        first = first.replace(year=first.year - 1, day=min(first.day, 28) if first.month == 2 else first.day)
    today = now.date()
    if last == today:
        for grain in (Grain.YEAR, Grain.QUARTER, Grain.MONTH):
            if first == grain_start(today, grain):
                return to_date_pair(now, grain)
    if first > last or (last - first).days > MAX_ROLLING_DAYS:
        return None
    return range_pair(first, last, tz)


def _compared(current: str, other: str, now: datetime, tz: ZoneInfo, parse: Parse) -> PeriodPair:
    """A period compared with another one named ("october vs september", "Q3 vs Q2 2025"): the usual pair
    when the other is the period just before, against a year earlier when it is that; any other is refused
    (an answer compares with one of those two only), naming it."""
    pair, against = parse(current, now, tz), parse(other, now, tz).current
    if (against.start, against.end) == (pair.previous.start, pair.previous.end):
        return pair
    earlier = year_earlier(pair.current)
    if (against.start, against.end) == (earlier.start, earlier.end):
        return year_over_year(pair)
    raise Refusal("err_comparison", words=f"vs {other}")


def spoken_period(key: str, now: datetime, tz: ZoneInfo, parse: Parse) -> PeriodPair | None:
    """The periods people say, in the forms :mod:`kpi.grammar.phrases` writes them (normalized ``key``);
    None when ``key`` is none of them."""
    today = now.date()
    if (day := _latest_day(key, today)) is not None:
        return calendar_pair(day, Grain.DAY, tz)
    if (m := LAST_MONTH.match(key)) and m.group(1) in MONTH_NAMES:  # "last December": the latest one ended
        month = MONTH_NAMES[m.group(1)]
        return calendar_pair(date(today.year - (month >= today.month), month, 1), Grain.MONTH, tz)
    if m := HALF.match(key):
        year = int(m.group(1)) if m.group(1) else today.year - (m.group(2) == "2" and today.month < 7)
        first = date(year, 1 if m.group(2) == "1" else 7, 1)
        return range_pair(first, shift(first, Grain.MONTH, 6) - timedelta(days=1), tz)
    if m := WEEK_OF.match(key):
        start, _ = _bounds(parse(m.group(1), now, tz))
        return calendar_pair(grain_start(start, Grain.WEEK), Grain.WEEK, tz)
    if m := TO_DATE.match(key):
        pair = parse(m.group(1), now, tz)
        grain = pair.current.grain
        if grain is not None and pair.current.start <= now < pair.current.end:
            return to_date_pair(now, grain)
        return pair
    if m := COMPARED.match(key):
        return _compared(m.group(1), m.group(2), now, tz, parse)
    if m := YEAR_EARLIER.match(key):
        pair = parse(m.group(1), now, tz)
        return PeriodPair(year_earlier(pair.current), year_earlier(pair.previous))
    if m := SPOKEN_RANGE.match(key):
        return _spoken_range(m.group(1), m.group(2), now, tz, parse)
    return None
