"""Alert rules and digests: `/kpi alert…`, `/kpi alerts`, `/kpi digest…`, alert buttons, the rule modal."""

from __future__ import annotations

import json
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
from bot.render.blocks import clip, fixed, plain
from bot.slack import parse as p
from bot.slack import permissions, understood
from bot.slack.answers import build
from bot.slack.deps import Deps, Replier, guard
from kpi import grammar
from kpi.grammar import DigestSpec
from kpi.present import format_value
from kpi.store import state
from kpi.texts import t


def register(app: App, deps: Deps) -> None:
    @app.action(ra.ACTION_ACK)
    def acknowledge(ack, respond, action, body, context):
        ack()
        replier = Replier.after_ack(respond)
        with guard(replier, deps.lang):
            ref = _ref(action.get("value"))
            if ref is None:
                return
            team, user = context.team_id or "", body.get("user", {}).get("id", "")
            incident = state.acknowledge(deps.settings.database_url, team, ref[0], ref[1], user, naive(deps.clock()))
            if incident is None:
                replier.reply(render.notice(t(deps.lang, "rule_not_found", id=ref[0])))
                return
            if incident["message_id"]:  # show who acknowledged it on the alert itself
                respond(
                    replace_original=True,
                    **rerender(
                        deps.jobs, state.incidents_for_message(deps.settings.database_url, incident["message_id"])
                    ),
                )
            replier.reply(render.notice(t(deps.lang, "incident_acked")))

    def snooze(days: int):
        def handler(ack, respond, action, body, client, context):
            ack()
            replier = Replier.after_ack(respond)
            with guard(replier, deps.lang):
                ref = _ref(action.get("value"))
                user = body.get("user", {}).get("id", "")
                if ref is None:
                    return
                if not permissions.can_manage(deps.settings, client, user):
                    replier.reply(render.notice(permissions.refusal(deps.settings, deps.lang)))
                    return
                _snooze(deps, replier, context.team_id or "", ref[0], int(timedelta(days=days).total_seconds()), user)

        return handler

    app.action(ra.ACTION_SNOOZE_DAY)(snooze(1))
    app.action(ra.ACTION_SNOOZE_WEEK)(snooze(7))

    @app.action(ra.ACTION_BREAKDOWN)
    def breakdown(ack, respond, action):
        ack()
        deps.later(_breakdown, deps, Replier.after_ack(respond), str(action.get("value", "")))

    @app.view(modals.CALLBACK_RULE)
    def rule_submitted(ack, body, view, client, context):
        user, values, team, channel, meta = _submission(body, view, context)
        editing = meta.get("rule") if isinstance(meta.get("rule"), int) else None
        if not permissions.can_manage(deps.settings, client, user):
            ack(response_action="errors", errors={"kpi": _not_allowed(deps)})
            return
        try:
            spec = grammar.rule_from_fields(values, deps.service.catalog, deps.lang, deps.currency)
        except grammar.FieldRefusal as refused:
            ack(response_action="errors", errors=_field_errors(deps, refused))
            return
        ack()
        if editing is not None:
            if state.edit_rule(deps.settings.database_url, team, editing, spec, channel, user, naive(deps.clock())):
                text = t(deps.lang, "rule_updated", id=editing, **understood.rule(deps, spec))
            else:  # removed meanwhile, or not this workspace's rule
                text = t(deps.lang, "rule_not_found", id=editing)
            client.chat_postEphemeral(channel=channel, user=user, **render.notice(text))
            return
        client.chat_postEphemeral(channel=channel, user=user, **_create(deps, team, channel, spec, user))

    @app.view(modals.CALLBACK_DIGEST)
    def digest_submitted(ack, body, view, client, context):
        user, values, team, channel, _ = _submission(body, view, context)
        if not permissions.can_manage(deps.settings, client, user):
            ack(response_action="errors", errors={"cadence": _not_allowed(deps)})
            return
        try:
            digest = grammar.digest_from_fields(values, deps.service.catalog)
        except grammar.FieldRefusal as refused:
            ack(response_action="errors", errors=_field_errors(deps, refused))
            return
        ack()
        state.subscribe_digest(deps.settings.database_url, team, channel, digest, user, naive(deps.clock()))
        client.chat_postEphemeral(channel=channel, user=user, **render.notice(understood.digest(deps, digest)))


def handle(deps: Deps, replier: Replier, command: p.Command, body: dict, client) -> None:
    """The alert and digest commands (called by the /kpi listener, inside its guard)."""
    lang, url = deps.lang, deps.settings.database_url
    team, channel, user = body.get("team_id", ""), body.get("channel_id", ""), body.get("user_id", "")
    now = deps.clock()
    match command:
        case p.ListRules():
            rows = state.rules(url, team, channel)
            replier.reply(
                rr.rules_message(rows, deps.service.catalog, naive(now), deps.service.tz, lang, deps.currency)
            )
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
        case p.EditRule(rule_id=rule_id):
            row = state.rule(url, team, rule_id)
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
            replier.reply(_create(deps, team, channel, spec, user))
        case p.RemoveRule(rule_id=rule_id):
            done = state.remove_rule(url, team, rule_id, user, naive(now))
            replier.reply(render.notice(t(lang, "rule_removed" if done else "rule_not_found", id=rule_id)))
        case p.SnoozeRule(rule_id=rule_id, seconds=seconds):
            _snooze(deps, replier, team, rule_id, seconds, user)
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
            state.subscribe_digest(url, team, channel, digest, user, naive(now))
            replier.reply(render.notice(understood.digest(deps, digest)))
        case _:
            raise AssertionError(command)


def _create(deps: Deps, team: str, channel: str, spec, user: str) -> dict:
    """Create the rule (unless the channel has the very same one) and say how it was understood."""
    url = deps.settings.database_url
    if spec.segment_only is not None:  # 'for referral': the value as in the data, and its breakdown
        window = spec.window.removesuffix(" yoy")
        found = deps.service.ask(spec.kpi, window, deps.clock(), where=f"{spec.segment_by or ''}={spec.segment_only}")
        assert found.where is not None  # asked with a filter
        by, key = found.where
        spec = replace(spec, segment_by=by, segment_only=key if key is not None else "")
    same = next((row.id for row in state.rules(url, team, channel) if row.spec == spec), None)
    if same is not None:
        return render.notice(t(deps.lang, "rule_duplicate", id=same))
    rule_id = state.create_rule(url, team, channel, spec, user, naive(deps.clock()))
    # A new rule is checked at once: the channel learns now, not in five minutes, if it is already crossed.
    deps.later(run_pass, deps.jobs, deps.clock(), True, {rule_id})
    return render.notice(
        t(
            deps.lang,
            "rule_created",
            id=rule_id,
            **understood.rule(deps, spec),
            minutes=max(1, deps.settings.kpi_eval_interval // 60),
        )
    )


def _snooze(deps: Deps, replier: Replier, team: str, rule_id: int, seconds: int, user: str) -> None:
    now = naive(deps.clock())
    until = now + timedelta(seconds=seconds)
    done = state.snooze_rule(deps.settings.database_url, team, rule_id, until, user, now)
    text = (
        t(deps.lang, "rule_snoozed", id=rule_id, until=ra.when_text(until, deps.service.tz, deps.lang))
        if done
        else t(deps.lang, "rule_not_found", id=rule_id)
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


def _not_allowed(deps: Deps) -> str:
    """The refusal of a form to someone who may not change rules, as plain text under a field."""
    return clip(plain(permissions.refusal(deps.settings, deps.lang)), 150)


def _field_errors(deps: Deps, refused: grammar.FieldRefusal) -> dict[str, str]:
    """A form's refusals as Slack shows them under each field (150 characters at most)."""
    hint = t(deps.lang, "modal_threshold_hint")
    return {name: clip(plain(problem.text(deps.lang) or hint), 150) for name, problem in refused.errors.items()}


def _submission(body: dict, view: dict, context) -> tuple[str, dict, str, str, dict]:
    """Who submitted a modal, its values, and the team and channel it is for (picked, else where it opened).

    The team is Bolt's reading of Slack's signed envelope (``context.team_id``: the installing workspace,
    ``view.app_installed_team_id`` included), never the metadata's: a modal opened in one workspace can
    only change that workspace's rules and digests."""
    values = modals.submitted(view)
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    team = context.team_id or ""
    channel = (values.get("channel") or str(meta.get("channel", "")))[:32]
    return body.get("user", {}).get("id", ""), values, team, channel, meta
