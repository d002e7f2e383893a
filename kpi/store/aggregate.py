"""Aggregate push-down: one SQL query answers every measure × window (× dimension value).

The caller describes *what* to aggregate with frozen specs; this module builds
SQLAlchemy Core statements (identifiers from definition files only, every value
a bound parameter) and returns a few long-format rows (plain tuples: an answer has a
handful, and pandas would cost more than the query on a fast engine)::

    measure  window  key   value
    leads    0       None  412.0
    leads    1       None  388.0

Fact tables are never read into memory: the database does the grouping.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.engine import Engine

from kpi.errors import SourceTimeout
from kpi.store.dialects import KEY
from kpi.store.engines import limits, read_rows
from kpi.store.exact import Exact
from kpi.store.expr import Ref
from kpi.store.specs import MeasureSpec, Window
from kpi.store.sql import effective_ranges, filters_of, source_of, value_of

log = logging.getLogger(__name__)


def measure_selects(spec: MeasureSpec, index: int, window: Window, window_index: int, by: Ref | None) -> list[Any]:
    """The SELECT(s) for one measure over one window, grouped by ``by`` when given."""
    if spec.to_end and window.cumulative_from is not None:
        aliases, source, time_col = source_of(spec, [by] if by is not None else [])
        others = [
            c for f, c in zip(spec.filters, filters_of(spec, aliases, window), strict=True) if f.op != "before_end"
        ]
        return [
            _select(spec, index, window_index, by, aliases, source, conditions + others)
            for conditions in effective_ranges(spec, aliases, time_col, window.cumulative_from, window.end_utc)
        ]
    return [measure_select(spec, index, window, window_index, by)]


def _select(
    spec: MeasureSpec,
    index: int,
    window_index: int,
    by: Ref | None,
    aliases: dict[str | None, Any],
    source: Any,
    conditions: list[Any],
) -> Any:
    measure: Any = literal_column(str(int(index))).label("measure")
    window: Any = literal_column(str(int(window_index)))
    if by is None:
        # One value: a scalar subquery, as one would write it by hand. As plain branches of the UNION ALL,
        # PostgreSQL ran a question's small scans in parallel workers, whose start cost more than the scans
        # (CAC: 9 ms against 4.5); a subquery still runs in parallel when its own scan is worth it.
        value = select(value_of(spec, aliases)).select_from(source).where(and_(*conditions)).scalar_subquery()
        return select(measure, window.label("window"), cast(null(), KEY).label("key"), value.label("value"))
    key = cast(aliases[by.alias].c[by.name], KEY)
    return (
        select(measure, window.label("window"), key.label("key"), value_of(spec, aliases).label("value"))
        .select_from(source)
        .where(and_(*conditions))
        .group_by(key)
    )


def measure_select(spec: MeasureSpec, index: int, window: Window, window_index: int, by: Ref | None) -> Any:
    """The SELECT for one measure over one window, grouped by ``by`` when given."""
    aliases, source, time_col = source_of(spec, [by] if by is not None else [])

    if spec.time_is_date:
        lower, upper = window.first_day, window.end_day
    else:
        lower, upper = window.start_utc, window.end_utc
    conditions = [time_col < upper] if spec.to_end else [time_col >= lower, time_col < upper]
    conditions += filters_of(spec, aliases, window)
    return _select(
        spec, window_index=window_index, index=index, by=by, aliases=aliases, source=source, conditions=conditions
    )


Row = tuple[str, int, "str | None", float]  # measure, window index, key (None: the total or no value), value


@dataclass(frozen=True)
class Aggregate:
    rows: list[Row]  # a measure × window (× key) may come in several rows (pieces) to be summed
    as_of: datetime | None = None  # when past days came from the daily rollup: when it was refreshed


def aggregate(
    engine: Engine,
    measures: list[MeasureSpec],
    windows: list[Window],
    by: dict[str, Ref] | None = None,
    rollups: Any = None,
) -> Aggregate:
    """Run every measure over every window: one round trip to the source (and one to the rollups).

    ``by`` maps a measure name to the column it is grouped by; measures absent
    from it are not grouped. With ``rollups`` (a :class:`kpi.store.rollup.Rollups`),
    whole past days come from the daily rollup table and only the rest from the
    source. Values are floats (NaN: no value).
    """
    if not measures or not windows:
        return Aggregate([])
    by = by or {}
    rows: list[Row] = []
    as_of = None
    if rollups is not None:
        pieces, reads, as_of = rollups.plan(measures, windows, by)
        rows += rollups.read(reads, [m.name for m in measures])
    else:
        pieces = plain_pieces(measures, windows, by)
    if pieces:
        stmt, values = prepared(pieces)
        rows = _run(engine, stmt, values, measures) + rows
    return Aggregate(rows, as_of)


Piece = tuple[Any, ...]  # (spec, index, window part, window index, grouping)


def statement(pieces: list[Piece]) -> Any:
    """The one query for these pieces ((spec, index, window, window index, grouping) tuples), the windows'
    bounds bound as values: a UNION ALL of one SELECT per measure × window; None when there is nothing to
    ask the source."""
    selects = [s for spec, i, part, w, ref in pieces for s in measure_selects(spec, i, part, w, ref)]
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else union_all(*selects)


# A window's bounds as they reach SQL. The statement for a question's shape (which measures, windows and
# groupings, whichever the dates) is built once, its bounds named parameters, and kept: an answer then
# costs its query, not the building and compiling of its SQL (2-3 ms a question, more than DuckDB takes
# to answer a small one).
_BOUNDS = ("start_utc", "end_utc", "first_day", "end_day", "cumulative_from")


def prepared(pieces: list[Piece]) -> tuple[Any, dict[str, Any]]:
    """The statement for these pieces (built once per shape) and the values of its bound parameters."""
    shape = tuple(
        (spec, i, w, ref, tuple(getattr(part, f) is not None for f in _BOUNDS)) for spec, i, part, w, ref in pieces
    )
    values = {
        f"b{k}_{f}": getattr(part, f)
        for k, (_, _, part, _, _) in enumerate(pieces)
        for f in _BOUNDS
        if getattr(part, f) is not None
    }
    return _shaped(shape), values


@lru_cache(maxsize=512)
def _shaped(shape: tuple[Any, ...]) -> Any:
    def bounds(k: int, present: tuple[bool, ...]) -> Window:  # the bounds as named parameters
        bound: dict[str, Any] = {
            f: bindparam(f"b{k}_{f}") if there else None for f, there in zip(_BOUNDS, present, strict=True)
        }
        return Window(**bound)

    return statement([(spec, i, bounds(k, present), w, ref) for k, (spec, i, w, ref, present) in enumerate(shape)])


def plain_pieces(measures: list[MeasureSpec], windows: list[Window], by: dict[str, Ref] | None = None) -> list[Any]:
    """Every measure over every window, from the source alone (no rollup)."""
    by = by or {}
    return [
        (spec, i, window, w, by.get(spec.name)) for i, spec in enumerate(measures) for w, window in enumerate(windows)
    ]


def _run(engine: Engine, stmt: Any, values: dict[str, Any], measures: list[MeasureSpec]) -> list[Row]:
    try:
        rows = read_rows(engine, stmt, values)
    except SourceTimeout:
        log.warning(
            "aggregate query on %s did not answer within %gs",
            engine.url.render_as_string(hide_password=True),
            limits().query_timeout,
        )
        raise
    return rows_of(rows, [m.name for m in measures])


def rows_of(rows: Any, names: list[str]) -> list[Row]:
    """(measure index, window, key, value) rows from a database as :data:`Row`: the measure's name, a float
    value (NaN for NULL or a value that is not a number) and a text key (None for NULL)."""
    return [(names[int(i)], int(w), None if key is None else str(key), _number(value)) for i, w, key, value in rows]


def _number(value: Any) -> float:
    """A value as a float: an exact decimal (a sum of money) as an :class:`~kpi.store.exact.Exact`, which
    keeps its cents whatever its size."""
    if isinstance(value, Decimal) and value.is_finite():
        return Exact(value)
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan
