"""When a source table last received a row: the newest time in its time column, among times that are not
in the future (a row dated 9999-12-31 or next year is a placeholder or a plan, not an arrival)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from kpi.store.engines import read_rows
from kpi.store.specs import MeasureSpec
from kpi.store.sql import source_of

EARLIEST = date(1900, 1, 1)  # kpi.spans.MIN_YEAR: the first day a period can name


def last_row(source: Engine, spec: MeasureSpec, now_utc: datetime) -> datetime | date | None:
    """The newest time (naive UTC) or day of ``spec``'s table up to a day after ``now_utc`` (naive UTC)."""
    aliases, _, time_col = source_of(spec)
    limit = (now_utc + timedelta(days=1)).date() if spec.time_is_date else now_utc + timedelta(days=1)
    [(found,)] = read_rows(source, select(func.max(time_col)).select_from(aliases[None]).where(time_col < limit))
    if isinstance(found, str):  # SQLite without a typed column in a custom definition
        found = date.fromisoformat(found[:10]) if spec.time_is_date else datetime.fromisoformat(found)
    if isinstance(found, datetime) and found.tzinfo is not None:
        found = found.astimezone(timezone.utc).replace(tzinfo=None)
    return found if isinstance(found, (datetime, date)) else None


def first_row(source: Engine, spec: MeasureSpec) -> datetime | date | None:
    """The oldest time (naive UTC) or day of ``spec``'s table among the days a period can name (placeholders
    such as 0001-01-01 are not data): where the span its source covers begins."""
    aliases, _, time_col = source_of(spec)
    low = EARLIEST if spec.time_is_date else datetime.combine(EARLIEST, datetime.min.time())
    [(found,)] = read_rows(source, select(func.min(time_col)).select_from(aliases[None]).where(time_col >= low))
    if isinstance(found, str):  # SQLite without a typed column in a custom definition
        found = date.fromisoformat(found[:10]) if spec.time_is_date else datetime.fromisoformat(found)
    if isinstance(found, datetime) and found.tzinfo is not None:
        found = found.astimezone(timezone.utc).replace(tzinfo=None)
    return found if isinstance(found, (datetime, date)) else None
