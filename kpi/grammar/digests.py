"""Digest subscriptions as typed (`/kpi digest …`) and as picked in the digest form."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpi.catalog import Catalog
from kpi.errors import Refusal
from kpi.grammar.rules import FieldRefusal
from kpi.grammar.words import DAY_WORDS, WEEKDAYS
from kpi.model import alias_key
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
    rest, where = _filter(rest, catalog)
    kpis = [catalog.resolve(word).key for word in rest]
    return DigestSpec("weekly" if weekly else "daily", at_time, day, zone, tuple(dict.fromkeys(kpis)), where)


def _filter(words: list[str], catalog: Catalog) -> tuple[list[str], str | None]:
    """`for organic`, `pour le canal organic`, `channel=organic` among the KPI words: the digest for one value
    of a breakdown (its dimension, when not named, is found in the data when it is subscribed)."""
    for i, word in enumerate(words):
        if "=" in word.strip("="):
            name, _, value = word.partition("=")
            found = _dimension(catalog, name) if name else ""
            if found is None:
                known = sorted({d for metric in catalog.metrics.values() for d in metric.dimensions})
                raise Refusal("err_filter_dimension", name=name[:32], known=", ".join(known))
            return words[:i] + words[i + 1 :], f"{found}={value}"
        if word.lower() in ("for", "pour") and i + 1 < len(words):
            j = i + 1
            while j < len(words) - 1 and words[j].lower() in ("the", "le", "la", "les", "du", "de"):
                j += 1
            name = ""
            if j < len(words) - 1 and (dimension := _dimension(catalog, words[j])) is not None:
                name, j = dimension, j + 1
            return words[:i] + words[j + 1 :], f"{name}={words[j]}"
    return words, None


def _dimension(catalog: Catalog, name: str) -> str | None:
    """A dimension of any KPI, by its name or alias; None when none has it."""
    wanted = catalog.dimension_aliases.get(alias_key(name), alias_key(name).replace("-", "_"))
    return wanted if any(wanted in metric.dimensions for metric in catalog.metrics.values()) else None


def digest_from_fields(values: dict[str, str], catalog: Catalog) -> DigestSpec:
    """The digest form's fields, by the same validators. Raises :class:`FieldRefusal` naming the field."""
    cadence = values["cadence"] if values.get("cadence") in ("daily", "weekly") else "daily"
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
