"""`/kpi`: parse, ask kpi/, render. Acknowledged within Slack's 3 seconds whatever the data size."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import App

from bot.render import answers as render
from bot.render.blocks import fixed, refusal_text
from bot.slack import chart_posts, membership
from bot.slack import parse as p
from bot.slack.answers import build
from bot.slack.deps import Deps, Replier, guard
from bot.slack.listeners import alerts as alert_commands
from kpi.errors import KpiError
from kpi.texts import t

log = logging.getLogger("bot.commands")


LONG_RANGE_DAYS = 366  # a question over more days than this is heavy work


def register(app: App, deps: Deps) -> None:
    @app.command("/kpi")
    def kpi_command(ack, respond, command, client, context):
        # the workspace is Bolt's reading of the request (context.team_id), as for every listener
        dispatch(
            deps, Replier(ack, respond), {**command, "team_id": context.team_id or command.get("team_id", "")}, client
        )


def dispatch(deps: Deps, replier: Replier, command: dict, client) -> None:
    """Ack within Slack's 3 seconds whatever the source's or Slack's own speed: the command runs in a
    worker; past KPI_INLINE_BUDGET the request's thread acks with "working on it" and the worker answers
    through the response URL (past KPI_ANSWER_TIMEOUT, the person is told the source did not answer).
    Heavy work (charts, very long ranges) runs in a pool of its own, within a per-person quota, so that a
    flood of it never slows the cheap answers of everyone else."""
    lang = deps.lang
    with guard(replier, lang):
        parsed = p.parse(command.get("text", ""), deps.reading_catalog(), lang, deps.currency)
        if deps.synchronous:  # the console: everything before the prompt comes back
            handle(deps, replier, command, client, parsed)
            return
        heavy = is_heavy(deps, parsed)
        if heavy:
            wait = deps.limits.heavy(command.get("user_id", ""))
            if wait:
                replier.reply(render.notice(t(lang, "err_busy", seconds=max(1, round(wait)))))
                return
        future = (deps.heavy if heavy else deps.executor).submit(handle, deps, replier, command, client, parsed)
        try:
            future.result(timeout=deps.settings.kpi_inline_budget)
        except FutureTimeout:
            name = getattr(parsed, "kpi", "")
            replier.ack(
                response_type="ephemeral",
                text=t(lang, "working", kpi=render.escape(name or "KPI")) if name else t(lang, "working_generic"),
            )
            _Late(deps, replier, name).start(deps.settings.kpi_answer_timeout - deps.settings.kpi_inline_budget, future)


def is_heavy(deps: Deps, parsed) -> bool:
    """Work that takes seconds of CPU or source time. (A digest posted now is heavy too, but the command
    only checks the channel's quota and acks: the posting itself goes to the heavy pool.)"""
    match parsed:
        case p.Ask(chart=True) | p.Ask(why=True):  # a decomposition: one query per breakdown
            return True
        case p.Ask(period=period) | p.ListKpis(period=period):
            try:
                pair = deps.service.period(period, deps.clock())
            except KpiError:
                return False  # refused by the worker, politely
            return (pair.current.end - pair.current.start).days > LONG_RANGE_DAYS
    return False


def handle(deps: Deps, replier: Replier, command: dict, client, parsed=None) -> None:
    lang = deps.lang
    user = command.get("user_id", "")
    with guard(replier, lang, getattr(parsed, "kpi", "")):
        if parsed is None:
            parsed = p.parse(command.get("text", ""), deps.reading_catalog(), lang, deps.currency)
        match parsed:
            case p.TooLong(length=length):
                replier.reply(render.notice(t(lang, "err_too_long", length=length, limit=p.MAX_TEXT)))
            case p.NotUnderstood(words=words, suggestions=suggestions):
                hint = (
                    " " + t(lang, "err_did_you_mean", names=" / ".join(f"`{render.escape(s)}`" for s in suggestions))
                    if suggestions
                    else ""
                )
                replier.reply(render.notice(t(lang, "err_not_understood", words=render.escape(words[:100])) + hint))
            case p.BadRule() | p.BadTarget() | p.BadDigest():
                replier.reply(render.notice(_refusal(parsed, lang)))
            case p.MissingKpi(command=name):
                replier.reply(render.notice(t(lang, "err_missing_kpi", command=render.escape(name[:20]))))
            case p.BadKpi(error=error):
                replier.reply(render.unknown_kpi(error, lang))
            case p.Help():
                replier.reply(render.help_message(deps.service.catalog, lang))
            case p.Ask(chart=True):
                service = deps.service
                kpi = service.resolve(parsed.kpi)
                if parsed.by:
                    service.catalog.dimension(kpi, parsed.by)  # refuse a bad breakdown before acking
                service.period(parsed.period, deps.clock())  # and a bad period
                membership.require(client, command.get("channel_id", ""))  # joins, or says how to invite it
                replier.reply(render.notice(t(lang, "chart_posting", kpi=render.escape(kpi.name(lang)))))
                _chart(deps, Replier.after_ack(replier.respond), client, command, parsed)  # already a worker
            case p.ListKpis() | p.Explain() | p.Ask() | p.Unclear():
                message, response_type = build(deps, parsed, user)
                replier.reply(message, response_type)
            case (
                p.ListRules()
                | p.RuleHistory()
                | p.RuleModal()
                | p.CreateRule()
                | p.RemoveRule()
                | p.SnoozeRule()
                | p.Digest()
                | p.Pin()
                | p.Target()
                | p.EditRule()
            ):
                alert_commands.handle(deps, replier, parsed, command, client)
            case _:
                raise AssertionError(parsed)


def _refusal(parsed: p.BadRule | p.BadTarget | p.BadDigest, lang: str) -> str:
    """What was wrong (in the user's language), then how to write it."""
    problem = refusal_text(parsed.problem, lang) if parsed.problem is not None else ""
    match parsed:
        case p.BadRule(action="create"):
            return (t(lang, "err_rule", problem=problem) + " " if problem else "") + fixed(t(lang, "err_rule_usage"))
        case p.BadRule(action="snooze"):
            return (t(lang, "err_snooze", problem=problem) + " " if problem else "") + fixed(
                t(lang, "err_snooze_usage")
            )
        case p.BadRule(action=action):
            return fixed(t(lang, "err_rule_id_usage", action=render.escape(action)))
        case p.BadTarget():
            return (problem + " " if problem else "") + fixed(t(lang, "err_target_usage"))
        case p.BadDigest():
            return (problem + " " if problem else "") + fixed(t(lang, "err_digest_usage"))
    raise AssertionError(parsed)


def _chart(deps: Deps, replier: Replier, client, command: dict, ask: p.Ask) -> None:
    with guard(replier, deps.lang, ask.kpi):
        chart_posts.post(
            deps,
            client,
            command.get("team_id", ""),
            command.get("channel_id", ""),
            ask.kpi,
            ask.period,
            ask.by,
            where=ask.where,
        )


class _Late:
    """A slow command: when it is still running KPI_ANSWER_TIMEOUT after it came, the person is told that
    the data source did not answer, and whatever the worker finishes later is not shown (one or the other)."""

    def __init__(self, deps: Deps, replier: Replier, name: str):
        self.deps, self.replier, self.name = deps, replier, name

    def start(self, seconds: float, future) -> None:
        timer = threading.Timer(max(0.0, seconds), self.expire, args=(future,))
        timer.daemon = True
        timer.start()
        future.add_done_callback(lambda _: timer.cancel())

    def expire(self, future) -> None:
        with self.replier.lock:
            if future.done() or self.replier.closed:
                return
            self.replier.closed = True
        seconds = self.deps.settings.kpi_answer_timeout
        log.warning("answer for %s not ready within %gs; the person was told", self.name or "a command", seconds)
        text = (
            t(self.deps.lang, "err_source_timeout", seconds=f"{seconds:g}", kpi=render.escape(self.name))
            if self.name
            else t(self.deps.lang, "err_too_slow", seconds=f"{seconds:g}")
        )
        try:
            self.replier.respond(response_type="ephemeral", replace_original=False, **render.notice(text))
        except Exception:  # noqa: BLE001 - logged with its traceback; the worker's answer is dropped anyway
            log.exception("could not tell the person that the source did not answer")
