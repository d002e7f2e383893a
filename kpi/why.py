"""Why a KPI moved: its change split across the values of a breakdown, parts that add up to the change.

* A total (revenue): each value's own change; together they are the change.
* A ratio N / D (CAC = spend / new customers): each value's share of the change is

      N1ᵢ/D1 − N0ᵢ/D0 − R0 · (w1ᵢ − w0ᵢ)      with wᵢ = Dᵢ / D, the value's weight, and R0 the old ratio,

  which adds up to R1 − R0 whatever the values (Σ w = 1 in both periods). It splits into a *rate*
  effect, w1ᵢ · (r1ᵢ − r0ᵢ) (the value's own ratio changed), and a *mix* effect, the rest (its weight
  changed, against the average): the usual mix/rate decomposition, centred so that a value whose
  weight grows moves the total only as far as its ratio differs from the average. A value with rows
  on one side only (no new customers at all) has no rate: all of it is mix.

Exact when the KPI's measures add up across the breakdown's values (sums and counts; rows without
a value are one more value). Otherwise the remainder is reported, never spread. KPIs that are not a
total or a plain ratio of sums (an average, a ratio of ratios) are not decomposed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kpi.catalog import Catalog, MetricKind
from kpi.compute import KpiResult, evaluate
from kpi.store.expr import BinOp, Expr, Neg, Num, Ref


@dataclass(frozen=True)
class Part:
    key: str | None  # the breakdown's value (None: rows without one)
    change: float  # its part of the KPI's change, in the KPI's unit
    mix: float | None = None  # ratios: the part from its weight changing
    rate: float | None = None  # ratios: the part from its own ratio changing
    measures: tuple[tuple[str, float, float], ...] = ()  # (measure, before, now) of this value


@dataclass(frozen=True)
class Why:
    kpi: str
    by: str
    change: float  # the KPI's change (now − before)
    parts: tuple[Part, ...]  # largest first
    rest: float  # what no value explains (measures that do not add up): ~0

    def share(self, part: Part) -> float | None:
        """The part's share of the change (0.71: 71 %)."""
        return part.change / self.change if self.change else None

    def offset(self, part: Part) -> float | None:
        """What the other values did against the change when ``part`` alone is more than all of it (+663 % of
        the rise: −563 % elsewhere), as a share of the change; None when it is not more."""
        share = self.share(part)
        return 1.0 - share if share is not None and share > 1.0 + 1e-9 else None


def _linear(expr: Expr) -> bool:
    """No division below the top level: the expression's value over all rows is the sum over values."""
    match expr:
        case Num() | Ref():
            return True
        case Neg(operand=operand):
            return _linear(operand)
        case BinOp(op="/"):
            return False
        case BinOp(op="*", left=left, right=right):
            return (_linear(left) and isinstance(right, Num)) or (_linear(right) and isinstance(left, Num))
        case BinOp(left=left, right=right):
            return _linear(left) and _linear(right)
    return False


def _value(expr: Expr, measures: dict[str, float | None]) -> float:
    env = {name: {0: float(v or 0.0)} for name, v in measures.items()}
    found, _ = evaluate(expr, env, [0])
    return found[0]


def splittable(catalog: Catalog, key: str) -> bool:
    """A total, or a plain ratio of totals (sums and counts above and below one division): its change splits."""
    metric = catalog.metrics[key]
    formula = metric.formula
    if metric.kind is MetricKind.TOTAL:
        return True
    return (
        metric.kind in (MetricKind.RATIO, MetricKind.CUMULATIVE)
        and isinstance(formula, BinOp)
        and formula.op == "/"
        and _linear(formula.left)
        and _linear(formula.right)
    )


def unsplit_reason(catalog: Catalog, total: KpiResult) -> str | None:
    """Why ``total``'s change can't be split across values (a text key), None when it can: not a total nor
    a ratio of totals; no breakdown (or, inside one value of its only breakdown, no other); or no value in
    one of the two periods (nothing to compare)."""
    metric = catalog.metrics[total.kpi.key]
    if not splittable(catalog, total.kpi.key):
        return "why_cannot"
    inside = total.where[0] if total.where is not None else None
    if not [d for d in metric.dimensions if d != inside]:
        return "why_no_other_breakdown" if inside is not None else "why_no_breakdown"
    if total.value is None or total.previous_value is None:
        return "why_no_compare"
    return None


def decompose(catalog: Catalog, result: KpiResult) -> Why | None:
    """``result`` broken down (``result.by``) as parts of its change; None when it can't be split."""
    metric = catalog.metrics[result.kpi.key]
    if result.by is None or result.value is None or result.previous_value is None:
        return None
    if not splittable(catalog, result.kpi.key):
        return None
    change = result.value - result.previous_value
    names = metric.measures
    if metric.kind is MetricKind.TOTAL:
        parts = [
            Part(
                row.key,
                (row.measures.get(names[0]) or 0.0) - (row.previous_measures.get(names[0]) or 0.0),
                measures=_measures(names, row),
            )
            for row in result.breakdown
        ]
    else:
        assert isinstance(metric.formula, BinOp)
        found = _ratio_parts(metric.formula, result, names)
        if found is None:
            return None
        parts = found
    parts.sort(key=lambda p: -abs(p.change))
    return Why(result.kpi.key, result.by, change, tuple(parts), change - math.fsum(p.change for p in parts))


def _ratio_parts(formula: BinOp, result: KpiResult, names: tuple[str, ...]) -> list[Part] | None:
    d1, d0 = _value(formula.right, result.measures), _value(formula.right, result.previous_measures)
    if not d1 or not d0:
        return None
    r0 = result.previous_value
    assert r0 is not None
    parts = []
    for row in result.breakdown:
        n1, n0 = _value(formula.left, row.measures), _value(formula.left, row.previous_measures)
        e1, e0 = _value(formula.right, row.measures), _value(formula.right, row.previous_measures)
        w1, w0 = e1 / d1, e0 / d0
        part = n1 / d1 - n0 / d0 - r0 * (w1 - w0)
        rate = w1 * (n1 / e1 - n0 / e0) if e1 and e0 else 0.0
        parts.append(Part(row.key, part, part - rate, rate, _measures(names, row)))
    return parts


def _measures(names: tuple[str, ...], row: Any) -> tuple[tuple[str, float, float], ...]:
    return tuple((n, float(row.previous_measures.get(n) or 0.0), float(row.measures.get(n) or 0.0)) for n in names)
