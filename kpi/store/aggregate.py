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

from sqlalchemy import (
    and_,
    cast,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Engine

from kpi.errors import SourceTimeout
from kpi.store.dialects import KEY, NUMBER
from kpi.store.engines import limits, read_rows
from kpi.store.expr import Ref
from kpi.store.specs import MeasureSpec, Window
from kpi.store.sql import effective_ranges, filters_of, source_of, value_of

log = logging.getLogger(__name__)

def measure_selects(
    spec: MeasureSpec, index: int, window: Window, window_index: int, by: Ref | None
) -> list:
    """The SELECT(s) for one measure over one window, grouped by ``by`` when given."""
    if spec.to_end and window.cumulative_from is not None:
        aliases, source, time_col = source_of(spec, [by] if by is not None else [])
        others = [c for f, c in zip(spec.filters, filters_of(spec, aliases, window), strict=True)
                  if f.op != "before_end"]
        return [_select(index, by, aliases, source, conditions + others, [(window_index, value_of(spec, aliases))])
                for conditions in effective_ranges(spec, aliases, time_col, window.cumulative_from,
                                                   window.end_utc)]
    return [measure_select(spec, index, [(window_index, window)], by)]


def _select(index: int, by: Ref | None, aliases, source, conditions, values: list[tuple[int, object]]):
    """measure, key, then a (window index, value) pair of columns per window the SELECT answers."""
    key = cast(aliases[by.alias].c[by.name], KEY) if by is not None else cast(null(), KEY)
    columns = [literal_column(str(int(index))).label("measure"), key.label("key")]
    for j, (w, value) in enumerate(values):
        columns += [literal_column(str(int(w))).label(f"w{j}"), value.label(f"v{j}")]
    stmt = select(*columns).select_from(source).where(and_(*conditions))
    return stmt.group_by(key) if by is not None else stmt


def _bounds(spec: MeasureSpec, window: Window) -> tuple:
    return (window.first_day, window.end_day) if spec.time_is_date else (window.start_utc, window.end_utc)


def measure_select(spec: MeasureSpec, index: int, windows: list[tuple[int, Window]], by: Ref | None):
    """One SELECT for one measure over one or several windows (one scan: each window's value is the
    aggregate of the rows in it, the WHERE the rows of any), grouped by ``by`` when given."""
    aliases, source, time_col = source_of(spec, [by] if by is not None else [])
    common = [c for f, c in zip(spec.filters, filters_of(spec, aliases, windows[0][1]), strict=True)
              if f.op != "before_end"]
    ranges = []
    for _, window in windows:
        lower, upper = _bounds(spec, window)
        own = [c for f, c in zip(spec.filters, filters_of(spec, aliases, window), strict=True) if f.op == "before_end"]
        ranges.append(([time_col < upper] if spec.to_end else [time_col >= lower, time_col < upper]) + own)
    if len(windows) == 1:
        return _select(index, by, aliases, source, ranges[0] + common, [(windows[0][0], value_of(spec, aliases))])
    lower = min(_bounds(spec, window)[0] for _, window in windows)
    upper = max(_bounds(spec, window)[1] for _, window in windows)
    conditions = [and_(*r) for r in ranges]
    where = [time_col >= lower, time_col < upper, or_(*conditions), *common]
    return _select(index, by, aliases, source, where,
                   [(w, value_of(spec, aliases, when)) for (w, _), when in zip(windows, conditions, strict=True)])


def _mergeable(spec: MeasureSpec, windows: list[tuple[int, Window]]) -> bool:
    """Several windows of a measure are read in one scan when they leave no gap between them (the
    current and previous periods): the scan then reads no row that no window needs."""
    if spec.to_end or len(windows) < 2:
        return False
    spans = sorted(_bounds(spec, window) for _, window in windows)
    return all(lower <= upper for (_, upper), (lower, _) in zip(spans, spans[1:], strict=False))


COLUMNS = ["measure", "window", "key", "value"]
Row = tuple[str, int, "str | None", float]  # measure, window index, key (None: the total or no value), value


@dataclass(frozen=True)
class Aggregate:
    rows: list[Row]                # a measure × window (× key) may come in several rows (pieces) to be summed
    as_of: datetime | None = None  # when past days came from the daily rollup: when it was refreshed


def aggregate(
    engine: Engine,
    measures: list[MeasureSpec],
    windows: list[Window],
    by: dict[str, Ref] | None = None,
    rollups=None,
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
    stmt = statement(pieces)
    if stmt is not None:
        rows = _run(engine, stmt, measures) + rows
    return Aggregate(rows, as_of)


def statement(pieces) -> object | None:
    """The one query for these pieces ((spec, index, window, window index, grouping) tuples): a UNION ALL
    of one SELECT per measure (both periods in one scan when they touch) or per measure × window; None
    when there is nothing to ask the source. Columns: measure, key, then (window, value) pairs, padded
    with NULLs to the widest SELECT."""
    groups: dict[tuple, tuple[MeasureSpec, list]] = {}
    selects = []
    for spec, i, part, w, ref in pieces:
        if spec.to_end:
            selects += measure_selects(spec, i, part, w, ref)
        else:
            groups.setdefault((i, ref), (spec, []))[1].append((w, part))
    for (i, ref), (spec, windows) in groups.items():
        if _mergeable(spec, windows):
            selects.append(measure_select(spec, i, windows, ref))
        else:
            selects += [measure_select(spec, i, [one], ref) for one in windows]
    if not selects:
        return None
    width = max(len(s.selected_columns) for s in selects)
    padded = [_pad(s, width) for s in selects]
    return padded[0] if len(padded) == 1 else union_all(*padded)


def _pad(stmt, width: int):
    """``stmt`` with NULL (window, value) pairs up to ``width`` columns (a UNION's branches all have as many)."""
    extra = []
    for j in range((len(stmt.selected_columns) - 2) // 2, (width - 2) // 2):
        extra += [cast(null(), NUMBER).label(f"w{j}"), cast(null(), NUMBER).label(f"v{j}")]
    return stmt.add_columns(*extra) if extra else stmt


def plain_pieces(measures: list[MeasureSpec], windows: list[Window], by: dict[str, Ref] | None = None) -> list:
    """Every measure over every window, from the source alone (no rollup)."""
    by = by or {}
    return [(spec, i, window, w, by.get(spec.name))
            for i, spec in enumerate(measures) for w, window in enumerate(windows)]


def _run(engine: Engine, stmt, measures: list[MeasureSpec]) -> list[Row]:
    try:
        rows = read_rows(engine, stmt)
    except SourceTimeout:
        log.warning("aggregate query on %s did not answer within %gs", engine.url.render_as_string(hide_password=True),
                    limits().query_timeout)
        raise
    return rows_of(rows, [m.name for m in measures])


def rows_of(rows, names: list[str]) -> list[Row]:
    """Rows of the source (measure index, key, then window and value pairs) as :data:`Row`: the measure's
    name, the window, a text key (None for NULL) and a float value (NaN for NULL or not a number)."""
    out = []
    for measure, key, *pairs in rows:
        name, key = names[int(measure)], None if key is None else str(key)
        out += [(name, int(pairs[j]), key, _number(pairs[j + 1])) for j in range(0, len(pairs), 2)
                if pairs[j] is not None]
    return out


def _number(value) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan
