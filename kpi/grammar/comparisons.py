"""Comparisons as people say them, in English and French, and a period moved a year back.

- "yoy", "vs last year", "compared to the same month last year", "par rapport à l'an dernier", "vs N-1",
  "vs même semaine l'an dernier": against the same period a year earlier.
- "vs the week before", "comparé au mois d'avant", "vs the previous period", "revenue vs last month" (this
  month): the usual comparison, the period just before, which every answer makes anyway.
- any other period after "vs" ("revenue this month vs march") is understood but is not a comparison the bot
  makes: kept for the reader to refuse with the two it makes, never dropped silently.
- "this month last year", "le mois dernier l'an dernier" (a period, then "last year" without "vs"): that
  period a year earlier.

Pure: the period texts are :mod:`kpi.periods`' forms, read against the clock later."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kpi.grammar.phrases import (
    COMPARE_SKIP,
    DAYS_IN,
    GRAIN,
    LAST_YEAR,
    PREVIOUS_WORDS,
    SAME_WORDS,
    VS,
    YOY,
    count_of,
    period_at,
    rolling_days,
)
from kpi.periods import grain_of
from kpi.periods_said import MONTH_NAMES
from kpi.spans import Grain

PERIOD_WORDS = (*GRAIN, "period", "periode")
BEFORE = "before:"  # "the month before": the period just before, said by its grain ("before:" for any)


def phrase_at(words: list[str], i: int, phrases: Iterable[tuple[str, ...]]) -> int | None:
    """The end of the longest of ``phrases`` starting at ``words[i]``."""
    for phrase in sorted(phrases, key=len, reverse=True):
        if tuple(words[i : i + len(phrase)]) == tuple(phrase):
            return i + len(phrase)
    return None


def period_read(words: list[str], raw: list[str], i: int, hit: tuple[str, int], found: dict[str, Any]) -> int:
    """A period at ``words[i]``: the question's own (a second one, "last month this month", is a comparison to
    check). Right after it, "last year" moves it a year back ("this month last year")."""
    text, end = hit
    if "period" in found:
        found.setdefault("compare", (text, " ".join(raw[i:end])))
        return end
    j = end
    while j < len(words) and words[j] in ("of", "de", "du"):
        j += 1
    after = phrase_at(words, j, LAST_YEAR)
    if after is not None and not text.startswith("last-year") and grain_of(text) is not None:
        found["period"] = f"{text}-1y"
        return after
    found["period"] = text
    return end


OVER = {  # "MoM", "week over week": the period just before, by its grain
    ("mom",): "month",
    ("month", "over", "month"): "month",
    ("month", "on", "month"): "month",
    ("wow",): "week",
    ("week", "over", "week"): "week",
    ("week", "on", "week"): "week",
    ("qoq",): "quarter",
    ("quarter", "over", "quarter"): "quarter",
    ("dod",): "today",
    ("day", "over", "day"): "today",
}


def comparison_at(words: list[str], raw: list[str], i: int, found: dict[str, Any]) -> int | None:
    """A comparison at ``words[i]``: sets ``yoy``, or ``compare`` (a period to check against the question's
    own, see :func:`usual_comparison`); the index after it, None when none starts there."""
    for phrase, grain in OVER.items():
        if tuple(words[i : i + len(phrase)]) == phrase:
            found.setdefault("compare", (BEFORE + grain, " ".join(raw[i : i + len(phrase)])))
            return i + len(phrase)
    if (end := phrase_at(words, i, YOY)) is not None:
        if (hit := period_at(words, i)) is not None and hit[1] > end:
            return None  # "sur un an glissant": a period, longer
        found["yoy"] = True
        return end
    start = phrase_at(words, i, VS)
    if start is None:
        return None
    j = _skip(words, start)
    if j + 1 < len(words) and words[j] in SAME_WORDS:  # "the same month last year"
        k = _skip(words, j + 1 + (words[j + 1] in PERIOD_WORDS))
        if (after := phrase_at(words, k, LAST_YEAR)) is not None:
            found["yoy"] = True
            return after
    if (after := phrase_at(words, j, LAST_YEAR)) is not None:
        found["yoy"] = True
        return after
    if (window := _window_before_at(words, j)) is not None:  # "vs les 30 jours précédents"
        found.setdefault("compare", (window[0], " ".join(raw[i : window[1]])))
        return window[1]
    if (previous := previous_at(words, j)) is not None:  # "the week before", "le mois d'avant"
        found.setdefault("compare", (previous[0], " ".join(raw[i : previous[1]])))
        return previous[1]
    if (hit := period_at(words, j)) is not None:  # "vs Q1 2025", "vs T1 de l'an dernier"
        k = hit[1] + (hit[1] < len(words) and words[hit[1]] in ("of", "de", "du"))
        after = phrase_at(words, k, LAST_YEAR)
        text = f"{hit[0]}-1y" if after is not None else hit[0]
        found.setdefault("compare", (text, " ".join(raw[i : after or hit[1]])))
        return after or hit[1]
    if j < len(words) and words[j] in (*PERIOD_WORDS, *SAME_WORDS, *PREVIOUS_WORDS):  # a period not read
        found.setdefault("compare", ("?", " ".join(raw[i : j + 1])))
        return j + 1
    return start


def _window_before_at(words: list[str], j: int) -> tuple[str, int] | None:
    """ "the previous 30 days", "les 30 jours précédents", "the 30 days before": a rolling window before."""
    k = j + (j < len(words) and words[j] in PREVIOUS_WORDS)
    count = count_of(words[k]) if k < len(words) else None
    if count is None or k + 1 >= len(words) or words[k + 1] not in DAYS_IN:
        return None
    end = k + 2 + (k + 2 < len(words) and words[k + 2] in (*PREVIOUS_WORDS, "precedents", "precedentes"))
    if end == k + 2 and k == j:  # neither "previous" before nor after: a period of its own
        return None
    return f"{rolling_days(count, words[k + 1])}d", end


def _skip(words: list[str], j: int) -> int:
    while j < len(words) and words[j] in COMPARE_SKIP:
        j += 1
    return j


def previous_at(words: list[str], j: int) -> tuple[str, int] | None:
    """ "the week before", "the previous month", "le mois d'avant", "la semaine précédente", "the previous
    period": the period just before, said without naming it (its grain, or "" for any period)."""
    if j + 1 < len(words) and words[j] in PREVIOUS_WORDS and words[j + 1] in PERIOD_WORDS:
        return BEFORE + GRAIN.get(words[j + 1], ""), j + 2
    if j + 1 < len(words) and words[j] in PERIOD_WORDS and words[j + 1] in PREVIOUS_WORDS:
        return BEFORE + GRAIN.get(words[j], ""), j + 2
    return None


def year_earlier_comparison(period: str | None, compare: str) -> bool:
    """Whether the comparison a question names is its own period a year earlier ("Q1 2026 vs Q1 2025", "T1 vs
    T1 de l'an dernier")."""
    current = period or "month"
    if compare == f"{current}-1y":
        return True
    found = re.match(r"^(\d{4})(.*)$", current)
    return bool(found) and compare == f"{int(found.group(1)) - 1}{found.group(2)}"  # type: ignore[union-attr]


def usual_comparison(period: str | None, compare: str) -> bool:
    """Whether the comparison a question names is the one every answer makes: the period just before
    ``period`` (the question's; None: this month so far)."""
    current = period or "month"
    grain = grain_of(current)
    if compare.startswith(BEFORE):  # "the month before", "the previous period"
        before = compare[len(BEFORE) :]
        return before == "" or (
            grain is Grain.DAY if before == "today" else grain is not None and grain.value == before
        )
    if compare == "yesterday":  # "today vs yesterday"
        return current == "today"
    if compare == current and re.fullmatch(r"\d+d", current):  # "last 30 days vs the previous 30 days"
        return True
    return compare.startswith("last-") and current == compare[len("last-") :]  # "this month vs last month"


def may_be_the_one_before(period: str | None, compare: str) -> bool:
    """Whether ``compare`` may be the period just before the question's, which only the clock can tell
    ("october vs september", "Nov 3 vs Nov 2"): the same grain, and names that follow each other."""
    current = period or "month"
    grain = grain_of(current)
    if grain is None or grain is not grain_of(compare) or compare.startswith(BEFORE):
        return False
    if current in MONTH_NAMES and compare in MONTH_NAMES:
        return (MONTH_NAMES[current] - MONTH_NAMES[compare]) % 12 == 1
    quarters = re.fullmatch(r"q([1-4])", current), re.fullmatch(r"q([1-4])", compare)
    if quarters[0] and quarters[1]:
        return (int(quarters[0].group(1)) - int(quarters[1].group(1))) % 4 == 1
    return current not in MONTH_NAMES and compare not in MONTH_NAMES and not (quarters[0] or quarters[1])


def resolve_comparison(
    period: str | None, yoy: bool, compare: str, said: str
) -> tuple[str | None, bool, tuple[str, ...]]:
    """A question that names its comparison (``compare``, typed as ``said``): a year earlier (``yoy``), the
    usual one (kept as it is), a calendar period that may be the one just before (``october~september``: the
    clock tells), or one the bot does not make: the period, ``yoy``, and what is refused (``unhonoured``)."""
    if year_earlier_comparison(period, compare):
        return period, True, ()
    if usual_comparison(period, compare):
        return period, yoy, ()
    if may_be_the_one_before(period, compare) and not yoy:
        return f"{period or 'month'}~{compare}", yoy, ()
    return period, yoy, (said,)
