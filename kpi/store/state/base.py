"""What every part of the state store shares: how a store is named, rows as dicts, the conflict error.

A store is named by a database URL or given as a SQLAlchemy engine (:data:`Db`); a URL is looked
up in :func:`kpi.store.engines.get_engine`'s registry (one engine per URL and process).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from kpi.store.engines import get_engine

Db = str | Engine  # a database URL, or an engine


class Conflict(Exception):
    """Another process changed the same row first; this unit of work was rolled back."""


def engine_of(db: Db) -> Engine:
    return db if isinstance(db, Engine) else get_engine(db)


def rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in result]


def active(db: Db, table: Table, team: str | None, channel: str | None) -> list[dict[str, Any]]:
    """Rows not removed, of one team and channel when given (all teams when ``team`` is None), oldest first."""
    query = select(table).where(table.c.removed_at.is_(None))
    if team is not None:
        query = query.where(table.c.team_id == team)
    if channel is not None:
        query = query.where(table.c.channel_id == channel)
    with engine_of(db).connect() as conn:
        return rows(conn.execute(query.order_by(table.c.id)))


__all__ = ["Conflict", "Connection", "Db", "active", "engine_of", "rows"]
