"""Questions in conversation: a DM to the bot, an @mention in a channel, and replies in the thread of an
answer ("and by channel?", "same for last year", "et en septembre ?"), which change only what they say.

The answer goes in the thread of the question (a DM's top-level question is answered in the DM). In a
channel's thread, a reply that does not mention the bot is answered only when it reads as a follow-up of the
question answered there: people talk in threads, and the bot does not answer their chatter."""

from __future__ import annotations

import logging

from slack_bolt import App
from sqlalchemy.exc import SQLAlchemyError

from bot.jobs.context import naive
from bot.render import answers as render
from bot.slack import parse as p
from bot.slack.deps import Deps, Replier, guard
from bot.slack.listeners import commands
from bot.slack.middleware import MENTIONS_BOT
from kpi.grammar.questions import Reading
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.conversations")

MAX_EVENT_TEXT = p.MAX_TEXT  # a longer message is refused with its length, not read (as a command is)
# messages people write: plain ones, a thread reply also sent to the channel, one with a file attached
_PLAIN = (None, "thread_broadcast", "file_share")
_ANSWERED = (p.Ask, p.ListKpis, p.Explain, p.Help, p.Unclear, p.TooLong, p.NotUnderstood, p.MissingKpi, p.BadKpi)


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def mention(event, client, context):
        if event.get("bot_id") or event.get("subtype") not in _PLAIN or not isinstance(event.get("text"), str):
            return  # other bots' mentions (and edits of a mention) are not questions
        if context.get("state_failed"):  # the bot's database failed before this listener: said, not lost
            deps.later(apologise, deps, client, event, context["state_failed"])
            return
        deps.later(converse, deps, client, context.team_id or event.get("team", ""), event, True)

    @app.event("message")
    def message(event, client, context):
        if event.get("subtype") not in _PLAIN or event.get("bot_id") or not isinstance(event.get("text"), str):
            return  # edits, deletions, joins, bots (the bot itself included)
        if context.get(MENTIONS_BOT) and event.get("channel_type") != "im":
            return  # a mention: answered once, by the app_mention listener
        direct = event.get("channel_type") == "im"
        if not direct and not event.get("thread_ts"):
            return  # a channel's own conversation: not addressed to the bot
        if context.get("state_failed"):  # a DM gets the apology; a thread's reply may not be for the bot
            if direct:
                deps.later(apologise, deps, client, event, context["state_failed"])
            return
        deps.later(converse, deps, client, context.team_id or event.get("team", ""), event, direct)


def apologise(deps: Deps, client, event: dict, error_id: str) -> None:
    """The apology, with the error id of the logged failure, where the question was asked."""
    thread = event.get("thread_ts") or (None if event.get("channel_type") == "im" else event.get("ts"))
    message = render.notice(t(deps.lang, "err_internal", error_id=error_id))
    client.chat_postMessage(channel=str(event.get("channel", "")), thread_ts=thread, **message)


def converse(deps: Deps, client, team: str, event: dict, addressed: bool) -> None:
    """Read the message (as a follow-up when its thread holds an answer), answer it in its thread, and keep
    the question for the next reply."""
    channel, user = str(event.get("channel", "")), str(event.get("user", ""))
    # decoded by the middleware, the bot's mention removed; a long one is refused with its real length
    text = str(event.get("text", "")).strip()
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
    heavy = commands.is_heavy(deps, parsed)
    if heavy and (wait := deps.limits.heavy(user)):
        # charts, decompositions, very long ranges: the same per-person quota and pool as `/kpi`
        replier.reply(render.notice(t(deps.lang, "err_busy", seconds=max(1, round(wait)))))
        return
    command = {"team_id": team, "channel_id": channel, "user_id": user, "text": text}
    if heavy:  # in the heavy pool, so that a flood of it never delays everyone else's answers
        deps.later(_answer, deps, replier, command, client, parsed, (root, thread, direct, posted, now), heavy=True)
    else:
        _answer(deps, replier, command, client, parsed, (root, thread, direct, posted, now))


def _answer(deps: Deps, replier: Replier, command: dict, client, parsed, where: tuple) -> None:
    """Answer in the thread, then keep the question for the thread's follow-ups."""
    root, thread, direct, posted, now = where
    team, channel = command["team_id"], command["channel_id"]
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
    if not addressed and (not follows or reading.unknown or not _asks(text)):
        return None
    if follows:
        return p.free_text(text, catalog, previous=previous, lang=deps.lang)
    return p.parse(text, catalog, deps.lang, deps.currency)


# how a reply not addressed to the bot starts when it follows the answer up ("and by channel?", "same for
# september", "vs last year", "et en septembre ?"), as opposed to people talking about the numbers
_FOLLOW_UP_HEADS = {
    "and", "same", "vs", "versus", "what", "how", "also", "only", "just", "by", "show",
    "et", "pareil", "idem", "même", "meme", "quid", "par", "seulement", "juste", "montre",
}  # fmt: skip
_SHORT_REPLY = 4  # words: "vs last year", "september 2026", "by category"


def _asks(text: str) -> bool:
    """Whether a thread reply not addressed to the bot reads as a follow-up question: a question mark, a
    few words, or a follow-up's first word. "this month is better than last month" is chatter."""
    words = text.lower().split()
    return text.rstrip().endswith("?") or len(words) <= _SHORT_REPLY or (bool(words) and words[0] in _FOLLOW_UP_HEADS)


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
