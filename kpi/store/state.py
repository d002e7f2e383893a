"""Reading and writing the bot's state (rules, incidents, history, audit, outbox, digests).

Changes that must land together (a rule's new state, its history row, the
notification to send) go through a :class:`UnitOfWork`: one transaction, all or
nothing. Rule updates are optimistic (``version``): when two scheduler processes
evaluate the same rule, the second one's transaction is rolled back
(:class:`Conflict`), and the outbox's unique ``dedupe_key`` guarantees that a
notification is recorded once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kpi.store.engines import get_engine

log = logging.getLogger(__name__)
from kpi.store.state_schema import (
    alert_history,
    alert_messages,
    alert_rules,
    audit_log,
    digests,
    heartbeat,
    incidents,
    leases,
    outbox,
    pins,
    processed_events,
    rollup_daily,
    rollup_state,
    slack_bots,
    slack_installations,
    slack_oauth_states,
    targets,
)


class Conflict(Exception):
    """Another process changed the same row first; this unit of work was rolled back."""


def _rows(result) -> list[dict]:
    return [dict(r._mapping) for r in result]


# -- audit ---------------------------------------------------------------------------------


def _audit(conn: Connection, team: str, channel: str | None, user: str, action: str, target: str | None,
           detail: dict | None, now: datetime) -> None:
    conn.execute(insert(audit_log).values(team_id=team, channel_id=channel, user_id=user, at=now, action=action,
                                          target=target, detail=json.dumps(detail or {}, ensure_ascii=False)))


def audit(url: str, team: str, channel: str | None, user: str, action: str, target: str | None,
          detail: dict | None, now: datetime) -> None:
    with get_engine(url).begin() as conn:
        _audit(conn, team, channel, user, action, target, detail, now)


def audit_entries(url: str, team: str, channel: str | None = None, limit: int = 20) -> list[dict]:
    query = select(audit_log).where(audit_log.c.team_id == team)
    if channel is not None:
        query = query.where(audit_log.c.channel_id == channel)
    with get_engine(url).connect() as conn:
        return _rows(conn.execute(query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)))


# -- rules ---------------------------------------------------------------------------------


def create_rule(url: str, team: str, channel: str, fields: dict, user: str, now: datetime) -> int:
    with get_engine(url).begin() as conn:
        rule_id = conn.execute(insert(alert_rules).values(team_id=team, channel_id=channel, created_by=user,
                                                          created_at=now, **fields)
                               .returning(alert_rules.c.id)).scalar_one()
        _audit(conn, team, channel, user, "rule.create", str(rule_id), fields, now)
    return rule_id


def _active(url: str, table, team: str | None, channel: str | None) -> list[dict]:
    """Rows not removed, of one team and channel when given (all teams when ``team`` is None), oldest first."""
    query = select(table).where(table.c.removed_at.is_(None))
    if team is not None:
        query = query.where(table.c.team_id == team)
    if channel is not None:
        query = query.where(table.c.channel_id == channel)
    with get_engine(url).connect() as conn:
        return _rows(conn.execute(query.order_by(table.c.id)))


def rules(url: str, team: str | None = None, channel: str | None = None) -> list[dict]:
    """Active alert rules."""
    return _active(url, alert_rules, team, channel)


def rule(url: str, team: str, rule_id: int) -> dict | None:
    with get_engine(url).connect() as conn:
        row = conn.execute(select(alert_rules).where(alert_rules.c.id == rule_id, alert_rules.c.team_id == team,
                                                     alert_rules.c.removed_at.is_(None))).first()
    return dict(row._mapping) if row else None


def edit_rule(url: str, team: str, rule_id: int, fields: dict, user: str, now: datetime) -> bool:
    """Change a rule's definition (its state carries on; the next pass judges it anew)."""
    with get_engine(url).begin() as conn:
        found = conn.execute(update(alert_rules).where(alert_rules.c.id == rule_id, alert_rules.c.team_id == team,
                                                       alert_rules.c.removed_at.is_(None))
                             .values(version=alert_rules.c.version + 1, pending_count=0, **fields)).rowcount
        if found:
            _audit(conn, team, fields.get("channel_id"), user, "rule.edit", str(rule_id), fields, now)
    return bool(found)


def _change_rule(url: str, team: str, rule_id: int, values: dict, user: str, action: str, detail: dict | None,
                 now: datetime) -> bool:
    """Change one of the team's live rules and audit it; False when the team has no such rule."""
    with get_engine(url).begin() as conn:
        row = conn.execute(select(alert_rules.c.channel_id).where(
            alert_rules.c.id == rule_id, alert_rules.c.team_id == team, alert_rules.c.removed_at.is_(None))).first()
        if row is None:
            return False
        conn.execute(update(alert_rules).where(alert_rules.c.id == rule_id)
                     .values(version=alert_rules.c.version + 1, **values))
        _audit(conn, team, row.channel_id, user, action, str(rule_id), detail, now)
    return True


def remove_rule(url: str, team: str, rule_id: int, user: str, now: datetime) -> bool:
    return _change_rule(url, team, rule_id, {"removed_at": now}, user, "rule.remove", None, now)


def snooze_rule(url: str, team: str, rule_id: int, until: datetime, user: str, now: datetime) -> bool:
    return _change_rule(url, team, rule_id, {"snoozed_until": until}, user, "rule.snooze",
                        {"until": until.isoformat()}, now)


def acknowledge(url: str, team: str, rule_id: int, seq: int, user: str, now: datetime) -> dict | None:
    """Mark an incident acknowledged (no more repeats); returns it, or None when unknown/resolved."""
    with get_engine(url).begin() as conn:
        row = conn.execute(
            select(incidents, alert_rules.c.channel_id).join(alert_rules, alert_rules.c.id == incidents.c.rule_id)
            .where(incidents.c.rule_id == rule_id, incidents.c.seq == seq, alert_rules.c.team_id == team)).first()
        if row is None:
            return None
        if row.acked_by is None:
            conn.execute(update(incidents).where(incidents.c.id == row.id).values(acked_by=user, acked_at=now))
            _audit(conn, team, row.channel_id, user, "incident.ack", f"{rule_id}#{seq}", None, now)
        found = conn.execute(select(incidents).where(incidents.c.id == row.id)).first()
    return dict(found._mapping)


def history(url: str, rule_id: int, limit: int = 50) -> list[dict]:
    with get_engine(url).connect() as conn:
        return _rows(conn.execute(select(alert_history).where(alert_history.c.rule_id == rule_id)
                                  .order_by(alert_history.c.id).limit(limit)))


def open_incidents(url: str, rule_ids: list[int]) -> dict[int, dict]:
    if not rule_ids:
        return {}
    with get_engine(url).connect() as conn:
        found = _rows(conn.execute(select(incidents).where(incidents.c.rule_id.in_(rule_ids),
                                                           incidents.c.resolved_at.is_(None))))
    return {r["rule_id"]: r for r in found}


def incidents_for_message(url: str, message_id: int) -> list[dict]:
    with get_engine(url).connect() as conn:
        return _rows(conn.execute(select(incidents).where(incidents.c.message_id == message_id)
                                  .order_by(incidents.c.id)))


# -- one pass's changes ---------------------------------------------------------------------


class UnitOfWork:
    """The writes of one channel's evaluation, in one transaction."""

    def __init__(self, conn: Connection):
        self._conn = conn

    def update_rule(self, rule_id: int, version: int, **values) -> None:
        result = self._conn.execute(update(alert_rules)
                                    .where(alert_rules.c.id == rule_id, alert_rules.c.version == version)
                                    .values(version=version + 1, **values))
        if result.rowcount != 1:
            raise Conflict(f"rule {rule_id} changed meanwhile")

    def add_history(self, rule_id: int, at: datetime, from_state: str, to_state: str, value: float | None,
                    detail: str | None) -> None:
        self._conn.execute(insert(alert_history).values(rule_id=rule_id, at=at, from_state=from_state,
                                                        to_state=to_state, value=value, detail=detail))

    def new_message(self, team: str, channel: str, key: str, now: datetime) -> int:
        return self._conn.execute(insert(alert_messages).values(team_id=team, channel_id=channel, key=key,
                                                                created_at=now)
                                  .returning(alert_messages.c.id)).scalar_one()

    def open_incident(self, rule_id: int, seq: int, now: datetime, message_id: int, snapshot: dict) -> int:
        return self._conn.execute(insert(incidents).values(rule_id=rule_id, seq=seq, message_id=message_id,
                                                           opened_at=now, last_notified_at=now,
                                                           snapshot=json.dumps(snapshot, ensure_ascii=False))
                                  .returning(incidents.c.id)).scalar_one()

    def renotify_incident(self, incident_id: int, now: datetime, message_id: int, snapshot: dict) -> None:
        self._conn.execute(update(incidents).where(incidents.c.id == incident_id)
                           .values(last_notified_at=now, message_id=message_id,
                                   snapshot=json.dumps(snapshot, ensure_ascii=False)))

    def resolve_incident(self, incident_id: int, now: datetime, value: float | None) -> None:
        self._conn.execute(update(incidents).where(incidents.c.id == incident_id)
                           .values(resolved_at=now, resolved_value=value))

    def incidents_of_message(self, message_id: int) -> list[dict]:
        return _rows(self._conn.execute(select(incidents).where(incidents.c.message_id == message_id)
                                        .order_by(incidents.c.id)))

    def add_outbox(self, key: str, team: str, channel: str, method: str, payload: dict, now: datetime,
                   message_id: int | None = None, in_thread: bool = False) -> None:
        self._conn.execute(insert(outbox).values(dedupe_key=key, team_id=team, channel_id=channel, method=method,
                                                 payload=json.dumps(payload, ensure_ascii=False),
                                                 message_id=message_id, in_thread=in_thread, created_at=now,
                                                 next_attempt_at=now))

    def mark_digest(self, digest_id: int, previous_slot: datetime | None, slot: datetime) -> None:
        condition = (digests.c.last_slot.is_(None) if previous_slot is None else digests.c.last_slot == previous_slot)
        result = self._conn.execute(update(digests).where(digests.c.id == digest_id, condition)
                                    .values(last_slot=slot))
        if result.rowcount != 1:
            raise Conflict(f"digest {digest_id} was posted meanwhile")


@contextmanager
def unit_of_work(url: str) -> Iterator[UnitOfWork]:
    """One transaction; a Conflict or a duplicate notification rolls it all back (raised as Conflict)."""
    try:
        with get_engine(url).begin() as conn:
            yield UnitOfWork(conn)
    except IntegrityError as exc:
        raise Conflict(f"already recorded by another process ({type(exc.orig).__name__})") from exc


# -- outbox delivery -------------------------------------------------------------------------


def pending_outbox(url: str, now: datetime, limit: int = 500) -> list[dict]:
    query = (select(outbox).where(outbox.c.delivered_at.is_(None), outbox.c.failed_at.is_(None),
                                  outbox.c.next_attempt_at <= now)
             .order_by(outbox.c.id).limit(limit))
    with get_engine(url).connect() as conn:
        return _rows(conn.execute(query))


def claim(url: str, outbox_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Take a notification for delivery; only one process can hold it at a time."""
    with get_engine(url).begin() as conn:
        result = conn.execute(update(outbox).where(
            outbox.c.id == outbox_id, outbox.c.delivered_at.is_(None), outbox.c.failed_at.is_(None),
            or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
        ).values(claimed_by=worker, claimed_until=now + lease))
    return result.rowcount == 1


def delivered(url: str, outbox_id: int, ts: str | None, now: datetime) -> None:
    with get_engine(url).begin() as conn:
        row = conn.execute(select(outbox.c.method, outbox.c.message_id, outbox.c.in_thread)
                           .where(outbox.c.id == outbox_id)).first()
        conn.execute(update(outbox).where(outbox.c.id == outbox_id)
                     .values(delivered_at=now, result_ts=ts, claimed_until=None, attempts=outbox.c.attempts + 1))
        if row and row.method == "chat.postMessage" and row.message_id and not row.in_thread and ts:
            conn.execute(update(alert_messages).where(alert_messages.c.id == row.message_id,
                                                      alert_messages.c.ts.is_(None)).values(ts=ts))


def retry_later(url: str, outbox_id: int, at: datetime, error: str) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == outbox_id)
                     .values(next_attempt_at=at, last_error=error[:500], claimed_until=None,
                             attempts=outbox.c.attempts + 1))


def release(url: str, outbox_id: int) -> None:
    """Give a claimed notification back untouched (its parent message is not delivered yet)."""
    with get_engine(url).begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(claimed_until=None))


def failed(url: str, outbox_id: int, error: str, now: datetime) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == outbox_id)
                     .values(failed_at=now, last_error=error[:500], claimed_until=None,
                             attempts=outbox.c.attempts + 1))


def message_ts(url: str, message_id: int) -> str | None:
    with get_engine(url).connect() as conn:
        return conn.execute(select(alert_messages.c.ts).where(alert_messages.c.id == message_id)).scalar_one_or_none()


def outbox_rows(url: str) -> list[dict]:
    with get_engine(url).connect() as conn:
        return _rows(conn.execute(select(outbox).order_by(outbox.c.id)))


# -- digests ------------------------------------------------------------------------------


def subscribe_digest(url: str, team: str, channel: str, fields: dict, user: str, now: datetime) -> int:
    """Subscribe the channel (replacing its current subscription) and record who did it."""
    with get_engine(url).begin() as conn:
        conn.execute(update(digests).where(digests.c.team_id == team, digests.c.channel_id == channel,
                                           digests.c.removed_at.is_(None)).values(removed_at=now))
        digest_id = conn.execute(insert(digests).values(team_id=team, channel_id=channel, created_by=user,
                                                        created_at=now, last_slot=now, **fields)
                                 .returning(digests.c.id)).scalar_one()
        _audit(conn, team, channel, user, "digest.subscribe", str(digest_id), fields, now)
    return digest_id


def unsubscribe_digest(url: str, team: str, channel: str, user: str, now: datetime) -> bool:
    with get_engine(url).begin() as conn:
        result = conn.execute(update(digests).where(digests.c.team_id == team, digests.c.channel_id == channel,
                                                    digests.c.removed_at.is_(None)).values(removed_at=now))
        if result.rowcount:
            _audit(conn, team, channel, user, "digest.off", channel, None, now)
    return bool(result.rowcount)


def active_digests(url: str, team: str | None = None, channel: str | None = None) -> list[dict]:
    """Active digest subscriptions."""
    return _active(url, digests, team, channel)


# -- the dashboard: pins and targets ---------------------------------------------------------


def pinned(url: str, team: str) -> list[str]:
    with get_engine(url).connect() as conn:
        return [r.kpi for r in conn.execute(select(pins.c.kpi).where(pins.c.team_id == team).order_by(pins.c.id))]


def pin(url: str, team: str, kpi: str, user: str, now: datetime, on: bool = True) -> bool:
    """Pin (or unpin) a KPI on the team's dashboard; False when nothing changed."""
    with get_engine(url).begin() as conn:
        exists = conn.execute(select(pins.c.id).where(pins.c.team_id == team, pins.c.kpi == kpi)).first()
        if on == bool(exists):
            return False
        if on:
            conn.execute(insert(pins).values(team_id=team, kpi=kpi, pinned_by=user, pinned_at=now))
        else:
            conn.execute(delete(pins).where(pins.c.team_id == team, pins.c.kpi == kpi))
        _audit(conn, team, None, user, "pin.add" if on else "pin.remove", kpi, None, now)
    return True


def team_targets(url: str, team: str) -> dict[tuple[str, str], float]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(targets).where(targets.c.team_id == team)).all()
    return {(r.kpi, r.grain): r.value for r in rows}


def set_target(url: str, team: str, kpi: str, grain: str, value: float | None, user: str, now: datetime) -> None:
    """Set (or, with None, remove) the team's target for a KPI over a calendar grain."""
    with get_engine(url).begin() as conn:
        conn.execute(delete(targets).where(targets.c.team_id == team, targets.c.kpi == kpi, targets.c.grain == grain))
        if value is not None:
            conn.execute(insert(targets).values(team_id=team, kpi=kpi, grain=grain, value=value, set_by=user,
                                                set_at=now))
        _audit(conn, team, None, user, "target.set" if value is not None else "target.remove", kpi,
               {"grain": grain, "value": value}, now)


# -- leadership and idempotent events ----------------------------------------------------------


def lead(url: str, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another live holder has it.

    A lease row works the same on SQLite and PostgreSQL: the update only succeeds for the
    holder itself or once the previous holder's lease has expired (it died or stopped)."""
    with get_engine(url).begin() as conn:
        taken = conn.execute(update(leases).where(leases.c.name == name,
                                                  or_(leases.c.holder == holder, leases.c.expires_at < now))
                             .values(holder=holder, expires_at=now + ttl)).rowcount
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


def first_delivery(url: str, team: str, event_id: str, now: datetime) -> bool:
    """True the first time Slack's ``event_id`` is seen; False for a retry or a duplicate."""
    try:
        with get_engine(url).begin() as conn:
            conn.execute(insert(processed_events).values(event_id=event_id[:100], team_id=team[:32], received_at=now))
        return True
    except IntegrityError:
        return False


def forget_deliveries(url: str, before: datetime) -> int:
    """Drop remembered event ids and request signatures older than ``before`` (Slack retries for
    minutes and signatures expire after 5 minutes, so a day is plenty)."""
    with get_engine(url).begin() as conn:
        return conn.execute(delete(processed_events).where(processed_events.c.received_at < before)).rowcount


# -- heartbeat -----------------------------------------------------------------------------


def beat(url: str, name: str, now: datetime, success: bool) -> None:
    column = "last_success_at" if success else "last_started_at"
    with get_engine(url).begin() as conn:
        changed = conn.execute(update(heartbeat).where(heartbeat.c.name == name).values({column: now})).rowcount
        if not changed:
            try:
                with conn.begin_nested():
                    conn.execute(insert(heartbeat).values(name=name, **{column: now}))
            except IntegrityError:
                conn.execute(update(heartbeat).where(heartbeat.c.name == name).values({column: now}))


def writable(url: str, now: datetime) -> bool:
    """Whether the database takes a write now (a heartbeat of the health check itself)."""
    try:
        beat(url, "healthz", now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now, success=True)
        return True
    except SQLAlchemyError:
        log.warning("the bot's database does not take writes", exc_info=True)
        return False


def last_beat(url: str, name: str) -> dict | None:
    with get_engine(url).connect() as conn:
        row = conn.execute(select(heartbeat).where(heartbeat.c.name == name)).first()
    return dict(row._mapping) if row else None


def clear_state(url: str) -> None:
    """Empty every state table (tests and `demo` resets)."""
    with get_engine(url).begin() as conn:
        for table in (outbox, alert_history, incidents, alert_messages, audit_log, alert_rules, digests, heartbeat,
                      rollup_daily, rollup_state, pins, targets, leases, processed_events,
                      slack_installations, slack_bots, slack_oauth_states):
            conn.execute(delete(table))


