"""Compute KPIs: the database aggregates; the ratios, comparisons and breakdowns are worked out here.

One call issues one SQL round trip for every measure the asked KPIs need, over
the current and the previous period (and per dimension value when broken down).
A zero denominator gives no value (``None``) and a :class:`Reason`, never an
exception or a 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.engine import Engine

from kpi.catalog import Catalog, Direction, Kpi
from kpi.spans import Period, PeriodPair
from kpi.store import exact
from kpi.store.aggregate import Row, aggregate
from kpi.store.expr import BinOp, Expr, Neg, Num, Ref, refs
from kpi.store.specs import Window

TOTAL = "__total__"


class ReasonCode(str, Enum):
    ZERO_DENOMINATOR = "zero_denominator"  # e.g. no leads in the period
    NO_DATA = "no_data"  # an average/min/max over no rows
    FUTURE = "future"  # the period has not begun yet
    BEFORE_DATA = "before_data"  # the period ends before the KPI's data begins


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    measures: tuple[str, ...] = ()
    since: date | None = None  # BEFORE_DATA: the first day with data


class Cover(str, Enum):
    """How much of a period the KPI's data covers (:mod:`kpi.coverage`)."""

    FULL = "full"
    PARTIAL = "partial"  # the data begins inside the period
    NONE = "none"  # the period ends before the data begins
    FUTURE = "future"  # the period has not begun
    AFTER = "after"  # the period begins after the newest row of a table that stopped getting rows (stale)


@dataclass(frozen=True)
class Stale:
    """A table the KPI reads that has had no new rows for longer than usual (:mod:`kpi.freshness`)."""

    table: str
    last_row_at: datetime | None  # naive UTC
    usual_gap_days: int | None


def pct_change(value: float | None, base: float | None) -> float | None:
    """The relative change from ``base`` to ``value`` (0.1 = +10 %), or None where a percentage would mislead.

    The one rule for every percentage the bot shows (answers, lists, Home, digests, breakdowns, alerts):
    no percentage when the base is missing (no data, or a period the data does not cover), when it is
    zero (any change from nothing is infinite), or when it has the other sign than the value (from −€5 to
    +€100 is not "+2,100 %"). The absolute change can still be said; the percentage cannot.
    """
    if value is None or base is None or base == 0:
        return None
    if (value < 0 < base) or (base < 0 < value):
        return None
    return (value - base) / abs(base)


@dataclass(frozen=True)
class BreakdownRow:
    key: str | None  # None: rows whose dimension is empty
    value: float | None
    previous: float | None
    measures: dict[str, float | None] = field(default_factory=dict)
    previous_measures: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class KpiResult:
    kpi: Kpi
    current: Period
    previous: Period
    value: float | None
    previous_value: float | None
    reason: Reason | None
    previous_reason: Reason | None
    measures: dict[str, float | None]  # current value of each measure in the formula
    previous_measures: dict[str, float | None]
    by: str | None = None
    breakdown: tuple[BreakdownRow, ...] = ()
    as_of: datetime | None = None  # set when past days came from the daily rollup (naive UTC)
    where: tuple[str, str | None] | None = None  # one value of a breakdown only: (dimension, value)
    first_data: date | None = None  # the first day the KPI's data covers, when known
    cover: Cover = Cover.FULL  # how much of the current period the data covers
    previous_cover: Cover = Cover.FULL  # and of the comparison period
    stale: tuple[Stale, ...] = ()  # the tables it reads that stopped getting rows

    @property
    def comparable(self) -> bool:
        """Both periods wholly covered by the data: only then is a change computed."""
        return self.cover is Cover.FULL and self.previous_cover is Cover.FULL

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous_value is None or not self.comparable:
            return None
        return exact.combine("-", self.value, self.previous_value)

    @property
    def change_pct(self) -> float | None:
        """Relative change (0.1 = +10 %), by :func:`pct_change`; None when there is no change to say."""
        if self.change is None:
            return None
        return pct_change(self.value, self.previous_value)

    @property
    def improved(self) -> bool | None:
        """True when the change goes the KPI's good way, False the bad way, None when flat/unknown, and
        None when a table it reads is stale: a drop that may only be a broken import is not judged."""
        if not self.change or self.stale:
            return None
        match self.kpi.direction:
            case Direction.UP:
                return self.change > 0
            case Direction.DOWN:
                return self.change < 0
        raise AssertionError(self.kpi.direction)


def segment_of(result: KpiResult, row: BreakdownRow, where: tuple[str, str | None] | None = None) -> KpiResult:
    """One value of a breakdown as a result of its own: its value, its previous value, its measures."""
    reason = None if row.value is not None else Reason(ReasonCode.NO_DATA)
    return replace(
        result,
        value=row.value,
        previous_value=row.previous,
        measures=row.measures,
        previous_measures=row.previous_measures,
        reason=reason,
        previous_reason=None,
        by=None,
        breakdown=(),
        where=where,
    )


def window(period: Period) -> Window:
    return Window(period.start_utc(), period.end_utc(), period.first_day(), period.end_day(), period.end.date())


def compute(
    catalog: Catalog, engine: Engine, kpi: Kpi | str, pair: PeriodPair, by: str | None = None, rollups: Any = None
) -> KpiResult:
    """One KPI over ``pair``, optionally broken down by a dimension of the KPI."""
    kpi = catalog.resolve(kpi) if isinstance(kpi, str) else kpi
    if by is not None:
        by = catalog.dimension(kpi, by)
    return compute_many(catalog, engine, [kpi], pair, by=by, rollups=rollups)[0]


def compute_many(
    catalog: Catalog, engine: Engine, kpis: list[Kpi], pair: PeriodPair, by: str | None = None, rollups: Any = None
) -> list[KpiResult]:
    """Several KPIs over the same periods in one database round trip."""
    names: list[str] = []
    for kpi in kpis:
        for name in catalog.measures_of(kpi):
            if name not in names:
                names.append(name)
    grouping = {name: catalog.dimension_ref(name, by) for name in names} if by else None
    specs = [catalog.specs[name] for name in names]
    windows = [window(pair.current), window(pair.previous)]
    found = aggregate(engine, specs, windows, by=grouping, rollups=rollups)
    totals = None
    if by and not all(catalog.measures[n].additive for n in names):
        # A distinct count or an average is not the sum of its parts: ask for the total too.
        totals = aggregate(engine, specs, windows).rows
    return [replace(_result(catalog, kpi, pair, found.rows, by, totals), as_of=found.as_of) for kpi in kpis]


Values = dict[Any, float]  # a measure's (or a formula's) value by breakdown key; NaN: no value


def _grouped(rows: list[Row]) -> dict[tuple[str, int], Values]:
    """Each measure × window by key (pieces of the same key summed exactly, :mod:`kpi.store.exact`; NaN only when
    every piece is)."""
    out: dict[tuple[str, int], Values] = {}
    for name, w, key, value in rows:
        slot = out.setdefault((name, w), {})
        key = TOTAL if key is None else key
        old, value = slot.get(key), exact.from_database(value)
        slot[key] = (
            value if old is None or math.isnan(old) else (old if math.isnan(value) else exact.combine("+", old, value))
        )
    return out


def _series(catalog: Catalog, grouped: dict[Any, Any], name: str, w: int, keys: list[Any]) -> Values:
    values = grouped.get((name, w), {})
    fill = exact.ZERO if catalog.measures[name].additive else math.nan  # additive: no rows, nothing counted
    out = {}
    for k in keys:
        v = values.get(k, math.nan)
        out[k] = fill if math.isnan(v) else v
    return out


def _result(
    catalog: Catalog, kpi: Kpi, pair: PeriodPair, rows: list[Row], by: str | None, totals: list[Row] | None = None
) -> KpiResult:
    names = catalog.measures_of(kpi)
    formula = catalog.metrics[kpi.key].formula
    wanted = set(names)
    grouped = _grouped([r for r in rows if r[0] in wanted])
    if by:
        keys = sorted({k for values in grouped.values() for k in values}, key=lambda k: (k == TOTAL, str(k)))
    else:
        keys = [TOTAL]

    per_window = []
    for w in (0, 1):
        env = {name: _series(catalog, grouped, name, w, keys) for name in names}
        values, zero = evaluate(formula, env, keys)
        per_window.append((env, values, zero))

    (env0, val0, zero0), (env1, val1, zero1) = per_window
    if by:
        # The KPI's total over all keys: the measures' totals, then the formula.
        tot0 = {n: _total(catalog, n, s, totals, 0) for n, s in env0.items()}
        tot1 = {n: _total(catalog, n, s, totals, 1) for n, s in env1.items()}
        v0, z0 = evaluate(formula, {n: {TOTAL: v} for n, v in tot0.items()}, [TOTAL])
        v1, z1 = evaluate(formula, {n: {TOTAL: v} for n, v in tot1.items()}, [TOTAL])
        value, prev = _clean(v0[TOTAL]), _clean(v1[TOTAL])
        breakdown = tuple(
            BreakdownRow(
                key=None if k == TOTAL else str(k),
                value=_clean(val0[k]),
                previous=_clean(val1[k]),
                measures={n: _clean(env0[n][k]) for n in names},
                previous_measures={n: _clean(env1[n][k]) for n in names},
            )
            for k in keys
        )
        breakdown = tuple(sorted(breakdown, key=lambda r: (r.value is None, -(r.value or 0.0), str(r.key))))
        m0, m1 = {n: _clean(v) for n, v in tot0.items()}, {n: _clean(v) for n, v in tot1.items()}
    else:
        z0, z1 = zero0, zero1
        value, prev = _clean(val0[TOTAL]), _clean(val1[TOTAL])
        breakdown = ()
        m0 = {n: _clean(s[TOTAL]) for n, s in env0.items()}
        m1 = {n: _clean(s[TOTAL]) for n, s in env1.items()}

    return KpiResult(
        kpi=kpi,
        current=pair.current,
        previous=pair.previous,
        value=value,
        previous_value=prev,
        reason=_reason(value, z0),
        previous_reason=_reason(prev, z1),
        measures=m0,
        previous_measures=m1,
        by=by,
        breakdown=breakdown,
    )


def _total(catalog: Catalog, name: str, values: Values, totals: list[Row] | None, w: int) -> float:
    if totals is None or catalog.measures[name].additive:
        return exact.total(list(values.values()))
    return _series(catalog, _grouped([r for r in totals if r[0] == name]), name, w, [TOTAL])[TOTAL]


def _clean(value: Any) -> float | None:
    return exact.clean(value)


def _reason(value: float | None, zero: list[str]) -> Reason | None:
    if value is not None:
        return None
    if zero:
        return Reason(ReasonCode.ZERO_DENOMINATOR, tuple(zero))
    return Reason(ReasonCode.NO_DATA)


def evaluate(expr: Expr, env: dict[str, Values], keys: list[Any]) -> tuple[Values, list[str]]:
    """Evaluate a formula for each key over the measures' values; division by zero gives NaN.

    Returns the values by key and the names of the measures found zero in a denominator (the reason a
    value is missing).
    """
    zero: list[str] = []

    def ev(node: Expr, k: str | None) -> float:
        match node:
            case Num(value=value):
                return exact.constant(value)
            case Ref(name=name):
                return env[name][k]
            case Neg(operand=operand):
                return exact.combine("-", exact.ZERO, ev(operand, k))
            case BinOp(op="/", left=left, right=right):
                num, den = ev(left, k), ev(right, k)
                if den == 0:
                    names = [r.name for r in refs(right) if any(env[r.name][j] == 0 for j in keys)]
                    for n in names or [f"({_text(right)})"]:
                        if n not in zero:
                            zero.append(n)
                    return math.nan
                return exact.combine("/", num, den)
            case BinOp(op=op, left=left, right=right):
                return exact.combine(op, ev(left, k), ev(right, k))
        raise AssertionError(node)

    return {k: ev(expr, k) for k in keys}, zero


def _text(expr: Expr) -> str:
    from kpi.store.expr import render

    return render(expr)
