"""Answers to KPI questions, shared by the slash command and the buttons."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import cast

from bot.render import answers as render
from bot.render.why import why_message
from bot.slack import parse as p
from bot.slack.deps import Deps
from kpi.errors import KpiError, Refusal
from kpi.present import period_label


def build(deps: Deps, command: p.ListKpis | p.Explain | p.Ask | p.Unclear, user: str) -> tuple[dict, str]:
    """The message answering ``command`` and its response type; raises KpiError for bad input."""
    service, lang, currency, now = deps.service, deps.lang, deps.currency, deps.clock()
    match command:
        case p.ListKpis(period=period):
            return render.kpi_list(service.overview(period, now), lang, currency), "ephemeral"
        case p.Explain(kpi=key):
            kpi = service.resolve(key)
            return render.explanation(kpi, service.catalog, lang, currency, service.ask(kpi, "month", now)), "ephemeral"
        case p.Unclear():
            return unclear(deps, command), "ephemeral"
        case p.Ask(kpi=key, period=period, why=True, where=where):
            total, whys = service.why(key, period, now, where=where)
            return why_message(total, whys, service.catalog, lang, currency), "ephemeral"
        case p.Ask(kpi=key, period=period, by=by, share=share, where=where):
            try:
                result = service.ask(key, period, now, by=by, where=where)
            except Refusal as exc:
                if not (command.guessed and exc.key in ("err_filter_value", "err_filter_value_none")):
                    raise
                # a word of a free-text question was read as a value, and the data has no such value
                readings = (replace(command, where=None, guessed=False),) + tuple(
                    replace(command, where=choice, guessed=False)
                    for choice in cast(tuple[str, ...], exc.params.get("choices", ()))[:2]
                )
                return unclear(deps, p.Unclear((where or "").lstrip("="), readings)), "ephemeral"
            shared_by = user if share else None
            message = render.answer(result, service.catalog, lang, currency, period, shared_by=shared_by)
            return message, "in_channel" if share else "ephemeral"
    raise AssertionError(command)


def unclear(deps: Deps, command: p.Unclear) -> dict:
    """What was not understood, and the closest readings as buttons that ask them."""
    catalog, lang = deps.service.catalog, deps.lang
    readings = [
        (
            render.reading_label(catalog.kpis[a.kpi].name(lang), _period_shown(deps, a.period), a.by, a.where, lang),
            render.query_value(a.kpi, a.period, a.by, a.where),
        )
        for a in command.readings
    ]
    return render.unclear(command.words, readings, lang, command.no_kpi, command.comparison)


_SPOKEN = re.compile(r"--|\.\.|~|-1y\b|-to-date|week-of|before-yesterday")


def _period_shown(deps: Deps, period: str) -> str:
    """A period the reader wrote for what people say (``--07-01..today``) as its label ("Jul 1 – Dec 4,
    2026") on a button; the plain forms (``last-month``) as they are."""
    plain = period.removesuffix(" yoy")
    if not _SPOKEN.search(plain):
        return period
    try:
        label = period_label(deps.service.period(plain, deps.clock()).current, deps.lang)
    except KpiError:
        return period
    return label + period[len(plain) :]
