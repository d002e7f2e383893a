"""The bot's own state: alert rules, incidents, history, audit, outbox, digests, conversations, heartbeat.
All times are naive UTC. Every table carries ``team_id`` so that one database can serve several Slack
workspaces without mixing their data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from kpi.store.schema import metadata

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("channel_id", Text, nullable=False),
    Column("kpi", Text, nullable=False),
    Column("kind", Text, nullable=False),  # threshold | change | unusual | target
    Column("op", Text, nullable=False),  # > < >= <=
    Column("threshold", Float, nullable=False),  # KPI units; for change rules a fraction (0.2)
    Column("window_spec", Text, nullable=False),  # 30d, 7d, week, month…
    Column("recovery", Float, nullable=True),  # hysteresis: back to normal only past this
    Column("min_denominator", Float, nullable=True),  # below it: no data, not a breach
    Column("for_count", Integer, nullable=False, server_default="1"),
    Column("repeat_seconds", Integer, nullable=False, server_default="86400"),
    Column("sensitivity", Text, nullable=True),  # unusual rules: low | medium | high
    Column("segment_by", Text, nullable=True),  # each value of this dimension watched on its own
    Column("parent_id", Integer, nullable=True),  # a segment's rule: the rule it is a segment of
    Column("segment_key", Text, nullable=True),  # ... and its dimension value ('' for rows without one)
    Column("segment_only", Text, nullable=True),  # a filtered rule: the one value of segment_by it watches
    # the number people type and see (`/kpi alert remove 3`): per workspace, from 1; a segment's is its rule's
    Column("number", Integer, nullable=True),
    Column("created_by", Text, nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    Column("removed_at", DateTime, nullable=True),
    Column("snoozed_until", DateTime, nullable=True),
    Column("state", Text, nullable=False, server_default="ok"),  # ok pending firing no_data error
    Column("pending_count", Integer, nullable=False, server_default="0"),
    Column("incident_count", Integer, nullable=False, server_default="0"),
    Column("open_incident_id", Integer, nullable=True),
    Column("last_value", Float, nullable=True),
    Column("last_evaluated_at", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    UniqueConstraint("parent_id", "segment_key", name="uq_alert_rules_parent_segment"),
    CheckConstraint("kind IN ('threshold', 'change', 'unusual', 'target')", name="kind"),
    CheckConstraint("sensitivity IS NULL OR sensitivity IN ('low', 'medium', 'high')", name="sensitivity"),
    CheckConstraint("op IN ('>', '<', '>=', '<=')", name="op"),
    CheckConstraint("state IN ('ok', 'pending', 'firing', 'no_data', 'error')", name="state"),
    Index("ix_alert_rules_team_channel", "team_id", "channel_id"),
    Index(
        "uq_alert_rules_team_number",
        "team_id",
        "number",
        unique=True,
        sqlite_where=text("parent_id IS NULL"),
        postgresql_where=text("parent_id IS NULL"),
    ),
)

alert_messages = Table(
    "alert_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("channel_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("ts", Text, nullable=True),  # Slack's message ts, once delivered
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("key", name="uq_alert_messages_key"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("message_id", Integer, ForeignKey("alert_messages.id"), nullable=True),
    Column("opened_at", DateTime, nullable=False),
    Column("last_notified_at", DateTime, nullable=False),
    Column("resolved_at", DateTime, nullable=True),
    Column("resolved_value", Float, nullable=True),
    Column("acked_by", Text, nullable=True),
    Column("acked_at", DateTime, nullable=True),
    Column("snapshot", Text, nullable=False),  # JSON: what the alert said, to re-render it
    UniqueConstraint("rule_id", "seq", name="uq_incidents_rule_seq"),
)

alert_history = Table(
    "alert_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("from_state", Text, nullable=False),
    Column("to_state", Text, nullable=False),
    Column("value", Float, nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_alert_history_rule_at", "rule_id", "at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("channel_id", Text, nullable=True),
    Column("user_id", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_audit_log_team_channel_at", "team_id", "channel_id", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedupe_key", Text, nullable=False),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("channel_id", Text, nullable=False),
    Column("method", Text, nullable=False),  # chat.postMessage | chat.update
    Column("payload", Text, nullable=False),  # JSON message (text, blocks)
    Column("message_id", Integer, ForeignKey("alert_messages.id"), nullable=True),
    Column("in_thread", Boolean(create_constraint=False), nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", Text, nullable=True),
    Column("claimed_until", DateTime, nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    Column("failed_at", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("result_ts", Text, nullable=True),
    UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    Index("ix_outbox_pending", "delivered_at", "failed_at", "next_attempt_at"),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("channel_id", Text, nullable=False),
    Column("cadence", Text, nullable=False),  # daily | weekly
    Column("weekday", Integer, nullable=True),  # 0 = Monday, for weekly
    Column("at_time", Text, nullable=False),  # HH:MM local
    Column("timezone", Text, nullable=False),
    Column("kpis", Text, nullable=False, server_default=""),  # comma-separated keys; empty = all
    Column("where_filter", Text, nullable=True),  # one value of a breakdown only: 'channel=organic'
    Column("created_by", Text, nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    Column("removed_at", DateTime, nullable=True),
    Column("last_slot", DateTime, nullable=True),  # UTC instant of the last slot posted
    CheckConstraint("cadence IN ('daily', 'weekly')", name="cadence"),
    Index("ix_digests_team_channel", "team_id", "channel_id"),
)

heartbeat = Table(
    "heartbeat",
    metadata,
    Column("name", Text, primary_key=True),
    Column("last_started_at", DateTime, nullable=True),
    Column("last_success_at", DateTime, nullable=True),
    Column("detail", Text, nullable=True),
)

rollup_daily = Table(
    "rollup_daily",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("measure", Text, nullable=False),
    Column("dim", Text, nullable=False),  # '' = the measure's total
    Column("day", Date, nullable=False),  # local day in KPI_TIMEZONE
    Column("key", Text, nullable=True),  # dimension value (NULL: rows without one)
    Column("value", Float, nullable=False),
    Index("ix_rollup_daily_measure_dim_day", "measure", "dim", "day"),
)

rollup_state = Table(
    "rollup_state",
    metadata,
    Column("measure", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),  # definition + time zone: a change invalidates the rollup
    Column("horizon", Date, nullable=True),  # last whole day stored
    Column("refreshed_at", DateTime, nullable=False),
)

pins = Table(
    "pins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("kpi", Text, nullable=False),
    Column("pinned_by", Text, nullable=False),
    Column("pinned_at", DateTime, nullable=False),
    UniqueConstraint("team_id", "kpi", name="uq_pins_team_kpi"),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Text, nullable=False, server_default=""),
    Column("kpi", Text, nullable=False),
    Column("grain", Text, nullable=False),  # week | month | quarter | year
    Column("value", Float, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime, nullable=False),
    UniqueConstraint("team_id", "kpi", "grain", name="uq_targets_team_kpi_grain"),
    CheckConstraint("grain IN ('week', 'month', 'quarter', 'year')", name="grain"),
)

stale_tables = Table(
    "stale_tables",
    metadata,
    Column("table_name", Text, primary_key=True),  # a source table whose rows stopped arriving
    Column("since", DateTime, nullable=False),  # when the bot first saw it stale (the episode's key)
    Column("last_row_at", DateTime, nullable=True),
    Column("usual_gap_days", Integer, nullable=False),
)

conversations = Table(  # the question answered in each thread ('' : a DM's last one), as JSON, for follow-ups
    "conversations",
    metadata,
    Column("team_id", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("thread_ts", Text, primary_key=True),
    Column("question", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_conversations_updated_at", "updated_at"),
)

delivery_problems = Table(  # a channel whose posts Slack refuses (bot removed, archived): shown on its rules
    "delivery_problems",
    metadata,
    Column("team_id", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("error", Text, nullable=False),  # not_in_channel | is_archived | channel_not_found
    Column("since", DateTime, nullable=False),  # the first refusal since the last post that went through
    Column("last_at", DateTime, nullable=False),
)

quota_uses = Table(  # each use of a limited thing (heavy work per person, a digest now per channel), shared
    "quota_uses",  # by every web process; kept as long as its window
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False),  # "heavy:T…:U…", "digest:T…:C…"
    Column("used_at", Float, nullable=False),  # seconds since the epoch
    Index("ix_quota_uses_key_used_at", "key", "used_at"),
    Index("ix_quota_uses_used_at", "used_at"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", Text, primary_key=True),  # "clock": who runs the scheduler
    Column("holder", Text, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", Text, primary_key=True),  # Slack's event_id: a retry or a duplicate is seen once
    Column("team_id", Text, nullable=False, server_default=""),
    Column("received_at", DateTime, nullable=False),
)

# -- Slack installations (several workspaces) ---------------------------------------------------
# The tables of slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore, created here
# so that Alembic owns them (tests check the names and columns against the SDK's). Token columns
# are Text rather than String(200): they hold Fernet ciphertexts, longer than the tokens.


def _installation_columns(with_user: bool) -> list[Any]:
    columns = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]
    if with_user:
        columns.append(Column("enterprise_url", String(200)))
    columns += [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", Text),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", Text),
        Column("bot_token_expires_at", DateTime),
    ]
    if with_user:
        columns += [
            Column("user_id", String(32), nullable=False),
            Column("user_token", Text),
            Column("user_scopes", String(1000)),
            Column("user_refresh_token", Text),
            Column("user_token_expires_at", DateTime),
            Column("incoming_webhook_url", String(200)),
            Column("incoming_webhook_channel", String(200)),
            Column("incoming_webhook_channel_id", String(200)),
            Column("incoming_webhook_configuration_url", String(200)),
        ]
    columns += [
        Column("is_enterprise_install", Boolean, nullable=False, default=False),
        Column("token_type", String(32)) if with_user else None,
        Column("installed_at", DateTime, nullable=False, default=func.now()),
    ]
    return [c for c in columns if c is not None]


slack_installations = Table(
    "slack_installations",
    metadata,
    *_installation_columns(with_user=True),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots",
    metadata,
    *_installation_columns(with_user=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)

TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
