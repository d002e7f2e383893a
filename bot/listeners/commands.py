"""`/kpi`: parse, ask kpi/, render. Acknowledged within Slack's 3 seconds whatever the data size."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import App

from bot import parse as p
from bot import render
from bot import chart_posts
from bot.answers import build
from bot.deps import Deps, Replier, guard
from bot.listeners import alerts as alert_commands
from kpi.errors import SourceTimeout
from kpi.texts import t

log = logging.getLogger("bot.commands")


def register(app: App, deps: Deps) -> None:
    @app.command("/kpi")
    def kpi_command(ack, respond, command, client):
        handle(deps, Replier(ack, respond), command, client)


def handle(deps: Deps, replier: Replier, command: dict, client) -> None:
    lang = deps.lang
    user = command.get("user_id", "")
    with guard(replier, lang):
        parsed = p.parse(command.get("text", ""), deps.service.catalog, lang, deps.currency)
        match parsed:
            case p.TooLong(length=length):
                replier.reply(render.notice(t(lang, "err_too_long", length=length, limit=p.MAX_TEXT)))
            case p.NotUnderstood(words=words, suggestions=suggestions):
                hint = (" " + t(lang, "err_did_you_mean", names=" / ".join(f"`{s}`" for s in suggestions))
                        if suggestions else "")
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
                service.period(parsed.period, deps.clock())    # and a bad period
                replier.ack(response_type="ephemeral",
                            text=t(lang, "chart_posting", kpi=render.escape(kpi.name(lang))))
                deps.later(_chart, deps, Replier.after_ack(replier.respond), client, command, parsed)
            case p.ListKpis() | p.Explain() | p.Ask():
                _answer_within_budget(deps, replier, parsed, user)
            case p.ListRules() | p.RuleHistory() | p.RuleModal() | p.CreateRule() | p.RemoveRule() \
                    | p.SnoozeRule() | p.Digest() | p.Pin() | p.Target() | p.EditRule():
                alert_commands.handle(deps, replier, parsed, command, client)
            case _:
                raise AssertionError(parsed)


def _refusal(parsed: p.BadRule | p.BadTarget | p.BadDigest, lang: str) -> str:
    """What was wrong (in the user's language), then how to write it."""
    problem = render.escape(parsed.problem.text(lang)) if parsed.problem is not None else ""
    match parsed:
        case p.BadRule(action="create"):
            return (t(lang, "err_rule", problem=problem) + " " if problem else "") + t(lang, "err_rule_usage")
        case p.BadRule(action="snooze"):
            return (t(lang, "err_snooze", problem=problem) + " " if problem else "") + t(lang, "err_snooze_usage")
        case p.BadRule(action=action):
            return t(lang, "err_rule_id_usage", action=action)
        case p.BadTarget():
            return (problem + " " if problem else "") + t(lang, "err_target_usage")
        case p.BadDigest():
            return (problem + " " if problem else "") + t(lang, "err_digest_usage")
    raise AssertionError(parsed)


def _chart(deps: Deps, replier: Replier, client, command: dict, ask: p.Ask) -> None:
    with guard(replier, deps.lang, ask.kpi):
        chart_posts.post(deps, client, command.get("team_id", ""), command.get("channel_id", ""), ask.kpi,
                         ask.period, ask.by)


def _answer_within_budget(deps: Deps, replier: Replier, command, user: str) -> None:
    """Answer inline when the computation is fast; otherwise ack now and post via response_url later."""
    name = getattr(command, "kpi", "")
    with guard(replier, deps.lang, name):
        future = deps.executor.submit(build, deps, command, user)
        try:
            message, response_type = future.result(
                timeout=None if deps.synchronous else deps.settings.kpi_inline_budget)
        except FutureTimeout:
            replier.ack(response_type="ephemeral", text=t(deps.lang, "working", kpi=render.escape(name or "KPI")))
            late = _Late(deps, replier, name)
            future.add_done_callback(late.answer)
            late.start(max(0.0, deps.settings.kpi_answer_timeout - deps.settings.kpi_inline_budget), future)
            return
        replier.reply(message, response_type)


class _Late:
    """A slow answer: posted through response_url once ready, or, when the source takes longer than
    KPI_ANSWER_TIMEOUT, replaced by "the data source did not answer within N s" (exactly one of the two)."""

    def __init__(self, deps: Deps, replier: Replier, name: str):
        self.deps, self.replier, self.name = deps, replier, name
        self.lock = threading.Lock()
        self.settled = False
        self.timer: threading.Timer | None = None

    def _settle(self) -> bool:
        with self.lock:
            first, self.settled = not self.settled, True
            return first

    def start(self, seconds: float, future) -> None:
        self.timer = threading.Timer(seconds, self.expire, args=(future,))
        self.timer.daemon = True
        self.timer.start()

    def expire(self, future) -> None:
        if future.done() or not self._settle():
            return
        log.warning("answer for %s not ready within %gs; the person was told", self.name or "a command",
                    self.deps.settings.kpi_answer_timeout)
        with guard(self.replier, self.deps.lang, self.name):
            raise SourceTimeout(self.deps.settings.kpi_answer_timeout)

    def answer(self, done) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if not self._settle():
            return  # the person was already told that the source did not answer
        with guard(self.replier, self.deps.lang, self.name):
            message, response_type = done.result()
            self.replier.reply(message, response_type)
