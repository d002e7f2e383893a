"""The words of the grammar (operators, changes, weekdays, grains, sensitivities) and how numbers and
durations are read from them."""

from __future__ import annotations

import re
from datetime import timedelta

from kpi.catalog import Unit
from kpi.numbers import MAX_TYPED, NumberError, as_typed, read_number
from kpi.rules import Op, RuleError, RuleKind

# -- words ---------------------------------------------------------------------------------------------

OP_WORDS = {
    ">": Op.GT,
    "<": Op.LT,
    ">=": Op.GE,
    "<=": Op.LE,
    "=>": Op.GE,
    "=<": Op.LE,
    "above": Op.GT,
    "over": Op.GT,
    "au-dessus": Op.GT,
    "dessus": Op.GT,
    "sup": Op.GT,
    "below": Op.LT,
    "under": Op.LT,
    "en-dessous": Op.LT,
    "dessous": Op.LT,
    "sous": Op.LT,
    "inf": Op.LT,
}
CHANGE_WORDS = {
    "drops": False,
    "falls": False,
    "baisse": False,
    "chute": False,
    "rises": True,
    "jumps": True,
    "hausse": True,
    "monte": True,
}
UNUSUAL_WORDS = ("unusual", "anomaly", "anomalies", "inhabituel", "inhabituelle", "anomalie", "anormal", "anormale")
UNUSUAL_GRAINS = {"day": "day", "daily": "day", "jour": "day", "week": "week", "weekly": "week", "semaine": "week"}
SENSITIVITY_WORDS = {
    "low": "low",
    "faible": "low",
    "basse": "low",
    "medium": "medium",
    "moyenne": "medium",
    "moyen": "medium",
    "high": "high",
    "haute": "high",
    "forte": "high",
    "élevée": "high",
    "elevee": "high",
}
TARGET_WORDS = ("target", "objectif", "goal")
MARGIN_WORDS = ("margin", "marge", "tolerance", "tolérance")
DEFAULT_MARGIN = 0.05  # a target rule tolerates a projection this far below the target's pace
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # stored as their index; shown and picked as is
DAY_WORDS = {
    "mon": 0,
    "monday": 0,
    "lun": 0,
    "lundi": 0,
    "tue": 1,
    "tuesday": 1,
    "mar": 1,
    "mardi": 1,
    "wed": 2,
    "wednesday": 2,
    "mer": 2,
    "mercredi": 2,
    "thu": 3,
    "thursday": 3,
    "jeu": 3,
    "jeudi": 3,
    "fri": 4,
    "friday": 4,
    "ven": 4,
    "vendredi": 4,
    "sat": 5,
    "saturday": 5,
    "sam": 5,
    "samedi": 5,
    "sun": 6,
    "sunday": 6,
    "dim": 6,
    "dimanche": 6,
}
GRAINS = {
    "week": "week",
    "semaine": "week",
    "month": "month",
    "mois": "month",
    "quarter": "quarter",
    "trimestre": "quarter",
    "year": "year",
    "annee": "year",
    "année": "year",
}
REPEATS = {"1h": 3600, "6h": 21600, "12h": 43200, "24h": 86400, "1w": 604800}  # the form's choices
_DURATION = re.compile(r"^([0-9]{1,4})\s*(m|min|h|d|j|w)$")


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
    delta = {
        "m": timedelta(minutes=n),
        "min": timedelta(minutes=n),
        "h": timedelta(hours=n),
        "d": timedelta(days=n),
        "j": timedelta(days=n),
        "w": timedelta(weeks=n),
    }[unit]
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
