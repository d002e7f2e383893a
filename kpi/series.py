"""A KPI as a series over time (per day, per ISO week or per calendar month), for charts.

The measures are aggregated per local day in SQL (the same exact bucketing as the
rollups, which answer for the days they hold), the formula is applied per day (or week) in pandas. Cumulative measures
(LTV's) add their history before the period, so each point is the KPI *at the end*
of that day. Days run over the period's whole local days.

A series says what is known (:func:`series` with ``now``): a bucket not entirely inside the period (a week
cut by a 90-day window) or holding the day in progress is *partial*; a bucket after ``now`` has no value;
a ratio's bucket whose denominator is too small to mean anything (the ``min`` guard's idea) is *thin*.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise
from typing import Any

from kpi.anomaly import WEEKS, Judgement, Sensitivity, judge
from kpi.catalog import Kpi
from kpi.compute import evaluate
from kpi.model import Measure
from kpi.service import KpiService
from kpi.spans import Grain, Period, PeriodPair, range_pair, shift
from kpi.store.aggregate import aggregate
from kpi.store.days import daily_values
from kpi.store.specs import MeasureSpec, Window

MAX_DAYS_BY_DAY = 62
MAX_DAYS_BY_WEEK = 371  # a year and a few days by week; longer by calendar month
THIN_SHARE = 0.25  # a ratio's bucket is thin below this share of the series' usual (median) denominator
THIN_COUNT = 5.0  # ... or when its denominator counts fewer than this many rows
COARSER = {"day": "week", "week": "month"}
MIN_POINTS = 3  # a sparse series is drawn by a coarser grain only while that leaves this many points


@dataclass(frozen=True)
class Points:
    labels: list[date]  # first (calendar) day of each point's bucket
    values: list[float | None]
    partial: list[bool] = field(default_factory=list)  # bucket cut by the period's edge or by now
    thin: list[bool] = field(default_factory=list)  # a ratio whose denominator was too small

    def is_partial(self, i: int) -> bool:
        return i < len(self.partial) and self.partial[i]

    def is_thin(self, i: int) -> bool:
        return i < len(self.thin) and self.thin[i]


@dataclass(frozen=True)
class Series:
    kpi: Kpi
    grain: str  # "day" | "week" | "month"
    current: Points
    previous: Points
    thin_below: float | None = None  # the denominator under which a point is thin (None: not a ratio)
    denominator: Measure | None = None  # the measure under a ratio's division, whose size makes a point thin


def grain_for(days: int) -> str:
    """Day by day up to two months, by ISO week up to a year, by calendar month beyond."""
    return "day" if days <= MAX_DAYS_BY_DAY else "week" if days <= MAX_DAYS_BY_WEEK else "month"


@dataclass(frozen=True)
class Known:
    """What is known when a series is drawn: up to ``now``, from ``first_data`` (the KPI's first day with
    data, when known: the buckets before it have no value, not zero), and the ``min`` a denominator needs."""

    now: datetime
    first_data: date | None = None
    min_denominator: float | None = None


def series(
    service: KpiService,
    kpi: Kpi,
    pair: PeriodPair,
    with_previous: bool = True,
    where: tuple[str, str | None] | None = None,
    now: datetime | None = None,
    min_denominator: float | None = None,
    first_data: date | None = None,
) -> Series:
    """The KPI by day, week or month over the pair's periods; ``where``: for one value of a breakdown only;
    ``now``: what is known (default: the current period's end); ``min_denominator``: a rule's ``min``
    (default: thin below a quarter of the usual denominator, or below 5 rows counted); ``first_data``: the
    first day the KPI's tables have rows (default: asked, :func:`first_data_day`)."""
    days = (pair.current.end_day() - pair.current.first_day()).days
    grain = grain_for(days)
    known = Known(now or pair.current.end, first_data or first_data_day(service, kpi), min_denominator)
    current, thin_below = _known_points(service, kpi, pair.current, grain, where, known)
    today = known.now.astimezone(pair.current.tz).date()
    while grain in COARSER and _sparse(current, grain, today, known.first_data):
        # a KPI known once a month (invoices) drawn by week is loose dots: by month, while that leaves 3 points
        coarser, thin = _known_points(service, kpi, pair.current, COARSER[grain], where, known)
        if len(coarser.values) < MIN_POINTS:
            break
        grain, current, thin_below = COARSER[grain], coarser, thin
    previous = Points([], [])
    if with_previous:  # thin under the same size as the current period's points
        same = replace(known, min_denominator=min_denominator or thin_below)
        previous = _known_points(service, kpi, pair.previous, grain, where, same)[0]
    catalog = service.catalog
    denominator = catalog.metrics[kpi.key].denominator
    return Series(kpi, grain, current, previous, thin_below, catalog.measures[denominator[0]] if denominator else None)


def first_data_day(service: KpiService, kpi: Kpi) -> date | None:
    """The first day the KPI's data covers (:mod:`kpi.coverage`: the latest first day of the tables it
    reads), None when not known: a sum before it is no data, not zero."""
    from kpi import coverage, freshness

    catalog = service.catalog
    specs = {freshness.table_name(catalog.specs[n]): catalog.specs[n] for n in catalog.measures_of(kpi)}
    days = [d for d in coverage.first_days(service, specs).values() if d is not None]
    return max(days) if days else None


def daily(service: KpiService, kpi: Kpi, first: date, last: date) -> dict[date, float | None]:
    """The KPI per local day, for the days ``first`` to ``last`` included."""
    points = _points(service, kpi, range_pair(first, last, service.tz).current, "day")
    return dict(zip(points.labels, points.values, strict=True))


def judge_day(service: KpiService, kpi: Kpi, day: date, sensitivity: Sensitivity = Sensitivity.MEDIUM) -> Judgement:
    """Is the KPI's value on ``day`` unusual for that weekday? (:mod:`kpi.anomaly`; one query per measure
    for the 9 weeks it needs)."""
    return judge(recent(service, kpi, "day", day).values, day, sensitivity)


@dataclass(frozen=True)
class Recent:
    """What an unusual rule judges: the KPI per day (or per week, keyed by its Monday) over the last
    9 weeks up to ``last``, and the measures of ``last`` (for the rule's ``min`` guard)."""

    last: date
    values: dict[date, float | None]
    measures: dict[str, float]


def expected_band(
    service: KpiService, kpi: Kpi, days: list[date], sensitivity: Sensitivity = Sensitivity.MEDIUM
) -> list[tuple[float, float] | None]:
    """The range each of ``days`` was expected in (None where it could not be judged), for the chart of
    an unusual rule: the same judgement as the rule's, day by day, from one read of the days it needs."""
    if not days:
        return []
    seen = recent(service, kpi, "day", max(days), since=min(days))
    out: list[tuple[float, float] | None] = []
    for day in days:
        verdict = judge(seen.values, day, sensitivity)
        out.append((verdict.low, verdict.high) if verdict.low is not None and verdict.high is not None else None)
    return out


def last_complete(grain: str, today: date) -> date:
    """The day (yesterday) or the week (last week's Monday) an unusual rule judges on ``today``."""
    if grain == "week":
        return today - timedelta(days=today.weekday() + 7)
    return today - timedelta(days=1)


def recent(service: KpiService, kpi: Kpi, grain: str, last: date, since: date | None = None) -> Recent:
    """The KPI per day (or week) for the 9 weeks up to ``last`` (before ``since`` when given), read once for
    every rule on it. The days before the KPI's first value that is not zero are no history: a sum is 0
    before its table's first row, which says nothing about a usual day."""
    first = min(since or last, last) - timedelta(weeks=WEEKS, days=6 if grain == "day" else 0)
    end = last + timedelta(days=1 if grain == "day" else 7)
    frame = _frame(service, kpi, range_pair(first, end - timedelta(days=1), service.tz).current, grain)
    if frame is None:
        return Recent(last, {}, {})
    keys, env, values = frame
    out = dict(zip(keys, values, strict=True))
    for key in sorted(out):
        if out[key]:
            break
        out[key] = None
    return Recent(last, out, {name: column.get(last, 0.0) for name, column in env.items()})


def unusualness(values: list[float | None], baseline_min: int = 7) -> float:
    """How unusual the last complete day's move is (the point before today's partial one): its change
    from the day before, in standard deviations of the usual day-to-day changes. A KPI that always
    climbs (a cumulative one) is not unusual for climbing; one that jumps is. The digest leads with it."""
    complete = values[:-1]  # the last point is today, still partial
    moves = [b - a for a, b in pairwise(complete) if a is not None and b is not None]
    if len(complete) < 2 or complete[-1] is None or complete[-2] is None or len(moves) < baseline_min + 1:
        return 0.0
    last, baseline = moves[-1], moves[:-1]
    mean = sum(baseline) / len(baseline)
    spread = (sum((m - mean) ** 2 for m in baseline) / len(baseline)) ** 0.5
    if spread == 0:
        return 0.0 if last == mean else float("inf")
    return float(abs(last - mean) / spread)


def _known_points(
    service: KpiService, kpi: Kpi, period: Period, grain: str, where: tuple[str, str | None] | None, known: Known
) -> tuple[Points, float | None]:
    """The points with what is known of each: no value after ``now`` or before the first data, partial
    buckets (cut by the period, the first data or now), thin ratios (and the size they were thin under)."""
    frame = _frame(service, kpi, period, grain, where)
    if frame is None:
        return Points([], []), None
    keys, env, values = frame
    first, end = period.first_day(), period.end_day()
    local = known.now.astimezone(period.tz)
    today = local.date()
    known_end = today + timedelta(days=1) if local > datetime.combine(today, time(), tzinfo=period.tz) else today
    since = known.first_data or first
    kept: list[float | None] = []
    partial: list[bool] = []
    for key, value in zip(keys, values, strict=True):
        bucket_end = _bucket_end(key, grain)
        counted_from, counted_to = max(key, first), min(bucket_end, end)
        if counted_from >= known_end or counted_to <= since:  # the future, or before any data: not known
            kept.append(None)
            partial.append(False)
            continue
        kept.append(value)
        partial.append(max(counted_from, since) > key or counted_to < bucket_end or counted_to > today)
    thin, below = _thin(service, kpi, keys, env, known.min_denominator)
    return Points(keys, kept, partial, thin), below


def _sparse(points: Points, grain: str, today: date, since: date | None) -> bool:
    """Fewer than half of the buckets from the first data (``since``) up to today have a value, but some do:
    better drawn by a coarser grain."""
    past = [
        v
        for label, v in zip(points.labels, points.values, strict=True)
        if label <= today and (since is None or _bucket_end(label, grain) > since)
    ]
    known = sum(v is not None for v in past)
    return 0 < known < len(past) / 2


def _bucket_end(key: date, grain: str) -> date:
    """The first day after the calendar bucket starting on ``key``."""
    if grain == "week":
        return key + timedelta(days=7)
    if grain == "month":
        return shift(key, Grain.MONTH, 1)
    return key + timedelta(days=1)


def _thin(
    service: KpiService, kpi: Kpi, keys: list[date], env: dict[str, dict[date, float]], minimum: float | None
) -> tuple[list[bool], float | None]:
    """Which points of a ratio had too small a denominator to mean anything: any measure under its division
    under ``minimum`` (a rule's ``min``, as the guard reads it), else, for a single measure there, under a
    quarter of the series' median or 5 rows counted. A KPI that is not a ratio has no thin point."""
    catalog = service.catalog
    names = catalog.metrics[kpi.key].denominator
    if not keys or not names or (minimum is None and len(names) > 1):  # a ratio of ratios: no one size
        return [False] * len(keys), None
    if minimum is None:
        column = env[names[0]]
        usual = [column[k] for k in keys if column[k] > 0]
        floor = THIN_COUNT if catalog.measures[names[0]].agg in ("count", "count_distinct") else 0.0
        minimum = max(THIN_SHARE * statistics.median(usual), floor) if usual else floor
    return [any(0 < env[n][k] < minimum for n in names) for k in keys], minimum


def _points(
    service: KpiService, kpi: Kpi, period: Period, grain: str, where: tuple[str, str | None] | None = None
) -> Points:
    frame = _frame(service, kpi, period, grain, where)
    if frame is None:
        return Points([], [])
    keys, _, values = frame
    return Points(keys, values)


def _frame(
    service: KpiService, kpi: Kpi, period: Period, grain: str, where: tuple[str, str | None] | None = None
) -> Any:
    """(the points' first days, each measure per point, the KPI per point), or None for an empty period;
    ``where``: the rows of one value of a breakdown only."""
    import pandas as pd  # imported with the first chart or band: the app and the CLI start without it

    catalog = service.catalog
    start, end = period.first_day(), period.end_day()
    if end <= start:
        return None
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    env = {}
    for name in catalog.measures_of(kpi):
        spec = catalog.specs[name]
        dim, key = (catalog.dimension_ref(name, where[0]).dotted, where[1]) if where else ("", None)
        rows = (
            service.rollups.days(service.source, spec, start, end, dim, key)
            if service.rollups is not None
            else [
                r
                for r in daily_values(service.source, spec, service.tz, start, end)
                if r["dim"] == dim and (not dim or r["key"] == key)
            ]
        )
        daily = pd.Series({r["day"]: r["value"] for r in rows}, dtype=float).reindex(days).fillna(0.0)
        if spec.to_end:  # the KPI at the end of each day: history before the period, then running total
            before = _before(service, spec, period)
            daily = daily.cumsum() + before
        env[name] = daily
    frame = pd.DataFrame(env, index=days)
    if grain in ("week", "month"):
        keys = [d - timedelta(days=d.weekday()) if grain == "week" else d.replace(day=1) for d in days]
        cumulative = [n for n in env if catalog.specs[n].to_end]
        agg = {n: ("last" if n in cumulative else "sum") for n in env}
        frame = frame.groupby(keys).agg(agg)
    keys = list(frame.index)
    columns = {n: frame[n].to_dict() for n in frame.columns}
    values, _ = evaluate(catalog.metrics[kpi.key].formula, columns, keys)
    return keys, columns, [None if math.isnan(values[k]) else values[k] for k in keys]


def _before(service: KpiService, spec: MeasureSpec, period: Period) -> float:
    """A cumulative measure's value at the first counted day's local midnight (rollups when kept)."""
    first = period.first_day()
    edge = datetime.combine(first, time(), tzinfo=period.tz).astimezone(timezone.utc).replace(tzinfo=None)
    found = aggregate(service.source, [spec], [Window(edge, edge, first, first, first)], rollups=service.rollups)
    return math.fsum(value for *_, value in found.rows if not math.isnan(value))
