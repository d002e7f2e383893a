"""The rule and digest forms (modals) submitted: the form's own mistakes and a channel the bot can't post to
are answered on the form (``response_action: errors``) before acking; saving and the confirmation come after
the ack, in a worker, so that the form is answered within Slack's 3 seconds whatever Slack's own latency."""

from __future__ import annotations

import json
import logging

from slack_bolt import App

from bot.jobs.context import naive
from bot.render import answers as render
from bot.render import modals
from bot.render.blocks import clip, plain
from bot.slack import membership, permissions, understood
from bot.slack.deps import Deps, Replier, guard
from bot.slack.listeners.alerts import create_rule
from kpi import grammar
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.alerts")


def register(app: App, deps: Deps) -> None:
    @app.view(modals.CALLBACK_RULE)
    def rule_submitted(ack, body, view, client, context):
        """The form's own mistakes are answered on the form (``response_action: errors``) before acking;
        saving and the confirmation come after the ack."""
        user, values, team, channel, meta = _submission(body, view, context)
        editing = meta.get("rule") if isinstance(meta.get("rule"), int) else None
        if permissions.known(deps.settings, client, user) is False:
            ack(response_action="errors", errors={"kpi": _not_allowed(deps)})
            return
        try:
            spec = grammar.rule_from_fields(values, deps.service.catalog, deps.lang, deps.currency)
        except grammar.FieldRefusal as refused:
            ack(response_action="errors", errors=_field_errors(deps, refused))
            return
        if not _channel_checked(deps, ack, client, channel):
            return
        ack()
        deps.later(_save_rule, deps, _ephemeral(client, channel, user), client, team, channel, spec, user, editing)

    @app.view(modals.CALLBACK_DIGEST)
    def digest_submitted(ack, body, view, client, context):
        user, values, team, channel, _ = _submission(body, view, context)
        if permissions.known(deps.settings, client, user) is False:
            ack(response_action="errors", errors={"cadence": _not_allowed(deps)})
            return
        try:
            digest = grammar.digest_from_fields(values, deps.service.catalog)
        except grammar.FieldRefusal as refused:
            ack(response_action="errors", errors=_field_errors(deps, refused))
            return
        if not _channel_checked(deps, ack, client, channel):
            return
        ack()
        deps.later(_save_digest, deps, _ephemeral(client, channel, user), client, team, channel, digest, user)


def _ephemeral(client, channel: str, user: str) -> Replier:
    """Answers that go to ``user`` in ``channel`` as an ephemeral message (a form has no response URL)."""

    def respond(response_type: str = "ephemeral", replace_original: bool = False, **message) -> None:
        _confirm(client, channel, user, message)

    return Replier.after_ack(respond)


def _save_rule(deps: Deps, replier: Replier, client, team: str, channel: str, spec, user: str, editing) -> None:
    with guard(replier, deps.lang):
        if not permissions.can_manage(deps.settings, client, user):  # Slack's answer was not known at the ack
            replier.reply(render.notice(permissions.refusal(deps.settings, deps.lang)))
            return
        if editing is None:
            replier.reply(create_rule(deps, team, channel, spec, user))
            return
        url = deps.settings.database_url
        row = state.rule(url, team, editing)  # the form carries the rule's id; people see its number
        number = row.shown if row else editing
        if row and state.edit_rule(url, team, editing, spec, channel, user, naive(deps.clock())):
            replier.reply(render.notice(t(deps.lang, "rule_updated", id=number, **understood.rule(deps, spec))))
        else:  # removed meanwhile, or not this workspace's rule
            replier.reply(render.notice(t(deps.lang, "rule_not_found", id=number)))


def _save_digest(deps: Deps, replier: Replier, client, team: str, channel: str, digest, user: str) -> None:
    with guard(replier, deps.lang):
        if not permissions.can_manage(deps.settings, client, user):
            replier.reply(render.notice(permissions.refusal(deps.settings, deps.lang)))
            return
        state.subscribe_digest(deps.settings.database_url, team, channel, digest, user, naive(deps.clock()))
        replier.reply(render.notice(understood.digest(deps, digest)))


FORM_CHECK_SECONDS = 2.0  # the channel check of a form, within Slack's 3 seconds to answer it


def _channel_checked(deps: Deps, ack, client, channel: str) -> bool:
    """Whether the bot can post in the form's channel (joining it if public); if not, the form is answered
    with the reason under its channel field, and nothing is saved."""
    key = membership.problem_within(client, channel, FORM_CHECK_SECONDS)
    if key is None:
        return True
    ack(response_action="errors", errors={"channel": clip(plain(t(deps.lang, f"form_{key}")), 150)})
    return False


def _confirm(client, channel: str, user: str, message: dict) -> None:
    """The form's confirmation, seen only by the person who sent it. Slack may still refuse it (the bot was
    removed from the channel meanwhile, Slack is down): the saved change stands, and the person is told in
    a DM instead; it never becomes an HTTP error on a form that is already closed."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, **message)
        return
    except Exception as exc:  # noqa: BLE001 - any failure of Slack's: logged, then the DM
        log.warning("form confirmation not shown in %s (%s); sent as a DM", channel, type(exc).__name__)
    try:
        client.chat_postMessage(channel=user, **message)
    except Exception:  # noqa: BLE001 - nothing else can reach the person; logged with its traceback
        log.exception("form confirmation could not reach %s", user)


def _field_errors(deps: Deps, refused: grammar.FieldRefusal) -> dict[str, str]:
    """A form's refusals as Slack shows them under each field (150 characters at most)."""
    hint = t(deps.lang, "modal_threshold_hint")
    return {name: clip(plain(problem.text(deps.lang) or hint), 150) for name, problem in refused.errors.items()}


def _not_allowed(deps: Deps) -> str:
    """The refusal of a form to someone who may not change rules, as plain text under a field."""
    return clip(plain(permissions.refusal(deps.settings, deps.lang)), 150)


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
