"""The words of rules, targets and digests, in English and French: one grammar for the command and the forms.

What people type (`/kpi alert cac > €1,500 30d for 2`, `/kpi digest weekly lundi 9h Europe/Paris`) and
what they pick in a form (the rule and digest modals) become the same typed values (:class:`RuleSpec`,
:class:`DigestSpec`) through the same validators. Numbers are read with the language's rules
(:mod:`kpi.numbers`); a refusal is a :class:`~kpi.errors.Refusal` that says what is accepted.
Pure: no Slack, no database, no clock.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpi.catalog import Catalog, Unit
from kpi.errors import Refusal
from kpi.numbers import MAX_TYPED, NumberError, as_typed, count, read_number
from kpi.periods import looks_like_period
from kpi.rules import DEFAULT_REPEAT, DEFAULT_WINDOW, Op, RuleError, RuleKind, RuleSpec, check_window
from kpi.store.state.records import DigestSpec

# -- words ---------------------------------------------------------------------------------------------

OP_WORDS = {
    ">": Op.GT, "<": Op.LT, ">=": Op.GE, "<=": Op.LE, "=>": Op.GE, "=<": Op.LE,
    "above": Op.GT, "over": Op.GT, "au-dessus": Op.GT, "dessus": Op.GT, "sup": Op.GT,
    "below": Op.LT, "under": Op.LT, "en-dessous": Op.LT, "dessous": Op.LT, "sous": Op.LT, "inf": Op.LT,
}
CHANGE_WORDS = {"drops": False, "falls": False, "baisse": False, "chute": False,
                "rises": True, "jumps": True, "hausse": True, "monte": True}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # stored as their index; shown and picked as is
DAY_WORDS = {"mon": 0, "monday": 0, "lun": 0, "lundi": 0, "tue": 1, "tuesday": 1, "mar": 1, "mardi": 1,
             "wed": 2, "wednesday": 2, "mer": 2, "mercredi": 2, "thu": 3, "thursday": 3, "jeu": 3, "jeudi": 3,
             "fri": 4, "friday": 4, "ven": 4, "vendredi": 4, "sat": 5, "saturday": 5, "sam": 5, "samedi": 5,
             "sun": 6, "sunday": 6, "dim": 6, "dimanche": 6}
GRAINS = {"week": "week", "semaine": "week", "month": "month", "mois": "month", "quarter": "quarter",
          "trimestre": "quarter", "year": "year", "annee": "year", "année": "year"}
REPEATS = {"1h": 3600, "6h": 21600, "12h": 43200, "24h": 86400, "1w": 604800}  # the form's choices
_DURATION = re.compile(r"^([0-9]{1,4})\s*(m|min|h|d|j|w)$")
_CLOCK = re.compile(r"([0-9]{1,2})[:hH]([0-9]{2})?")  # 09:00, 9h, 9h30 (ASCII digits only)


# -- numbers and durations -----------------------------------------------------------------------------


def parse_threshold(text: str, unit: Unit, lang: str = "en", currency: str = "EUR") -> float:
    """A threshold or target in the KPI's unit, read with ``lang``'s rules (see :mod:`kpi.numbers`).

    One rule for % KPIs: a number is in percent points, with or without the sign ('12' and '12%'
    are both 12 %, '0.5' is 0.5 %). Money may carry the currency sign or code, never another one."""
    typed = read_number(text, lang)
    shown = text.strip()[:MAX_TYPED]
    match unit:
        case Unit.PERCENT:
            if typed.currency:
                raise RuleError("num_not_money", text=shown)
            return float(typed.value / 100)
        case Unit.CURRENCY:
            if typed.percent:
                raise RuleError("num_not_percent", text=shown)
            if typed.currency and typed.currency != currency.upper():
                raise RuleError("num_wrong_currency", text=shown, currency=currency.upper())
            return float(typed.value)
        case Unit.SCORE | Unit.NUMBER | Unit.RATIO:
            if typed.percent:
                raise RuleError("num_not_percent", text=shown)
            if typed.currency:
                raise RuleError("num_not_money", text=shown)
            return float(typed.value)
    raise AssertionError(unit)


def parse_change(text: str, lang: str = "en") -> float:
    """A change in percent points, with or without the sign: '20%' and '20' -> 0.2."""
    typed = read_number(text, lang)
    if typed.currency or typed.value <= 0:
        raise RuleError("rule_bad_change", text=text.strip()[:MAX_TYPED])
    return float(typed.value / 100)


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `1d` (`1j`), `1w`: between a minute and a year."""
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise RuleError("rule_bad_duration", text=text.strip()[:MAX_TYPED])
    n, unit = int(m.group(1)), m.group(2)
    delta = {"m": timedelta(minutes=n), "min": timedelta(minutes=n), "h": timedelta(hours=n),
             "d": timedelta(days=n), "j": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    if not timedelta(minutes=1) <= delta <= timedelta(days=365):
        raise RuleError("rule_duration_range", text=text.strip()[:MAX_TYPED])
    return delta


def number_words(words: list[str], lang: str) -> tuple[str | None, list[str]]:
    """The longest leading run of words that reads as one number (`1 500 €`, `12 %`, `€ 1,500`), and the
    rest. When no run reads, the first word is refused with the reason (ambiguous, bad format…)."""
    for n in range(min(len(words), 5), 0, -1):
        text = " ".join(words[:n])
        try:
            read_number(text, lang)
        except NumberError:
            continue
        return text, words[n:]
    if not words:
        return None, []
    read_number(words[0], lang)  # raises the precise refusal
    return words[0], words[1:]  # pragma: no cover - read_number refused it above


def threshold_as_typed(kind: RuleKind, threshold: float, unit: Unit | None, lang: str) -> str:
    """A stored threshold as the rule form shows it: the inverse of :func:`parse_threshold` and
    :func:`parse_change`."""
    if kind is RuleKind.CHANGE:
        return as_typed(abs(threshold) * 100, lang) + "%"
    if unit is Unit.PERCENT:
        return as_typed(threshold * 100, lang) + "%"
    return as_typed(threshold, lang)


# -- rules ---------------------------------------------------------------------------------------------


def _condition(head: str, value_text: str, unit: Unit, lang: str, currency: str) -> tuple[RuleKind, Op, float]:
    if head in CHANGE_WORDS:
        up = CHANGE_WORDS[head]
        pct = parse_change(value_text, lang)
        return RuleKind.CHANGE, (Op.GE if up else Op.LE), (pct if up else -pct)
    if head in OP_WORDS:
        return RuleKind.THRESHOLD, OP_WORDS[head], parse_threshold(value_text, unit, lang, currency)
    raise RuleError()


def _checked(spec: RuleSpec) -> RuleSpec:
    """What holds for every rule, however it was written."""
    recovery, upward = spec.recovery, spec.op.upward
    if recovery is not None and ((upward and recovery > spec.threshold) or (not upward and recovery < spec.threshold)):
        raise RuleError("rule_bad_recovery")
    return spec


def rule_from_words(kpi: str, words_in: list[str], catalog: Catalog, lang: str = "en",
                    currency: str = "EUR") -> RuleSpec:
    """`OP VALUE [WINDOW] [for N] [recover V] [min N] [repeat D]` or `drops|rises N% [WINDOW] …`.

    Numbers are read with ``lang``'s rules and may span several words (`1 500 €`)."""
    unit = catalog.kpis[kpi].unit
    words = list(words_in)
    if len(words) >= 2 and words[0].lower() in ("au", "en") and words[1].lower() in ("dessus", "dessous"):
        words = [f"{words[0]}-{words[1]}".lower()] + words[2:]
    if not words or (words[0].lower() not in CHANGE_WORDS and words[0].lower() not in OP_WORDS):
        raise RuleError()
    value_text, rest = number_words(words[1:], lang)
    if value_text is None:
        raise RuleError()
    kind, op, threshold = _condition(words[0].lower(), value_text, unit, lang, currency)
    window = DEFAULT_WINDOW
    options: dict = {}
    first = True
    while rest:
        word = rest[0].lower()
        if word in ("for", "pendant") and len(rest) > 1:
            options["for_count"] = count(rest[1], lang, low=1, high=100, key="rule_bad_for")
            rest = rest[2:]
        elif word in ("recover", "retour", "recovery") and len(rest) > 1:
            value, rest = number_words(rest[1:], lang)
            if value is None:
                raise RuleError("num_not_number", text=rest[0][:32] if rest else "")
            options["recovery"] = (parse_threshold(value, unit, lang, currency) if kind is RuleKind.THRESHOLD
                                   else parse_change(value, lang) * (1 if op.upward else -1))
        elif word in ("min", "minimum") and len(rest) > 1:
            options["min_denominator"] = float(count(rest[1], lang, low=0, high=10**9, key="rule_bad_min"))
            rest = rest[2:]
        elif word in ("repeat", "every", "rappel") and len(rest) > 1:
            options["repeat_seconds"] = int(parse_duration(rest[1]).total_seconds())
            rest = rest[2:]
        elif first and looks_like_period(rest[0]):
            window = check_window(rest[0])
            rest = rest[1:]
        else:
            raise RuleError("rule_not_understood", text=rest[0][:32])
        first = False
    return _checked(RuleSpec(kpi=kpi, kind=kind, op=op, threshold=threshold, window=window, **options))


class FieldRefusal(Exception):
    """The form's fields that cannot be taken as filled: each field's name, and why."""

    def __init__(self, errors: dict[str, Refusal]):
        super().__init__(", ".join(errors))
        self.errors = errors


def rule_from_fields(values: dict[str, str], catalog: Catalog, lang: str = "en", currency: str = "EUR") -> RuleSpec:
    """The rule form's fields (kpi, op, threshold, window, for, repeat), read by the same validators as
    the command. Raises :class:`FieldRefusal` naming the field."""
    kpi = values.get("kpi", "")
    if kpi not in catalog.kpis:
        raise FieldRefusal({"kpi": Refusal("err_missing_kpi")})
    head = values.get("op", "").lower()
    try:
        text, rest = number_words((values.get("threshold") or "").split(), lang)
        if text is None or rest:
            raise RuleError()
        kind, op, threshold = _condition(head, text, catalog.kpis[kpi].unit, lang, currency)
    except Refusal as exc:
        raise FieldRefusal({"threshold": exc}) from None
    try:
        window = check_window(values.get("window") or DEFAULT_WINDOW)
    except Refusal as exc:
        raise FieldRefusal({"window": exc}) from None
    try:
        for_count = count(values.get("for") or "1", lang, low=1, high=100, key="rule_bad_for")
    except Refusal as exc:
        raise FieldRefusal({"for": exc}) from None
    try:
        repeat = int(parse_duration(values.get("repeat") or "24h").total_seconds())
    except Refusal as exc:
        raise FieldRefusal({"repeat": exc}) from None
    return _checked(RuleSpec(kpi=kpi, kind=kind, op=op, threshold=threshold, window=window, for_count=for_count,
                             repeat_seconds=repeat or DEFAULT_REPEAT))


def target_from_words(words: list[str], unit: Unit, lang: str, currency: str) -> tuple[str, float | None]:
    """`VALUE [GRAIN]` or `off [GRAIN]` after the KPI: the grain (month by default) and the value (None: off)."""
    grain = GRAINS.get(words[-1].lower()) if len(words) > 1 else None
    body = words[:-1] if grain else words
    grain = grain or "month"
    if len(body) == 1 and body[0].lower() in ("off", "none", "aucun", "supprimer"):
        return grain, None
    text, left = number_words(body, lang)
    if text is None or left:
        raise RuleError()
    return grain, parse_threshold(text, unit, lang, currency)


# -- digests -------------------------------------------------------------------------------------------


def clock_time(text: str) -> str:
    """`09:00`, `9h`, `9h30` -> `HH:MM`."""
    m = _CLOCK.fullmatch(text)
    if m is None or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise Refusal("digest_bad_time", text=text[:16])
    return f"{int(m[1]):02d}:{int(m[2] or 0):02d}"


def time_zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refusal("err_timezone", value=text[:40]) from None
    return text


def weekday(text: str) -> int:
    day = DAY_WORDS.get(text.lower().rstrip("."))
    if day is None:
        raise Refusal("digest_which_day")
    return day


def digest_from_words(words: list[str], catalog: Catalog) -> DigestSpec:
    """`daily|weekly [DAY] [HH:MM|9h] [Area/City|UTC] [KPI…]` (French words too). Raises UnknownKpi for a KPI."""
    action = words[0].lower() if words else ""
    if action not in ("daily", "weekly", "quotidien", "hebdo", "hebdomadaire"):
        raise Refusal("")
    weekly = action in ("weekly", "hebdo", "hebdomadaire")
    rest = words[1:]
    day = None
    if weekly:
        day = weekday(rest[0] if rest else "")
        rest = rest[1:]
    at_time = "09:00"
    if rest and (":" in rest[0] or rest[0][-1:] in "hH" or _CLOCK.fullmatch(rest[0])):  # 09:00, 9h, 9h30
        at_time = clock_time(rest[0])
        rest = rest[1:]
    zone = None
    if rest and ("/" in rest[0] or rest[0].upper() == "UTC"):
        zone = time_zone(rest[0])
        rest = rest[1:]
    kpis = [catalog.resolve(word).key for word in rest]
    return DigestSpec("weekly" if weekly else "daily", at_time, day, zone, tuple(dict.fromkeys(kpis)))


def digest_from_fields(values: dict[str, str], catalog: Catalog) -> DigestSpec:
    """The digest form's fields, by the same validators. Raises :class:`FieldRefusal` naming the field."""
    cadence = values.get("cadence") if values.get("cadence") in ("daily", "weekly") else "daily"
    errors: dict[str, Refusal] = {}
    zone = values.get("timezone", "").strip()
    try:
        time_zone(zone)
    except Refusal as exc:
        errors["timezone"] = exc
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", values.get("time", "")):
        errors["time"] = Refusal("err_digest_usage")
    day = WEEKDAYS.index(values["weekday"]) if values.get("weekday") in WEEKDAYS else None
    if cadence == "weekly" and day is None:
        errors["weekday"] = Refusal("err_weekday")
    if errors:
        raise FieldRefusal(errors)
    kpis = tuple(k for k in values.get("kpis", "").split(",") if k in catalog.kpis)
    return DigestSpec(cadence, values["time"], day if cadence == "weekly" else None, zone or None, kpis)
