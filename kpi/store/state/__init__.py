"""The bot's own records, one module per concern, over one database (a URL or an engine: :data:`Db`).

* :mod:`.rules` — alert rules, incidents, history, and the :class:`UnitOfWork` of one channel's pass;
* :mod:`.outbox` — notifications to deliver, claimed and delivered once;
* :mod:`.digests` — digest subscriptions;
* :mod:`.dashboard` — pinned KPIs and targets;
* :mod:`.freshness` — source tables whose rows stopped arriving;
* :mod:`.conversations` — the question answered in each thread, for follow-ups;
* :mod:`.coordination` — the clock's lease, Slack events seen once, heartbeats;
* :mod:`.quotas` — limits on expensive work, shared by every process;
* :mod:`.audit` — who changed what.

The functions are re-exported here, so that callers write ``state.rules(db)``.
"""

from kpi.store.state.audit import audit, audit_entries
from kpi.store.state.base import Conflict, Db
from kpi.store.state.channels import channel_fixed, channel_problems, channel_refused
from kpi.store.state.conversations import asked, remember
from kpi.store.state.coordination import (
    beat,
    clear_state,
    first_delivery,
    forget_deliveries,
    last_beat,
    lead,
    reachable,
    writable,
)
from kpi.store.state.dashboard import pin, pinned, set_target, team_targets
from kpi.store.state.digests import active_digests, subscribe_digest, unsubscribe_digest
from kpi.store.state.freshness import mark_fresh, mark_stale, stale
from kpi.store.state.outbox import (
    claim,
    delivered,
    failed,
    message_ts,
    outbox_rows,
    pending_outbox,
    release,
    retry_later,
)
from kpi.store.state.quotas import take
from kpi.store.state.rules import (
    UnitOfWork,
    acknowledge,
    create_rule,
    create_segment,
    edit_rule,
    history,
    incidents_for_message,
    open_incidents,
    remove_rule,
    rule,
    rule_numbered,
    rules,
    snooze_rule,
    unit_of_work,
)

__all__ = [
    "channel_fixed",
    "channel_problems",
    "channel_refused",
    "Conflict",
    "Db",
    "UnitOfWork",
    "acknowledge",
    "active_digests",
    "asked",
    "audit",
    "audit_entries",
    "beat",
    "claim",
    "clear_state",
    "create_rule",
    "create_segment",
    "delivered",
    "edit_rule",
    "failed",
    "first_delivery",
    "forget_deliveries",
    "history",
    "incidents_for_message",
    "last_beat",
    "lead",
    "mark_fresh",
    "mark_stale",
    "message_ts",
    "open_incidents",
    "outbox_rows",
    "pending_outbox",
    "pin",
    "pinned",
    "reachable",
    "release",
    "remember",
    "remove_rule",
    "retry_later",
    "rule",
    "rule_numbered",
    "rules",
    "set_target",
    "snooze_rule",
    "stale",
    "subscribe_digest",
    "take",
    "team_targets",
    "unit_of_work",
    "unsubscribe_digest",
    "writable",
]
