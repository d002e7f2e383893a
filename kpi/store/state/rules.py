"""Alert rules, their incidents and history, and the unit of work of one channel's evaluation.

Changes that must land together (a rule's new state, its history row, the notification to send)
go through a :class:`UnitOfWork`: one transaction, all or nothing. Rule updates are optimistic
(``version``): when two scheduler processes evaluate the same rule, the second one's transaction
is rolled back (:class:`Conflict`), and the outbox's unique ``dedupe_key`` guarantees that a
notification is recorded once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from kpi.store.state.audit import audit_in
from kpi.store.state.base import Conflict, Db, active, engine_of, rows
from kpi.store.state.records import Rule, RuleSpec, spec_columns
from kpi.store.state_schema import alert_history, alert_messages, alert_rules, digests, incidents, outbox

NUMBER_ATTEMPTS = 5  # two processes numbering the same workspace's new rules at once: the loser takes the next


def create_rule(db: Db, team: str, channel: str, spec: RuleSpec, user: str, now: datetime) -> int:
    """A new rule; returns its id. People see it as the workspace's next number (:func:`rule_numbered`):
    numbers are counted per workspace from 1, never reused, and not used up by segments."""
    fields = spec_columns(spec)
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with engine_of(db).begin() as conn:
                number = (
                    1
                    + conn.execute(
                        select(func.coalesce(func.max(alert_rules.c.number), 0)).where(alert_rules.c.team_id == team)
                    ).scalar_one()
                )
                rule_id: int = conn.execute(
                    insert(alert_rules)
                    .values(team_id=team, channel_id=channel, created_by=user, created_at=now, number=number, **fields)
                    .returning(alert_rules.c.id)
                ).scalar_one()
                audit_in(conn, team, channel, user, "rule.create", str(number), fields, now)
            return rule_id
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def create_segment(db: Db, parent: Rule, key: str, now: datetime) -> Rule:
    """The rule that watches one value of ``parent``'s dimension (created when the value is first seen; a
    concurrent pass that created it first is no error: its row is returned)."""
    fields = {
        **spec_columns(parent.spec),
        "parent_id": parent.id,
        "segment_key": key,
        "number": parent.number or None,  # its rule's: segments use no number up
        "snoozed_until": parent.snoozed_until,
    }
    try:
        with engine_of(db).begin() as conn:
            conn.execute(
                insert(alert_rules).values(
                    team_id=parent.team_id,
                    channel_id=parent.channel_id,
                    created_by=parent.created_by,
                    created_at=now,
                    **fields,
                )
            )
    except IntegrityError:
        pass
    with engine_of(db).connect() as conn:
        row = conn.execute(
            select(alert_rules).where(alert_rules.c.parent_id == parent.id, alert_rules.c.segment_key == key)
        ).first()
    assert row is not None  # inserted just above, or by the pass that won the race
    return Rule.from_row(row._mapping)


def rules(db: Db, team: str | None = None, channel: str | None = None) -> list[Rule]:
    """Active alert rules, oldest first (of one team and channel when given)."""
    return [Rule.from_row(row) for row in active(db, alert_rules, team, channel)]


def rule_numbered(db: Db, team: str, number: int) -> Rule | None:
    """The workspace's live rule that people know as ``number`` (not a segment's)."""
    with engine_of(db).connect() as conn:
        row = conn.execute(
            select(alert_rules).where(
                alert_rules.c.team_id == team,
                alert_rules.c.number == number,
                alert_rules.c.parent_id.is_(None),
                alert_rules.c.removed_at.is_(None),
            )
        ).first()
    return Rule.from_row(row._mapping) if row else None


def rule(db: Db, team: str, rule_id: int) -> Rule | None:
    with engine_of(db).connect() as conn:
        row = conn.execute(
            select(alert_rules).where(
                alert_rules.c.id == rule_id, alert_rules.c.team_id == team, alert_rules.c.removed_at.is_(None)
            )
        ).first()
    return Rule.from_row(row._mapping) if row else None


def edit_rule(db: Db, team: str, rule_id: int, spec: RuleSpec, channel: str, user: str, now: datetime) -> bool:
    """Change a rule's definition and channel (its state carries on; the next pass judges it anew)."""
    fields = {**spec_columns(spec), "channel_id": channel}
    with engine_of(db).begin() as conn:
        found = conn.execute(
            update(alert_rules)
            .where(alert_rules.c.id == rule_id, alert_rules.c.team_id == team, alert_rules.c.removed_at.is_(None))
            .values(version=alert_rules.c.version + 1, pending_count=0, **fields)
        ).rowcount
        # its segments follow (a rule no longer split by that dimension leaves them: they are removed)
        segments = update(alert_rules).where(alert_rules.c.parent_id == rule_id, alert_rules.c.removed_at.is_(None))
        if found and spec.segment_by:
            conn.execute(segments.values(version=alert_rules.c.version + 1, pending_count=0, **fields))
        elif found:
            conn.execute(segments.values(version=alert_rules.c.version + 1, removed_at=now))
        if found:
            number = _number(conn, rule_id)
            audit_in(conn, team, fields.get("channel_id"), user, "rule.edit", str(number), fields, now)
    return bool(found)


def _change_rule(
    db: Db,
    team: str,
    rule_id: int,
    values: dict[str, Any],
    user: str,
    action: str,
    detail: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Change one of the team's live rules and audit it; False when the team has no such rule."""
    with engine_of(db).begin() as conn:
        row = conn.execute(
            select(alert_rules.c.channel_id, alert_rules.c.number).where(
                alert_rules.c.id == rule_id, alert_rules.c.team_id == team, alert_rules.c.removed_at.is_(None)
            )
        ).first()
        if row is None:
            return False
        conn.execute(
            update(alert_rules)
            .where(or_(alert_rules.c.id == rule_id, alert_rules.c.parent_id == rule_id))
            .values(version=alert_rules.c.version + 1, **values)
        )  # its segments' rules too
        audit_in(conn, team, row.channel_id, user, action, str(row.number or rule_id), detail, now)
    return True


def _number(conn: Connection, rule_id: int) -> int:
    """The number people know a rule by (its id for a row from before numbers)."""
    found = conn.execute(select(alert_rules.c.number).where(alert_rules.c.id == rule_id)).scalar()
    return int(found or rule_id)


def remove_rule(db: Db, team: str, rule_id: int, user: str, now: datetime) -> bool:
    return _change_rule(db, team, rule_id, {"removed_at": now}, user, "rule.remove", None, now)


def snooze_rule(db: Db, team: str, rule_id: int, until: datetime, user: str, now: datetime) -> bool:
    return _change_rule(
        db, team, rule_id, {"snoozed_until": until}, user, "rule.snooze", {"until": until.isoformat()}, now
    )


def acknowledge(db: Db, team: str, rule_id: int, seq: int, user: str, now: datetime) -> dict[str, Any] | None:
    """Mark an incident acknowledged (no more repeats); returns it, or None when unknown/resolved."""
    with engine_of(db).begin() as conn:
        row = conn.execute(
            select(incidents, alert_rules.c.channel_id)
            .join(alert_rules, alert_rules.c.id == incidents.c.rule_id)
            .where(incidents.c.rule_id == rule_id, incidents.c.seq == seq, alert_rules.c.team_id == team)
        ).first()
        if row is None:
            return None
        if row.acked_by is None:
            conn.execute(update(incidents).where(incidents.c.id == row.id).values(acked_by=user, acked_at=now))
            audit_in(conn, team, row.channel_id, user, "incident.ack", f"{_number(conn, rule_id)}#{seq}", None, now)
        found = conn.execute(select(incidents).where(incidents.c.id == row.id)).first()
    assert found is not None  # the incident read just above
    return dict(found._mapping)


def history(db: Db, rule_id: int, limit: int = 50) -> list[dict[str, Any]]:
    with engine_of(db).connect() as conn:
        return rows(
            conn.execute(
                select(alert_history)
                .where(alert_history.c.rule_id == rule_id)
                .order_by(alert_history.c.id)
                .limit(limit)
            )
        )


def open_incidents(db: Db, rule_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not rule_ids:
        return {}
    with engine_of(db).connect() as conn:
        found = rows(
            conn.execute(select(incidents).where(incidents.c.rule_id.in_(rule_ids), incidents.c.resolved_at.is_(None)))
        )
    return {r["rule_id"]: r for r in found}


def incidents_for_message(db: Db, message_id: int) -> list[dict[str, Any]]:
    with engine_of(db).connect() as conn:
        return _of_message(conn, message_id)


def _of_message(conn: Connection, message_id: int) -> list[dict[str, Any]]:
    return rows(conn.execute(select(incidents).where(incidents.c.message_id == message_id).order_by(incidents.c.id)))


# -- one pass's changes ---------------------------------------------------------------------


class UnitOfWork:
    """The writes of one channel's evaluation, in one transaction."""

    def __init__(self, conn: Connection):
        self._conn = conn

    def update_rule(self, rule_id: int, version: int, **values: Any) -> None:
        result = self._conn.execute(
            update(alert_rules)
            .where(alert_rules.c.id == rule_id, alert_rules.c.version == version)
            .values(version=version + 1, **values)
        )
        if result.rowcount != 1:
            raise Conflict(f"rule {rule_id} changed meanwhile")

    def add_history(
        self, rule_id: int, at: datetime, from_state: str, to_state: str, value: float | None, detail: str | None
    ) -> None:
        self._conn.execute(
            insert(alert_history).values(
                rule_id=rule_id, at=at, from_state=from_state, to_state=to_state, value=value, detail=detail
            )
        )

    def new_message(self, team: str, channel: str, key: str, now: datetime) -> int:
        return int(
            self._conn.execute(
                insert(alert_messages)
                .values(team_id=team, channel_id=channel, key=key, created_at=now)
                .returning(alert_messages.c.id)
            ).scalar_one()
        )

    def open_incident(self, rule_id: int, seq: int, now: datetime, message_id: int, snapshot: dict[str, Any]) -> int:
        return int(
            self._conn.execute(
                insert(incidents)
                .values(
                    rule_id=rule_id,
                    seq=seq,
                    message_id=message_id,
                    opened_at=now,
                    last_notified_at=now,
                    snapshot=json.dumps(snapshot, ensure_ascii=False),
                )
                .returning(incidents.c.id)
            ).scalar_one()
        )

    def renotify_incident(self, incident_id: int, now: datetime, message_id: int, snapshot: dict[str, Any]) -> None:
        self._conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id)
            .values(last_notified_at=now, message_id=message_id, snapshot=json.dumps(snapshot, ensure_ascii=False))
        )

    def resolve_incident(self, incident_id: int, now: datetime, value: float | None) -> None:
        self._conn.execute(
            update(incidents).where(incidents.c.id == incident_id).values(resolved_at=now, resolved_value=value)
        )

    def incidents_of_message(self, message_id: int) -> list[dict[str, Any]]:
        return _of_message(self._conn, message_id)

    def add_outbox(
        self,
        key: str,
        team: str,
        channel: str,
        method: str,
        payload: dict[str, Any],
        now: datetime,
        message_id: int | None = None,
        in_thread: bool = False,
    ) -> None:
        self._conn.execute(
            insert(outbox).values(
                dedupe_key=key,
                team_id=team,
                channel_id=channel,
                method=method,
                payload=json.dumps(payload, ensure_ascii=False),
                message_id=message_id,
                in_thread=in_thread,
                created_at=now,
                next_attempt_at=now,
            )
        )

    def mark_digest(self, digest_id: int, previous_slot: datetime | None, slot: datetime) -> None:
        condition = digests.c.last_slot.is_(None) if previous_slot is None else digests.c.last_slot == previous_slot
        result = self._conn.execute(update(digests).where(digests.c.id == digest_id, condition).values(last_slot=slot))
        if result.rowcount != 1:
            raise Conflict(f"digest {digest_id} was posted meanwhile")


@contextmanager
def unit_of_work(db: Db) -> Iterator[UnitOfWork]:
    """One transaction; a Conflict or a duplicate notification rolls it all back (raised as Conflict)."""
    try:
        with engine_of(db).begin() as conn:
            yield UnitOfWork(conn)
    except IntegrityError as exc:
        raise Conflict(f"already recorded by another process ({type(exc.orig).__name__})") from exc
