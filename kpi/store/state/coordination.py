"""Coordination between processes: the clock's lease, Slack events seen once, heartbeats."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kpi.store.state.base import Db, engine_of
from kpi.store.state_schema import (
    alert_history,
    alert_messages,
    alert_rules,
    audit_log,
    conversations,
    delivery_problems,
    digests,
    heartbeat,
    incidents,
    leases,
    outbox,
    pins,
    processed_events,
    quota_uses,
    rollup_daily,
    rollup_state,
    slack_bots,
    slack_installations,
    slack_oauth_states,
    stale_tables,
    targets,
)

log = logging.getLogger("kpi.store.state")


def lead(db: Db, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another live holder has it.

    A lease row works the same on SQLite and PostgreSQL: the update only succeeds for the
    holder itself or once the previous holder's lease has expired (it died or stopped)."""
    with engine_of(db).begin() as conn:
        taken = conn.execute(
            update(leases)
            .where(leases.c.name == name, or_(leases.c.holder == holder, leases.c.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount
        if taken:
            return True
        if conn.execute(select(leases.c.name).where(leases.c.name == name)).first() is not None:
            return False
        try:
            with conn.begin_nested():
                conn.execute(insert(leases).values(name=name, holder=holder, expires_at=now + ttl))
            return True
        except IntegrityError:
            return False


def first_delivery(db: Db, team: str, event_id: str, now: datetime) -> bool:
    """True the first time Slack's ``event_id`` is seen; False for a retry or a duplicate."""
    try:
        with engine_of(db).begin() as conn:
            conn.execute(insert(processed_events).values(event_id=event_id[:100], team_id=team[:32], received_at=now))
        return True
    except IntegrityError:
        return False


def forget_deliveries(db: Db, before: datetime) -> int:
    """Drop remembered event ids and request signatures older than ``before`` (Slack retries for
    minutes and signatures expire after 5 minutes, so a day is plenty)."""
    with engine_of(db).begin() as conn:
        return conn.execute(delete(processed_events).where(processed_events.c.received_at < before)).rowcount


# -- heartbeat -----------------------------------------------------------------------------


def beat(db: Db, name: str, now: datetime, success: bool) -> None:
    column = "last_success_at" if success else "last_started_at"
    with engine_of(db).begin() as conn:
        changed = conn.execute(update(heartbeat).where(heartbeat.c.name == name).values({column: now})).rowcount
        if not changed:
            try:
                with conn.begin_nested():
                    conn.execute(insert(heartbeat).values(name=name, **{column: now}))
            except IntegrityError:
                conn.execute(update(heartbeat).where(heartbeat.c.name == name).values({column: now}))


def writable(db: Db, now: datetime) -> bool:
    """Whether the database takes a write now (a heartbeat of the health check itself)."""
    try:
        beat(db, "healthz", now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now, success=True)
        return True
    except SQLAlchemyError:
        log.warning("the bot's database does not take writes", exc_info=True)
        return False


def last_beat(db: Db, name: str) -> dict[str, Any] | None:
    with engine_of(db).connect() as conn:
        row = conn.execute(select(heartbeat).where(heartbeat.c.name == name)).first()
    return dict(row._mapping) if row else None


def clear_state(db: Db) -> None:
    """Empty every state table (tests and `demo` resets), and on PostgreSQL restart their id sequences, as
    SQLite does once a table is empty: a rule created after a reset has the same id on either."""
    with engine_of(db).begin() as conn:
        tables = (
            outbox,
            alert_history,
            incidents,
            alert_messages,
            audit_log,
            alert_rules,
            digests,
            heartbeat,
            rollup_daily,
            rollup_state,
            pins,
            targets,
            leases,
            processed_events,
            quota_uses,
            stale_tables,
            slack_installations,
            slack_bots,
            slack_oauth_states,
            conversations,
            delivery_problems,
        )
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY"))
            return
        for table in tables:
            conn.execute(delete(table))


def reachable(db: Db) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine_of(db).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
