"""Local days in SQL: a measure's value per local calendar day, computed by the source.

Timestamps (naive UTC) are bucketed with a fixed UTC offset per stretch between two DST
transitions (:func:`stretches`), so the bucketing is exact in any zone, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import cast, select
from sqlalchemy.engine import Engine

from kpi.store.dialects import KEY, local_day
from kpi.store.engines import read_rows
from kpi.store.specs import MeasureSpec, Window
from kpi.store.sql import effective_ranges, effective_time, filters_of, source_of, value_of

TOTAL = ""  # the dimension name of a measure's total


def source_rows(source: Engine, stmt: Any) -> list[Any]:
    """The rows of one query to the source, within the query time limit (SourceError otherwise)."""
    return read_rows(source, stmt)


def day_statements(dialect: str, spec: MeasureSpec, tz: ZoneInfo, start: date, end: date) -> list[Any]:
    """The SELECTs that give the measure per local day (and per value of each of its dimensions) for the
    days [start, end): one per DST stretch (and per effective-time range of a cumulative measure)."""
    dims = list(spec.dimensions)
    aliases, table, time_col = source_of(spec, dims)
    dim_cols = [cast(aliases[r.alias].c[r.name], KEY).label(f"d{j}") for j, r in enumerate(dims)]
    window = Window(midnight_utc(tz, start), midnight_utc(tz, end), start, end)
    effective = effective_time(spec, aliases, time_col) if spec.to_end else time_col
    filters = [c for f, c in zip(spec.filters, filters_of(spec, aliases, window), strict=True) if f.op != "before_end"]
    statements = []
    if spec.time_is_date:
        day = time_col
        statements.append(([time_col >= start, time_col < end], day))
    else:
        for lo, hi, offset in stretches(tz, start, end):
            day = local_day(dialect, effective, offset)
            ranges = (
                effective_ranges(spec, aliases, time_col, lo, hi) if spec.to_end else [[time_col >= lo, time_col < hi]]
            )
            statements += [(conditions, day) for conditions in ranges]
    out = []
    for conditions, day in statements:
        labelled = day.label("day")  # grouped by the same labelled expression (BigQuery groups by its alias)
        out.append(
            select(labelled, *dim_cols, value_of(spec, aliases).label("value"))
            .select_from(table)
            .where(*conditions, *filters)
            .group_by(labelled, *dim_cols)
        )
    return out


def daily_values(source: Engine, spec: MeasureSpec, tz: ZoneInfo, start: date, end: date) -> list[dict[str, Any]]:
    """The measure per local day (and per value of each of its dimensions) for the days [start, end):
    rows {dim, day, key, value}; dim '' is the total. Exact in any zone (one offset per DST stretch)."""
    import pandas as pd  # only when days are summed (rollups, charts): the CLI and the app start without it

    dims = list(spec.dimensions)
    frames = []
    for stmt in day_statements(source.dialect.name, spec, tz, start, end):
        rows = source_rows(source, stmt)
        frames.append(pd.DataFrame(rows, columns=["day"] + [f"d{j}" for j in range(len(dims))] + ["value"]))
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if data.empty:
        return []
    data["day"] = [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in data["day"]]
    data["value"] = pd.to_numeric(data["value"], errors="coerce").fillna(0.0).astype(float)
    out = []
    totals = data.groupby("day", dropna=False)["value"].sum()
    out += [{"dim": TOTAL, "day": d, "key": None, "value": float(v)} for d, v in totals.items()]
    for j, ref in enumerate(dims):
        grouped = data.groupby(["day", f"d{j}"], dropna=False)["value"].sum()
        out += [
            {"dim": ref.dotted, "day": d, "key": None if pd.isna(k) else str(k), "value": float(v)}
            for (d, k), v in grouped.items()
        ]
    return out


def stretches(tz: ZoneInfo, start: date, end: date) -> list[tuple[datetime, datetime, int]]:
    """[from, to) in naive UTC with the zone's constant UTC offset (seconds) over each."""
    out = []
    lo = midnight_utc(tz, start)
    stop = midnight_utc(tz, end)
    offset = utc_offset(tz, lo)
    cursor = lo
    while cursor < stop:
        nxt = min(cursor + timedelta(days=1), stop)
        if utc_offset(tz, nxt - timedelta(microseconds=1)) != offset:
            a, b = cursor, nxt  # a transition inside: find its instant to the minute
            while b - a > timedelta(minutes=1):
                mid = a + (b - a) / 2
                a, b = (mid, b) if utc_offset(tz, mid) == offset else (a, mid)
            change = b.replace(second=0, microsecond=0)
            out.append((lo, change, offset))
            lo, offset = change, utc_offset(tz, change)
        cursor = nxt
    out.append((lo, stop, offset))
    return [s for s in out if s[0] < s[1]]


def utc_offset(tz: ZoneInfo, utc_naive: datetime) -> int:
    offset = utc_naive.replace(tzinfo=timezone.utc).astimezone(tz).utcoffset()
    assert offset is not None  # an aware datetime has an offset
    return int(offset.total_seconds())


def midnight_utc(tz: ZoneInfo, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)
