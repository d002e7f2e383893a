"""Stale data: a source table whose rows stopped arriving for much longer than usual.

A broken import looks like a collapse: revenue at zero, conversion gone. Before rules judge a KPI, each
table it reads is checked: its newest row (:mod:`kpi.store.arrivals`), and the usual gap between the
days it gets rows, learned from its own last 8 weeks (the longest gap between two days with rows: a
B2B table empty every weekend has a usual gap of 3 days, a weekly import one of 7). A table is stale
when its newest row is older than 1.5 usual gaps (a daily table: 36 hours), or than the ``freshness`` a
measure on it sets in the definitions (``freshness: 36h``). Its rules then wait in *no data* instead of
firing, and the channels hear it once (``bot/jobs/alerts.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from kpi.catalog import Catalog
from kpi.store.arrivals import last_row
from kpi.store.days import daily_values, midnight_utc
from kpi.store.rollup import Rollups
from kpi.store.specs import MeasureSpec


class KpiService(Protocol):
    """What this module reads of :class:`kpi.service.KpiService` (which asks it about its own answers)."""

    @property
    def catalog(self) -> Catalog: ...
    @property
    def source(self) -> Engine: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def rollups(self) -> Rollups | None: ...


WEEKS = 8  # the history a table's usual gap is learned from
FACTOR = 1.5  # stale past this many usual gaps without a new row
MIN_ACTIVE = 4  # fewer days with rows in those weeks: no usual gap is learned, the table is never stale


@dataclass(frozen=True)
class Freshness:
    table: str
    last_row_at: datetime | None  # naive UTC: the newest row (a DATE table: the end of its newest day)
    usual_gap_days: int | None  # None: not enough history to know what is usual
    stale: bool


def table_name(spec: MeasureSpec) -> str:
    return f"{spec.schema}.{spec.table}" if spec.schema else spec.table


def tables_of(service: KpiService, kpi: str) -> set[str]:
    catalog = service.catalog
    if kpi not in catalog.kpis:
        return set()
    return {table_name(catalog.specs[n]) for n in catalog.measures_of(catalog.kpis[kpi])}


def check(service: KpiService, kpis: Iterable[str], now: datetime) -> dict[str, Freshness]:
    """The freshness of every table these KPIs read (one query for its newest row, one for its days)."""
    return {table: check_table(service, table, spec, now) for table, spec in probes(service, kpis).items()}


def probes(service: KpiService, kpis: Iterable[str]) -> dict[str, MeasureSpec]:
    """Each table these KPIs read, with the measure to probe it by."""
    catalog = service.catalog
    found: dict[str, MeasureSpec] = {}
    for key in kpis:
        if key not in catalog.kpis:
            continue
        for name in catalog.measures_of(catalog.kpis[key]):
            spec = catalog.specs[name]
            current = found.get(table_name(spec))
            if current is None or (current.to_end and not spec.to_end):  # a plain measure counts rows by day
                found[table_name(spec)] = spec
    return found


def check_table(service: KpiService, table: str, spec: MeasureSpec, now: datetime) -> Freshness:
    """The freshness of one table, probed by ``spec`` (``now`` aware)."""
    return _check(service, table, spec, now.astimezone(timezone.utc).replace(tzinfo=None))


def _check(service: KpiService, table: str, spec: MeasureSpec, now_utc: datetime) -> Freshness:
    found = last_row(service.source, spec, now_utc)
    if found is None:
        return Freshness(table, None, None, False)
    if isinstance(found, datetime):
        last_at = found
        last_day = found.replace(tzinfo=timezone.utc).astimezone(service.tz).date()
    else:
        last_at, last_day = midnight_utc(service.tz, found + timedelta(days=1)), found
    limit = service.catalog.freshness(table)  # set in the definitions: as said, not learned
    if limit is not None:
        return Freshness(table, last_at, max(1, math.ceil(limit / timedelta(days=1))), now_utc - last_at > limit)
    gap = usual_gap(_active_days(service, spec, last_day))
    stale = gap is not None and now_utc - last_at > timedelta(days=gap * FACTOR)
    return Freshness(table, last_at, gap, stale)


def _active_days(service: KpiService, spec: MeasureSpec, last_day: date) -> list[date]:
    start, end = last_day - timedelta(weeks=WEEKS), last_day + timedelta(days=1)
    rows = (
        service.rollups.days(service.source, spec, start, end)
        if service.rollups is not None
        else [r for r in daily_values(service.source, spec, service.tz, start, end) if r["dim"] == ""]
    )
    return sorted(r["day"] for r in rows if r["value"] and not math.isnan(r["value"]))


def usual_gap(days: list[date]) -> int | None:
    """The longest gap, in days, between two consecutive days with rows (None: too few days to say)."""
    if len(days) < MIN_ACTIVE:
        return None
    return max((b - a).days for a, b in zip(days, days[1:], strict=False))
