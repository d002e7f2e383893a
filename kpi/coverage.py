"""What the data can back, said with every number: the span each KPI's source covers, and stale tables.

* **Coverage.** Each table's first row (:func:`kpi.store.arrivals.first_row`, one indexed ``min`` per
  table) says where its data begins; a KPI's data begins on the latest first day of the tables it reads.
  A period is *not covered* when it ends before that day ("No revenue data before Dec 4, 2025"), *partly
  covered* when the data begins inside it more than one usual gap of the table after its start ("from
  Dec 4, 2025 (first data)": a table that gets rows every week may well have had none in the period's
  first days; a table whose rhythm is not known yet is never called partly covered), *covered*
  otherwise, and *in the future* when it has not begun. A period not covered, or in the
  future, has no value (never a €0.00); a change is computed only when both periods are covered
  (:attr:`kpi.compute.KpiResult.comparable`), and a percentage only as :func:`kpi.compute.pct_change`
  allows. A cumulative measure (``window: to_end``) is complete in any period that ends after its data
  begins.
* **Stale tables.** The tables a KPI reads that stopped getting rows (:mod:`kpi.freshness`, the check
  the alert channel gets) ride along with the result, so that answers, digests and Home say "⚠ sales has
  had no new rows since Dec 2 (usually daily)", and the change is not coloured better or worse (for a
  period that reaches past the table's newest row: an earlier period's rows have all arrived). A period
  that begins after that row has no value at all: nothing arrived in it.

:func:`qualify` applies both to results; :class:`kpi.service.KpiService` runs it on every answer.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from kpi import freshness
from kpi.compute import BreakdownRow, Cover, KpiResult, Reason, ReasonCode, Stale
from kpi.errors import KpiError
from kpi.freshness import KpiService
from kpi.spans import Period
from kpi.store.arrivals import first_row
from kpi.store.specs import MeasureSpec

log = logging.getLogger(__name__)
_WORST = (Cover.FULL, Cover.PARTIAL, Cover.NONE)
_UNKNOWN = object()
MEMO_SIZE = 1024  # probes kept per service (by table and instant) before they are all forgotten
Firsts = dict[str, date | None]  # each table's first day with a row
Fresh = dict[str, freshness.Freshness]  # each table's freshness


def first_days(service: KpiService, tables: dict[str, MeasureSpec]) -> dict[str, date | None]:
    """The first local day with a row in each table (None: an empty table, or one that could not say)."""
    out: dict[str, date | None] = {}
    for table, spec in tables.items():
        try:
            found = first_row(service.source, spec)
        except KpiError as exc:
            log.warning("coverage of %s unknown: %s", table, exc.message)
            found = None
        if isinstance(found, datetime):  # naive UTC: its local day
            out[table] = found.replace(tzinfo=timezone.utc).astimezone(service.tz).date()
        else:
            out[table] = found
    return out


def _memo(service: KpiService, kind: str, now: datetime, tables: dict[str, MeasureSpec], work: Any) -> dict[str, Any]:
    """``work(tables)`` for the tables not yet known at this very ``now``: a digest or a dashboard asks
    many questions at one instant, and each table is probed once for all of them (a later ``now`` asks
    again, so new rows are always seen)."""
    memo = getattr(service, "memo", None)
    if memo is None:
        return dict(work(tables))
    if len(memo) > MEMO_SIZE:
        memo.clear()
    known = {t: memo.get((kind, t, now), _UNKNOWN) for t in tables}  # one read each: safe across threads
    out = {t: found for t, found in known.items() if found is not _UNKNOWN}
    missing = {t: spec for t, spec in tables.items() if t not in out}
    if missing:
        probed = dict(work(missing))
        memo.update({(kind, t, now): found for t, found in probed.items()})
        out.update(probed)
    return out


def cover(
    period: Period, first: date | None, now: datetime, cumulative: bool = False, usual_gap_days: int | None = 1
) -> Cover:
    """How much of ``period`` data beginning on ``first`` covers (``now`` aware), for a table that gets rows
    every ``usual_gap_days`` (None: not known)."""
    if period.starts_after(now):
        return Cover.FUTURE
    if first is None:
        return Cover.FULL  # nothing known: no claim either way
    begins = datetime.combine(first, time(), tzinfo=period.tz)
    if period.end <= begins:
        return Cover.NONE
    if cumulative or usual_gap_days is None:
        return Cover.FULL
    if begins - period.start > timedelta(days=usual_gap_days):
        return Cover.PARTIAL
    return Cover.FULL


def qualify(service: KpiService, results: list[KpiResult], now: datetime) -> list[KpiResult]:
    """Each result with its coverage and its stale tables, and without any value the data cannot back."""
    probes = freshness.probes(service, {r.kpi.key for r in results})
    firsts = _memo(service, "first", now, probes, lambda tables: first_days(service, tables))
    try:
        fresh = _memo(
            service,
            "fresh",
            now,
            probes,
            lambda tables: {t: freshness.check_table(service, t, spec, now) for t, spec in tables.items()},
        )
    except KpiError as exc:
        log.warning("freshness not checked: %s", exc.message)
        fresh = {}
    return [_qualified(service, r, firsts, fresh, now) for r in results]


def _kpi_cover(
    service: KpiService, result: KpiResult, period: Period, firsts: Firsts, fresh: Fresh, now: datetime
) -> tuple[Cover, date | None]:
    catalog, worst, since = service.catalog, Cover.FULL, None
    for name in catalog.measures_of(result.kpi):
        spec = catalog.specs[name]
        table = freshness.table_name(spec)
        first = firsts.get(table)
        gap = fresh[table].usual_gap_days if table in fresh else None
        found = cover(period, first, now, spec.to_end, gap)
        if found is Cover.FUTURE:
            return found, None
        if first is not None and (since is None or first > since):
            since = first
        if _WORST.index(found) > _WORST.index(worst):
            worst = found
    return worst, since


def _qualified(service: KpiService, result: KpiResult, firsts: Firsts, fresh: Fresh, now: datetime) -> KpiResult:
    current, first = _kpi_cover(service, result, result.current, firsts, fresh, now)
    previous, since = _kpi_cover(service, result, result.previous, firsts, fresh, now)
    first = first or since
    if current is Cover.FUTURE:  # nothing is compared with a period not begun: no claim on the other one
        previous = Cover.FULL
    tables = freshness.tables_of(service, result.kpi.key)
    stale = tuple(  # a stale table matters to a period that reaches past its newest row
        Stale(t, f.last_row_at, f.usual_gap_days)
        for t, f in sorted(fresh.items())
        if f.stale and t in tables and (f.last_row_at is None or result.current.end_utc() > f.last_row_at)
    )
    current, previous = _after(result.current, current, stale), _after(result.previous, previous, stale)
    found = replace(result, first_data=first, cover=current, previous_cover=previous, stale=stale)
    if current in (Cover.NONE, Cover.FUTURE, Cover.AFTER):
        code = {Cover.FUTURE: ReasonCode.FUTURE, Cover.AFTER: ReasonCode.NO_DATA}.get(current, ReasonCode.BEFORE_DATA)
        found = replace(
            found,
            value=None,
            reason=Reason(code, since=first if code is ReasonCode.BEFORE_DATA else None),
            measures=dict.fromkeys(found.measures),
            breakdown=tuple(replace(r, value=None, measures=dict.fromkeys(r.measures)) for r in found.breakdown),
        )
    if previous in (Cover.NONE, Cover.AFTER) or current is Cover.FUTURE:
        reasons = {Cover.NONE: Reason(ReasonCode.BEFORE_DATA, since=first), Cover.AFTER: Reason(ReasonCode.NO_DATA)}
        found = replace(
            found,
            previous_value=None,
            previous_reason=reasons.get(previous),
            previous_measures=dict.fromkeys(found.previous_measures),
        )
    if not found.comparable:  # no row's change either
        found = replace(found, breakdown=tuple(_without_previous(r) for r in found.breakdown))
    return found


def _after(period: Period, found: Cover, stale: tuple[Stale, ...]) -> Cover:
    """A period that begins after the newest row of a stale table: nothing arrived in it, so it has no value
    (rather than a €0.00)."""
    if found is Cover.FULL and any(s.last_row_at and period.start_utc() >= s.last_row_at for s in stale):
        return Cover.AFTER
    return found


def _without_previous(row: BreakdownRow) -> BreakdownRow:
    return replace(row, previous=None, previous_measures=dict.fromkeys(row.previous_measures))
