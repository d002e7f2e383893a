"""Reading a period from text (`month`, `last-month`, `30d`, `2026-Q3`, `mois dernier`…), in English
and French, into a :class:`~kpi.spans.PeriodPair`: the period and its previous comparable one
(see :mod:`kpi.spans` for how each kind is built).

Parsing never reads the clock: ``now`` is always passed in.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from kpi.errors import PeriodError
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
    to_date_pair,
    year_earlier,
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
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")
# The forms the question reader writes for what people say (kpi.grammar.phrases), read here against ``now``
_YEARLESS_DAY = re.compile(r"^--(\d{2})-(\d{2})$")  # ISO 8601's day without a year: the latest one begun
_SPOKEN_RANGE = re.compile(r"^(.+?)\.\.(.+)$")  # any two periods: from the first's start to the second's end
_HALF = re.compile(r"^(?:(\d{4})-)?[hs]([12])$")  # H1 / S1 (semestre): the latest first half begun
_WEEK_OF = re.compile(r"^week-of-(.+)$")  # the ISO week holding a day
_LAST_MONTH = re.compile(r"^last-([a-z]+)$")  # last-december: the latest December that has ended
_TO_DATE = re.compile(r"^(.+)-to-date$")  # "T4 à date": the period so far when it is the current one
_YEAR_EARLIER = re.compile(r"^(.+)-1y$")  # "this month last year": the period a year earlier
WEEKDAY_NAMES = {
    "monday": 0, "lundi": 0, "tuesday": 1, "mardi": 1, "wednesday": 2, "mercredi": 2, "thursday": 3,
    "jeudi": 3, "friday": 4, "vendredi": 4, "saturday": 5, "samedi": 5, "sunday": 6, "dimanche": 6,
}  # fmt: skip


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
    tz = tz or cast(ZoneInfo, now.tzinfo)
    now = now.astimezone(tz)
    original = text
    if not isinstance(text, str) or len(text) > 64:
        raise PeriodError(str(text)[:64], ACCEPTED_FORMS)
    key = normalize(text)
    if m := _YOY.match(key):
        return year_over_year(parse_period(m.group(1), now, tz))

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
    found = spoken_period(key, now, tz)
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
        or any(p.match(key) for p in (_YEARLESS_DAY, _SPOKEN_RANGE, _HALF, _WEEK_OF, _TO_DATE, _YEAR_EARLIER))
        or bool((m := _LAST_MONTH.match(key)) and m.group(1) in MONTH_NAMES)
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


# -- what people say (the question reader's forms) -------------------------------------------------------


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
    if m := _YEARLESS_DAY.match(key):
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


def _spoken_range(first_text: str, last_text: str, now: datetime, tz: ZoneInfo) -> PeriodPair | None:
    """``july..november``, ``--09-01..--09-15``, ``2026-07-01..today``: from the first period's first day to
    the second's last. Since the first day of the current year, quarter or month up to today is that period
    to date ("since January" = the year to date); a start after the end is the one a year before."""
    try:
        first, _ = _bounds(parse_period(first_text, now, tz))
        _, last = _bounds(parse_period(last_text, now, tz))
    except PeriodError:
        return None
    if first > last and (first_text in MONTH_NAMES or _YEARLESS_DAY.match(first_text)):  # "from December to March"
        first = first.replace(year=first.year - 1, day=min(first.day, 28) if first.month == 2 else first.day)
    today = now.date()
    if last == today:
        for grain in (Grain.YEAR, Grain.QUARTER, Grain.MONTH):
            if first == grain_start(today, grain):
                return to_date_pair(now, grain)
    if first > last or (last - first).days > MAX_ROLLING_DAYS:
        return None
    return range_pair(first, last, tz)


def spoken_period(key: str, now: datetime, tz: ZoneInfo) -> PeriodPair | None:
    """The periods people say, in the forms :mod:`kpi.grammar.phrases` writes them (normalized ``key``);
    None when ``key`` is none of them."""
    today = now.date()
    if (day := _latest_day(key, today)) is not None:
        return calendar_pair(day, Grain.DAY, tz)
    if (m := _LAST_MONTH.match(key)) and m.group(1) in MONTH_NAMES:  # "last December": the latest one ended
        month = MONTH_NAMES[m.group(1)]
        return calendar_pair(date(today.year - (month >= today.month), month, 1), Grain.MONTH, tz)
    if m := _HALF.match(key):
        year = int(m.group(1)) if m.group(1) else today.year - (m.group(2) == "2" and today.month < 7)
        first = date(year, 1 if m.group(2) == "1" else 7, 1)
        return range_pair(first, shift(first, Grain.MONTH, 6) - timedelta(days=1), tz)
    if m := _WEEK_OF.match(key):
        start, _ = _bounds(parse_period(m.group(1), now, tz))
        return calendar_pair(grain_start(start, Grain.WEEK), Grain.WEEK, tz)
    if m := _TO_DATE.match(key):
        pair = parse_period(m.group(1), now, tz)
        grain = pair.current.grain
        if grain is not None and pair.current.start <= now < pair.current.end:
            return to_date_pair(now, grain)
        return pair
    if m := _YEAR_EARLIER.match(key):
        pair = parse_period(m.group(1), now, tz)
        return PeriodPair(year_earlier(pair.current), year_earlier(pair.previous))
    if m := _SPOKEN_RANGE.match(key):
        return _spoken_range(m.group(1), m.group(2), now, tz)
    return None


def grain_of(text: str) -> Grain | None:
    """The grain of a period text ('month', 'last-month', '2026-10', 'october' -> MONTH), None when it has none
    (a rolling window, a range): to tell whether "vs the month before" is the usual comparison."""
    key = normalize(text)
    if key in _TO_DATE_WORDS:
        return _TO_DATE_WORDS[key]
    if key in _LAST_WORDS:
        return _LAST_WORDS[key]
    if key in MONTH_NAMES or _MONTH.match(key) or _LAST_MONTH.match(key):
        return Grain.MONTH
    if _LATEST_QUARTER.match(key) or _QUARTER.match(key):
        return Grain.QUARTER
    if _LATEST_WEEK.match(key) or _WEEK.match(key) or _WEEK_OF.match(key):
        return Grain.WEEK
    if _YEAR.match(key):
        return Grain.YEAR
    if _DAY.match(key) or _YEARLESS_DAY.match(key) or key in WEEKDAY_NAMES or key == "before-yesterday":
        return Grain.DAY
    if m := _TO_DATE.match(key):
        return grain_of(m.group(1))
    return None
