"""Pacing against a target: month to date vs the prorated target, or a level vs its target.

* A KPI that accumulates over the period (one ``sum`` or ``count`` measure: revenue) is
  prorated: by now, the period should have reached ``target × elapsed share``; the
  projection is ``value / elapsed share``.
* Any other KPI (a ratio: conversion rate, CAC) is a level: compared with the target as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kpi.catalog import Catalog, Direction
from kpi.compute import KpiResult
from kpi.spans import Kind, Period

GRAINS = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Pace:
    target: float
    value: float
    prorated: bool
    expected: float       # what the target asks for by now (the target itself for a level)
    projected: float      # the value expected at the end of the period (the value itself for a level)
    on_track: bool        # judged with the KPI's direction

    @property
    def share(self) -> float | None:
        """value / expected (1.0 = exactly on pace)."""
        return self.value / self.expected if self.expected else None


def accumulates(catalog: Catalog, key: str) -> bool:
    return catalog.metrics[key].accumulates


def elapsed_share(period: Period, now: datetime, full_end: datetime) -> float:
    total = (full_end - period.start).total_seconds()
    done = (min(now, full_end) - period.start).total_seconds()
    return max(0.0, min(1.0, done / total)) if total > 0 else 1.0


def pace(catalog: Catalog, result: KpiResult, target: float, now: datetime, full_end: datetime) -> Pace | None:
    """How ``result`` (for a calendar period, to date or whole) stands against ``target``."""
    if result.value is None:
        return None
    up = result.kpi.direction is Direction.UP
    if accumulates(catalog, result.kpi.key):
        share = elapsed_share(result.current, now, full_end) if result.current.kind is Kind.TO_DATE else 1.0
        expected = target * share
        projected = result.value / share if share else result.value
        good = projected >= target if up else projected <= target
        return Pace(target, result.value, True, expected, projected, good)
    good = result.value >= target if up else result.value <= target
    return Pace(target, result.value, False, target, result.value, good)
