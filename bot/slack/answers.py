"""Answers to KPI questions, shared by the slash command and the buttons."""

from __future__ import annotations

from bot.render import answers as render
from bot.slack import parse as p
from bot.slack.deps import Deps


def build(deps: Deps, command: p.ListKpis | p.Explain | p.Ask, user: str) -> tuple[dict, str]:
    """The message answering ``command`` and its response type; raises KpiError for bad input."""
    service, lang, currency, now = deps.service, deps.lang, deps.currency, deps.clock()
    match command:
        case p.ListKpis(period=period):
            return render.kpi_list(service.overview(period, now), lang, currency), "ephemeral"
        case p.Explain(kpi=key):
            kpi = service.resolve(key)
            return render.explanation(kpi, service.catalog, lang, currency, service.ask(kpi, "month", now)), "ephemeral"
        case p.Ask(kpi=key, period=period, by=by, share=share, where=where):
            result = service.ask(key, period, now, by=by, where=where)
            shared_by = user if share else None
            message = render.answer(result, service.catalog, lang, currency, period, shared_by=shared_by)
            return message, "in_channel" if share else "ephemeral"
    raise AssertionError(command)
