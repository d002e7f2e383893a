"""Exact values: money keeps its cents at any size a column holds.

PostgreSQL, DuckDB and ClickHouse hand back an aggregate as an exact decimal
(``kpi.store.dialects.VALUE``), read as an :class:`Exact`. SQLite, the rollup table and the warehouses hand
back 8-byte floats, which hold 15 significant digits exactly: a sum the database made of a DECIMAL column (a
period, a rollup day: €12,345,678,901.34 is 13 digits) comes back as the float nearest to it, and
:func:`from_database` reads it back as that decimal (15 significant digits, which also drops a float sum's
binary noise: 1727520.2599999998 is 1727520.26).
From there the pieces of a value are added, and formulas evaluated, in :class:`~decimal.Decimal`; the result
is an :class:`Exact`: a float for every computation downstream (comparisons, charts, JSON, NumPy), that
carries the exact decimal for what is shown (:func:`kpi.present.format_value`). Before, values went through
floats and 12 significant digits, so €10bn and more lost their cents (…012.34 showed as .00).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

DIGITS = 15  # the significant digits an 8-byte float holds exactly


class Exact(float):
    """A float that carries the exact decimal it stands for (``exact``). Arithmetic on it gives plain floats;
    :func:`combine` keeps exactness."""

    __slots__ = ("exact",)
    exact: Decimal

    def __new__(cls, exact: Decimal) -> Exact:
        self = super().__new__(cls, float(exact))
        self.exact = exact
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Exact, (self.exact,))


ZERO = Exact(Decimal(0))


def from_database(value: float) -> float:
    """A number the database returned, as the decimal it stands for (NaN and infinities stay floats)."""
    if isinstance(value, Exact) or not math.isfinite(value):
        return value
    return Exact(Decimal(f"{value:.{DIGITS}g}"))


def constant(value: float) -> Exact:
    """A formula's constant (100, 1e6) as it is written."""
    return Exact(Decimal(repr(float(value))))


def combine(op: str, a: float, b: float) -> float:
    """``a op b``: exact when both are exact (a division to 28 significant digits), else as floats."""
    if isinstance(a, Exact) and isinstance(b, Exact):
        x, y = a.exact, b.exact
        try:
            match op:
                case "+":
                    return Exact(x + y)
                case "-":
                    return Exact(x - y)
                case "*":
                    return Exact(x * y)
                case "/":
                    return Exact(x / y)
        except (ArithmeticError, InvalidOperation):
            return math.nan
    match op:
        case "+":
            return a + b
        case "-":
            return a - b
        case "*":
            return a * b
        case "/":
            return a / b
    raise AssertionError(op)


def total(values: list[float]) -> float:
    """The sum of values (NaN left out): exact when every value is."""
    present = [v for v in values if not math.isnan(v)]
    if all(isinstance(v, Exact) for v in present):
        return Exact(sum((v.exact for v in present if isinstance(v, Exact)), Decimal(0)))
    return math.fsum(present)


def clean(value: Any) -> float | None:
    """A result as the bot keeps it: None for no value (NaN, infinite, beyond a float), -0 made 0; an exact
    value stays exact, any other float is rounded to 12 significant digits (binary noise of float formulas)."""
    if value is None:
        return None
    if isinstance(value, Exact):
        if not math.isfinite(value):
            return None
        return ZERO if value.exact == 0 else value
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return float(f"{value:.12g}") + 0.0
