"""Digest subscriptions as typed (`/kpi digest …`) and as picked in the digest form."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpi.catalog import Catalog
from kpi.errors import Refusal
from kpi.grammar.rules import FieldRefusal
from kpi.grammar.words import DAY_WORDS, WEEKDAYS
from kpi.store.state.records import DigestSpec

_CLOCK = re.compile(r"([0-9]{1,2})[:hH]([0-9]{2})?")  # 09:00, 9h, 9h30 (ASCII digits only)


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
