"""Daily rollups: per measure × local day × dimension value, kept in ``rollup_daily``.

Only additive measures are rolled up (``count`` and ``sum`` over the period,
with no filter that depends on the period's end): their value over a period is
the sum of their values over its days, so an answer can add

    whole past days (from the rollup)  +  the partial edges and recent days (from the source)

and be exactly what the source alone would say. Cumulative measures (LTV's "everything
before the end of the period", window ``to_end``) are rolled up too when their period-end
filters are on timestamps: their value at a date is the sum of every day before it.
Distinct counts, averages, minima and maxima always read the source.

Local days follow the KPI time zone (:mod:`kpi.store.days` buckets them in SQL, exact in
any zone).

Each refresh recomputes the days since the last one plus a late-data window
(default: the last 3 days) from the source. A measure whose definition, or the
time zone, changed since its rollup was built is not read until it is rebuilt
(the fingerprint in ``rollup_state``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, cast, delete, func, insert, literal_column, or_, select, union_all, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kpi.errors import SourceError
from kpi.store.aggregate import Row, rows_of
from kpi.store.days import TOTAL, daily_values, midnight_utc, source_rows, stretches
from kpi.store.dialects import SUPPORTED, VALUE
from kpi.store.engines import get_engine
from kpi.store.expr import Ref
from kpi.store.specs import MeasureSpec, Window
from kpi.store.sql import LIMIT, source_of, unusable, value_expr
from kpi.store.state_schema import rollup_daily, rollup_state

log = logging.getLogger(__name__)


EARLIEST = date(1900, 1, 1)
LATEST = date(3000, 1, 1)  # with EARLIEST: the days a period can name (kpi.spans.MIN_YEAR, MAX_YEAR)


def eligible(spec: MeasureSpec) -> bool:
    """Additive by day: a count or a sum, over the period or cumulative (to the period's end) with
    period-end filters on timestamps only."""
    if spec.agg not in ("count", "sum"):
        return False
    ends = [f for f in spec.filters if f.op == "before_end"]
    if spec.to_end:
        return not spec.time_is_date and not any(f.is_date for f in ends)
    return not ends


def fingerprint(spec: MeasureSpec, tz: ZoneInfo) -> str:
    return hashlib.sha256(f"{spec!r}|{tz.key}".encode()).hexdigest()[:32]


def dim_name(ref: Ref | None) -> str:
    return TOTAL if ref is None else ref.dotted


@dataclass
class MeasureState:
    fingerprint: str
    horizon: date | None
    refreshed_at: datetime


@dataclass
class RefreshReport:
    measures: int = 0
    rebuilt: int = 0
    days: int = 0
    rows: int = 0


class Rollups:
    """Reads and refreshes the daily rollups kept in the bot's database (``state_url``)."""

    def __init__(self, state_url: str, tz: ZoneInfo, late_days: int = 3):
        self.state_url = state_url
        self.tz = tz
        self.late_days = late_days

    # -- reading -----------------------------------------------------------------------------
    def states(self, names: list[str]) -> dict[str, MeasureState]:
        try:
            with get_engine(self.state_url).connect() as conn:
                rows = conn.execute(select(rollup_state).where(rollup_state.c.measure.in_(names))).all()
        except SQLAlchemyError:
            log.warning("rollup state unreadable; answering from the source", exc_info=True)
            return {}
        return {r.measure: MeasureState(r.fingerprint, r.horizon, r.refreshed_at) for r in rows}

    def midnight_utc(self, day: date) -> datetime:
        return midnight_utc(self.tz, day)

    def plan(self, measures: list[MeasureSpec], windows: list[Window], by: dict[str, Ref]) -> Any:
        """Split each measure × window into rollup days and source pieces.

        Returns (source pieces [(spec, measure index, window piece, window index, grouping)],
        rollup reads [(measure index, name, window index, dim, first day, end day)],
        the oldest refresh time used or None).
        """
        states = self.states([m.name for m in measures if eligible(m)])
        pieces, reads, used = [], [], []
        for i, spec in enumerate(measures):
            ref = by.get(spec.name)
            state = states.get(spec.name) if eligible(spec) else None
            usable = (
                state is not None
                and state.horizon is not None
                and state.fingerprint == fingerprint(spec, self.tz)
                and (ref is None or ref in spec.dimensions)
            )
            for w, window in enumerate(windows):
                first = EARLIEST if spec.to_end else window.first_day
                horizon = state.horizon if usable and state is not None else None
                last: date = min(window.whole_end or first, horizon + timedelta(days=1)) if horizon else first
                if state is None or horizon is None or last <= first:
                    pieces.append((spec, i, window, w, ref))
                    continue
                reads.append((i, spec.name, w, dim_name(ref), first, last))
                used.append(state.refreshed_at)
                for part in self._rest(spec, window, first, last):
                    pieces.append((spec, i, part, w, ref))
        return pieces, reads, (min(used) if used else None)

    def _rest(self, spec: MeasureSpec, window: Window, first: date, last: date) -> list[Window]:
        """The parts of ``window`` outside the rollup days [first, last)."""
        parts = []
        if spec.to_end:  # everything before the rollup's end is in it; the source adds what came since
            since = self.midnight_utc(last)
            if since < window.end_utc:
                parts.append(
                    Window(
                        window.start_utc,
                        window.end_utc,
                        window.first_day,
                        window.end_day,
                        window.whole_end,
                        cumulative_from=since,
                    )
                )
            return parts
        if spec.time_is_date:
            if last < window.end_day:
                parts.append(Window(window.start_utc, window.end_utc, last, window.end_day))
            return parts
        head_end, tail_start = self.midnight_utc(first), self.midnight_utc(last)
        if window.start_utc < head_end:
            parts.append(Window(window.start_utc, head_end, window.first_day, window.end_day))
        if tail_start < window.end_utc:
            parts.append(Window(tail_start, window.end_utc, window.first_day, window.end_day))
        return parts

    def read(self, reads: list[tuple[Any, ...]], names: list[str]) -> list[Row]:
        if not reads:
            return []
        selects = [
            select(
                literal_column(str(int(i))).label("measure"),
                literal_column(str(int(w))).label("window"),
                rollup_daily.c.key,
                func.sum(cast(rollup_daily.c.value, VALUE)).label("value"),  # PostgreSQL: days added as decimals
            )
            .where(
                rollup_daily.c.measure == name,
                rollup_daily.c.dim == dim,
                rollup_daily.c.day >= first,
                rollup_daily.c.day < last,
            )
            .group_by(rollup_daily.c.key)
            for i, name, w, dim, first, last in reads
        ]
        stmt = selects[0] if len(selects) == 1 else union_all(*selects)
        try:
            with get_engine(self.state_url).connect() as conn:
                rows = conn.execute(stmt).all()
        except SQLAlchemyError as exc:
            raise SourceError("The rollup table could not answer.") from exc
        return rows_of(rows, names)

    def days(
        self, source: Engine, spec: MeasureSpec, start: date, end: date, dim: str = TOTAL, key: str | None = None
    ) -> list[dict[str, Any]]:
        """The measure's total per local day for [start, end) (or, with ``dim``, the rows of one value
        ``key`` of that dimension), as :func:`daily_values` gives it: the days the rollup holds from it,
        the rest from ``source``."""
        state = self.states([spec.name]).get(spec.name) if eligible(spec) else None
        usable = state is not None and state.horizon is not None and state.fingerprint == fingerprint(spec, self.tz)
        horizon = state.horizon if usable and state is not None else None
        split: date = min(horizon + timedelta(days=1), end) if horizon is not None else start
        rows: list[dict[str, Any]] = []
        if split > start:
            stmt = select(rollup_daily.c.day, rollup_daily.c.value).where(
                rollup_daily.c.measure == spec.name,
                rollup_daily.c.dim == dim,
                rollup_daily.c.day >= start,
                rollup_daily.c.day < split,
            )
            if dim != TOTAL:
                stmt = stmt.where(rollup_daily.c.key.is_(None) if key is None else rollup_daily.c.key == key)
            try:
                with get_engine(self.state_url).connect() as conn:
                    rows = [{"dim": dim, "day": d, "key": key, "value": v} for d, v in conn.execute(stmt)]
            except SQLAlchemyError as exc:
                raise SourceError("The rollup table could not answer.") from exc
        if max(split, start) < end:
            rows += [
                r
                for r in daily_values(source, spec, self.tz, max(split, start), end)
                if r["dim"] == dim and (dim == TOTAL or r["key"] == key)
            ]
        return rows

    def invalidate(self, specs: list[MeasureSpec], table: str, first_day: date | None) -> int:
        """New rows were loaded into ``table``: recompute the days they touch at the next refresh.

        Measures reading ``table`` as their base go back to ``first_day``; measures that only join it
        (its columns may now name other keys) are rebuilt whole. Returns how many measures changed."""
        base = [s.name for s in specs if eligible(s) and s.table == table]
        joined = [s.name for s in specs if eligible(s) and s.table != table and any(j.table == table for j in s.joins)]
        with get_engine(self.state_url).begin() as conn:
            if base and first_day is not None:
                conn.execute(
                    update(rollup_state)
                    .where(rollup_state.c.measure.in_(base), rollup_state.c.horizon >= first_day)
                    .values(horizon=first_day - timedelta(days=1))
                )
            if joined:
                conn.execute(update(rollup_state).where(rollup_state.c.measure.in_(joined)).values(fingerprint=""))
        return len(base) + len(joined)

    # -- refreshing --------------------------------------------------------------------------
    def refresh(self, source: Engine, specs: list[MeasureSpec], now: datetime, rebuild: bool = False) -> RefreshReport:
        """Recompute recent days (or everything) of every eligible measure from ``source``."""
        report = RefreshReport()
        if source.dialect.name not in SUPPORTED:
            log.info("rollups are not kept for %s sources; answers read the source", source.dialect.name)
            return report
        today = now.astimezone(self.tz).date()
        specs = [s for s in specs if eligible(s)]
        states = self.states([s.name for s in specs])
        stamp = now.astimezone(timezone.utc).replace(tzinfo=None)
        for spec in specs:
            fp = fingerprint(spec, self.tz)
            state = states.get(spec.name)
            fresh_build = rebuild or state is None or state.fingerprint != fp or state.horizon is None
            if fresh_build:
                start = self._first_day(source, spec) or today
            else:
                assert state is not None and state.horizon is not None  # not a fresh build: it has a horizon
                start = min(state.horizon + timedelta(days=1), today - timedelta(days=self.late_days))
            rows = self._compute(source, spec, start, today) if start < today else []
            self._write(spec.name, fp, rows, start, today - timedelta(days=1), stamp, replace_all=fresh_build)
            report.measures += 1
            report.rebuilt += int(fresh_build)
            report.days += max((today - start).days, 0)
            report.rows += len(rows)
        return report

    def _first_day(self, source: Engine, spec: MeasureSpec) -> date | None:
        """The first day with data, among the days a period can name (placeholder dates such as
        0001-01-01 or 9999-12-31 are counted and skipped, with one warning naming the table)."""
        aliases, table, time_col = source_of(spec)
        low, high = (
            (EARLIEST, LATEST)
            if spec.time_is_date
            else (datetime.combine(EARLIEST, time()), datetime.combine(LATEST, time()))
        )
        value = value_expr(spec, aliases) if spec.agg == "sum" else None
        [(first, outside, huge)] = source_rows(
            source,
            select(
                func.min(case((and_(time_col >= low, time_col < high), time_col))),
                func.count(case((or_(time_col < low, time_col >= high), 1))),
                func.count(unusable(value)) if value is not None else literal_column("0"),
            ).select_from(table),
        )
        if outside:
            log.warning(
                "%s: %d rows dated before %s or from %s on (placeholders?) are left out of %s",
                spec.table,
                outside,
                low,
                high,
                spec.name,
            )
        if huge:
            log.warning(
                "%s: %d rows whose value is infinite or at least %g are left out of %s",
                spec.table,
                huge,
                LIMIT,
                spec.name,
            )
        if first is None:
            return None
        if isinstance(first, str):  # SQLite without a typed column in a custom definition
            first = datetime.fromisoformat(first)
        if isinstance(first, datetime):
            return first.replace(tzinfo=timezone.utc).astimezone(self.tz).date()
        return first if isinstance(first, date) else None

    def _compute(self, source: Engine, spec: MeasureSpec, start: date, end: date) -> list[dict[str, Any]]:
        return daily_values(source, spec, self.tz, start, end)

    def stretches(self, start: date, end: date) -> list[tuple[datetime, datetime, int]]:
        return stretches(self.tz, start, end)

    def _write(
        self,
        name: str,
        fp: str,
        rows: list[dict[str, Any]],
        start: date,
        horizon: date,
        stamp: datetime,
        replace_all: bool,
    ) -> None:
        """Replace the measure's days, serialised per measure: two schedulers never double a rollup."""
        engine = get_engine(self.state_url)
        try:  # a placeholder row to lock (never read: its fingerprint matches nothing)
            with engine.begin() as conn:
                conn.execute(
                    insert(rollup_state).values(measure=name, fingerprint="", horizon=None, refreshed_at=stamp)
                )
        except IntegrityError:
            pass
        with engine.begin() as conn:
            # Updating the state row first takes its lock: a concurrent refresh waits here, then
            # deletes what this one wrote before writing its own rows.
            conn.execute(
                update(rollup_state)
                .where(rollup_state.c.measure == name)
                .values(fingerprint=fp, horizon=horizon, refreshed_at=stamp)
            )
            wipe = delete(rollup_daily).where(rollup_daily.c.measure == name)
            conn.execute(wipe if replace_all else wipe.where(rollup_daily.c.day >= start))
            for i in range(0, len(rows), 5000):
                conn.execute(insert(rollup_daily), [{"measure": name, **r} for r in rows[i : i + 5000]])
