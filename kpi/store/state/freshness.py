"""Source tables whose rows stopped arriving: one row per stale episode, kept until rows come again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from kpi.store.state.base import Db, engine_of, rows
from kpi.store.state_schema import stale_tables


def stale(db: Db) -> dict[str, dict[str, Any]]:
    """The tables seen stale and not fresh since, by name."""
    with engine_of(db).connect() as conn:
        return {r["table_name"]: r for r in rows(conn.execute(select(stale_tables)))}


def mark_stale(db: Db, table: str, since: datetime, last_row_at: datetime | None, usual_gap_days: int) -> bool:
    """Record the start of an episode; False when another pass recorded it first."""
    try:
        with engine_of(db).begin() as conn:
            conn.execute(
                insert(stale_tables).values(
                    table_name=table, since=since, last_row_at=last_row_at, usual_gap_days=usual_gap_days
                )
            )
    except IntegrityError:
        return False
    return True


def mark_fresh(db: Db, table: str) -> bool:
    """End the episode; False when another pass ended it first."""
    with engine_of(db).begin() as conn:
        return conn.execute(delete(stale_tables).where(stale_tables.c.table_name == table)).rowcount > 0
