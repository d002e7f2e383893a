"""Alert rules and digests: `/kpi alert…`, `/kpi alerts`, `/kpi digest…` and the alert buttons (the forms' submissions
are :mod:`bot.slack.listeners.forms`)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from slack_bolt import App

from bot.jobs.alerts import rerender
from bot.jobs.clock import run_pass
from bot.jobs.context import naive
from bot.jobs.digests import add_digest, digest_payload
from bot.render import alerts as ra
from bot.render import answers as render
from bot.render import modals
from bot.render import rules as rr
from bot.render.blocks import fixed
from bot.slack import membership, permissions, understood
from bot.slack import parse as p
from bot.slack.answers import build
from bot.slack.deps import Deps, Replier, guard
from kpi.grammar import DigestSpec
from kpi.present import format_value
from kpi.store import state
from kpi.texts import t


def register(app: App, deps: Deps) -> None:
    # Buttons answer Slack's HTTP request at once (within its 3 seconds whatever Slack's own
    # latency): every call to Slack (users.info, response URLs, chat.postEphemeral) comes after, in a worker.
    @app.action(ra.ACTION_ACK)
    def acknowledge(ack, respond, action, body, context):
        ack()
        user = body.get("user", {}).get("id", "")
        deps.later(_acknowledge, deps, respond, context.team_id or "", action.get("value"), user)

    def snooze(days: int):
        def handler(ack, respond, action, body, client, context):
            ack()
            user, seconds = body.get("user", {}).get("id", ""), int(timedelta(days=days).total_seconds())
            deps.later(_snooze_button, deps, respond, client, context.team_id or "", action.get("value"), user, seconds)

        return handler

    app.action(ra.ACTION_SNOOZE_DAY)(snooze(1))
    app.action(ra.ACTION_SNOOZE_WEEK)(snooze(7))

    @app.action(ra.ACTION_BREAKDOWN)
    def breakdown(ack, respond, action):
        ack()
        deps.later(_breakdown, deps, Replier.after_ack(respond), str(action.get("value", "")))


def _acknowledge(deps: Deps, respond, team: str, value, user: str) -> None:
    replier = Replier.after_ack(respond)
    with guard(replier, deps.lang):
        ref = _ref(value)
        if ref is None:
            return
        incident = state.acknowledge(deps.settings.database_url, team, ref[0], ref[1], user, naive(deps.clock()))
        if incident is None:
            replier.reply(render.notice(t(deps.lang, "rule_not_found", id=ref[0])))
            return
        if incident["message_id"]:  # show who acknowledged it on the alert itself
            respond(
                replace_original=True,
                **rerender(deps.jobs, state.incidents_for_message(deps.settings.database_url, incident["message_id"])),
            )
        replier.reply(render.notice(t(deps.lang, "incident_acked")))


def _snooze_button(deps: Deps, respond, client, team: str, value, user: str, seconds: int) -> None:
    replier = Replier.after_ack(respond)
    with guard(replier, deps.lang):
        ref = _ref(value)
        if ref is None:
            return
        if not permissions.can_manage(deps.settings, client, user):
            replier.reply(render.notice(permissions.refusal(deps.settings, deps.lang)))
            return
        _snooze(deps, replier, team, ref[0], seconds, user)


def handle(deps: Deps, replier: Replier, command: p.Command, body: dict, client) -> None:
    """The alert and digest commands (called by the /kpi listener, inside its guard)."""
    lang, url = deps.lang, deps.settings.database_url
    team, channel, user = body.get("team_id", ""), body.get("channel_id", ""), body.get("user_id", "")
    now = deps.clock()
    match command:
        case p.ListRules():
            rows = state.rules(url, team, channel)
            listed = rr.rules_message(rows, deps.service.catalog, naive(now), deps.service.tz, lang, deps.currency)
            replier.reply(rr.with_problem(listed, state.channel_problems(url, team, channel), deps.service.tz, lang))
            return
        case p.RuleHistory():
            replier.reply(rr.history_message(state.audit_entries(url, team, channel), deps.service.tz, lang))
            return
        case p.Digest(action="show") if not permissions.can_manage(deps.settings, client, user):
            current = state.active_digests(url, team, channel)
            text = understood.digest(deps, current[0].spec) if current else t(lang, "digest_not_subscribed")
            replier.reply(render.notice(text + " " + fixed(t(lang, "err_digest_usage"))))
            return
        case p.Digest(action="now"):
            _can_post(deps, client, team, channel)
            wait = deps.limits.digest(f"{team}:{channel}")
            if wait:
                replier.reply(render.notice(t(lang, "err_digest_busy", seconds=max(1, round(wait)))))
                return
            replier.reply(render.notice(t(lang, "digest_posting")))
            deps.later(_digest_now, deps, team, channel, heavy=True)
            return
    # Everything below changes rules or digests.
    if not permissions.can_manage(deps.settings, client, user):
        replier.reply(render.notice(permissions.refusal(deps.settings, lang)))
        return
    match command:
        case p.RuleModal():
            replier.ack()
            client.views_open(
                trigger_id=body.get("trigger_id", ""), view=modals.rule_modal(deps.service.catalog, lang, channel, team)
            )
        case p.EditRule(rule_id=rule_id):  # the number people type, per workspace
            row = state.rule_numbered(url, team, rule_id)
            if row is None:
                replier.reply(render.notice(t(lang, "rule_not_found", id=rule_id)))
                return
            replier.ack()
            client.views_open(
                trigger_id=body.get("trigger_id", ""),
                view=modals.rule_modal(deps.service.catalog, lang, channel, team, row),
            )
        case p.Digest(action="show"):
            current = state.active_digests(url, team, channel)
            replier.ack()
            client.views_open(
                trigger_id=body.get("trigger_id", ""),
                view=modals.digest_modal(
                    deps.service.catalog,
                    lang,
                    channel,
                    team,
                    deps.settings.kpi_timezone,
                    current[0].spec if current else None,
                ),
            )
        case p.CreateRule(spec=spec):
            _can_post(deps, client, team, channel)  # not saved unless the bot can post there
            replier.reply(create_rule(deps, team, channel, spec, user))
        case p.RemoveRule(rule_id=rule_id):
            row = state.rule_numbered(url, team, rule_id)
            done = row is not None and state.remove_rule(url, team, row.id, user, naive(now))
            replier.reply(render.notice(t(lang, "rule_removed" if done else "rule_not_found", id=rule_id)))
        case p.SnoozeRule(rule_id=rule_id, seconds=seconds):
            _snooze(deps, replier, team, rule_id, seconds, user, typed=True)
        case p.Pin(kpi=key, on=on):
            name = render.escape(deps.service.catalog.kpis[key].name(lang))
            changed = state.pin(url, team, key, user, naive(now), on)
            replier.reply(
                render.notice(t(lang, ("pinned" if on else "unpinned") if changed else "pin_unchanged", kpi=name))
            )
        case p.Target(kpi=key, grain=grain, value=value):
            kpi = deps.service.catalog.kpis[key]
            state.set_target(url, team, key, grain, value, user, naive(now))
            words = {"kpi": render.escape(kpi.name(lang)), "grain": t(lang, f"grain_{grain}")}
            if value is None:
                text = t(lang, "target_removed", **words)
            else:
                level = not deps.service.catalog.metrics[key].accumulates
                text = t(
                    lang,
                    "target_set_level" if level else "target_set",
                    **words,
                    value=format_value(value, kpi.unit, lang, deps.currency),
                )
            replier.reply(render.notice(text))
        case p.Digest(action="off"):
            done = state.unsubscribe_digest(url, team, channel, user, naive(now))
            replier.reply(render.notice(t(lang, "digest_off" if done else "digest_not_subscribed")))
        case p.Digest(action=cadence, at_time=at_time, weekday=weekday, timezone=tz, kpis=kpis, where=where):
            digest = DigestSpec(
                cadence,
                at_time or "09:00",
                weekday,
                tz or deps.settings.kpi_timezone,
                kpis,
                understood.digest_filter(deps, kpis, where),
            )
            _can_post(deps, client, team, channel)
            state.subscribe_digest(url, team, channel, digest, user, naive(now))
            replier.reply(render.notice(understood.digest(deps, digest)))
        case _:
            raise AssertionError(command)


def _can_post(deps: Deps, client, team: str, channel: str) -> None:
    """Join the channel if it is public, else raise :class:`membership.CannotPost` (answered with what to
    do); once the bot can post there, a delivery problem shown on the channel's rules is over."""
    membership.require(client, channel)
    state.channel_fixed(deps.settings.database_url, team, channel)


def create_rule(deps: Deps, team: str, channel: str, spec, user: str) -> dict:
    """Create the rule (unless the channel has the very same one) and say how it was understood."""
    url = deps.settings.database_url
    if spec.segment_only is not None:  # 'for referral': the value as in the data, and its breakdown
        window = spec.window.removesuffix(" yoy")
        found = deps.service.ask(spec.kpi, window, deps.clock(), where=f"{spec.segment_by or ''}={spec.segment_only}")
        assert found.where is not None  # asked with a filter
        by, key = found.where
        spec = replace(spec, segment_by=by, segment_only=key if key is not None else "")
    same = next((row.shown for row in state.rules(url, team, channel) if row.spec == spec), None)
    if same is not None:
        return render.notice(t(deps.lang, "rule_duplicate", id=same))
    rule_id = state.create_rule(url, team, channel, spec, user, naive(deps.clock()))
    created = state.rule(url, team, rule_id)
    # A new rule is checked at once: the channel learns now, not in five minutes, if it is already crossed.
    deps.later(run_pass, deps.jobs, deps.clock(), True, {rule_id})
    return render.notice(
        t(
            deps.lang,
            "rule_created",
            id=created.shown if created else rule_id,
            **understood.rule(deps, spec),
            minutes=max(1, deps.settings.kpi_eval_interval // 60),
        )
    )


def _snooze(
    deps: Deps, replier: Replier, team: str, rule_id: int, seconds: int, user: str, typed: bool = False
) -> None:
    """Snooze a rule: ``rule_id`` is the number people typed (``typed``), else its id (an alert's button)."""
    now = naive(deps.clock())
    until = now + timedelta(seconds=seconds)
    url = deps.settings.database_url
    row = state.rule_numbered(url, team, rule_id) if typed else state.rule(url, team, rule_id)
    number = row.shown if row else rule_id
    done = row is not None and state.snooze_rule(url, team, row.id, until, user, now)
    text = (
        t(deps.lang, "rule_snoozed", id=number, until=ra.when_text(until, deps.service.tz, deps.lang))
        if done
        else t(deps.lang, "rule_not_found", id=number)
    )
    replier.reply(render.notice(text))


def _digest_now(deps: Deps, team: str, channel: str) -> None:
    from bot.jobs import delivery

    ctx = deps.jobs
    now = deps.clock()
    current = state.active_digests(deps.settings.database_url, team, channel)
    message, image = digest_payload(ctx, current[0] if current else None, now, team, channel)
    with state.unit_of_work(ctx.url) as uow:
        add_digest(
            uow, f"digest-now:{team}:{channel}:{naive(now).isoformat()}", team, channel, message, image, naive(now)
        )
    delivery.deliver(ctx, naive(now))


def _breakdown(deps: Deps, replier: Replier, value: str) -> None:
    with guard(replier, deps.lang):
        kpi, _, rest = value.partition("|")
        window, _, by = rest.partition("|")
        message, _ = build(deps, p.Ask(kpi[:64], window[:16] or "30d", by[:32] or None), "")
        replier.reply(message)


def _ref(value) -> tuple[int, int] | None:
    rule, _, seq = str(value or "").partition(":")
    if re.fullmatch(r"[0-9]{1,9}", rule) and re.fullmatch(r"[0-9]{1,9}", seq):  # ASCII digits ('²' is not one)
        return int(rule), int(seq)
    return None
