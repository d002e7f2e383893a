"""The question last answered in each thread (and each DM), so that a reply can follow it up ("and by
channel?"). Kept 30 days; a thread quiet for longer starts afresh."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kpi.store.state.base import Db, engine_of
from kpi.store.state_schema import conversations

KEPT = timedelta(days=30)
MAX_QUESTION = 2000  # characters of JSON: a question is a few short fields


def asked(db: Db, team: str, channel: str, thread: str, now: datetime) -> dict[str, Any] | None:
    """The question answered last in ``thread`` of ``channel``, or None (none, too old, or unreadable)."""
    with engine_of(db).connect() as conn:
        row = conn.execute(
            select(conversations.c.question, conversations.c.updated_at).where(
                conversations.c.team_id == team,
                conversations.c.channel_id == channel,
                conversations.c.thread_ts == thread,
            )
        ).first()
    if row is None or row.updated_at < now - KEPT:
        return None
    try:
        found = json.loads(row.question)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def remember(db: Db, team: str, channel: str, threads: list[str], question: dict[str, Any], now: datetime) -> None:
    """Keep ``question`` as the one answered in each of ``threads``; forget threads quiet for 30 days."""
    text = json.dumps(question, separators=(",", ":"))[:MAX_QUESTION]
    engine = engine_of(db)
    with engine.begin() as conn:
        for thread in dict.fromkeys(threads):
            values = dict(team_id=team, channel_id=channel, thread_ts=thread, question=text, updated_at=now)
            if engine.dialect.name in ("postgresql", "sqlite"):
                insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(conversations)
                conn.execute(
                    insert.values(**values).on_conflict_do_update(
                        index_elements=["team_id", "channel_id", "thread_ts"],
                        set_={"question": text, "updated_at": now},
                    )
                )
            elif (
                conn.execute(
                    update(conversations)
                    .where(
                        conversations.c.team_id == team,
                        conversations.c.channel_id == channel,
                        conversations.c.thread_ts == thread,
                    )
                    .values(question=text, updated_at=now)
                ).rowcount
                == 0
            ):
                conn.execute(conversations.insert().values(**values))
        conn.execute(delete(conversations).where(conversations.c.updated_at < now - KEPT))
