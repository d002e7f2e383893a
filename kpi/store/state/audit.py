"""The audit log: who changed which rule, digest, pin or target, and when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from kpi.store.state.base import Db, engine_of, rows
from kpi.store.state_schema import audit_log


def audit_in(
    conn: Connection,
    team: str,
    channel: str | None,
    user: str,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None,
    now: datetime,
) -> None:
    conn.execute(
        insert(audit_log).values(
            team_id=team,
            channel_id=channel,
            user_id=user,
            at=now,
            action=action,
            target=target,
            detail=json.dumps(detail or {}, ensure_ascii=False),
        )
    )


def audit(
    db: Db,
    team: str,
    channel: str | None,
    user: str,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None,
    now: datetime,
) -> None:
    with engine_of(db).begin() as conn:
        audit_in(conn, team, channel, user, action, target, detail, now)


def audit_entries(db: Db, team: str, channel: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    query = select(audit_log).where(audit_log.c.team_id == team)
    if channel is not None:
        query = query.where(audit_log.c.channel_id == channel)
    with engine_of(db).connect() as conn:
        return rows(conn.execute(query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)))
