"""Reading a period from text (`month`, `last-month`, `30d`, `2026-Q3`, `mois dernier`…), in English
and French, into a :class:`~kpi.spans.PeriodPair`: the period and its previous comparable one
(see :mod:`kpi.spans` for how each kind is built).

Parsing never reads the clock: ``now`` is always passed in.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from kpi.errors import PeriodError
from kpi.periods_said import (
    COMPARED,
    HALF,
    LAST_MONTH,
    MONTH_NAMES,
    SPOKEN_RANGE,
    TO_DATE,
    WEEK_OF,
    WEEKDAY_NAMES,
    YEAR_EARLIER,
    YEARLESS_DAY,
    spoken_period,
)
from kpi.spans import (
    MAX_ROLLING_DAYS,
    MAX_YEAR,
    MIN_YEAR,
    Grain,
    PeriodPair,
    calendar_pair,
    grain_start,
    range_pair,
    rolling_pair,
    shift,
    to_date,
    to_date_pair,
    year_over_year,
)

ACCEPTED_FORMS = [
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
    "2026",
    "2026-10",
    "2026-Q3",
    "2026-W43",
    "2026-10-05",
    "2026-10-01..2026-10-15",
    "aujourd'hui",
    "hier",
    "semaine",
    "mois",
    "trimestre",
    "année",
    "september",
    "septembre",
    "q3",
    "t3",
    "w43 (the latest one begun)",
    "july..today",
    "any of them + yoy (vs last year)",
]


_TO_DATE_WORDS = {
    "today": Grain.DAY,
    "aujourd'hui": Grain.DAY,
    "aujourdhui": Grain.DAY,
    "week": Grain.WEEK,
    "wtd": Grain.WEEK,
    "semaine": Grain.WEEK,
    "month": Grain.MONTH,
    "mtd": Grain.MONTH,
    "mois": Grain.MONTH,
    "quarter": Grain.QUARTER,
    "qtd": Grain.QUARTER,
    "trimestre": Grain.QUARTER,
    "year": Grain.YEAR,
    "ytd": Grain.YEAR,
    "annee": Grain.YEAR,
    "an": Grain.YEAR,
}
_LAST_WORDS = {
    "yesterday": Grain.DAY,
    "hier": Grain.DAY,
    "last-week": Grain.WEEK,
    "semaine-derniere": Grain.WEEK,
    "last-month": Grain.MONTH,
    "mois-dernier": Grain.MONTH,
    "last-quarter": Grain.QUARTER,
    "trimestre-dernier": Grain.QUARTER,
    "last-year": Grain.YEAR,
    "annee-derniere": Grain.YEAR,
}

# "… yoy", "… vs last year", "… vs année dernière": against the same period a year earlier (normalized forms)
YOY = "yoy"
_YOY = re.compile(r"^(.+?)-(yoy|y/y|vs-last-year|vs-a-year-ago|vs-annee-derniere|vs-l'an-dernier|vs-n-1|n-1)$")
_ROLLING = re.compile(r"^(\d{1,5})-?(d|j|days?|jours?)$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?q(\d)$")
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_LATEST_QUARTER = re.compile(r"^[qt]([1-4])$")  # q3 (t3 in French): the latest third quarter begun
_LATEST_WEEK = re.compile(r"^w(\d{1,2})$")  # w43: the latest ISO week 43 begun
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


def parse_period(text: str, now: datetime, tz: ZoneInfo | None = None, cut: bool = True) -> PeriodPair:
    """Parse ``text`` relative to ``now`` (aware) in ``tz`` (defaults to now's zone). A period that
    contains ``now`` comes cut at now, against the same elapsed span of the one it is compared with
    (:func:`kpi.spans.to_date`); ``cut=False`` gives the period as written (to tell its kind)."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    tz = tz or cast(ZoneInfo, now.tzinfo)
    now = now.astimezone(tz)
    if not isinstance(text, str) or len(text) > 64:
        raise PeriodError(str(text)[:64], ACCEPTED_FORMS)
    if m := _YOY.match(normalize(text)):
        return year_over_year(parse_period(m.group(1), now, tz, cut))
    found = _parse(normalize(text), text, now, tz)
    return to_date(found, now) if cut else found


def _uncut(text: str, now: datetime, tz: ZoneInfo) -> PeriodPair:
    """A piece of a period said (``july`` in ``july..today``), as written: the whole is cut at now after."""
    return parse_period(text, now, tz, cut=False)


def _parse(key: str, original: str, now: datetime, tz: ZoneInfo) -> PeriodPair:
    if key in _TO_DATE_WORDS:
        return to_date_pair(now, _TO_DATE_WORDS[key])
    if key in _LAST_WORDS:
        grain = _LAST_WORDS[key]
        return calendar_pair(shift(grain_start(now.date(), grain), grain, -1), grain, tz)
    if key in MONTH_NAMES:
        month = MONTH_NAMES[key]
        today = now.date()
        return calendar_pair(date(today.year - (month > today.month), month, 1), Grain.MONTH, tz)
    if m := _LATEST_QUARTER.match(key):
        start, today = 3 * int(m.group(1)) - 2, now.date()
        return calendar_pair(date(today.year - (start > today.month), start, 1), Grain.QUARTER, tz)
    if m := _LATEST_WEEK.match(key):
        year, week = now.date().isocalendar()[:2]
        try:
            monday = date.fromisocalendar(year - (int(m.group(1)) > week), int(m.group(1)), 1)
        except ValueError:
            raise PeriodError(original, ACCEPTED_FORMS) from None
        return calendar_pair(monday, Grain.WEEK, tz)
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
    found = spoken_period(key, now, tz, _uncut)
    if found is None:
        raise PeriodError(original[:64], ACCEPTED_FORMS)
    return found


_CANONICAL = {
    "aujourd'hui": "today",
    "aujourdhui": "today",
    "wtd": "week",
    "semaine": "week",
    "mtd": "month",
    "mois": "month",
    "qtd": "quarter",
    "trimestre": "quarter",
    "ytd": "year",
    "annee": "year",
    "an": "year",
    "hier": "yesterday",
    "semaine-derniere": "last-week",
    "mois-dernier": "last-month",
    "trimestre-dernier": "last-quarter",
    "annee-derniere": "last-year",
}
_MONTH_CANONICAL = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def canonical(text: str) -> str:
    """One spelling per period, in English: 'mois dernier' -> 'last-month', 'septembre' -> 'september',
    't3' -> 'q3', '30j' -> '30d'; a form without another spelling is returned as given."""
    key = normalize(text)
    if m := _YOY.match(key):
        return f"{canonical(m.group(1))} {YOY}"
    if key in MONTH_NAMES:
        return _MONTH_CANONICAL[MONTH_NAMES[key] - 1]
    if m := _LATEST_QUARTER.match(key):
        return f"q{m.group(1)}"
    if m := _ROLLING.match(key):
        return f"{int(m.group(1))}d"
    if m := _QUARTER.match(key):
        return f"{m.group(1)}-Q{m.group(2)}"
    if m := _WEEK.match(key):
        return f"{m.group(1)}-W{int(m.group(2)):02d}"
    return _CANONICAL.get(key, key if key in _TO_DATE_WORDS or key in _LAST_WORDS else text)


def looks_like_period(text: str) -> bool:
    """True when ``text`` has the shape of a period (used by command parsers)."""
    key = normalize(text)
    if m := _YOY.match(key):
        key = m.group(1)
    return (
        key in _TO_DATE_WORDS
        or key in _LAST_WORDS
        or key in MONTH_NAMES
        or key in WEEKDAY_NAMES
        or any(
            p.match(key)
            for p in (_LATEST_QUARTER, _LATEST_WEEK, _ROLLING, _YEAR, _MONTH, _QUARTER, _WEEK, _DAY, _RANGE)
        )
        or key == "before-yesterday"
        or any(p.match(key) for p in (YEARLESS_DAY, SPOKEN_RANGE, HALF, WEEK_OF, TO_DATE, YEAR_EARLIER, COMPARED))
        or bool((m := LAST_MONTH.match(key)) and m.group(1) in MONTH_NAMES)
    )


def period_suggestions(text: str, limit: int = 2) -> list[str]:
    """Period words close to ``text`` ('lastmonth' -> ['last-month']), for a "did you mean"."""
    import difflib

    key = normalize(text)
    if not key or len(key) > 32:
        return []
    words = [w for w in list(_TO_DATE_WORDS) + list(_LAST_WORDS) if "'" not in w]
    return difflib.get_close_matches(key, words, n=limit, cutoff=0.75)


_YOY_WORDS = (
    ("yoy",),
    ("y/y",),
    ("n-1",),
    ("vs", "n-1"),
    ("vs", "last", "year"),
    ("vs", "a", "year", "ago"),
    ("vs", "annee", "derniere"),
    ("vs", "l'an", "dernier"),
    ("vs", "l'annee", "derniere"),
)


def asks_year_over_year(words: list[str]) -> tuple[bool, list[str]]:
    """Whether the words ask for a comparison with the same period a year earlier ("yoy", "vs last year",
    "vs année dernière"…), and the words without it."""
    plain = [normalize(w) for w in words]
    for i in range(len(words)):
        for phrase in _YOY_WORDS:
            if tuple(plain[i : i + len(phrase)]) == phrase:
                return True, words[:i] + words[i + len(phrase) :]
    return False, words


def grain_of(text: str) -> Grain | None:
    """The grain of a period text ('month', 'last-month', '2026-10', 'october' -> MONTH), None when it has none
    (a rolling window, a range): to tell whether "vs the month before" is the usual comparison."""
    key = normalize(text)
    if key in _TO_DATE_WORDS:
        return _TO_DATE_WORDS[key]
    if key in _LAST_WORDS:
        return _LAST_WORDS[key]
    if key in MONTH_NAMES or _MONTH.match(key) or LAST_MONTH.match(key):
        return Grain.MONTH
    if _LATEST_QUARTER.match(key) or _QUARTER.match(key):
        return Grain.QUARTER
    if _LATEST_WEEK.match(key) or _WEEK.match(key) or WEEK_OF.match(key):
        return Grain.WEEK
    if _YEAR.match(key):
        return Grain.YEAR
    if _DAY.match(key) or YEARLESS_DAY.match(key) or key in WEEKDAY_NAMES or key == "before-yesterday":
        return Grain.DAY
    if m := TO_DATE.match(key):
        return grain_of(m.group(1))
    return None
