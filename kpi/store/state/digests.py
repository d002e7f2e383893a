"""Digest subscriptions: one live subscription per channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update

from kpi.store.state.audit import audit_in
from kpi.store.state.base import Db, active, engine_of
from kpi.store.state.records import Digest, DigestSpec
from kpi.store.state_schema import digests


def subscribe_digest(db: Db, team: str, channel: str, spec: DigestSpec, user: str, now: datetime) -> int:
    """Subscribe the channel (replacing its current subscription) and record who did it. ``spec`` names
    its time zone."""
    assert spec.timezone, "a stored digest names its time zone"
    fields = spec.columns()
    with engine_of(db).begin() as conn:
        conn.execute(
            update(digests)
            .where(digests.c.team_id == team, digests.c.channel_id == channel, digests.c.removed_at.is_(None))
            .values(removed_at=now)
        )
        digest_id: int = conn.execute(
            insert(digests)
            .values(team_id=team, channel_id=channel, created_by=user, created_at=now, last_slot=now, **fields)
            .returning(digests.c.id)
        ).scalar_one()
        audit_in(conn, team, channel, user, "digest.subscribe", str(digest_id), fields, now)
    return digest_id


def unsubscribe_digest(db: Db, team: str, channel: str, user: str, now: datetime) -> bool:
    with engine_of(db).begin() as conn:
        result = conn.execute(
            update(digests)
            .where(digests.c.team_id == team, digests.c.channel_id == channel, digests.c.removed_at.is_(None))
            .values(removed_at=now)
        )
        if result.rowcount:
            audit_in(conn, team, channel, user, "digest.off", channel, None, now)
    return bool(result.rowcount)


def active_digests(db: Db, team: str | None = None, channel: str | None = None) -> list[Digest]:
    """Live digest subscriptions, oldest first (of one team and channel when given)."""
    return [Digest.from_row(row) for row in active(db, digests, team, channel)]
