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

import re
from dataclasses import dataclass

from kpi import alerts as al
from kpi.catalog import Catalog
from kpi.errors import Refusal, UnknownKpi
from kpi.numbers import NumberError, count, read_number
from kpi.periods import looks_like_period, period_suggestions

MAX_TEXT = 500
DEFAULT_PERIOD = "month"

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
_DAYS = {"mon": 0, "monday": 0, "lun": 0, "lundi": 0, "tue": 1, "tuesday": 1, "mar": 1, "mardi": 1,
         "wed": 2, "wednesday": 2, "mer": 2, "mercredi": 2, "thu": 3, "thursday": 3, "jeu": 3, "jeudi": 3,
         "fri": 4, "friday": 4, "ven": 4, "vendredi": 4, "sat": 5, "saturday": 5, "sam": 5, "samedi": 5,
         "sun": 6, "sunday": 6, "dim": 6, "dimanche": 6}


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
    chart: bool = False


# -- errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TooLong:
    length: int


@dataclass(frozen=True)
class NotUnderstood:
    words: str
    suggestions: tuple[str, ...] = ()   # period words close to what was typed ('lastmonth' -> 'last-month')


@dataclass(frozen=True)
class MissingKpi:
    command: str = "explain"   # the command that lacked its KPI, for the example in the answer


@dataclass(frozen=True)
class BadKpi:
    error: UnknownKpi


@dataclass(frozen=True)
class ListRules:
    pass


@dataclass(frozen=True)
class RuleModal:
    pass


@dataclass(frozen=True)
class CreateRule:
    spec: al.RuleSpec


@dataclass(frozen=True)
class EditRule:
    rule_id: int


@dataclass(frozen=True)
class RemoveRule:
    rule_id: int


@dataclass(frozen=True)
class SnoozeRule:
    rule_id: int
    seconds: int


@dataclass(frozen=True)
class RuleHistory:
    pass


@dataclass(frozen=True)
class Digest:
    action: str                      # daily | weekly | off | now | show
    at_time: str | None = None       # HH:MM
    weekday: int | None = None
    timezone: str | None = None
    kpis: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pin:
    kpi: str
    on: bool = True


@dataclass(frozen=True)
class Target:
    kpi: str
    grain: str
    value: float | None  # None: remove it


@dataclass(frozen=True)
class BadTarget:
    problem: Refusal | None = None   # None: show the usage


@dataclass(frozen=True)
class BadRule:
    problem: Refusal | None = None   # None: show the usage
    action: str = "create"           # create | snooze | remove | edit: which usage and apology fit


@dataclass(frozen=True)
class BadDigest:
    problem: Refusal | None = None


Command = Help | ListKpis | Explain | Ask | ListRules | RuleModal | CreateRule | RemoveRule | SnoozeRule \
    | RuleHistory | Digest | Pin | Target | EditRule
ParseError = TooLong | NotUnderstood | MissingKpi | BadKpi | BadRule | BadDigest | BadTarget


def parse(text: str | None, catalog: Catalog, lang: str = "en", currency: str = "EUR") -> Command | ParseError:
    """``lang`` and ``currency`` are how numbers are read (`€1,500` in English, `1 500 €` in French)."""
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
    if head in _ALERTS and len(words) == 1:
        return ListRules()
    if head in _ALERT:
        return _alert(words[1:], catalog, lang, currency)
    if head in _DIGEST:
        return _digest(words[1:], catalog)
    if head in ("pin", "epingler", "épingler", "unpin", "desepingler", "désépingler"):
        if len(words) == 1:
            return MissingKpi(head)
        kpi, rest = _kpi_prefix(words[1:], catalog)
        if kpi is None:
            return BadKpi(_unknown(words[1:], catalog))
        return Pin(kpi, head in ("pin", "epingler", "épingler")) if not rest else NotUnderstood(" ".join(rest))
    if head in ("target", "objectif"):
        return _target(words[1:], catalog, lang, currency)
    if head in _EXPLAIN:
        if len(words) == 1:
            return MissingKpi(head)
        kpi, rest = _kpi_prefix(words[1:], catalog)
        if kpi is None:
            return BadKpi(_unknown(words[1:], catalog))
        return Explain(kpi) if not rest else NotUnderstood(" ".join(rest))
    share = head in _SHARE
    if share:
        words = words[1:]
        if not words:
            return MissingKpi(head)
    kpi, rest = _kpi_prefix(words, catalog)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    period, by, leftover, chart = None, None, [], False
    i = 0
    while i < len(rest):
        word = rest[i]
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
    return Ask(kpi=kpi, period=period or DEFAULT_PERIOD, by=by, share=share, chart=chart)


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


def _alert(words: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
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
            delta = al.parse_duration(words[2] if len(words) == 3 else "1d")
        except al.RuleError as exc:
            return BadRule(exc, action="snooze")
        return SnoozeRule(ident, int(delta.total_seconds()))
    kpi, rest = _kpi_prefix(words, catalog)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    try:
        return CreateRule(rule_spec(kpi, rest, catalog, lang, currency))
    except Refusal as exc:
        return BadRule(exc if exc.key else None)


def _rule_id(words: list[str]) -> int | None:
    if len(words) != 1:
        return None
    text = words[0].lstrip("#")
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def rule_spec(kpi: str, words_in: list[str], catalog: Catalog, lang: str = "en", currency: str = "EUR") -> al.RuleSpec:
    """`OP VALUE [WINDOW] [for N] [recover V] [min N] [repeat D]` or `drops|rises N% [WINDOW] …`.

    Numbers are read with ``lang``'s rules and may span several words (`1 500 €`)."""
    unit = catalog.kpis[kpi].unit
    words = list(words_in)
    if len(words) >= 2 and words[0].lower() in ("au", "en") and words[1].lower() in ("dessus", "dessous"):
        words = [f"{words[0]}-{words[1]}".lower()] + words[2:]
    if not words:
        raise al.RuleError()
    head = words[0].lower()
    if head not in al.CHANGE_WORDS and head not in al.OP_WORDS:
        raise al.RuleError()
    value_text, rest = _number_words(words[1:], lang)
    if value_text is None:
        raise al.RuleError()
    if head in al.CHANGE_WORDS:
        up = al.CHANGE_WORDS[head]
        pct = al.parse_change(value_text, lang)
        kind, op, threshold = al.RuleKind.CHANGE, (al.Op.GE if up else al.Op.LE), (pct if up else -pct)
    else:
        kind, op, threshold = (al.RuleKind.THRESHOLD, al.OP_WORDS[head],
                               al.parse_threshold(value_text, unit, lang, currency))
    window = al.DEFAULT_WINDOW
    options: dict = {}
    first = True
    while rest:
        word = rest[0].lower()
        if word in ("for", "pendant") and len(rest) > 1:
            options["for_count"] = count(rest[1], lang, low=1, high=100, key="rule_bad_for")
            rest = rest[2:]
        elif word in ("recover", "retour", "recovery") and len(rest) > 1:
            value, rest = _number_words(rest[1:], lang)
            if value is None:
                raise al.RuleError("num_not_number", text=rest[0][:32] if rest else "")
            options["recovery"] = (al.parse_threshold(value, unit, lang, currency) if kind is al.RuleKind.THRESHOLD
                                   else al.parse_change(value, lang) * (1 if op.upward else -1))
        elif word in ("min", "minimum") and len(rest) > 1:
            options["min_denominator"] = float(count(rest[1], lang, low=0, high=10**9, key="rule_bad_min"))
            rest = rest[2:]
        elif word in ("repeat", "every", "rappel") and len(rest) > 1:
            options["repeat_seconds"] = int(al.parse_duration(rest[1]).total_seconds())
            rest = rest[2:]
        elif first and looks_like_period(rest[0]):
            window = al.check_window(rest[0])
            rest = rest[1:]
        else:
            raise al.RuleError("rule_not_understood", text=rest[0][:32])
        first = False
    recovery = options.get("recovery")
    if recovery is not None and ((op.upward and recovery > threshold) or (not op.upward and recovery < threshold)):
        raise al.RuleError("rule_bad_recovery")
    return al.RuleSpec(kpi=kpi, kind=kind, op=op, threshold=threshold, window=window, **options)


def _number_words(words: list[str], lang: str) -> tuple[str | None, list[str]]:
    """The longest leading run of words that reads as one number (`1 500 €`, `12 %`, `€ 1,500`), and the
    rest. When no run reads, the first word is returned so that its refusal says why."""
    for n in range(min(len(words), 5), 0, -1):
        text = " ".join(words[:n])
        try:
            read_number(text, lang)
        except NumberError:
            continue
        return text, words[n:]
    if not words:
        return None, []
    read_number(words[0], lang)  # raises the precise refusal (ambiguous, bad format…)
    return words[0], words[1:]  # pragma: no cover - read_number refused it above


def _digest(words: list[str], catalog: Catalog) -> Command | ParseError:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not words:
        return Digest("show")
    action = words[0].lower()
    if action in ("off", "stop", "arret", "arrêt") and len(words) == 1:
        return Digest("off")
    if action in ("now", "maintenant") and len(words) == 1:
        return Digest("now")
    if action not in ("daily", "weekly", "quotidien", "hebdo", "hebdomadaire"):
        return BadDigest()
    weekly = action in ("weekly", "hebdo", "hebdomadaire")
    rest = words[1:]
    weekday = None
    if weekly:
        if not rest or rest[0].lower().rstrip(".") not in _DAYS:
            return BadDigest(Refusal("digest_which_day"))
        weekday = _DAYS[rest[0].lower().rstrip(".")]
        rest = rest[1:]
    at_time = "09:00"
    if rest and (":" in rest[0] or rest[0][-1:] in "hH"):
        m = re.fullmatch(r"([0-9]{1,2})[:hH]([0-9]{2})?", rest[0])  # 09:00, 9h, 9h30 (ASCII digits only)
        if m is None or int(m[1]) > 23 or int(m[2] or 0) > 59:
            return BadDigest(Refusal("digest_bad_time", text=rest[0][:16]))
        at_time = f"{int(m[1]):02d}:{int(m[2] or 0):02d}"
        rest = rest[1:]
    timezone_name = None
    if rest and "/" in rest[0] or (rest and rest[0].upper() == "UTC"):
        try:
            ZoneInfo(rest[0])
            timezone_name = rest[0]
        except (ZoneInfoNotFoundError, ValueError):
            return BadDigest(Refusal("err_timezone", value=rest[0][:40]))
        rest = rest[1:]
    kpis = []
    for word in rest:
        try:
            kpis.append(catalog.resolve(word).key)
        except UnknownKpi as exc:
            return BadKpi(exc)
    return Digest("weekly" if weekly else "daily", at_time, weekday, timezone_name, tuple(dict.fromkeys(kpis)))


_GRAINS = {"week": "week", "semaine": "week", "month": "month", "mois": "month", "quarter": "quarter",
           "trimestre": "quarter", "year": "year", "annee": "year", "année": "year"}


def _target(words: list[str], catalog: Catalog, lang: str, currency: str) -> Command | ParseError:
    if not words:
        return BadTarget()
    kpi, rest = _kpi_prefix(words, catalog)
    if kpi is None:
        return BadKpi(_unknown(words, catalog))
    if not rest:
        return BadTarget()
    grain = _GRAINS.get(rest[-1].lower(), None) if len(rest) > 1 else None
    body = rest[:-1] if grain else rest
    grain = grain or "month"
    if len(body) == 1 and body[0].lower() in ("off", "none", "aucun", "supprimer"):
        return Target(kpi, grain, None)
    try:
        text, left = _number_words(body, lang)
        if text is None or left:
            return BadTarget()
        value = al.parse_threshold(text, catalog.kpis[kpi].unit, lang, currency)
    except Refusal as exc:
        return BadTarget(exc)
    return Target(kpi, grain, value)
