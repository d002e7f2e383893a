"""Questions in conversation: a DM to the bot, an @mention in a channel, and replies in the thread of an
answer ("and by channel?", "same for last year", "et en septembre ?"), which change only what they say.

The answer goes in the thread of the question (a DM's top-level question is answered in the DM). In a
channel's thread, a reply that does not mention the bot is answered only when it reads as a follow-up of the
question answered there: people talk in threads, and the bot does not answer their chatter."""

from __future__ import annotations

import logging
import re

from slack_bolt import App
from sqlalchemy.exc import SQLAlchemyError

from bot.jobs.context import naive
from bot.render import answers as render
from bot.slack import parse as p
from bot.slack.deps import Deps, Replier, guard
from bot.slack.listeners import commands
from kpi.grammar.questions import Reading
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.conversations")

_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")
MAX_EVENT_TEXT = p.MAX_TEXT  # a longer message is refused with its length, not read (as a command is)
_ANSWERED = (p.Ask, p.ListKpis, p.Explain, p.Help, p.Unclear, p.TooLong, p.NotUnderstood, p.MissingKpi, p.BadKpi)


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def mention(event, client, context):
        deps.later(converse, deps, client, context.team_id or event.get("team", ""), event, True)

    @app.event("message")
    def message(event, client, context):
        if event.get("subtype") or event.get("bot_id") or not isinstance(event.get("text"), str):
            return  # edits, deletions, joins, bots (the bot itself included)
        bot = context.bot_user_id or ""
        if bot and f"<@{bot}" in event["text"] and event.get("channel_type") != "im":
            return  # a mention: answered once, by the app_mention listener
        direct = event.get("channel_type") == "im"
        if not direct and not event.get("thread_ts"):
            return  # a channel's own conversation: not addressed to the bot
        deps.later(converse, deps, client, context.team_id or event.get("team", ""), event, direct)


def converse(deps: Deps, client, team: str, event: dict, addressed: bool) -> None:
    """Read the message (as a follow-up when its thread holds an answer), answer it in its thread, and keep
    the question for the next reply."""
    channel, user = str(event.get("channel", "")), str(event.get("user", ""))
    text = _MENTION.sub(" ", str(event.get("text", ""))[: MAX_EVENT_TEXT + 1]).strip()
    if not channel or not user:
        return
    direct = event.get("channel_type") == "im"
    thread = str(event.get("thread_ts") or "")
    root = thread or ("" if direct else str(event.get("ts", "")))  # where the answer goes ('': the DM itself)
    now = deps.clock()
    posted: list[str] = []

    def respond(response_type: str = "ephemeral", replace_original: bool = False, **message) -> None:
        found = client.chat_postMessage(channel=channel, thread_ts=root or None, **message)
        posted.append(str(found.get("ts") or ""))

    replier = Replier.after_ack(respond)
    parsed = None
    with guard(replier, deps.lang):  # the bot's database failing: an apology with an error id, logged
        key = thread or ("" if direct else "-")
        previous = state.asked(deps.settings.database_url, team, channel, key, naive(now))
        parsed = read(deps, text, _reading(previous), addressed)
    if parsed is None:
        return  # chatter in a thread (not a follow-up), or already answered with the apology
    if not isinstance(parsed, _ANSWERED):  # rules, digests, targets, pins: the command's work (permissions, forms)
        replier.reply(render.notice(t(deps.lang, "err_use_command", text=render.escape(text[:80]))))
        return
    if isinstance(parsed, p.Ask) and (parsed.chart or parsed.why) and (wait := deps.limits.heavy(user)):
        # charts and decompositions are heavy work: the same per-person quota as `/kpi … chart`
        replier.reply(render.notice(t(deps.lang, "err_busy", seconds=max(1, round(wait)))))
        return
    command = {"team_id": team, "channel_id": channel, "user_id": user, "text": text}
    commands.handle(deps, replier, command, client, parsed)
    if isinstance(parsed, p.Ask) and posted:
        threads = [root or "", *posted] if direct and not thread else [root]
        try:
            state.remember(
                deps.settings.database_url,
                team,
                channel,
                [x for x in threads if x or direct],
                _question(parsed),
                naive(now),
            )
        except SQLAlchemyError:  # answered already; only the follow-ups of this thread are lost
            log.exception("the question of thread %s could not be kept for follow-ups", root or channel)


def read(deps: Deps, text: str, previous: Reading | None, addressed: bool):
    """The command a message asks for, or None when a reply in a thread is not meant for the bot."""
    catalog = deps.reading_catalog()
    if len(text) > MAX_EVENT_TEXT:
        return p.TooLong(len(text)) if addressed else None
    reading = p.reader_for(catalog).read(text, deps.lang)
    head = text.split()[0].lower() if text.split() else ""
    follows = (
        previous is not None
        and reading.kind != "help"
        and not reading.listing
        and head not in p.COMMAND_WORDS
        and (reading.found or reading.unknown)
    )
    if not addressed and (not follows or reading.unknown):
        return None
    if follows:
        return p.free_text(text, catalog, previous=previous, lang=deps.lang)
    return p.parse(text, catalog, deps.lang, deps.currency)


def _question(ask: p.Ask) -> dict:
    reading = p.reading_of(ask)
    return {
        "k": reading.kpi,
        "p": reading.period,
        "b": reading.by,
        "w": reading.where,
        "y": reading.yoy,
        "g": reading.guessed,
    }


def _reading(question: dict | None) -> Reading | None:
    """The stored question as a reading; None when it is not one we wrote."""
    if not question or not isinstance(question.get("k"), str) or not isinstance(question.get("p"), str):
        return None
    by, where = question.get("b"), question.get("w")
    return Reading(
        kind="ask",
        kpi=question["k"][:64],
        period=question["p"][:64],
        by=by[:64] if isinstance(by, str) else None,
        where=where[:128] if isinstance(where, str) else None,
        yoy=question.get("y") is True,
        guessed=question.get("g") is True,
    )
