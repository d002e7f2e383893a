"""The alert pass: every rule observed (each KPI × window computed once), its state machine stepped,
and for each channel the new states, history rows and notifications written in one transaction.

Two processes running it at once post each notification once (rule versions + the outbox's unique keys).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from bot.jobs.context import JobContext, PassReport, naive
from bot.jobs.segments import inside, segment_rules
from bot.render import alerts as ra
from kpi import alerts, freshness
from kpi.errors import KpiError
from kpi.present import format_value
from kpi.rules import Event, Observation, Rule, RuleKind, RuleSpec, RuleState, Status, Step, step
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.jobs")


@dataclass
class _Planned:
    row: Rule
    spec: RuleSpec
    obs: Observation
    new: RuleState
    events: tuple[Event, ...]
    incident: dict | None
    snapshot: dict | None = None


def evaluate_rules(ctx: JobContext, now: datetime, report: PassReport, rule_ids: set[int] | None = None) -> None:
    stored_now = naive(now)
    rows = [r for r in state.rules(ctx.url) if rule_ids is None or r.id in rule_ids or r.parent_id in rule_ids]
    report.rules = len(rows)
    if not rows:
        return
    # a rule split by a dimension is judged through its segments' rules, one per value seen
    parents = [r for r in rows if r.splits]
    rows = [r for r in rows if not r.splits]
    segments, rows = segment_rules(ctx, parents, rows, now, report)
    specs = {r.id: r.spec for r in rows}
    fresh = _freshness(ctx, rows, now)
    stale = {t: f for t, f in fresh.items() if f.stale}
    waiting = {r.id for r in rows if stale.keys() & freshness.tables_of(ctx.service, r.kpi)}
    targets = _targets(ctx, rows)
    observations = alerts.observe_all(
        ctx.service,
        {r.id: r.spec for r in rows if r.id not in waiting and r.parent_id is None},
        now,
        lambda: report.expired(ctx),
        targets,
    )
    observations |= {i: o for i, o in segments.items() if i not in waiting}
    announced = _stale_episodes(ctx, fresh, rows, stored_now) if rule_ids is None else set()
    for row in rows:
        if row.id in waiting:
            tables = stale.keys() & freshness.tables_of(ctx.service, row.kpi)
            # told with its table's notice when that notice goes out now; else (a rule created while the
            # table was already stale) with the rule's own no-data notice
            detail = f"data looks stale in {', '.join(sorted(tables))}"
            observations[row.id] = Observation(Status.NO_DATA, detail=detail, quiet=tables <= announced)
    report.skipped += len(rows) - len(observations)
    rows = [r for r in rows if r.id in observations]  # the others keep their state until the next pass
    report.rules = len(rows)
    open_incidents = state.open_incidents(ctx.url, [r.id for r in rows])
    observations |= _periods_over(ctx, rows, observations, open_incidents, targets, now)
    groups: dict[tuple[str, str], list[_Planned]] = defaultdict(list)
    plans: list[_Planned] = []
    for row in rows:
        spec, obs = specs[row.id], observations[row.id]
        incident = open_incidents.get(row.id)
        current = RuleState(
            state=row.state,
            pending_count=row.pending_count,
            incident_open=incident is not None,
            last_notified_at=incident["last_notified_at"] if incident else None,
            acked=bool(incident and incident["acked_by"]),
            snoozed_until=row.snoozed_until,
        )
        stepped = step(spec, current, obs, stored_now)
        if (
            Event.REPEAT in stepped.events
            and incident
            and incident["message_id"]
            and state.message_ts(ctx.url, incident["message_id"]) is None
        ):
            # the first alert is still waiting in the outbox (Slack down): a reminder on top of it would be a
            # second message about the same thing; it stays due until the first one is delivered
            stepped = Step(
                replace(stepped.state, last_notified_at=current.last_notified_at),
                tuple(e for e in stepped.events if e is not Event.REPEAT),
            )
        plans.append(_Planned(row, spec, obs, stepped.state, stepped.events, incident))
    alerting = [
        p
        for p in plans
        if {Event.FIRING, Event.REPEAT} & set(p.events) and (p.obs.result is not None or p.obs.judgement is not None)
    ]
    moved = alerts.movers(
        ctx.service,
        {
            (p.spec.kpi, p.spec.window)
            for p in alerting
            if p.spec.kind in (RuleKind.THRESHOLD, RuleKind.CHANGE) and p.row.segment_key is None
        },
        now,
    )
    catalog = ctx.service.catalog
    for p in alerting:
        since = ra.when_text(p.incident["opened_at"], ctx.service.tz, ctx.lang) if p.incident else None
        seq = p.incident["seq"] if p.incident else p.row.incident_count + 1
        if p.obs.judgement is not None:  # an unusual rule: the day judged and its expected range
            p.snapshot = ra.unusual_snapshot(
                p.row.id,
                seq,
                p.spec,
                catalog.kpis[p.spec.kpi],
                p.obs.judgement,
                catalog,
                ctx.lang,
                ctx.settings.kpi_currency,
                since,
            )
            continue
        if p.obs.miss is not None:  # a target rule: the projection, and what each day left must bring
            assert p.obs.result is not None
            p.snapshot = ra.target_snapshot(
                p.row.id, seq, p.spec, p.obs.result, p.obs.miss, catalog, ctx.lang, ctx.settings.kpi_currency, since
            )
            continue
        if p.row.segment_key is not None:  # one value of a dimension
            by, top, whys = p.spec.segment_by, list[Any](), list[Any]()
            if p.spec.segment_only is not None:  # a filtered rule: its value's change split across the others
                whys = inside(ctx, p.spec, p.row.segment_key, now)
        else:
            by, top, whys = moved[(p.spec.kpi, p.spec.window)]
        assert p.obs.result is not None  # a breach has the value it crossed with
        p.snapshot = ra.alert_snapshot(
            p.row.id,
            seq,
            p.spec,
            p.obs.result,
            catalog,
            ctx.lang,
            ctx.settings.kpi_currency,
            by,
            top,
            since,
            p.row.segment_key,
            whys,
        )
    for p in plans:
        groups[(p.row.team_id, p.row.channel_id)].append(p)
    for (team, channel), planned in groups.items():
        try:
            _write_channel(ctx, team, channel, planned, stored_now)
            for p in planned:
                report.events.update(e.value for e in p.events)
        except state.Conflict as exc:
            report.conflicts += 1
            log.info("channel %s skipped: %s", channel, exc)


def _freshness(ctx: JobContext, rows: list[Rule], now: datetime) -> dict[str, freshness.Freshness]:
    """The tables the rules' KPIs read, checked for rows that stopped arriving (a source that can't answer
    is the rules' own error to report: no freshness then)."""
    try:
        return freshness.check(ctx.service, {r.kpi for r in rows}, now)
    except KpiError as exc:
        log.warning("freshness not checked: %s", exc.message)
        return {}


def _stale_episodes(
    ctx: JobContext, fresh: dict[str, freshness.Freshness], rows: list[Rule], now: datetime
) -> set[str]:
    """Tell the channels with rules on a table once when its rows stop arriving, and once when they come
    again (each episode recorded in the state store: two passes at once tell it once). Returns the tables
    announced stale by this pass."""
    known = state.stale(ctx.url)
    announced = set()
    for table, found in fresh.items():
        if found.stale and table not in known:
            if not state.mark_stale(ctx.url, table, now, found.last_row_at, found.usual_gap_days or 1):
                continue
            since, key = now, "stale"
            announced.add(table)
        elif not found.stale and table in known:
            if not state.mark_fresh(ctx.url, table):
                continue
            since, key = known[table]["since"], "fresh"
        else:
            continue
        channels: dict[tuple[str, str], list[int]] = defaultdict(list)
        for r in rows:
            if table in freshness.tables_of(ctx.service, r.kpi) and r.shown not in channels[(r.team_id, r.channel_id)]:
                channels[(r.team_id, r.channel_id)].append(r.shown)  # a segment's number is its rule's
        for (team, channel), ids in channels.items():
            text = ra.stale_text(key, table, found, ids, ctx.service.tz, ctx.lang)
            with state.unit_of_work(ctx.url) as uow:
                uow.add_outbox(
                    f"{key}:{table}:{since:%Y%m%dT%H%M%S}:{team}:{channel}",
                    team,
                    channel,
                    "chat.postMessage",
                    ra.notice_message([text]),
                    now,
                )
    return announced


def _periods_over(
    ctx: JobContext,
    rows: list[Rule],
    observations: dict[int, Observation],
    incidents: dict[int, dict],
    targets: dict[int, float | None],
    now: datetime,
) -> dict[int, Observation]:
    """Target rules whose miss was opened in a period that is now over: resolved with how that period ended
    against its target, rather than with a projection from the first hours of the new one."""
    out: dict[int, Observation] = {}
    for row in rows:
        obs, incident, target = observations.get(row.id), incidents.get(row.id), targets.get(row.id)
        if row.spec.kind is not RuleKind.TARGET or incident is None or obs is None or obs.result is None:
            continue
        if target is None or incident["opened_at"] >= obs.result.current.start_utc():
            continue
        try:
            closed = ctx.service.ask(row.spec.kpi, f"last-{row.spec.window}", now)
        except KpiError as exc:
            log.info("the period before rule %s's was not computed: %s", row.id, exc.message)
            continue
        out[row.id] = alerts.period_ended(row.spec, closed, target, ctx.service.catalog)
    return out


def _targets(ctx: JobContext, rows: list[Rule]) -> dict[int, float | None]:
    """Each target rule's target: its team's, for its KPI and grain (None: not set)."""
    out: dict[int, float | None] = {}
    teams = {r.team_id for r in rows if r.spec.kind is RuleKind.TARGET}
    for team in teams:
        found = state.team_targets(ctx.url, team)
        out |= {
            r.id: found.get((r.spec.kpi, r.spec.window))
            for r in rows
            if r.team_id == team and r.spec.kind is RuleKind.TARGET
        }
    return out


def _write_channel(ctx: JobContext, team: str, channel: str, planned: list[_Planned], now: datetime) -> None:
    lang, catalog = ctx.lang, ctx.service.catalog
    with state.unit_of_work(ctx.url) as uow:
        alerting = [p for p in planned if p.snapshot is not None]
        message_id = None
        if alerting:
            refs = []
            for p in alerting:
                seq = p.incident["seq"] if p.incident else p.row.incident_count + 1
                refs.append(f"{p.row.id}#{seq}:{p.row.version}")
            key = "alert:" + ",".join(sorted(refs))
            message_id = uow.new_message(team, channel, key, now)
            uow.add_outbox(
                key,
                team,
                channel,
                "chat.postMessage",
                ra.alert_message([cast(dict, p.snapshot) for p in alerting], [None] * len(alerting), lang),
                now,
                message_id=message_id,
            )
        notices = []
        for p in planned:
            values: dict[str, Any] = {
                "state": p.new.state.value,
                "pending_count": p.new.pending_count,
                "last_evaluated_at": now,
                "last_error": p.obs.detail or None,
            }
            if p.obs.status is Status.VALUE:
                values["last_value"] = p.obs.value
            kpi = catalog.kpis.get(p.spec.kpi)
            name = ra.segment_name(
                kpi.name(lang) if kpi else p.spec.kpi, p.row.segment_key, p.spec.segment_by, lang, catalog
            )
            for event in p.events:
                match event:
                    case Event.FIRING:
                        seq = p.row.incident_count + 1
                        assert message_id is not None and p.snapshot is not None  # a firing rule is in the message
                        incident_id = uow.open_incident(p.row.id, seq, now, message_id, p.snapshot)
                        values |= {"incident_count": seq, "open_incident_id": incident_id}
                    case Event.REPEAT:
                        assert message_id is not None and p.snapshot is not None and p.incident is not None
                        uow.renotify_incident(p.incident["id"], now, message_id, p.snapshot)
                    case Event.RESOLVED:
                        _resolve(ctx, uow, team, channel, p, name, now)
                        values["open_incident_id"] = None
                    case Event.NO_DATA if p.obs.quiet:
                        pass  # told otherwise: once per stale table (_stale_episodes), or a segment's lull
                    case Event.NO_DATA:
                        notices.append(
                            t(
                                lang,
                                "alert_no_data",
                                kpi=ra.escape(name),
                                window=p.spec.window,
                                id=p.row.shown,
                                detail=ra.escape(p.obs.detail),
                            )
                        )
                    case Event.ERROR:
                        notices.append(
                            t(lang, "alert_error", kpi=ra.escape(name), window=p.spec.window, id=p.row.shown)
                        )
                    case _:
                        raise AssertionError(event)
            if p.new.state is not p.row.state or p.events:
                uow.add_history(
                    p.row.id,
                    now,
                    p.row.state.value,
                    p.new.state.value,
                    p.obs.value if p.obs.status is Status.VALUE else None,
                    ",".join(e.value for e in p.events) + (f" {p.obs.detail}" if p.obs.detail else ""),
                )
            uow.update_rule(p.row.id, p.row.version, **values)
        if notices:
            key = "notice:" + ",".join(
                f"{p.row.id}:{p.row.version}"
                for p in planned
                if {Event.NO_DATA, Event.ERROR} & set(p.events) and not p.obs.quiet
            )
            uow.add_outbox(key, team, channel, "chat.postMessage", ra.notice_message(notices), now)


def _resolve(
    ctx: JobContext, uow: state.UnitOfWork, team: str, channel: str, p: _Planned, name: str, now: datetime
) -> None:
    incident = p.incident
    assert incident is not None
    uow.resolve_incident(incident["id"], now, p.obs.value)
    kpi = ctx.service.catalog.kpis.get(p.spec.kpi)
    unit = kpi.unit if kpi else ra.Unit.NUMBER
    shown = (
        format_value(p.obs.value, ra.Unit.PERCENT, ctx.lang)
        if p.spec.kind is RuleKind.CHANGE
        else format_value(p.obs.value, unit, ctx.lang, ctx.settings.kpi_currency)
    )
    line = ra.line_text(p.spec, unit, ctx.lang, ctx.settings.kpi_currency)
    message_id = incident["message_id"]
    if p.obs.ended and p.obs.result is not None:  # the period is over: how it ended against its target
        reply = ra.period_ended_reply(name, p.obs.result, p.obs.miss, unit, ctx.lang, ctx.settings.kpi_currency)
    else:
        reply = ra.resolved_reply(name, shown, line, ctx.lang)
    uow.add_outbox(
        f"incident:{incident['id']}:resolved",
        team,
        channel,
        "chat.postMessage",
        reply,
        now,
        message_id=message_id,
        in_thread=True,
    )
    uow.add_outbox(
        f"incident:{incident['id']}:resolved:update",
        team,
        channel,
        "chat.update",
        rerender(ctx, uow.incidents_of_message(message_id)),
        now,
        message_id=message_id,
    )


def statuses(ctx: JobContext, incidents: list[dict]) -> list[str | None]:
    out: list[str | None] = []
    for inc in incidents:
        if inc["resolved_at"] is not None:
            snapshot = json.loads(inc["snapshot"])
            kpi = ctx.service.catalog.kpis.get(snapshot.get("kpi", ""))
            unit = ra.Unit.PERCENT if snapshot.get("change") or kpi is None else kpi.unit
            value = format_value(inc.get("resolved_value"), unit, ctx.lang, ctx.settings.kpi_currency)
            out.append(
                t(
                    ctx.lang,
                    "alert_resolved_mark",
                    when=ra.when_text(inc["resolved_at"], ctx.service.tz, ctx.lang),
                    value=value,
                )
            )
        elif inc["acked_by"]:
            out.append(t(ctx.lang, "alert_acked", user=ra.escape(inc["acked_by"])))
        else:
            out.append(None)
    return out


def rerender(ctx: JobContext, incidents: list[dict]) -> dict:
    """The grouped alert message again, each alert marked resolved or acknowledged where it is."""
    snapshots = [json.loads(i["snapshot"]) for i in incidents]
    return ra.alert_message(snapshots, statuses(ctx, incidents), ctx.lang)
