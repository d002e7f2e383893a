"""What to aggregate, as frozen data: a measure (table, time column, aggregation, filters, joins,
dimensions), and the bounds of one window. Built by the catalog, read by the SQL builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from kpi.store.expr import Expr, Ref

Agg = Literal["count", "sum", "avg", "min", "max", "count_distinct"]
FilterOp = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null", "before_end"]
ADDITIVE: frozenset[str] = frozenset({"count", "sum", "count_distinct"})


@dataclass(frozen=True)
class JoinSpec:
    alias: str
    table: str
    local: str  # column of the measure's table
    remote: str  # column of the joined table
    schema: str | None = None


@dataclass(frozen=True)
class FilterSpec:
    column: Ref
    op: FilterOp
    value: object = None
    is_date: bool = False  # for before_end: compare with the end day instead of the end instant


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    table: str
    time_column: str
    time_is_date: bool
    agg: Agg
    expr: Expr | None = None
    filters: tuple[FilterSpec, ...] = ()
    joins: tuple[JoinSpec, ...] = ()
    to_end: bool = False  # cumulative: everything before the window's end
    schema: str | None = None
    dimensions: tuple[Ref, ...] = ()  # every column the measure can be broken down by


@dataclass(frozen=True)
class Window:
    """One period's bounds, in the forms the two kinds of time column need."""

    start_utc: datetime  # naive UTC
    end_utc: datetime
    first_day: date  # DATE columns: first_day <= day < end_day
    end_day: date
    whole_end: date | None = None  # days in [first_day, whole_end) lie entirely inside the window
    cumulative_from: datetime | None = None  # cumulative measures: only what became true from here on
