"""Limits on expensive work shared by every process over the bot's database: each use is a row, counted
over a sliding window (how much heavy work one person started in the last minute, when a channel last got
a digest on demand)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, text

from kpi.store.state.base import Db, engine_of
from kpi.store.state_schema import quota_uses

KEPT = 86_400.0  # seconds: uses older than a day are forgotten, whatever their key


def take(db: Db, key: str, now: float, limit: int, window: float) -> float:
    """0 when ``key`` may be used once more at ``now`` (the use is counted), else the seconds to wait.

    One transaction, serialised per key: PostgreSQL takes an advisory lock on the key, SQLite's first
    write (the delete) takes the database's write lock; two processes never both take the last use."""
    key = key[:200]
    with engine_of(db).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        expired = (quota_uses.c.key == key) & (quota_uses.c.used_at <= now - window)
        conn.execute(delete(quota_uses).where((quota_uses.c.used_at <= now - KEPT) | expired))
        count, oldest = conn.execute(
            select(func.count(), func.min(quota_uses.c.used_at)).where(quota_uses.c.key == key)
        ).one()
        if count >= limit:
            return max(0.001, window - (now - float(oldest)))
        conn.execute(insert(quota_uses).values(key=key, used_at=now))
        return 0.0
