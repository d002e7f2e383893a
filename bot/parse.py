"""Parse the text of `/kpi …` into a command. Pure: no Slack, no database, no clock.

Grammar (words in any case; French synonyms accepted)::

    ""  | help | aide | ?                      -> Help
    list | liste [PERIOD]                      -> ListKpis
    explain | expliquer KPI                    -> Explain
    [share | partager] KPI [PERIOD] [by|par DIMENSION]  -> Ask

A KPI name may span several words ("taux de transformation"): the longest run
of words that names a KPI wins. Errors come back as values, never exceptions,
so the listener can answer each one politely.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi.catalog import Catalog
from kpi.errors import UnknownKpi
from kpi.periods import looks_like_period

MAX_TEXT = 500
DEFAULT_PERIOD = "month"

_HELP = {"", "help", "aide", "?", "-h", "--help"}
_LIST = {"list", "liste", "all", "tous"}
_EXPLAIN = {"explain", "expliquer", "explique", "explication", "why", "pourquoi"}
_SHARE = {"share", "partager", "partage"}
_BY = {"by", "par"}


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ListKpis:
    period: str = DEFAULT_PERIOD


@dataclass(frozen=True)
class Explain:
    kpi: str


@dataclass(frozen=True)
class Ask:
    kpi: str
    period: str = DEFAULT_PERIOD
    by: str | None = None
    share: bool = False


# -- errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TooLong:
    length: int


@dataclass(frozen=True)
class NotUnderstood:
    words: str


@dataclass(frozen=True)
class MissingKpi:
    pass


@dataclass(frozen=True)
class BadKpi:
    error: UnknownKpi


Command = Help | ListKpis | Explain | Ask
ParseError = TooLong | NotUnderstood | MissingKpi | BadKpi


def parse(text: str | None, catalog: Catalog) -> Command | ParseError:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        return TooLong(len(text))
    words = text.split()
    head = words[0].lower() if words else ""
    if head in _HELP and len(words) <= 1:
        return Help()
    if head in _LIST:
        rest = words[1:]
        if len(rest) > 1 or (rest and not looks_like_period(rest[0])):
            return NotUnderstood(" ".join(rest))
        return ListKpis(rest[0] if rest else DEFAULT_PERIOD)
    if head in _EXPLAIN:
        if len(words) == 1:
            return MissingKpi()
        kpi, rest = _kpi_prefix(words[1:], catalog)
        if kpi is None:
            return BadKpi(_unknown(words[1:], catalog))
        return Explain(kpi) if not rest else NotUnderstood(" ".join(rest))
    share = head in _SHARE
    if share:
        words = words[1:]
        if not words:
            return MissingKpi()
    kpi, rest = _kpi_prefix(words, catalog)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    period, by, leftover = None, None, []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.lower() in _BY and i + 1 < len(rest) and by is None:
            by = rest[i + 1]
            i += 2
            continue
        if period is None and looks_like_period(word):
            period = word
        elif period is None and i + 1 < len(rest) and looks_like_period(f"{word} {rest[i + 1]}"):
            period = f"{word} {rest[i + 1]}"  # "last month", "30 days", "mois dernier"
            i += 1
        else:
            leftover.append(word)
        i += 1
    if leftover:
        return NotUnderstood(" ".join(leftover))
    return Ask(kpi=kpi, period=period or DEFAULT_PERIOD, by=by, share=share)


def _kpi_prefix(words: list[str], catalog: Catalog) -> tuple[str | None, list[str]]:
    """The longest leading run of words that names a KPI, and the words after it."""
    for n in range(min(len(words), 6), 0, -1):
        try:
            return catalog.resolve(" ".join(words[:n])).key, words[n:]
        except UnknownKpi:
            continue
    return None, words


def _unknown(words: list[str], catalog: Catalog) -> UnknownKpi:
    name = words[0] if words else ""
    try:
        catalog.resolve(name)
    except UnknownKpi as exc:
        return exc
    raise AssertionError("resolvable name reported unknown")  # pragma: no cover
