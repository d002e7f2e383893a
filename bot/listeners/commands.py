"""`/kpi`: parse, ask kpi/, render. Acknowledged within Slack's 3 seconds whatever the data size."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import App

from bot import parse as p
from bot import render
from bot.deps import Deps, Replier, guard
from kpi.texts import t


def register(app: App, deps: Deps) -> None:
    @app.command("/kpi")
    def kpi_command(ack, respond, command):
        handle(deps, Replier(ack, respond), command.get("text", ""), command.get("user_id", ""))


def handle(deps: Deps, replier: Replier, text: str, user: str) -> None:
    lang = deps.lang
    with guard(replier, lang):
        parsed = p.parse(text, deps.service.catalog)
        match parsed:
            case p.TooLong(length=length):
                replier.reply(render.notice(t(lang, "err_too_long", length=length, limit=p.MAX_TEXT)))
            case p.NotUnderstood(words=words):
                replier.reply(render.notice(t(lang, "err_not_understood", words=render.escape(words[:100]))))
            case p.MissingKpi():
                replier.reply(render.notice(t(lang, "err_missing_kpi")))
            case p.BadKpi(error=error):
                replier.reply(render.unknown_kpi(error, lang))
            case p.Help():
                replier.reply(render.help_message(deps.service.catalog, lang))
            case p.ListKpis() | p.Explain() | p.Ask():
                _answer_within_budget(deps, replier, parsed, user)
            case _:
                raise AssertionError(parsed)


def build(deps: Deps, command: p.ListKpis | p.Explain | p.Ask, user: str) -> tuple[dict, str]:
    """The message answering ``command`` and its response type; raises KpiError for bad input."""
    service, lang, currency, now = deps.service, deps.lang, deps.currency, deps.clock()
    match command:
        case p.ListKpis(period=period):
            return render.kpi_list(service.overview(period, now), lang, currency), "ephemeral"
        case p.Explain(kpi=key):
            kpi = service.resolve(key)
            return render.explanation(kpi, service.catalog, lang, currency, service.ask(kpi, "month", now)), "ephemeral"
        case p.Ask(kpi=key, period=period, by=by, share=share):
            result = service.ask(key, period, now, by=by)
            shared_by = user if share else None
            message = render.answer(result, service.catalog, lang, currency, period, shared_by=shared_by)
            return message, "in_channel" if share else "ephemeral"
    raise AssertionError(command)


def _answer_within_budget(deps: Deps, replier: Replier, command, user: str) -> None:
    """Answer inline when the computation is fast; otherwise ack now and post via response_url."""
    name = getattr(command, "kpi", "")
    with guard(replier, deps.lang, name):
        future = deps.executor.submit(build, deps, command, user)
        try:
            message, response_type = future.result(timeout=deps.settings.kpi_inline_budget)
        except FutureTimeout:
            replier.ack(response_type="ephemeral", text=t(deps.lang, "working", kpi=render.escape(name or "KPI")))
            message, response_type = future.result()
        replier.reply(message, response_type)
