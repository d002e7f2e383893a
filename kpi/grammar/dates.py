"""Days, ranges and open ranges as people say them, in English and French: "November 3", "3 nov", "le 1er
juillet", "on monday", "black friday", "from July to November", "between 1 and 15 September", "du 1er au 15
septembre", "since July 1st", "depuis septembre", "the first two weeks of November", "la première quinzaine de
novembre", "H1", "premier semestre", "the week of Nov 16".

Each rule reads lower-case words without accents (:func:`kpi.grammar.phrases.tokens`) at an index and returns
the period text :mod:`kpi.periods` reads against the clock (``--11-03``, ``july..november``, ``--07-01..today``,
``h1``, ``week-of---11-03``) and the index after the phrase. Pure: no clock.

Why hand-written rules rather than ``dateparser``: a question holds a date *inside* other words, and what
matters is where the phrase starts and ends and how it combines ("between 1 and 15 September" takes the month
of its second end); ``dateparser`` reads a whole string as one date and guesses the rest (it reads "cac 3" as a
date). The days people type are few forms (day and month in either order, ordinals, "1er"), which these rules
cover with their tests (tests/kpi/test_grammar_dates.py).
"""

from __future__ import annotations

import re

from kpi.periods_said import MONTH_NAMES, WEEKDAY_NAMES

YEAR = re.compile(r"^(19|20)\d\d$")
DAY_NUMBER = re.compile(r"^([1-9]|[12]\d|3[01])(st|nd|rd|th|er|re|e|eme)?$")
SKIP = frozenset({"the", "le", "la", "l", "of", "de", "du", "d", "on", "in", "en", "au"})  # around a day
NAMED_DAYS = {
    ("black", "friday"): "black-friday",
    ("cyber", "monday"): "cyber-monday",
    ("christmas",): "christmas",
    ("christmas", "day"): "christmas",
    ("noel",): "noel",
    ("new", "year", "day"): "new-year",
    ("jour", "de", "an"): "new-year",
}
RANGE_OPENERS = {"from": ("to", "till", "until", "through", "thru"), "between": ("and",), "de": ("a",)}
RANGE_OPENERS |= {"du": ("au", "a"), "entre": ("et",), "depuis": ("jusqu",)}
SINCE = frozenset({"since", "depuis", "from", "starting"})  # "from July" without an end: since July
SINCE_PHRASES = (("a", "partir", "de"), ("a", "partir", "du"), ("a", "compter", "du"), ("starting", "from"))
FIRST = {"first": 1, "premiere": 1, "premier": 1, "1ere": 1, "1er": 1, "second": 2, "seconde": 2, "deuxieme": 2}
FIRST |= {"2e": 2, "2eme": 2, "2nd": 2, "last": 2, "derniere": 2, "premiers": 1, "premieres": 1}
NUMBERS = {"one": 1, "two": 2, "three": 3, "un": 1, "une": 1, "deux": 2, "trois": 3}
HALF_WORDS = frozenset({"half", "semestre", "moitie"})
PART_UNITS = frozenset(
    {"week", "weeks", "semaine", "semaines", "day", "days", "jour", "jours", "quinzaine", "fortnight"}
)
PART_UNITS |= HALF_WORDS
STARTS = frozenset({"beginning", "start", "debut"})  # "since the beginning of July", "du début du mois"
ENDS = frozenset({"end", "fin"})  # "until the end of November"
FORTNIGHT_WORDS = frozenset({"quinzaine", "fortnight"})
MONTH_OF = frozenset({"month", "mois"})
WORDS = frozenset(  # the words of these rules, for the reader's vocabulary (typos are read as them)
    {*RANGE_OPENERS, *(w for ws in RANGE_OPENERS.values() for w in ws), *SINCE, *FIRST, *NUMBERS, *HALF_WORDS}
    | {*FORTNIGHT_WORDS, *WEEKDAY_NAMES, "black", "friday", "cyber", "christmas", "noel", "quinzaine"}
)
WEEK_OF = (("week", "of"), ("semaine", "du"), ("semaine", "de"), ("the", "week", "of"), ("la", "semaine", "du"))


def _skip(words: list[str], i: int) -> int:
    while i < len(words) and words[i] in SKIP:
        i += 1
    return i


def _month_at(words: list[str], i: int) -> tuple[int, int] | None:
    """A month's name at ``words[i]``: its number and the index after it."""
    if i < len(words) and words[i] in MONTH_NAMES and words[i] not in ("mar", "may"):
        return MONTH_NAMES[words[i]], i + 1
    if i < len(words) and words[i] in ("may", "mar") and i > 0 and words[i - 1].isdigit():
        return MONTH_NAMES[words[i]], i + 1
    return None


def _number_at(words: list[str], i: int) -> int | None:
    m = DAY_NUMBER.match(words[i]) if i < len(words) else None
    return int(m.group(1)) if m else None


def _with_year(text: str, words: list[str], end: int) -> tuple[str, int]:
    """``--11-03`` and a year after it ("November 3 2025") -> ``2025-11-03``."""
    if end < len(words) and YEAR.match(words[end]):
        return words[end] + text[1:], end + 1
    return text, end


def day_at(words: list[str], i: int) -> tuple[str, int] | None:
    """One day: "November 3", "nov 3rd", "3 nov", "le 1er juillet", "monday", "lundi", "black friday"."""
    if i >= len(words):
        return None
    for phrase, name in NAMED_DAYS.items():
        if tuple(words[i : i + len(phrase)]) == phrase:
            return name, i + len(phrase)
    if words[i] in ("last", "past", "previous") and i + 1 < len(words) and words[i + 1] in WEEKDAY_NAMES:
        return words[i + 1], i + 2  # "last friday": the latest one
    if words[i] in WEEKDAY_NAMES:
        after = i + 1 + (i + 1 < len(words) and words[i + 1] in ("dernier", "passe"))  # "vendredi dernier"
        return words[i], after
    if (month := _month_at(words, i)) is not None:
        j = _skip(words, month[1])
        day = _number_at(words, j)
        if day is not None and not (j + 1 < len(words) and words[j + 1] in ("days", "jours", "weeks", "months")):
            return _with_year(f"--{month[0]:02d}-{day:02d}", words, j + 1)
        return None
    day = _number_at(words, i)
    if day is not None:
        j = _skip(words, i + 1)
        if (month := _month_at(words, j)) is not None:
            return _with_year(f"--{month[0]:02d}-{day:02d}", words, month[1])
    return None


def _end_at(words: list[str], i: int, single_at, edge: frozenset[str] = STARTS):  # type: ignore[no-untyped-def]
    """One end of a range: a day, a whole period ("july", "Q3", "the beginning of July" for a first end, "the
    end of November" for a last one), or a bare day number whose month the other end gives ("between 1 and
    15 September"): (text, end index, the bare day or None)."""
    i = _skip(words, i)
    while i < len(words) and words[i] in edge:
        i = _skip(words, i + 1)
    if (day := day_at(words, i)) is not None:
        return day[0], day[1], None
    if (number := _number_at(words, i)) is not None:
        return "", i + 1, number
    if (found := single_at(words, i)) is not None and ".." not in found[0]:
        return found[0], found[1], None
    return None


def range_at(words: list[str], i: int, single_at) -> tuple[str, int] | None:  # type: ignore[no-untyped-def]
    """ "from July to November", "between 1 and 15 September", "du 1er au 15 septembre", "de juillet à
    novembre", "entre le 1er et le 15 septembre": ``first..last``. ``single_at`` reads one period."""
    if i >= len(words):
        return None
    closers = RANGE_OPENERS.get(words[i])
    if closers is None:  # "Nov 1 - Nov 15", "1 to 15 September": two days, without "from"
        closers, i = ("to", "until", "through", "au"), i - 1
        if day_at(words, i + 1) is None and _number_at(words, i + 1) is None:
            return None
    first = _end_at(words, i + 1, single_at)
    if first is None or first[1] >= len(words) or words[first[1]] not in closers:
        return None
    j = first[1] + 1 + (words[first[1]] == "jusqu" and first[1] + 1 < len(words) and words[first[1] + 1] == "au")
    last = _end_at(words, j, single_at, ENDS)
    if last is None or (first[2] is not None and last[2] is not None):
        return None
    if last[2] is not None:  # "from July 3 to 15": the second end takes the first's month
        if not first[0].startswith("--"):
            return None
        return f"{first[0]}..{first[0][:5]}-{last[2]:02d}", last[1]
    if first[2] is not None:  # "between 1 and 15 September": the first end takes the second's month
        if not last[0].startswith("--") and not re.fullmatch(r"\d{4}-\d\d-\d\d", last[0]):
            return None
        return f"{last[0][:-2]}{first[2]:02d}..{last[0]}", last[1]
    return f"{first[0]}..{last[0]}", last[1]


def since_at(words: list[str], i: int, single_at) -> tuple[str, int] | None:  # type: ignore[no-untyped-def]
    """ "since July 1st", "depuis septembre", "depuis le 1er juillet", "from July" (without an end), "à partir
    du 1er juillet": from then up to today."""
    if i >= len(words):
        return None
    opener = next((len(p) for p in SINCE_PHRASES if tuple(words[i : i + len(p)]) == p), int(words[i] in SINCE))
    if not opener:
        return None
    start = _end_at(words, i + opener, single_at)
    if start is None or start[2] is not None or not start[0]:
        return None
    return f"{start[0]}..today", start[1]


def part_of_month_at(words: list[str], i: int) -> tuple[str, int] | None:
    """ "the first two weeks of November" (1-14), "the first week of" (1-7), "the first 10 days of", "les 10
    premiers jours de", "la première quinzaine de novembre" / "the first half of November" (1-15), "la deuxième
    quinzaine" (16 to the month's end)."""
    j, count = _skip(words, i), 0
    if j + 1 < len(words) and _count(words[j]) and words[j + 1] in FIRST:  # "les 10 premiers jours"
        count, j = _count(words[j]), j + 1
    if j >= len(words) or words[j] not in FIRST:
        return None
    which, k = FIRST[words[j]], j + 1
    if not count and k < len(words) and _count(words[k]):
        count, k = _count(words[k]), k + 1
    unit = words[k] if k < len(words) else ""
    if unit not in PART_UNITS:
        return None
    month = _month_at(words, _skip(words, k + 1))
    if month is None:
        return None
    m, end = month
    if unit in FORTNIGHT_WORDS or unit in HALF_WORDS:
        return (f"--{m:02d}-01..--{m:02d}-15" if which == 1 else f"--{m:02d}-16..{_month_name(m)}"), end
    days = max(count, 1) * (1 if unit in ("day", "days", "jour", "jours") else 7)
    if which != 1 or days > 28:
        return None
    return f"--{m:02d}-01..--{m:02d}-{days:02d}", end


def _count(word: str) -> int:
    return int(word) if word.isdigit() and 0 < int(word) <= 31 else NUMBERS.get(word, 0)


def _month_name(month: int) -> str:
    return next(name for name, number in MONTH_NAMES.items() if number == month and len(name) > 4)


def half_at(words: list[str], i: int) -> tuple[str, int] | None:
    """ "H1", "S2", "the first half", "premier semestre", "H1 2026": a half year, as a range."""
    word = words[i]
    if re.fullmatch(r"[hs][12]", word):
        half, end = word[1], i + 1
    elif word in FIRST and i + 1 < len(words) and words[i + 1] in HALF_WORDS and word != "last":
        if _month_at(words, _skip(words, i + 2)) is not None:
            return None  # the first half of a month: part_of_month_at
        half, end = str(FIRST[word]), i + 2
    else:
        return None
    if end < len(words) and YEAR.match(words[end]):
        return f"{words[end]}-h{half}", end + 1
    return f"h{half}", end


def week_of_at(words: list[str], i: int) -> tuple[str, int] | None:
    """ "the week of Nov 16", "semaine du 16 novembre": the ISO week holding that day."""
    for phrase in WEEK_OF:
        if tuple(words[i : i + len(phrase)]) == phrase and (day := day_at(words, i + len(phrase))) is not None:
            return f"week-of-{day[0]}", day[1]
    return None


def month_of_at(words: list[str], i: int) -> tuple[str, int] | None:
    """ "the month of September", "le mois d'octobre", "du mois de septembre": that month."""
    if i >= len(words) or words[i] not in MONTH_OF:
        return None
    month = _month_at(words, _skip(words, i + 1))
    if month is None:
        return None
    end = month[1]
    if end < len(words) and YEAR.match(words[end]):
        return f"{words[end]}-{month[0]:02d}", end + 1
    return _month_name(month[0]), end


SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")


def numeric_date(word: str, lang: str) -> str | None:
    """ "03/11", "3/11/2026": day first in French; in English only when it can't be read the other way ("11/23"
    is November 23, "23/11" November 23 too); "03/04" in English is refused (March 4 or April 3?), never
    guessed. The day as ``--11-03`` or ``2026-11-03``; None when ``word`` is no such date."""
    found = SLASHED.match(word)
    if found is None:
        return None
    a, b = int(found.group(1)), int(found.group(2))
    if lang == "fr" or a > 12:
        day, month = a, b
    elif b > 12:
        month, day = a, b
    else:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    year = found.group(3) or ""
    year = f"20{year}" if len(year) == 2 else year
    return f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
