"""Pacing against a target: month to date vs the prorated target, or a level vs its target.

* A KPI that accumulates over the period (one ``sum`` or ``count`` measure: revenue) is
  prorated: by now, the period should have reached ``target × elapsed share``; the
  projection is ``value / elapsed share``.
* Any other KPI (a ratio: conversion rate, CAC) is a level: compared with the target as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from kpi.catalog import Catalog, Direction
from kpi.compute import KpiResult
from kpi.spans import Kind, Period

GRAINS = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Pace:
    target: float
    value: float
    prorated: bool
    expected: float  # what the target asks for by now (the target itself for a level)
    projected: float  # the value expected at the end of the period (the value itself for a level)
    on_track: bool  # judged with the KPI's direction

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


def target_allowed(catalog: Catalog, key: str, target: float) -> bool:
    """A KPI that is never below zero (revenue, a rate, CAC) takes only a positive target; one that can be
    (NPS, a margin) takes any, 0 included."""
    return target > 0 or not catalog.metrics[key].positive


class Standing(str, Enum):
    """The one judgement of a KPI against its target, said alike by the target rule, the digest and Home."""

    EARLY = "early"  # before a fifth of the period: too early to judge
    ON_TRACK = "on_track"  # the projection misses the target by no more than the margin
    OFF_TRACK = "off_track"


EARLY = 0.2  # before a fifth of the period, a projection is too unsure to warn on
LATE = 0.1  # with less than a tenth of it left, there is no time to act: no new warning


@dataclass(frozen=True)
class Miss:
    """Where a KPI's period is heading against its target, for a target-miss rule."""

    pace: Pace
    shortfall: float  # how far the projection misses the target (fraction of it; < 0: beats it)
    elapsed: float  # share of the period gone
    days_gone: float
    days_left: float
    margin: float  # the rule's tolerance (fraction)

    @property
    def missing(self) -> bool:
        return self.shortfall > self.margin

    @property
    def early(self) -> bool:
        return self.elapsed < EARLY

    @property
    def late(self) -> bool:
        return 1.0 - self.elapsed < LATE

    @property
    def standing(self) -> Standing:
        if self.early:
            return Standing.EARLY
        return Standing.OFF_TRACK if self.missing else Standing.ON_TRACK

    @property
    def per_day_so_far(self) -> float | None:
        return self.pace.value / self.days_gone if self.pace.prorated and self.days_gone > 0 else None

    @property
    def per_day_needed(self) -> float | None:
        """What each remaining day must bring to reach the target (accumulating KPIs)."""
        if not self.pace.prorated or self.days_left <= 0:
            return None
        return max(self.pace.target - self.pace.value, 0.0) / self.days_left


def miss(catalog: Catalog, result: KpiResult, target: float, now: datetime, margin: float) -> Miss | None:
    """``result`` (a period to date) against ``target``: its projection, and how far it misses (None: no value
    yet, or a target the KPI can't take). The target rule, the digest and Home judge with this, and
    :attr:`Miss.standing`, so that they never disagree."""
    full_end = result.current.calendar_end()
    found = pace(catalog, result, target, now, full_end)
    if found is None or not target_allowed(catalog, result.kpi.key, target):
        return None
    up = result.kpi.direction is Direction.UP
    gap = (target - found.projected) if up else (found.projected - target)
    elapsed = elapsed_share(result.current, now, full_end)
    gone = max((min(now, full_end) - result.current.start).total_seconds(), 0.0) / 86400
    left = max((full_end - now).total_seconds(), 0.0) / 86400
    # a target of 0 (an NPS that should stay positive): the margin reads in the KPI's own unit
    return Miss(found, gap / (abs(target) or 1.0), elapsed, gone, left, margin)


def standings(
    catalog: Catalog,
    results: list[KpiResult],
    targets: dict[str, float],
    margins: dict[str, float],
    now: datetime,
    default_margin: float,
) -> dict[str, Miss]:
    """Each result with a target, judged as its target rule judges it (the rule's margin when the team has
    one for that KPI and grain, else ``default_margin``): what the digest and Home show."""
    out = {}
    for r in results:
        target = targets.get(r.kpi.key)
        if target is None:
            continue
        found = miss(catalog, r, target, now, margins.get(r.kpi.key, default_margin))
        if found is not None:
            out[r.kpi.key] = found
    return out
