"""Parse the text of `/kpi …` into a command. Pure: no Slack, no database, no clock.

Grammar (words in any case; French synonyms accepted; the words of rules, targets and digests are
:mod:`kpi.grammar`'s)::

    ""  | help | aide | ?                      -> Help
    list | liste [PERIOD]                      -> ListKpis
    explain | expliquer KPI                    -> Explain
    [share | partager] KPI [PERIOD] [by|par DIMENSION] [chart] [yoy | vs last year]  -> Ask
    alerts | alert [history | edit ID | remove ID | snooze ID [D] | KPI RULE]  -> ListRules, CreateRule…
    digest [daily | weekly DAY | off | now] …  -> Digest
    pin | unpin KPI, target KPI VALUE [GRAIN]  -> Pin, Target

A KPI name may span several words ("taux de transformation"): the longest run
of words that names a KPI wins. Errors come back as values, never exceptions,
so the listener can answer each one politely.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.slack.commands import (  # noqa: F401 - the commands, as `parse.Ask`… for the listeners
    DEFAULT_PERIOD,
    Ask,
    BadDigest,
    BadKpi,
    BadRule,
    BadTarget,
    Command,
    CreateRule,
    Digest,
    EditRule,
    Explain,
    Help,
    ListKpis,
    ListRules,
    MissingKpi,
    NotUnderstood,
    ParseError,
    Pin,
    RemoveRule,
    RuleHistory,
    RuleModal,
    SnoozeRule,
    Target,
    TooLong,
    Unclear,
)
from bot.slack.questions import as_ask, free_text, reader_for, reading_of  # noqa: F401 - for the listeners
from kpi import grammar
from kpi.catalog import Catalog
from kpi.errors import Refusal, UnknownDimension, UnknownKpi
from kpi.periods import YOY, asks_year_over_year, looks_like_period, period_suggestions
from kpi.rules import RuleError

MAX_TEXT = 500

_HELP = {"", "help", "aide", "?", "-h", "--help"}
_LIST = {"list", "liste", "all", "tous"}
_EXPLAIN = {"explain", "expliquer", "explique", "explication", "why", "pourquoi"}
_SHARE = {"share", "partager", "partage"}
_BY = {"by", "par"}
_CHART = {"chart", "graph", "graphique", "courbe", "plot"}
_ALERTS = {"alerts", "alertes", "rules", "regles"}
_ALERT = {"alert", "alerte", "rule", "regle"}
_REMOVE = {"remove", "delete", "rm", "supprimer", "suppr"}
_SNOOZE = {"snooze", "mute", "suspendre", "pause"}
_HISTORY = {"history", "historique", "log", "audit"}
_DIGEST = {"digest", "recap", "récap", "resume", "résumé"}
_PIN = {"pin", "epingler", "épingler"}
_UNPIN = {"unpin", "desepingler", "désépingler"}
_TARGET = {"target", "objectif"}


def parse(text: str | None, catalog: Catalog, lang: str = "en", currency: str = "EUR") -> Command | ParseError:
    """``lang`` and ``currency`` are how numbers are read (`€1,500` in English, `1 500 €` in French)."""
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        return TooLong(len(text))
    words = text.split()
    head = words[0].lower() if words else ""
    if head in _HELP and len(words) <= 1:
        return Help()
    if head in _ALERTS and len(words) == 1:
        return ListRules()
    for heads, read in _COMMANDS:
        if head in heads:
            found = read(head, words[1:], catalog, lang, currency)
            if read in (_explain, _list) and isinstance(found, (BadKpi, NotUnderstood, MissingKpi)) and words[1:]:
                return free_text(text, catalog, found, lang=lang)
            if read is _digest and isinstance(found, (BadDigest, BadKpi)) and _reads_as_question(text, catalog):
                return free_text(text, catalog, found, lang=lang)  # "récap des kpis de la semaine": a list
            return found
    return _question(text, words, catalog, lang=lang)


def _question(
    text: str, words: list[str], catalog: Catalog, share: bool = False, lang: str = ""
) -> Command | ParseError:
    """A KPI question: read as free text; when something is left over, the strict grammar is tried
    (`cac 2026-10-01..2026-10-15 by foo`), and when that fails too, free text says what it did not understand."""
    reading = reader_for(catalog).read(text, lang)
    if reading.kind == "ask" and not reading.unknown and not reading.unhonoured:
        return replace(as_ask(reading), share=share)
    if reading.kind == "ask" and reading.unhonoured:
        return free_text(text, catalog, lang=lang)
    strict = _ask(words, catalog, share=share)
    if not isinstance(strict, (BadKpi, NotUnderstood)):
        return strict
    return free_text(text, catalog, strict, lang=lang)


def _reads_as_question(text: str, catalog: Catalog) -> bool:
    """A sentence that begins with a command word but reads whole as a question or a list."""
    reading = reader_for(catalog).read(text)
    return reading.kind in ("ask", "list") and not reading.unknown and not reading.unhonoured


COMMAND_WORDS = _HELP | _LIST | _EXPLAIN | _SHARE | _ALERTS | _ALERT | _DIGEST | _PIN | _UNPIN | _TARGET


def _list(head: str, rest: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if len(rest) > 1 or (rest and not looks_like_period(rest[0])):
        return NotUnderstood(" ".join(rest))
    return ListKpis(rest[0] if rest else DEFAULT_PERIOD)


def _pin(head: str, rest: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if not rest:
        return MissingKpi(head)
    kpi, left = catalog.resolve_prefix(rest)
    if kpi is None:
        return BadKpi(_unknown(rest, catalog))
    return Pin(kpi, head in _PIN) if not left else NotUnderstood(" ".join(left))


def _explain(head: str, rest: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if not rest:
        return MissingKpi(head)
    kpi, left = catalog.resolve_prefix(rest)
    if kpi is None:
        return BadKpi(_unknown(rest, catalog))
    return Explain(kpi) if not left else NotUnderstood(" ".join(left))


def _share(head: str, rest: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    return _question(" ".join(rest), rest, catalog, share=True, lang=lang) if rest else MissingKpi(head)


def _ask(words: list[str], catalog: Catalog, share: bool = False) -> Command | ParseError:
    kpi, rest = catalog.resolve_prefix(words)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    yoy, rest = asks_year_over_year(rest)
    period, by, leftover, chart, where = None, None, [], False, None
    i = 0
    while i < len(rest):
        word = rest[i]
        if where is None and (found := _where(rest, i, catalog, kpi)) is not None:
            where, i = found
            continue
        if word.lower() in _CHART and not chart:
            chart = True
            i += 1
            continue
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
        return NotUnderstood(" ".join(leftover), tuple(s for w in leftover for s in period_suggestions(w))[:3])
    period = period or DEFAULT_PERIOD
    return Ask(kpi=kpi, period=f"{period} {YOY}" if yoy else period, by=by, share=share, chart=chart, where=where)


_FOR = {"for", "pour", "on", "sur"}
_ARTICLES = {"the", "le", "la", "les", "l'", "du", "de", "des"}


def _where(words: list[str], i: int, catalog: Catalog, kpi: str) -> tuple[str, int] | None:
    """One value of a breakdown at ``words[i]``: ``channel=referral``, ``for referral``, ``pour le canal
    referral``. Returns ("dimension=value" or "=value", the index after it), or None."""
    word = words[i]
    if "=" in word.strip("="):
        name, _, value = word.partition("=")
        return f"{name}={value}", i + 1
    if word.lower() not in _FOR or i + 1 >= len(words):
        return None
    j = i + 1
    while j < len(words) - 1 and words[j].lower() in _ARTICLES:
        j += 1
    name = ""
    if j + 1 < len(words):
        try:
            name = catalog.dimension(catalog.kpis[kpi], words[j])
            j += 1
        except UnknownDimension:
            name = ""
    if looks_like_period(words[j]) or re.fullmatch(r"[0-9/.\-]+", words[j]):
        return None  # "for last-month" is a period, "on 11/03" a date: not values
    return f"{name}={words[j]}", j + 1


def _unknown(words: list[str], catalog: Catalog) -> UnknownKpi:
    name = words[0] if words else ""
    try:
        catalog.resolve(name)
    except UnknownKpi as exc:
        return exc
    raise AssertionError("resolvable name reported unknown")  # pragma: no cover


def _alert(head: str, words: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if not words:
        return RuleModal()
    sub = words[0].lower()
    if sub in _HISTORY and len(words) == 1:
        return RuleHistory()
    if sub in ("edit", "modifier", "change"):
        ident = _rule_id(words[1:2])
        return EditRule(ident) if ident is not None and len(words) == 2 else BadRule(action="edit")
    if sub in _REMOVE:
        ident = _rule_id(words[1:2])
        return RemoveRule(ident) if ident is not None and len(words) == 2 else BadRule(action="remove")
    if sub in _SNOOZE:
        ident = _rule_id(words[1:2])
        if ident is None or len(words) > 3:
            return BadRule(action="snooze")
        try:
            delta = grammar.parse_duration(words[2] if len(words) == 3 else "1d")
        except RuleError as exc:
            return BadRule(exc, action="snooze")
        return SnoozeRule(ident, int(delta.total_seconds()))
    kpi, rest = catalog.resolve_prefix(words)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    try:
        return CreateRule(grammar.rule_from_words(kpi, rest, catalog, lang, currency))
    except Refusal as exc:
        return BadRule(exc if exc.key else None)


def _rule_id(words: list[str]) -> int | None:
    if len(words) != 1:
        return None
    text = words[0].lstrip("#")
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _digest(head: str, words: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if not words:
        return Digest("show")
    action = words[0].lower()
    if action in ("off", "stop", "arret", "arrêt") and len(words) == 1:
        return Digest("off")
    if action in ("now", "maintenant") and len(words) == 1:
        return Digest("now")
    try:
        spec = grammar.digest_from_words(words, catalog)
    except UnknownKpi as exc:
        return BadKpi(exc)
    except Refusal as exc:
        return BadDigest(exc if exc.key else None)
    return Digest(spec.cadence, spec.at_time, spec.weekday, spec.timezone, spec.kpis, spec.where)


def _target(head: str, words: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if not words:
        return BadTarget()
    kpi, rest = catalog.resolve_prefix(words)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    if not rest:
        return BadTarget()
    try:
        grain, value = grammar.target_from_words(
            rest, catalog.kpis[kpi].unit, lang, currency, catalog.metrics[kpi].positive, catalog.kpis[kpi].name(lang)
        )
    except Refusal as exc:
        return BadTarget(exc if exc.key else None)
    return Target(kpi, grain, value)


_COMMANDS = (  # the first word, and how the rest is read
    (_LIST, _list),
    (_ALERT, _alert),
    (_DIGEST, _digest),
    (_PIN | _UNPIN, _pin),
    (_TARGET, _target),
    (_EXPLAIN, _explain),
    (_SHARE, _share),
)
