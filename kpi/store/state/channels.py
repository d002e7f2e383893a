"""Channels whose posts Slack refuses for good (the bot was removed, the channel archived or gone): recorded
when a delivery fails, shown on the channel's rules, told once to their authors, and forgotten when a post
there goes through again."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, union, update
from sqlalchemy.exc import IntegrityError

from kpi.store.state.base import Connection, Db, engine_of, rows
from kpi.store.state_schema import alert_rules, delivery_problems, digests, outbox


def channel_refused(db: Db, team: str, channel: str, error: str, now: datetime, notice: dict[str, Any]) -> list[str]:
    """Record that Slack refuses posts in ``channel``. The first time since it last worked, ``notice`` is put
    in the outbox for each author of the channel's rules and digests (a DM: their user id as channel), in
    the same transaction: two processes meeting the same failure tell each author once. Returns them."""
    key = (delivery_problems.c.team_id == team) & (delivery_problems.c.channel_id == channel)
    try:
        with engine_of(db).begin() as conn:
            if conn.execute(select(delivery_problems.c.since).where(key)).first() is not None:
                conn.execute(update(delivery_problems).where(key).values(error=error[:100], last_at=now))
                return []
            conn.execute(
                insert(delivery_problems).values(
                    team_id=team, channel_id=channel, error=error[:100], since=now, last_at=now
                )
            )
            authors = _authors(conn, team, channel)
            for user in authors:
                conn.execute(
                    insert(outbox).values(
                        dedupe_key=f"channel-problem:{team}:{channel}:{user}:{now.isoformat()}",
                        team_id=team,
                        channel_id=user,
                        method="chat.postMessage",
                        payload=json.dumps(notice, ensure_ascii=False),
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
            return authors
    except IntegrityError:  # another process recorded it first, and told them
        return []


def _authors(conn: Connection, team: str, channel: str) -> list[str]:
    mine = [
        select(table.c.created_by.label("user")).where(
            table.c.team_id == team, table.c.channel_id == channel, table.c.removed_at.is_(None)
        )
        for table in (alert_rules, digests)
    ]
    return sorted({r.user for r in conn.execute(union(*mine)) if r.user})


def channel_fixed(db: Db, team: str, channel: str) -> None:
    """A post went through: the channel has no problem any more (told again if it comes back)."""
    with engine_of(db).begin() as conn:
        conn.execute(
            delete(delivery_problems).where(
                delivery_problems.c.team_id == team, delivery_problems.c.channel_id == channel
            )
        )


def channel_problems(db: Db, team: str, channel: str | None = None) -> list[dict[str, Any]]:
    """The team's channels whose posts are refused (one channel's when given), oldest problem first."""
    query = select(delivery_problems).where(delivery_problems.c.team_id == team)
    if channel is not None:
        query = query.where(delivery_problems.c.channel_id == channel)
    with engine_of(db).connect() as conn:
        return rows(conn.execute(query.order_by(delivery_problems.c.since, delivery_problems.c.channel_id)))
