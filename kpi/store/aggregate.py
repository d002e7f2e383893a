"""Aggregate push-down: one SQL query answers every measure × window (× dimension value).

The caller describes *what* to aggregate with frozen specs; this module builds
SQLAlchemy Core statements (identifiers from definition files only, every value
a bound parameter) and returns a small long-format frame::

    measure  window  key   value
    leads    0       None  412.0
    leads    1       None  388.0

Fact tables are never read into memory: the database does the grouping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import pandas as pd
from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Text,
    and_,
    case,
    cast,
    column,
    distinct,
    func,
    literal_column,
    null,
    select,
    table,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from kpi.errors import SourceError, SourceTimeout
from kpi.store.engines import limits, within
from kpi.store.expr import BinOp, Expr, Neg, Num, Ref

log = logging.getLogger(__name__)

Agg = Literal["count", "sum", "avg", "min", "max", "count_distinct"]
FilterOp = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null", "before_end"]
ADDITIVE: frozenset[str] = frozenset({"count", "sum", "count_distinct"})


@dataclass(frozen=True)
class JoinSpec:
    alias: str
    table: str
    local: str   # column of the measure's table
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
    first_day: date      # DATE columns: first_day <= day < end_day
    end_day: date
    whole_end: date | None = None  # days in [first_day, whole_end) lie entirely inside the window
    cumulative_from: datetime | None = None  # cumulative measures: only what became true from here on


class Greatest(FunctionElement):
    """GREATEST(a, b, …): the later of several instants (SQLite spells it MAX with several arguments)."""

    inherit_cache = True
    name = "greatest"


@compiles(Greatest)
def _greatest_default(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(Greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"MAX({compiler.process(element.clauses, **kw)})"


def effective_ranges(spec: "MeasureSpec", aliases, time_col, lower, upper) -> list[list[ColumnElement]]:
    """``lower <= effective < upper`` as disjoint condition sets that each bound one plain column
    (so that its index is used): the first column to reach ``lower`` is the one in range."""
    columns = [time_col] + [aliases[f.column.alias].c[f.column.name] for f in spec.filters if f.op == "before_end"]
    out = []
    for j, col in enumerate(columns):
        out.append([col >= lower, col < upper]
                   + [c < lower for c in columns[:j]]
                   + [c < upper for c in columns[j + 1:]])
    return out


def effective_time(spec: "MeasureSpec", aliases, time_col):
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

    def need(self, ref: Ref, type_=None) -> None:
        self.columns.setdefault(ref.alias, {}).setdefault(ref.name, type_)
        if type_ is not None:
            self.columns[ref.alias][ref.name] = type_

    def build(self):
        spec = self.spec
        joins = {j.alias: j for j in spec.joins}
        self.need(Ref(spec.time_column), Date if spec.time_is_date else DateTime)
        for alias in [a for a in self.columns if a is not None]:
            self.need(Ref(joins[alias].local))
            self.columns[alias].setdefault(joins[alias].remote, None)

        def make(name: str, schema: str | None, cols: dict[str, object], alias: str):
            t = table(name, *(column(c, t) if t is not None else column(c) for c, t in cols.items()),
                      schema=schema)
            return t.alias(alias)

        base = make(spec.table, spec.schema, self.columns[None], "t")
        aliases = {None: base}
        source = base
        for alias, cols in self.columns.items():
            if alias is None:
                continue
            j = joins[alias]
            joined = make(j.table, j.schema, cols, f"j_{alias}")
            aliases[alias] = joined
            source = source.outerjoin(joined, base.c[j.local] == joined.c[j.remote])
        return aliases, source


def _compile(expr: Expr, aliases) -> ColumnElement:
    match expr:
        case Num(value=value):
            return literal_column(repr(float(value)), Float)
        case Ref(name=name, alias=alias):
            return aliases[alias].c[name]
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
                    return cast(a, Float) / func.nullif(cast(b, Float), 0)
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


def _filter(f: FilterSpec, col: ColumnElement, window: Window) -> ColumnElement:
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
            return col.in_(list(f.value))  # type: ignore[arg-type]
        case "not in":
            return col.not_in(list(f.value))  # type: ignore[arg-type]
        case "is null":
            return col.is_(None)
        case "is not null":
            return col.is_not(None)
        case "before_end":
            return col < (window.end_day if f.is_date else window.end_utc)
    raise AssertionError(f.op)


LIMIT = 1e15  # a value at or beyond this (or infinite) is not a business number: it is left out of sums


def usable(value: ColumnElement) -> ColumnElement:
    """``value`` when it is a usable number, else NULL: an infinity or 1e20 stored by another tool in a
    SQLite column never turns a sum into "no data" (rows left out are counted, see rollup)."""
    return case((func.abs(value) < LIMIT, value), else_=None)


def unusable(value: ColumnElement) -> ColumnElement:
    """1 for a row whose value is not a usable number (NULL is not counted: it is simply empty)."""
    return case((func.abs(value) >= LIMIT, 1), else_=None)


def value_expr(spec: MeasureSpec, aliases) -> ColumnElement | None:
    return _compile(spec.expr, aliases) if spec.expr is not None else None


def _aggregate(spec: MeasureSpec, value: ColumnElement | None) -> ColumnElement:
    if value is not None and spec.agg in ("sum", "avg", "min", "max"):
        value = usable(value)
    match spec.agg:
        case "count":
            agg = func.count() if value is None else func.count(value)
        case "count_distinct":
            agg = func.count(distinct(value))
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
    return cast(agg, Float)


def source_of(spec: MeasureSpec, extra: list[Ref] = ()):  # type: ignore[assignment]
    """The FROM clause (base table and the joins it needs), its aliases and its time column."""
    tables = _Tables(spec)
    for ref in _walk_refs(spec.expr, []):
        tables.need(ref)
    for f in spec.filters:
        tables.need(f.column, (Date if f.is_date else DateTime) if f.op == "before_end" else None)
    for ref in extra:
        tables.need(ref)
    aliases, source = tables.build()
    return aliases, source, aliases[None].c[spec.time_column]


def value_of(spec: MeasureSpec, aliases) -> ColumnElement:
    return _aggregate(spec, value_expr(spec, aliases))


def filters_of(spec: MeasureSpec, aliases, window: Window) -> list[ColumnElement]:
    return [_filter(f, aliases[f.column.alias].c[f.column.name], window) for f in spec.filters]


def measure_selects(
    spec: MeasureSpec, index: int, window: Window, window_index: int, by: Ref | None
) -> list:
    """The SELECT(s) for one measure over one window, grouped by ``by`` when given."""
    if spec.to_end and window.cumulative_from is not None:
        aliases, source, time_col = source_of(spec, [by] if by is not None else [])
        others = [c for f, c in zip(spec.filters, filters_of(spec, aliases, window), strict=True)
                  if f.op != "before_end"]
        return [_select(spec, index, window_index, by, aliases, source, conditions + others)
                for conditions in effective_ranges(spec, aliases, time_col, window.cumulative_from,
                                                   window.end_utc)]
    return [measure_select(spec, index, window, window_index, by)]


def _select(spec: MeasureSpec, index: int, window_index: int, by: Ref | None, aliases, source, conditions):
    key = cast(aliases[by.alias].c[by.name], Text) if by is not None else cast(null(), Text)
    stmt = (
        select(
            literal_column(str(int(index))).label("measure"),
            literal_column(str(int(window_index))).label("window"),
            key.label("key"),
            value_of(spec, aliases).label("value"),
        )
        .select_from(source)
        .where(and_(*conditions))
    )
    return stmt.group_by(key) if by is not None else stmt


def measure_select(
    spec: MeasureSpec, index: int, window: Window, window_index: int, by: Ref | None
):
    """The SELECT for one measure over one window, grouped by ``by`` when given."""
    aliases, source, time_col = source_of(spec, [by] if by is not None else [])

    if spec.time_is_date:
        lower, upper = window.first_day, window.end_day
    else:
        lower, upper = window.start_utc, window.end_utc
    conditions = [time_col < upper] if spec.to_end else [time_col >= lower, time_col < upper]
    conditions += filters_of(spec, aliases, window)
    return _select(spec, window_index=window_index, index=index, by=by, aliases=aliases, source=source,
                   conditions=conditions)


COLUMNS = ["measure", "window", "key", "value"]


def aggregate(
    engine: Engine,
    measures: list[MeasureSpec],
    windows: list[Window],
    by: dict[str, Ref] | None = None,
    rollups=None,
) -> pd.DataFrame:
    """Run every measure over every window: one round trip to the source (and one to the rollups).

    ``by`` maps a measure name to the column it is grouped by; measures absent
    from it are not grouped. With ``rollups`` (a :class:`kpi.store.rollup.Rollups`),
    whole past days come from the daily rollup table and only the rest from the
    source; the frame's ``attrs["as_of"]`` then says when the rollup was refreshed.
    Returns columns ``measure`` (name), ``window`` (index into ``windows``),
    ``key`` (text or None) and ``value`` (float or NaN); a measure × window may
    come in several rows (pieces) to be summed.
    """
    if not measures or not windows:
        return pd.DataFrame(columns=COLUMNS)
    by = by or {}
    rollup_frame, as_of = None, None
    if rollups is not None:
        pieces, reads, as_of = rollups.plan(measures, windows, by)
        rollup_frame = rollups.read(reads, [m.name for m in measures])
    else:
        pieces = [(spec, i, window, w, by.get(spec.name))
                  for i, spec in enumerate(measures) for w, window in enumerate(windows)]
    selects = [s for spec, i, part, w, ref in pieces for s in measure_selects(spec, i, part, w, ref)]
    frames = []
    if selects:
        stmt = selects[0] if len(selects) == 1 else union_all(*selects)
        frames.append(_run(engine, stmt, measures))
    if rollup_frame is not None and len(rollup_frame):
        frames.append(rollup_frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else (frames[0] if frames else
                                                                           pd.DataFrame(columns=COLUMNS))
    frame.attrs["as_of"] = as_of
    return frame


def _run(engine: Engine, stmt, measures: list[MeasureSpec]) -> pd.DataFrame:
    def query():
        with engine.connect() as conn:
            return conn.execute(stmt).all()

    try:
        rows = within(limits().query_timeout, query)
    except SourceTimeout:
        log.warning("aggregate query on %s did not answer within %gs", engine.url.render_as_string(hide_password=True),
                    limits().query_timeout)
        raise
    except SQLAlchemyError as exc:
        log.exception("aggregate query failed on %s", engine.url.render_as_string(hide_password=True))
        raise SourceError(
            f"The data source could not answer ({type(getattr(exc, 'orig', None) or exc).__name__})."
        ) from exc
    return frame_of(rows, [m.name for m in measures])


def frame_of(rows, names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["measure"] = [names[int(i)] for i in frame["measure"]]
    frame["window"] = frame["window"].astype(int)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    frame["key"] = frame["key"].astype(object).where(frame["key"].notna(), None)
    return frame
