"""Scheduled work: the evaluation pass, due digests, outbox delivery. Importable jobs with stable ids.

``run_pass(ctx, now)`` is everything due at ``now``: every rule observed (each
KPI × window computed once), state machines stepped, and for each channel the
new states, history rows and notifications written in one transaction; then
due digests; then delivery of the outbox. Two processes running it at once
post each notification once (rule versions + the outbox's unique keys).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from datetime import time as wall_time
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot import charts, delivery
from bot.installations import TeamClients
from bot import render_alerts as ra
from kpi import alerts
from kpi.alerts import Event, Observation, RuleKind, RuleSpec, RuleState, State, Status
from kpi.config import Settings, get_settings
from kpi.errors import KpiError
from kpi.pacing import pace
from kpi.present import format_value
from kpi.series import series, unusualness
from kpi.service import KpiService
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.jobs")
HEARTBEAT = "scheduler"
JOB_PASS = "kpi.pass"
JOB_DIGESTS = "kpi.digests"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class JobContext:
    settings: Settings
    service: KpiService
    clients: TeamClients
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    sleep: object = time.sleep          # injected by tests: nothing ever really waits there
    monotonic: object = time.monotonic

    @classmethod
    def from_settings(cls, settings: Settings, service: KpiService | None = None) -> "JobContext":
        return cls(settings, service or KpiService.from_settings(settings), TeamClients(settings, time.monotonic))

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def lang(self) -> str:
        return self.settings.kpi_language


@dataclass
class PassReport:
    rules: int = 0
    events: Counter = field(default_factory=Counter)
    conflicts: int = 0
    digests: int = 0
    delivery: delivery.Report | None = None
    rollup: object = None
    skipped: int = 0        # rules and digests left for the next pass when KPI_PASS_BUDGET ran out
    deadline: float = float("inf")  # on ctx.monotonic()

    def expired(self, ctx: "JobContext") -> bool:
        return ctx.monotonic() > self.deadline


def naive(moment: datetime) -> datetime:
    """Naive UTC, as stored."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def spec_of(row: dict) -> RuleSpec:
    return RuleSpec(kpi=row["kpi"], kind=RuleKind(row["kind"]), op=alerts.Op(row["op"]),
                    threshold=row["threshold"], window=row["window_spec"], recovery=row["recovery"],
                    min_denominator=row["min_denominator"], for_count=row["for_count"],
                    repeat_seconds=row["repeat_seconds"])


def rule_fields(spec: RuleSpec) -> dict:
    return {"kpi": spec.kpi, "kind": spec.kind.value, "op": spec.op.value, "threshold": spec.threshold,
            "window_spec": spec.window, "recovery": spec.recovery, "min_denominator": spec.min_denominator,
            "for_count": spec.for_count, "repeat_seconds": spec.repeat_seconds}


# -- the pass ----------------------------------------------------------------------------------


def run_pass(ctx: JobContext, now: datetime, deliver: bool = True, rule_ids: set[int] | None = None) -> PassReport:
    """Everything due at ``now`` (aware). Never raises for data or Slack trouble: it reports it."""
    stored_now = naive(now)
    report = PassReport(deadline=ctx.monotonic() + ctx.settings.kpi_pass_budget)
    state.beat(ctx.url, HEARTBEAT, stored_now, success=False)
    if rule_ids is None:
        try:
            report.rollup = ctx.service.refresh_rollups(now)
        except KpiError as exc:  # answers fall back to the source; the rules report the outage below
            log.warning("rollup refresh failed: %s", exc.message)
    evaluate_rules(ctx, now, report, rule_ids)
    if rule_ids is None:
        post_due_digests(ctx, now, report)
        state.forget_deliveries(ctx.url, stored_now - timedelta(days=1))
    if deliver:
        report.delivery = delivery.deliver(ctx, stored_now)
    state.beat(ctx.url, HEARTBEAT, stored_now, success=True)
    if report.skipped:
        log.warning("pass budget of %gs spent: %d rules or digests left for the next pass",
                    ctx.settings.kpi_pass_budget, report.skipped)
    log.info("pass done: %d rules, events %s, %d conflicts, %d digests, %d skipped, delivery %s", report.rules,
             dict(report.events), report.conflicts, report.digests, report.skipped, report.delivery)
    return report


@dataclass
class _Planned:
    row: dict
    spec: RuleSpec
    obs: Observation
    new: RuleState
    events: tuple[Event, ...]
    incident: dict | None
    snapshot: dict | None = None


def evaluate_rules(ctx: JobContext, now: datetime, report: PassReport, rule_ids: set[int] | None = None) -> None:
    stored_now = naive(now)
    rows = [r for r in state.rules(ctx.url) if rule_ids is None or r["id"] in rule_ids]
    report.rules = len(rows)
    if not rows:
        return
    specs = {r["id"]: spec_of(r) for r in rows}
    observations = alerts.observe_all(ctx.service, specs, now, lambda: report.expired(ctx))
    report.skipped += len(rows) - len(observations)
    rows = [r for r in rows if r["id"] in observations]  # the others keep their state until the next pass
    report.rules = len(rows)
    open_incidents = state.open_incidents(ctx.url, [r["id"] for r in rows])
    groups: dict[tuple[str, str], list[_Planned]] = defaultdict(list)
    plans: list[_Planned] = []
    for row in rows:
        spec, obs = specs[row["id"]], observations[row["id"]]
        incident = open_incidents.get(row["id"])
        current = RuleState(
            state=State(row["state"]), pending_count=row["pending_count"], incident_open=incident is not None,
            last_notified_at=incident["last_notified_at"] if incident else None,
            acked=bool(incident and incident["acked_by"]), snoozed_until=row["snoozed_until"],
        )
        stepped = alerts.step(spec, current, obs, stored_now)
        if Event.REPEAT in stepped.events and incident and incident["message_id"] \
                and state.message_ts(ctx.url, incident["message_id"]) is None:
            # the first alert is still waiting in the outbox (Slack down): a reminder on top of it would be a
            # second message about the same thing; it stays due until the first one is delivered
            stepped = alerts.Step(replace(stepped.state, last_notified_at=current.last_notified_at),
                                  tuple(e for e in stepped.events if e is not Event.REPEAT))
        plans.append(_Planned(row, spec, obs, stepped.state, stepped.events, incident))
    alerting = [p for p in plans if {Event.FIRING, Event.REPEAT} & set(p.events) and p.obs.result is not None]
    moved = alerts.movers(ctx.service, {(p.spec.kpi, p.spec.window) for p in alerting}, now)
    for p in alerting:
        by, top = moved[(p.spec.kpi, p.spec.window)]
        since = ra.when_text(p.incident["opened_at"], ctx.service.tz, ctx.lang) if p.incident else None
        seq = p.incident["seq"] if p.incident else p.row["incident_count"] + 1
        p.snapshot = ra.alert_snapshot(p.row["id"], seq, p.spec, p.obs.result, ctx.service.catalog, ctx.lang,
                                       ctx.settings.kpi_currency, by, top, since)
    for p in plans:
        groups[(p.row["team_id"], p.row["channel_id"])].append(p)
    for (team, channel), planned in groups.items():
        try:
            _write_channel(ctx, team, channel, planned, stored_now)
            for p in planned:
                report.events.update(e.value for e in p.events)
        except state.Conflict as exc:
            report.conflicts += 1
            log.info("channel %s skipped: %s", channel, exc)


def _write_channel(ctx: JobContext, team: str, channel: str, planned: list[_Planned], now: datetime) -> None:
    lang, catalog = ctx.lang, ctx.service.catalog
    with state.unit_of_work(ctx.url) as uow:
        alerting = [p for p in planned if p.snapshot is not None]
        message_id = None
        if alerting:
            refs = []
            for p in alerting:
                seq = p.incident["seq"] if p.incident else p.row["incident_count"] + 1
                refs.append(f"{p.row['id']}#{seq}:{p.row['version']}")
            key = "alert:" + ",".join(sorted(refs))
            message_id = uow.new_message(team, channel, key, now)
            uow.add_outbox(key, team, channel, "chat.postMessage",
                           ra.alert_message([p.snapshot for p in alerting], [None] * len(alerting), lang),
                           now, message_id=message_id)
        notices = []
        for p in planned:
            values = {"state": p.new.state.value, "pending_count": p.new.pending_count,
                      "last_evaluated_at": now, "last_error": p.obs.detail or None}
            if p.obs.status is Status.VALUE:
                values["last_value"] = p.obs.value
            kpi = catalog.kpis.get(p.spec.kpi)
            name = kpi.name(lang) if kpi else p.spec.kpi
            for event in p.events:
                match event:
                    case Event.FIRING:
                        seq = p.row["incident_count"] + 1
                        incident_id = uow.open_incident(p.row["id"], seq, now, message_id, p.snapshot)
                        values |= {"incident_count": seq, "open_incident_id": incident_id}
                    case Event.REPEAT:
                        uow.renotify_incident(p.incident["id"], now, message_id, p.snapshot)
                    case Event.RESOLVED:
                        _resolve(ctx, uow, team, channel, p, name, now)
                        values["open_incident_id"] = None
                    case Event.NO_DATA:
                        notices.append(t(lang, "alert_no_data", kpi=ra.escape(name), window=p.spec.window,
                                         id=p.row["id"], detail=ra.escape(p.obs.detail)))
                    case Event.ERROR:
                        notices.append(t(lang, "alert_error", kpi=ra.escape(name), window=p.spec.window,
                                         id=p.row["id"]))
                    case _:
                        raise AssertionError(event)
            if p.new.state.value != p.row["state"] or p.events:
                uow.add_history(p.row["id"], now, p.row["state"], p.new.state.value,
                                p.obs.value if p.obs.status is Status.VALUE else None,
                                ",".join(e.value for e in p.events) + (f" {p.obs.detail}" if p.obs.detail else ""))
            uow.update_rule(p.row["id"], p.row["version"], **values)
        if notices:
            key = "notice:" + ",".join(f"{p.row['id']}:{p.row['version']}" for p in planned
                                       if {Event.NO_DATA, Event.ERROR} & set(p.events))
            uow.add_outbox(key, team, channel, "chat.postMessage", ra.notice_message(notices), now)


def _resolve(ctx: JobContext, uow: state.UnitOfWork, team: str, channel: str, p: _Planned, name: str,
             now: datetime) -> None:
    incident = p.incident
    assert incident is not None
    uow.resolve_incident(incident["id"], now, p.obs.value)
    kpi = ctx.service.catalog.kpis.get(p.spec.kpi)
    unit = kpi.unit if kpi else ra.Unit.NUMBER
    shown = (format_value(p.obs.value, ra.Unit.PERCENT, ctx.lang) if p.spec.kind is RuleKind.CHANGE
             else format_value(p.obs.value, unit, ctx.lang, ctx.settings.kpi_currency))
    line = ra.line_text(p.spec, unit, ctx.lang, ctx.settings.kpi_currency)
    message_id = incident["message_id"]
    uow.add_outbox(f"incident:{incident['id']}:resolved", team, channel, "chat.postMessage",
                   ra.resolved_reply(name, shown, line, ctx.lang), now, message_id=message_id, in_thread=True)
    uow.add_outbox(f"incident:{incident['id']}:resolved:update", team, channel, "chat.update",
                   rerender(ctx, uow.incidents_of_message(message_id)), now, message_id=message_id)


def statuses(ctx: JobContext, incidents: list[dict]) -> list[str | None]:
    out = []
    for inc in incidents:
        if inc["resolved_at"] is not None:
            snapshot = json.loads(inc["snapshot"])
            kpi = ctx.service.catalog.kpis.get(snapshot.get("kpi", ""))
            unit = ra.Unit.PERCENT if snapshot.get("change") or kpi is None else kpi.unit
            value = format_value(inc.get("resolved_value"), unit, ctx.lang, ctx.settings.kpi_currency)
            out.append(t(ctx.lang, "alert_resolved_mark",
                         when=ra.when_text(inc["resolved_at"], ctx.service.tz, ctx.lang), value=value))
        elif inc["acked_by"]:
            out.append(t(ctx.lang, "alert_acked", user=ra.escape(inc["acked_by"])))
        else:
            out.append(None)
    return out


def rerender(ctx: JobContext, incidents: list[dict]) -> dict:
    """The grouped alert message again, each alert marked resolved or acknowledged where it is."""
    snapshots = [json.loads(i["snapshot"]) for i in incidents]
    return ra.alert_message(snapshots, statuses(ctx, incidents), ctx.lang)


# -- digests ---------------------------------------------------------------------------------


def trigger_of(digest: dict) -> CronTrigger:
    hour, minute = (int(x) for x in digest["at_time"].split(":"))
    dow = WEEKDAYS[digest["weekday"]] if digest["cadence"] == "weekly" else "*"
    return CronTrigger(hour=hour, minute=minute, day_of_week=dow, timezone=ZoneInfo(digest["timezone"]))


def slot_on(day: date, at: wall_time, tz: ZoneInfo) -> datetime:
    """The instant of local ``at`` on ``day``, decided on purpose at DST changes:

    * a time that happens twice (02:30 on the autumn night in Paris) is its first occurrence;
    * a time that does not exist (02:30 on the spring night) is the first minute that does (03:00).
    """
    local = datetime.combine(day, at)
    for minutes in range(0, 24 * 60):  # a gap lasts an hour, rarely more: the loop ends within it
        candidate = (local + timedelta(minutes=minutes)).replace(tzinfo=tz, fold=0)
        if candidate.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return candidate.astimezone(timezone.utc)
    raise AssertionError(f"no valid local time on {day} after {at} in {tz}")  # pragma: no cover


def last_slot(digest: dict, now: datetime) -> datetime | None:
    """The latest scheduled instant at or before ``now`` (aware), in UTC: one per day (or one per week), so
    a digest is posted once on the night its time happens twice and once on the night it does not exist.
    Always moves forward: at most eight candidate days are looked at."""
    tz = ZoneInfo(digest["timezone"])
    hour, minute = (int(x) for x in digest["at_time"].split(":"))
    today = now.astimezone(tz).date()
    for back in range(0, 8):
        day = today - timedelta(days=back)
        if digest["cadence"] == "weekly" and day.weekday() != digest["weekday"]:
            continue
        slot = slot_on(day, wall_time(hour, minute), tz)
        if slot <= now:
            return slot
    return None


def post_due_digests(ctx: JobContext, now: datetime, report: PassReport | None = None) -> int:
    """Post each digest whose slot has come (once), if not older than the grace time."""
    posted = 0
    grace = timedelta(seconds=ctx.settings.kpi_digest_grace)
    for digest in state.active_digests(ctx.url):
        slot = last_slot(digest, now)
        if slot is None:
            continue
        stored_slot = naive(slot)
        if digest["last_slot"] is not None and stored_slot <= digest["last_slot"]:
            continue
        if report is not None and report.expired(ctx):
            report.skipped += 1  # due, and left for the next pass (within its grace, it is posted then)
            continue
        late = now - slot > grace
        try:
            with state.unit_of_work(ctx.url) as uow:
                uow.mark_digest(digest["id"], digest["last_slot"], stored_slot)
                if not late:
                    key = f"digest:{digest['id']}:{stored_slot.isoformat()}"
                    add_digest(uow, key, digest["team_id"], digest["channel_id"],
                               *digest_payload(ctx, digest, now), naive(now))
                    posted += 1
                else:
                    log.warning("digest %s for %s skipped: %s is past the grace time", digest["id"],
                                digest["channel_id"], slot.isoformat())
        except state.Conflict:
            continue
        except KpiError as exc:
            log.warning("digest %s not built: %s", digest["id"], exc.message)
    if report is not None:
        report.digests += posted
    return posted


def add_digest(uow: state.UnitOfWork, key: str, team: str, channel: str, message: dict, image: dict,
               now: datetime) -> None:
    """The digest, then its sparkline image in the digest's thread (delivered once the digest has its ts)."""
    message_id = uow.new_message(team, channel, key, now)
    uow.add_outbox(key, team, channel, "chat.postMessage", message, now, message_id=message_id)
    uow.add_outbox(f"{key}:sparklines", team, channel, "files.upload", image, now, message_id=message_id,
                   in_thread=True)


def digest_payload(ctx: JobContext, digest: dict | None, now: datetime, team: str = "",
                   channel: str = "") -> tuple[dict, dict]:
    """The digest message, and the sparkline image (as an outbox payload) posted in its thread."""
    service, lang, currency = ctx.service, ctx.lang, ctx.settings.kpi_currency
    keys = [k for k in (digest["kpis"].split(",") if digest and digest["kpis"] else []) if k]
    weekly = bool(digest and digest["cadence"] == "weekly")
    first = service.overview("last-week" if weekly else "yesterday", now, keys or None)
    month = service.overview("month", now, keys or None)
    team = digest["team_id"] if digest else team
    channel = digest["channel_id"] if digest else channel
    firing = []
    for row in state.rules(ctx.url, team, channel):
        if firing_now(row, now):
            kpi = service.catalog.kpis.get(row["kpi"])
            firing.append(f"#{row['id']} {kpi.name(lang) if kpi else row['kpi']}")
    # what moved most against its usual variation first (yesterday vs the four weeks before)
    window = service.period("30d", now)
    trends = {r.kpi.key: series(service, r.kpi, window, with_previous=False) for r in month}
    order = sorted(range(len(month)), key=lambda i: -unusualness(trends[month[i].kpi.key].current.values))
    first, month = [first[i] for i in order], [month[i] for i in order]
    targets = state.team_targets(ctx.url, team)
    paces = {}
    for r in month:
        if (r.kpi.key, "month") in targets:
            found = pace(service.catalog, r, targets[(r.kpi.key, "month")], now, r.current.calendar_end())
            if found is not None:
                paces[r.kpi.key] = found
    day = now.astimezone(service.tz).date()
    message = ra.digest_message(day, weekly, first, month, firing, lang, currency, paces)
    png = charts.sparklines([(r.kpi.name(lang), trends[r.kpi.key], format_value(y.value, r.kpi.unit, lang, currency))
                             for r, y in zip(month, first, strict=True)], lang)
    image = {"file_b64": base64.b64encode(png).decode(), "filename": "kpi-digest.png",
             "title": t(lang, "digest_sparklines")}
    return message, image


# -- scheduled entry points (stable ids, importable) ---------------------------------------------


@lru_cache(maxsize=1)
def default_context() -> JobContext:
    return JobContext.from_settings(get_settings())


LEASE = "clock"


def is_leader(ctx: JobContext, now: datetime) -> bool:
    """Only one scheduler runs the jobs: the holder of the ``clock`` lease (renewed at every job;
    a standby takes over when the leader stops renewing it for two intervals)."""
    ttl = timedelta(seconds=2 * ctx.settings.kpi_eval_interval + 30)
    return state.lead(ctx.url, LEASE, ctx.worker, naive(now), ttl)


def scheduled_pass() -> None:
    """Job ``kpi.pass``: evaluate every rule, post due digests, deliver (on the leader only)."""
    try:
        ctx, now = default_context(), datetime.now(timezone.utc)
        if not is_leader(ctx, now):
            log.info("standby: another scheduler holds the clock lease")
            return
        run_pass(ctx, now)
    except Exception:  # the scheduler must keep running; the traceback is logged
        log.exception("evaluation pass failed")


def scheduled_digests() -> None:
    """Job ``kpi.digests`` (every minute): post digests whose time has come, deliver (leader only)."""
    try:
        ctx = default_context()
        now = datetime.now(timezone.utc)
        if is_leader(ctx, now) and post_due_digests(ctx, now):
            delivery.deliver(ctx, naive(now))
    except Exception:
        log.exception("digest job failed")


def watchdog_budget(settings) -> float:
    """How long a pass may run before the health checks call it stuck: its rules-and-digests budget,
    its delivery budget, and a minute for the rest (rollups, bookkeeping)."""
    return settings.kpi_pass_budget + settings.kpi_delivery_budget + 60


def firing_now(row: dict, now: datetime) -> bool:
    """A rule that fires and is not snoozed: what "Firing now" lists (a snoozed one was set aside on purpose)."""
    until = row["snoozed_until"]
    return row["state"] == State.FIRING.value and (until is None or until <= naive(now))


def health(url: str, interval: int, started: datetime | None, now: datetime,
           budget: float | None = None) -> tuple[bool, dict]:
    """Healthy while a pass succeeded within twice the interval, or, as a grace period, while the
    process (``started``; None: no grace) is younger than that. A watchdog too: a pass that started
    more than ``budget`` seconds ago and has not finished is stuck, and that is unhealthy at once."""
    beat = state.last_beat(url, HEARTBEAT)
    last = beat["last_success_at"] if beat else None
    begun = beat["last_started_at"] if beat else None
    if budget is not None and begun is not None and (last is None or begun > last) \
            and naive(now) - begun > timedelta(seconds=budget):
        return False, {"last_pass": last.isoformat() + "Z" if last else None, "stuck_since": begun.isoformat() + "Z"}
    known = [x for x in (last, naive(started) if started else None) if x is not None]
    if not known:
        return False, {"last_pass": None}
    reference = max(known)
    ok = naive(now) - reference <= timedelta(seconds=2 * interval)
    return ok, {"last_pass": last.isoformat() + "Z" if last else None}

