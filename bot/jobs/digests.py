"""Digests: when each one is due (DST-safe slots), and the message with its sparklines, posted through the outbox."""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from datetime import time as wall_time
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.jobs.context import JobContext, PassReport, naive
from bot.render import alerts as ra
from bot.render import charts
from bot.render import digests as rd
from kpi.catalog import Unit
from kpi.compute import Reason, ReasonCode
from kpi.errors import KpiError, Refusal
from kpi.grammar import WEEKDAYS
from kpi.grammar.words import DEFAULT_MARGIN
from kpi.pacing import standings
from kpi.present import breakdown_key, format_pct_change, format_value
from kpi.rules import Rule, State, target_margins
from kpi.series import series, unusualness
from kpi.store import state
from kpi.store.state.records import Digest, DigestSpec
from kpi.texts import t

log = logging.getLogger("bot.jobs")
FUTURE_SLOT = timedelta(days=1)  # a recorded slot this far past the clock came from a pass in the future


def trigger_of(digest: DigestSpec) -> CronTrigger:
    hour, minute = (int(x) for x in digest.at_time.split(":"))
    dow = WEEKDAYS[digest.weekday] if digest.weekly and digest.weekday is not None else "*"
    return CronTrigger(hour=hour, minute=minute, day_of_week=dow, timezone=ZoneInfo(digest.timezone or "UTC"))


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


def last_slot(digest: DigestSpec, now: datetime) -> datetime | None:
    """The latest scheduled instant at or before ``now`` (aware), in UTC: one per day (or one per week), so
    a digest is posted once on the night its time happens twice and once on the night it does not exist.
    Always moves forward: at most eight candidate days are looked at."""
    tz = ZoneInfo(digest.timezone or "UTC")
    hour, minute = (int(x) for x in digest.at_time.split(":"))
    today = now.astimezone(tz).date()
    for back in range(0, 8):
        day = today - timedelta(days=back)
        if digest.weekly and day.weekday() != digest.weekday:
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
        slot = last_slot(digest.spec, now)
        if slot is None:
            continue
        stored_slot = naive(slot)
        late = now - slot > grace
        # a slot no pass at a real time could have recorded (`run-jobs --at 2999-…` before it was refused):
        # ignored, so that the digest resumes at its next slot on time (and a late one never moves it back)
        future = digest.last_slot is not None and digest.last_slot > naive(ctx.wall()) + FUTURE_SLOT
        if digest.last_slot is not None and stored_slot <= digest.last_slot and not future:
            continue
        if future and late:
            continue
        if future:
            log.warning("digest %s had a slot from the future (%s): it resumes", digest.id, digest.last_slot)
        if report is not None and report.expired(ctx):
            report.skipped += 1  # due, and left for the next pass (within its grace, it is posted then)
            continue
        try:
            with state.unit_of_work(ctx.url) as uow:
                uow.mark_digest(digest.id, digest.last_slot, stored_slot)
                if not late:
                    key = f"digest:{digest.id}:{stored_slot.isoformat()}"
                    add_digest(
                        uow, key, digest.team_id, digest.channel_id, *digest_payload(ctx, digest, now), naive(now)
                    )
                    posted += 1
                else:
                    log.warning(
                        "digest %s for %s skipped: %s is past the grace time",
                        digest.id,
                        digest.channel_id,
                        slot.isoformat(),
                    )
        except state.Conflict:
            continue
        except KpiError as exc:
            log.warning("digest %s not built: %s", digest.id, exc.message)
    if report is not None:
        report.digests += posted
    return posted


def add_digest(
    uow: state.UnitOfWork, key: str, team: str, channel: str, message: dict, image: dict, now: datetime
) -> None:
    """The digest, then its sparkline image in the digest's thread (delivered once the digest has its ts)."""
    message_id = uow.new_message(team, channel, key, now)
    uow.add_outbox(key, team, channel, "chat.postMessage", message, now, message_id=message_id)
    uow.add_outbox(
        f"{key}:sparklines", team, channel, "files.upload", image, now, message_id=message_id, in_thread=True
    )


def digest_payload(
    ctx: JobContext, digest: Digest | None, now: datetime, team: str = "", channel: str = ""
) -> tuple[dict, dict]:
    """The digest message, and the sparkline image (as an outbox payload) posted in its thread."""
    service, lang, currency = ctx.service, ctx.lang, ctx.settings.kpi_currency
    keys = list(digest.spec.kpis) if digest else []
    weekly = bool(digest and digest.spec.weekly)
    where = digest.spec.where if digest else None
    if where:  # one value of a breakdown: the KPIs that have that breakdown, each computed for that value
        by, _, value = where.partition("=")
        keys = [k for k in keys or service.catalog.keys() if by in service.catalog.metrics[k].dimensions]
        first = [_for_value(service, k, "last-week" if weekly else "yesterday", now, where) for k in keys]
        month = [_for_value(service, k, "month", now, where) for k in keys]
    else:
        first = service.overview("last-week" if weekly else "yesterday", now, keys or None)
        month = service.overview("month", now, keys or None)
    team = digest.team_id if digest else team
    channel = digest.channel_id if digest else channel
    firing = []
    for row in state.rules(ctx.url, team, channel):
        if firing_now(row, now):
            kpi = service.catalog.kpis.get(row.kpi)
            name = ra.segment_name(
                kpi.name(lang) if kpi else row.kpi, row.segment_key, row.spec.segment_by, lang, service.catalog
            )
            firing.append(f"#{row.shown} {name}")
    # what moved most against its usual variation first (yesterday vs the four weeks before)
    window = service.period("30d", now)
    trends = {
        r.kpi.key: series(
            service, r.kpi, window, with_previous=False, where=(by, value or None) if where else None, now=now
        )
        for r in month
    }
    order = sorted(range(len(month)), key=lambda i: -unusualness(trends[month[i].kpi.key].current.values))
    first, month = [first[i] for i in order], [month[i] for i in order]
    targets = {k: v for (k, grain), v in state.team_targets(ctx.url, team).items() if grain == "month"}
    margins = target_margins(state.rules(ctx.url, team), "month")
    paces = standings(service.catalog, month, targets, margins, now, DEFAULT_MARGIN)
    why = {}  # month to date: the value that explains most of each KPI's change (kpi.why)
    for r in month:  # a digest of one value: its change split across the other breakdowns
        _, whys = service.why(r.kpi, "month", now, where=where)
        parts = sorted(
            ((w, p) for w in whys if w.change for p in w.parts if p.change), key=lambda wp: -abs(wp[1].change)
        )
        if parts and (share := parts[0][0].share(parts[0][1])) is not None and share > 0:
            w, p = parts[0]
            offset = w.offset(p)  # more than all of it: the other values went the other way, and it is said
            why[r.kpi.key] = t(
                lang,
                "digest_why" if offset is None else "digest_why_offset",
                key=breakdown_key(p.key, lang, w.by, service.catalog),
                share=format_value(share, Unit.PERCENT, lang) if offset is None else format_pct_change(share, lang),
                offset=format_pct_change(offset or 0.0, lang),
                direction=t(lang, "why_rise" if w.change > 0 else "why_drop"),
            )
    day = now.astimezone(service.tz).date()
    message = rd.digest_message(
        day, weekly, first, month, firing, lang, currency, paces, why, where=month[0].where if where and month else None
    )
    png = charts.sparklines(
        [
            (r.kpi.name(lang), trends[r.kpi.key], format_value(y.value, r.kpi.unit, lang, currency))
            for r, y in zip(month, first, strict=True)
        ],
        lang,
        currency,
    )
    image = {
        "file_b64": base64.b64encode(png).decode(),
        "filename": "kpi-digest.png",
        "title": t(lang, "digest_sparklines"),
    }
    return message, image


def _for_value(service, key: str, period: str, now: datetime, where: str):
    """One KPI for one value of a breakdown; a value without rows in the period is an empty result."""
    try:
        return service.ask(key, period, now, where=where)
    except Refusal:  # no row for that value in the period: a sum is zero, a ratio has no value
        by, _, value = where.partition("=")
        found = service.ask(key, period, now)
        zero = 0.0 if service.catalog.metrics[key].accumulates else None
        return replace(
            found,
            value=zero,
            previous_value=None,
            where=(by, value or None),
            measures={},
            previous_measures={},
            reason=None if zero is not None else Reason(ReasonCode.NO_DATA),
            previous_reason=None,
        )


def firing_now(row: Rule, now: datetime) -> bool:
    """A rule that fires and is not snoozed: what "Firing now" lists (a snoozed one was set aside on purpose)."""
    until = row.snoozed_until
    return row.state is State.FIRING and (until is None or until <= naive(now))
