"""Buttons on answers: Share in channel, Show chart, Why?, Explain."""

from __future__ import annotations

import json
import re

from slack_bolt import App

from bot.jobs.context import naive
from bot.render import answers as render
from bot.render.why import why_message
from bot.slack import chart_posts, membership
from bot.slack.answers import build
from bot.slack.deps import Deps, Replier, guard
from bot.slack.parse import Ask, Explain
from kpi.store import state
from kpi.texts import t


def register(app: App, deps: Deps) -> None:
    @app.action(render.ACTION_SHARE)
    def share(ack, respond, action, body, context):
        ack()
        _audit(deps, body, context, "answer.share", action.get("value"))
        deps.later(_share, deps, Replier.after_ack(respond), action.get("value"), context.user_id or "")

    @app.action(render.ACTION_CHART)
    def chart(ack, respond, action, body, client, context):
        ack()
        channel = (body.get("channel") or {}).get("id", "")
        team = context.team_id or ""
        replier = Replier.after_ack(respond)
        wait = deps.limits.heavy(context.user_id or "")
        if wait:  # the same quota as /kpi … chart (said after the ack: a response URL is a call to Slack)
            deps.later(replier.reply, render.notice(t(deps.lang, "err_busy", seconds=max(1, round(wait)))))
            return
        _audit(deps, body, context, "chart.post", action.get("value"))
        deps.later(_chart, deps, replier, client, team, channel, action.get("value"), heavy=True)

    @app.action(render.ACTION_WHY)
    def why(ack, respond, action, body, context):
        ack()
        wait = deps.limits.heavy(context.user_id or "")  # one query per breakdown: the charts' quota
        replier = Replier.after_ack(respond)
        if wait:
            deps.later(replier.reply, render.notice(t(deps.lang, "err_busy", seconds=max(1, round(wait)))))
            return
        deps.later(_why, deps, replier, action.get("value"), heavy=True)

    @app.action(re.compile(rf"^{render.ACTION_ASK}_[0-9]$"))
    def ask(ack, respond, action, context):  # a reading offered for a question understood in part
        ack()
        deps.later(_share, deps, Replier.after_ack(respond), action.get("value"), context.user_id or "", False)

    @app.action(render.ACTION_EXPLAIN)
    def explain(ack, respond, action):
        ack()
        deps.later(_explain, deps, Replier.after_ack(respond), str(action.get("value", ""))[:64])


def _audit(deps: Deps, body: dict, context, action: str, value) -> None:
    """Buttons that post for everyone are kept in the audit log (who, when, what)."""
    state.audit(
        deps.settings.database_url,
        context.team_id or "",
        (body.get("channel") or {}).get("id"),
        context.user_id or "",
        action,
        str(value or "")[:200],
        None,
        naive(deps.clock()),
    )


def _share(deps: Deps, replier: Replier, value, user: str, share: bool = True) -> None:
    """The question a button carries, answered for the channel (Share) or for the person (a reading offered)."""
    with guard(replier, deps.lang):
        query = _query(value)
        if query is None:
            replier.reply(render.notice(t(deps.lang, "err_not_understood", words="…")))
            return
        message, kind = build(deps, Ask(query["k"], query["p"], query["b"], share=share, where=query["w"]), user)
        replier.reply(message, kind)


def _chart(deps: Deps, replier: Replier, client, team: str, channel: str, value) -> None:
    with guard(replier, deps.lang):
        query = _query(value)
        if query is None or not channel:
            replier.reply(render.notice(t(deps.lang, "err_not_understood", words="…")))
            return
        membership.require(client, channel)  # joins a public channel; else says how to invite the bot
        chart_posts.post(deps, client, team, channel, query["k"], query["p"], query["b"], where=query["w"])


def _why(deps: Deps, replier: Replier, value) -> None:
    with guard(replier, deps.lang):
        query = _query(value)
        if query is None:
            replier.reply(render.notice(t(deps.lang, "err_not_understood", words="…")))
            return
        total, whys = deps.service.why(query["k"], query["p"], deps.clock(), where=query["w"])
        replier.reply(why_message(total, whys, deps.service.catalog, deps.lang, deps.currency))


def _explain(deps: Deps, replier: Replier, key: str) -> None:
    with guard(replier, deps.lang):
        message, _ = build(deps, Explain(key), "")
        replier.reply(message)


def _query(value) -> dict | None:
    """The KPI question carried by a button; None when the value is not one we wrote."""
    try:
        data = json.loads(value or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not isinstance(data.get("p"), str):
        return None
    if data.get("b") is not None and not isinstance(data["b"], str):
        return None
    if data.get("w") is not None and not isinstance(data["w"], str):
        return None
    return {"k": data["k"][:64], "p": data["p"][:64], "b": data.get("b"), "w": (data.get("w") or "")[:128] or None}
