"""The definitions' format: frozen declarative data, parsed from YAML with pydantic.

A definitions file has up to three mappings: ``measures`` (aggregations over one table), ``kpis``
(formulas over measures) and ``dimensions`` (the breakdowns' other names). The built-in catalog,
``kpi/definitions/catalog.yml``, shows every field. What the fields mean together is checked by
:mod:`kpi.validation`; :mod:`kpi.catalog` compiles them.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kpi.periods import normalize
from kpi.store.expr import Ref
from kpi.store.specs import ADDITIVE

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")


class Unit(str, Enum):
    PERCENT = "%"
    CURRENCY = "currency"
    SCORE = "score"
    NUMBER = "number"
    RATIO = "ratio"


class Direction(str, Enum):
    UP = "up"  # higher is better
    DOWN = "down"  # lower is better


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    en: str = Field(min_length=1, max_length=2000)
    fr: str = Field(min_length=1, max_length=2000)

    def __call__(self, lang: str) -> str:
        """The text in ``lang`` (a :data:`Language`; any other reads as English)."""
        return self.fr if lang == "fr" else self.en


class Join(_Frozen):
    table: str
    on: dict[str, str] = Field(min_length=1, max_length=1)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        # YAML 1.1 reads an unquoted `on:` key as the boolean True.
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @property
    def local(self) -> str:
        return next(iter(self.on))

    @property
    def remote(self) -> str:
        return next(iter(self.on.values()))


class Filter(_Frozen):
    column: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null", "before_end"]
    value: str | int | float | bool | list[str | int | float | bool] | None = None
    type: Literal["timestamp", "date"] = "timestamp"

    @field_validator("value")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        """YAML reads 1e309 as infinity: a filter on it would match nothing, silently."""
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not (math.isfinite(v) and abs(v) <= 1e15):
                raise ValueError(f"{v} is not a usable number (finite, at most 1e15)")
        return value


_FRESHNESS = re.compile(r"^([0-9]{1,4})\s*(h|d|w)$")


def freshness_of(text: str) -> timedelta | None:
    """'36h', '2d', '1w' as a duration (None when it is not one, or is zero)."""
    found = _FRESHNESS.match(text.strip().lower())
    if found is None or int(found[1]) == 0:
        return None
    return timedelta(hours=int(found[1]) * {"h": 1, "d": 24, "w": 168}[found[2]])


class Measure(_Frozen):
    label: Text
    table: str
    time: str
    time_type: Literal["timestamp", "date"] = "timestamp"
    agg: Literal["count", "sum", "avg", "min", "max", "count_distinct"]
    expr: str | None = None
    filters: tuple[Filter, ...] = ()
    joins: dict[str, Join] = Field(default_factory=dict)
    dimensions: dict[str, str] = Field(default_factory=dict)
    window: Literal["period", "to_end"] = "period"
    unit: Literal["currency", "number"] = "number"  # how the measure's own value is shown (alert drivers)
    freshness: str | None = None  # its table is stale past this long without a new row ("36h", "2d", "1w")

    @field_validator("freshness")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and freshness_of(value) is None:
            raise ValueError(f"'{value}' is not a duration: write hours, days or weeks, e.g. 36h, 2d, 1w")
        return value

    @property
    def additive(self) -> bool:
        return self.agg in ADDITIVE


class Explanation(_Frozen):
    meaning: Text
    reading: Text
    drivers: Text


class Kpi(_Frozen):
    key: str = ""
    name: Text
    aliases: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()  # what people say for it without its name ("cost per acquisition"), EN and FR
    formula: str
    formula_text: Text | None = None
    unit: Unit
    direction: Direction
    description: Text
    explanation: Explanation
    dimensions: tuple[str, ...] | None = None  # restrict the breakdowns offered


class Dimension(_Frozen):
    """A breakdown's other names (``canal`` for ``channel``), matched in any case and without accents, and
    the labels people use for its values (``Software: [logiciel]``, ``paid_search: [paid search, SEA]``)."""

    aliases: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # what rows without a value are (e.g. "no channel (sales team spend)"); unset: "no channel (unassigned)"
    unset: Text | None = None


class DefinitionsFile(_Frozen):
    measures: dict[str, Measure] = Field(default_factory=dict)
    kpis: dict[str, Kpi] = Field(default_factory=dict)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # more phrases for a KPI of another file


def alias_key(name: str) -> str:
    """How names are compared: any case, without accents, '_' and "'" read as '-'."""
    return normalize(name).replace("_", "-").replace("'", "-")


def ref_of(text: str) -> Ref:
    """`column` or `join_alias.column`."""
    alias, _, name = text.rpartition(".")
    return Ref(name, alias or None)
