"""The clock: one pass of everything due, the leader lease, the scheduled entry points, and health.

``run_pass(ctx, now)`` is everything due at ``now``: the rules (:mod:`bot.jobs.alerts`), then due
digests (:mod:`bot.jobs.digests`), then delivery of the outbox (:mod:`bot.jobs.delivery`). The
scheduled jobs (stable ids, importable) receive their context as an argument.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from bot.jobs import delivery
from bot.jobs.alerts import evaluate_rules
from bot.jobs.context import HEARTBEAT, JobContext, PassReport, naive
from bot.jobs.digests import post_due_digests
from kpi.errors import KpiError
from kpi.store import state

log = logging.getLogger("bot.jobs")
JOB_PASS = "kpi.pass"
JOB_DIGESTS = "kpi.digests"


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
        log.warning(
            "pass budget of %gs spent: %d rules or digests left for the next pass",
            ctx.settings.kpi_pass_budget,
            report.skipped,
        )
    log.info(
        "pass done: %d rules, events %s, %d conflicts, %d digests, %d skipped, delivery %s",
        report.rules,
        dict(report.events),
        report.conflicts,
        report.digests,
        report.skipped,
        report.delivery,
    )
    return report


LEASE = "clock"


def is_leader(ctx: JobContext, now: datetime) -> bool:
    """Only one scheduler runs the jobs: the holder of the ``clock`` lease (renewed at every job;
    a standby takes over when the leader stops renewing it for two intervals)."""
    ttl = timedelta(seconds=2 * ctx.settings.kpi_eval_interval + 30)
    return state.lead(ctx.url, LEASE, ctx.worker, naive(now), ttl)


def scheduled_pass(ctx: JobContext) -> None:
    """Job ``kpi.pass``: evaluate every rule, post due digests, deliver (on the leader only)."""
    try:
        now = datetime.now(timezone.utc)
        if not is_leader(ctx, now):
            log.info("standby: another scheduler holds the clock lease")
            return
        run_pass(ctx, now)
    except Exception:  # the scheduler must keep running; the traceback is logged
        log.exception("evaluation pass failed")


def scheduled_digests(ctx: JobContext) -> None:
    """Job ``kpi.digests`` (every minute): post digests whose time has come, deliver (leader only)."""
    try:
        now = datetime.now(timezone.utc)
        if is_leader(ctx, now) and post_due_digests(ctx, now):
            delivery.deliver(ctx, naive(now))
    except Exception:
        log.exception("digest job failed")


def watchdog_budget(settings) -> float:
    """How long a pass may run before the health checks call it stuck: its rules-and-digests budget,
    its delivery budget, and a minute for the rest (rollups, bookkeeping)."""
    return settings.kpi_pass_budget + settings.kpi_delivery_budget + 60


def health(
    url: str, interval: int, started: datetime | None, now: datetime, budget: float | None = None
) -> tuple[bool, dict]:
    """Healthy while a pass succeeded within twice the interval, or, as a grace period, while the
    process (``started``; None: no grace) is younger than that. A watchdog too: a pass that started
    more than ``budget`` seconds ago and has not finished is stuck, and that is unhealthy at once."""
    beat = state.last_beat(url, HEARTBEAT)
    last = beat["last_success_at"] if beat else None
    begun = beat["last_started_at"] if beat else None
    if (
        budget is not None
        and begun is not None
        and (last is None or begun > last)
        and naive(now) - begun > timedelta(seconds=budget)
    ):
        return False, {"last_pass": last.isoformat() + "Z" if last else None, "stuck_since": begun.isoformat() + "Z"}
    known = [x for x in (last, naive(started) if started else None) if x is not None]
    if not known:
        return False, {"last_pass": None}
    reference = max(known)
    ok = naive(now) - reference <= timedelta(seconds=2 * interval)
    return ok, {"last_pass": last.isoformat() + "Z" if last else None}
