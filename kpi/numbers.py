"""Numbers as people type them, read with their language's rules (Babel's strict parser).

``€1,500`` in English and ``1 500 €`` in French are fifteen hundred euros; ``1.5k`` and
``1,5 k€`` are fifteen hundred too; ``12%`` is twelve percent. What could mean two things
is refused with a message that shows both ways to write it, never guessed:

* in English the comma groups thousands: ``1,500`` is 1500, ``1,5`` is refused (write ``1.5``),
  and ``1.500`` is refused (``1.5`` or ``1,500``?);
* in French the comma is the decimal mark and a space groups thousands: ``1 500`` is 1500,
  ``1,5`` and ``1.5`` are 1.5, while ``1,500`` and ``1.500`` are refused (``1,5`` or ``1 500``?).

Pure: no database, no Slack. Refusals are :class:`NumberError`, whose ``text(lang)`` is the
message in the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol, parse_decimal

from kpi.errors import Refusal
from kpi.texts import babel_locale

LIMIT = Decimal(10) ** 15
MAX_TYPED = 40
CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP"}
CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "CAD")
SCALES = {"k": Decimal(1000), "K": Decimal(1000), "M": Decimal(1_000_000)}
_MINUS = "-\u2212\u2013"  # hyphen, minus sign (what the bot itself prints), en dash
_SPACES = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space
_SIGN = rf"[+{re.escape(_MINUS)}]"
_CURRENCY = r"(?:[€$£]|(?i:eur|usd|gbp|chf|cad)\b)"
_TYPED = re.compile(
    rf"^(?P<sign1>{_SIGN})?[{_SPACES}]*(?P<cur1>{_CURRENCY})?[{_SPACES}]*(?P<sign2>{_SIGN})?[{_SPACES}]*"
    rf"(?P<core>[0-9][0-9.,{_SPACES}]*|[.,][0-9]+)[{_SPACES}]*"
    rf"(?P<scale>[kKM](?![a-zA-Z]))?[{_SPACES}]*(?P<cur2>{_CURRENCY})?[{_SPACES}]*(?P<percent>%)?$"
)
_AMBIGUOUS = re.compile(r"^([1-9][0-9]{0,2})([.,])([0-9]{3})$")


class NumberError(Refusal):
    """A typed number was refused; ``text(lang)`` says why and how to write it."""


@dataclass(frozen=True)
class Typed:
    """A number as understood: its value, and the signs typed with it."""

    value: Decimal
    percent: bool = False
    currency: str | None = None


def read_number(text: str, lang: str) -> Typed:
    """``text`` as a number, by the rules of ``lang`` ('en' or 'fr'). Raises :class:`NumberError`."""
    raw = (text or "").strip()
    shown = raw[:MAX_TYPED]
    if not raw or len(raw) > MAX_TYPED:
        raise NumberError("num_not_number", text=shown)
    m = _TYPED.match(raw)
    if m is None:
        raise NumberError("num_not_number", text=shown)
    if m["sign1"] and m["sign2"] or m["cur1"] and m["cur2"]:
        raise NumberError("num_not_number", text=shown)
    locale = babel_locale(lang)
    core = _spaces_as_group(m["core"].rstrip(_SPACES), locale)
    ambiguous = _AMBIGUOUS.match(core)
    if ambiguous and ambiguous[2] != get_group_symbol(locale):
        whole, frac = ambiguous[1], ambiguous[3]
        raise NumberError(
            "num_ambiguous",
            text=shown,
            small=format_decimal(Decimal(f"{whole}.{frac}"), locale=locale),
            large=format_decimal(Decimal(whole + frac), locale=locale),
        )
    try:
        value = parse_decimal(core, locale=locale, strict=True)
    except (NumberFormatError, ValueError):
        raise NumberError(
            "num_bad_format", text=shown, example=format_decimal(Decimal("1500.5"), locale=locale)
        ) from None
    if m["scale"]:
        value *= SCALES[m["scale"]]
    if (m["sign1"] or m["sign2"] or "+") in _MINUS:
        value = -value
    if not value.is_finite() or abs(value) > LIMIT:
        raise NumberError("num_out_of_range", text=shown)
    sign = m["cur1"] or m["cur2"]
    currency = CURRENCY_SIGNS.get(sign, sign.upper()) if sign else None
    return Typed(value, percent=bool(m["percent"]), currency=currency)


def _spaces_as_group(core: str, locale: str) -> str:
    """Any kind of space between digits is the thousands separator, in every language."""
    group = get_group_symbol(locale)
    if any(c in core for c in _SPACES):
        if get_decimal_symbol(locale) == "." and group == "," and "," in core:
            return core  # '1 500,5' in English: left as typed, and refused by the parser
        return re.sub(f"[{_SPACES}]", group, core)
    return core


def count(text: str, lang: str, *, low: int, high: int, key: str) -> int:
    """A whole number between ``low`` and ``high`` (``for 2``, ``min 20``); ``key`` names the refusal."""
    try:
        typed = read_number(text, lang)
    except NumberError:
        raise NumberError(key, text=(text or "")[:MAX_TYPED], low=low, high=high) from None
    if (
        typed.percent
        or typed.currency
        or typed.value != typed.value.to_integral_value()
        or not low <= typed.value <= high
    ):
        raise NumberError(key, text=(text or "")[:MAX_TYPED], low=low, high=high)
    return int(typed.value)


def as_typed(value: float, lang: str) -> str:
    """A number as one would type it in ``lang`` (what the forms show back), without grouping (never
    '1e+06'), and never in the shape the reader refuses as ambiguous ('150,125' is written '150,1250')."""
    text = format_decimal(round(value, 8), "0.########", locale=babel_locale(lang))
    return text + "0" if re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", text) else text
