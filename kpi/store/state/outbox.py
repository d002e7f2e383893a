"""The outbox: notifications recorded with the change that caused them, claimed and delivered once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from kpi.store.state.base import Db, engine_of, rows
from kpi.store.state_schema import alert_messages, outbox


def pending_outbox(db: Db, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
    query = (
        select(outbox)
        .where(outbox.c.delivered_at.is_(None), outbox.c.failed_at.is_(None), outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    with engine_of(db).connect() as conn:
        return rows(conn.execute(query))


def claim(db: Db, outbox_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Take a notification for delivery; only one process can hold it at a time."""
    with engine_of(db).begin() as conn:
        result = conn.execute(
            update(outbox)
            .where(
                outbox.c.id == outbox_id,
                outbox.c.delivered_at.is_(None),
                outbox.c.failed_at.is_(None),
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .values(claimed_by=worker, claimed_until=now + lease)
        )
    return result.rowcount == 1


def delivered(db: Db, outbox_id: int, ts: str | None, now: datetime) -> None:
    with engine_of(db).begin() as conn:
        row = conn.execute(
            select(outbox.c.method, outbox.c.message_id, outbox.c.in_thread).where(outbox.c.id == outbox_id)
        ).first()
        conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id)
            .values(delivered_at=now, result_ts=ts, claimed_until=None, attempts=outbox.c.attempts + 1)
        )
        if row and row.method == "chat.postMessage" and row.message_id and not row.in_thread and ts:
            conn.execute(
                update(alert_messages)
                .where(alert_messages.c.id == row.message_id, alert_messages.c.ts.is_(None))
                .values(ts=ts)
            )


def retry_later(db: Db, outbox_id: int, at: datetime, error: str) -> None:
    with engine_of(db).begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id)
            .values(next_attempt_at=at, last_error=error[:500], claimed_until=None, attempts=outbox.c.attempts + 1)
        )


def release(db: Db, outbox_id: int) -> None:
    """Give a claimed notification back untouched (its parent message is not delivered yet)."""
    with engine_of(db).begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(claimed_until=None))


def failed(db: Db, outbox_id: int, error: str, now: datetime) -> None:
    with engine_of(db).begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id)
            .values(failed_at=now, last_error=error[:500], claimed_until=None, attempts=outbox.c.attempts + 1)
        )


def message_ts(db: Db, message_id: int) -> str | None:
    with engine_of(db).connect() as conn:
        return conn.execute(select(alert_messages.c.ts).where(alert_messages.c.id == message_id)).scalar_one_or_none()


def outbox_rows(db: Db) -> list[dict[str, Any]]:
    with engine_of(db).connect() as conn:
        return rows(conn.execute(select(outbox).order_by(outbox.c.id)))
