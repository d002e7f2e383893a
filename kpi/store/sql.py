"""The SQL building blocks of a measure: its tables and joins, its value expression, its filters,
its aggregation, and the effective time of cumulative measures. SQLAlchemy Core only: identifiers
come from definition files, every value is a bound parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from typing import cast as cast_any  # `cast` is SQL's CAST here

from sqlalchemy import Date, case, cast, column, distinct, func, literal_column, table
from sqlalchemy.sql import ColumnElement

from kpi.store.dialects import INSTANT, NUMBER, VALUE, Greatest
from kpi.store.expr import BinOp, Expr, Neg, Num, Ref
from kpi.store.specs import FilterSpec, MeasureSpec, Window

Aliases = dict[str | None, Any]  # a measure's tables by join alias (None: its own table), as SQLAlchemy tables


def effective_ranges(
    spec: MeasureSpec, aliases: Aliases, time_col: Any, lower: Any, upper: Any
) -> list[list[ColumnElement[Any]]]:
    """``lower <= effective < upper`` as disjoint condition sets that each bound one plain column
    (so that its index is used): the first column to reach ``lower`` is the one in range."""
    columns = [time_col] + [aliases[f.column.alias].c[f.column.name] for f in spec.filters if f.op == "before_end"]
    out = []
    for j, col in enumerate(columns):
        out.append(
            [col >= lower, col < upper] + [c < lower for c in columns[:j]] + [c < upper for c in columns[j + 1 :]]
        )
    return out


def effective_time(spec: MeasureSpec, aliases: Aliases, time_col: Any) -> Any:
    """For a cumulative measure, the instant a row starts to count: its own time, or later the time its
    period-end filters become true (a sale counts once both it and its customer's acquisition happened).
    ``time < E and acquired_at < E``  ⟺  ``greatest(time, acquired_at) < E``, which is additive by day."""
    later = [aliases[f.column.alias].c[f.column.name] for f in spec.filters if f.op == "before_end"]
    return Greatest(time_col, *later) if later else time_col


@dataclass
class _Tables:
    """Collects which columns each table alias needs, then builds lightweight tables."""

    spec: MeasureSpec
    columns: dict[str | None, dict[str, object]] = field(default_factory=dict)

    def need(self, ref: Ref, type_: Any = None) -> None:
        self.columns.setdefault(ref.alias, {}).setdefault(ref.name, type_)
        if type_ is not None:
            self.columns[ref.alias][ref.name] = type_

    def build(self) -> tuple[Aliases, Any]:
        spec = self.spec
        joins = {j.alias: j for j in spec.joins}
        self.need(Ref(spec.time_column), Date if spec.time_is_date else INSTANT)
        for alias in [a for a in self.columns if a is not None]:
            self.need(Ref(joins[alias].local))
            self.columns[alias].setdefault(joins[alias].remote, None)

        def make(name: str, schema: str | None, cols: dict[str, Any], alias: str) -> Any:
            t = table(name, *(column(c, t) if t is not None else column(c) for c, t in cols.items()), schema=schema)
            return t.alias(alias)

        base = make(spec.table, spec.schema, self.columns[None], "t")
        aliases: Aliases = {None: base}
        source = base
        for key, cols in self.columns.items():
            if key is None:
                continue
            j = joins[key]
            joined = make(j.table, j.schema, cols, f"j_{key}")
            aliases[key] = joined
            source = source.outerjoin(joined, base.c[j.local] == joined.c[j.remote])
        return aliases, source


def _compile(expr: Expr, aliases: Aliases) -> ColumnElement[Any]:
    match expr:
        case Num(value=value):
            return literal_column(repr(float(value)), NUMBER)
        case Ref(name=name, alias=alias):
            found: ColumnElement[Any] = aliases[alias].c[name]
            return found
        case Neg(operand=operand):
            return -_compile(operand, aliases)
        case BinOp(op=op, left=left, right=right):
            a, b = _compile(left, aliases), _compile(right, aliases)
            match op:
                case "+":
                    return a + b
                case "-":
                    return a - b
                case "*":
                    return a * b
                case "/":
                    return cast(a, NUMBER) / func.nullif(cast(b, NUMBER), 0)
    raise AssertionError(expr)


def _walk_refs(expr: Expr | None, out: list[Ref]) -> list[Ref]:
    match expr:
        case None | Num():
            pass
        case Ref():
            out.append(expr)
        case Neg(operand=operand):
            _walk_refs(operand, out)
        case BinOp(left=left, right=right):
            _walk_refs(left, out)
            _walk_refs(right, out)
    return out


def _filter(f: FilterSpec, col: ColumnElement[Any], window: Window) -> ColumnElement[Any]:
    match f.op:
        case "=":
            return col == f.value
        case "!=":
            return col != f.value
        case "<":
            return col < f.value
        case "<=":
            return col <= f.value
        case ">":
            return col > f.value
        case ">=":
            return col >= f.value
        case "in":
            return col.in_(list(cast_any(Any, f.value)))
        case "not in":
            return col.not_in(list(cast_any(Any, f.value)))
        case "is null":
            return col.is_(None)
        case "is not null":
            return col.is_not(None)
        case "before_end":
            return col < (window.end_day if f.is_date else window.end_utc)
    raise AssertionError(f.op)


LIMIT = 1e15  # a value at or beyond this (or infinite) is not a business number: it is left out of sums
# In SQL, an integer literal: compared with a DECIMAL column, it keeps the comparison in decimals. A float
# parameter made PostgreSQL convert every row's NUMERIC to a float first, which doubled a month's scan.
_LIMIT_SQL: ColumnElement[Any] = literal_column(str(int(LIMIT)))


def usable(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """``value`` when it is a usable number, else NULL: an infinity or 1e20 stored by another tool in a
    SQLite column never turns a sum into "no data" (rows left out are counted, see rollup)."""
    return case((func.abs(value) < _LIMIT_SQL, value), else_=None)


def unusable(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """1 for a row whose value is not a usable number (NULL is not counted: it is simply empty)."""
    return case((func.abs(value) >= _LIMIT_SQL, 1), else_=None)


def value_expr(spec: MeasureSpec, aliases: Aliases) -> ColumnElement[Any] | None:
    return _compile(spec.expr, aliases) if spec.expr is not None else None


def _aggregate(spec: MeasureSpec, value: ColumnElement[Any] | None) -> ColumnElement[Any]:
    if value is not None and spec.agg in ("sum", "avg", "min", "max"):
        value = usable(value)
    agg: Any
    match spec.agg:
        case "count":
            agg = func.count() if value is None else func.count(value)
        case "count_distinct":
            agg = func.count(distinct(cast_any(Any, value)))
        case "sum":
            agg = func.sum(value)
        case "avg":
            agg = func.avg(value)
        case "min":
            agg = func.min(value)
        case "max":
            agg = func.max(value)
        case _:
            raise AssertionError(spec.agg)
    return cast(agg, VALUE)


def source_of(spec: MeasureSpec, extra: Sequence[Ref] = ()) -> tuple[Aliases, Any, Any]:
    """The FROM clause (base table and the joins it needs), its aliases and its time column."""
    tables = _Tables(spec)
    for ref in _walk_refs(spec.expr, []):
        tables.need(ref)
    for f in spec.filters:
        tables.need(f.column, (Date if f.is_date else INSTANT) if f.op == "before_end" else None)
    for ref in extra:
        tables.need(ref)
    aliases, source = tables.build()
    return aliases, source, aliases[None].c[spec.time_column]


def value_of(spec: MeasureSpec, aliases: Aliases) -> ColumnElement[Any]:
    return _aggregate(spec, value_expr(spec, aliases))


def filters_of(spec: MeasureSpec, aliases: Aliases, window: Window) -> list[ColumnElement[Any]]:
    return [_filter(f, aliases[f.column.alias].c[f.column.name], window) for f in spec.filters]
