"""Drawing a KPI's chart and posting it where it was asked for (files_upload_v2)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.jobs.context import naive
from bot.render import charts
from bot.render.blocks import clip, escape
from bot.slack import membership
from bot.slack.deps import Deps
from kpi.anomaly import Sensitivity
from kpi.compute import compute
from kpi.present import breakdown_key, dimension_name, period_label
from kpi.rules import RuleKind
from kpi.series import expected_band, series
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.charts")


def draw(
    deps: Deps,
    kpi_key: str,
    period_text: str,
    by: str | None,
    team: str = "",
    channel: str = "",
    where: str | None = None,
) -> tuple[bytes, str, str]:
    """(PNG, file name, comment) for a KPI over a period: a trend, or grouped bars when broken down
    (``where``: the trend of one value of a breakdown, ``channel=referral``)."""
    service, lang, currency = deps.service, deps.lang, deps.currency
    kpi = service.resolve(kpi_key)
    pair = service.period(period_text, deps.clock())
    current, previous = period_label(pair.current, lang), period_label(pair.previous, lang, previous=True)
    name = kpi.name(lang)
    found = service.ask(kpi, period_text, deps.clock(), where=where).where if where else None
    if found is not None:  # the value as in the data, its dimension resolved
        name = f"{name} · {dimension_name(found[0], lang)} = {breakdown_key(found[1], lang, found[0])}"
    comment = t(lang, "chart_comment", kpi=escape(name), period=current, previous=previous)
    if by:
        by = service.catalog.dimension(kpi, by)
        result = (
            service.ask(kpi, period_text, deps.clock(), by=by, where=where)
            if where
            else compute(service.catalog, service.source, kpi, pair, by, service.rollups)
        )
        short = clip(kpi.name(lang), 80)  # a team's 300-character name would not fit the image
        title = t(lang, "chart_breakdown_title", kpi=short, dimension=dimension_name(by, lang), period=current)
        return charts.breakdown(result, title, current, previous, lang, currency), f"{kpi.key}-{by}.png", comment
    threshold = _threshold(deps, team, channel, kpi.key, period_text)
    guard = _min_denominator(deps, team, channel, kpi.key)
    drawn = series(service, kpi, pair, where=found, now=deps.clock(), min_denominator=guard)
    sensitivity = _unusual(deps, team, channel, kpi.key) if drawn.grain == "day" else None
    band = None
    if sensitivity:  # today is not over: only the days before it are judged
        today = deps.clock().astimezone(service.tz).date()
        band = expected_band(service, kpi, [d for d in drawn.current.labels if d < today], Sensitivity(sensitivity))
    png = charts.trend(drawn, f"{clip(name, 80)} - {current}", current, previous, lang, currency, threshold, band)
    return png, f"{kpi.key}.png", comment


def _threshold(deps: Deps, team: str, channel: str, kpi: str, window: str) -> float | None:
    """The line of a threshold rule of this channel watching this KPI over this window, if any."""
    if not channel:
        return None
    for rule in state.rules(deps.settings.database_url, team, channel):
        spec = rule.spec
        if spec.kpi == kpi and spec.kind is RuleKind.THRESHOLD and spec.window == window.lower():
            return spec.threshold
    return None


def _min_denominator(deps: Deps, team: str, channel: str, kpi: str) -> float | None:
    """The ``min`` guard of a rule of this channel on this KPI, if any: its chart shades the points under it."""
    if not channel:
        return None
    for rule in state.rules(deps.settings.database_url, team, channel):
        if rule.spec.kpi == kpi and rule.spec.min_denominator is not None:
            return rule.spec.min_denominator
    return None


def _unusual(deps: Deps, team: str, channel: str, kpi: str) -> str | None:
    """The sensitivity of a daily unusual rule of this channel watching this KPI, if any: its chart shows
    the expected range."""
    if not channel:
        return None
    for rule in state.rules(deps.settings.database_url, team, channel):
        if rule.spec.kpi == kpi and rule.spec.kind is RuleKind.UNUSUAL and rule.spec.window == "day":
            return rule.spec.sensitivity or "medium"
    return None


def post(
    deps: Deps,
    client,
    team: str,
    channel: str,
    kpi: str,
    period: str,
    by: str | None,
    thread_ts: str | None = None,
    where: str | None = None,
) -> None:
    png, filename, comment = draw(deps, kpi, period, by, team, channel, where)
    try:
        client.files_upload_v2(
            channel=channel,
            file=png,
            filename=filename,
            title=filename.removesuffix(".png"),
            initial_comment=comment,
            thread_ts=thread_ts,
        )
    except SlackApiError as exc:  # not a member (any more), archived: said as such, not as an internal error
        key = membership.refused(exc)
        if key is None:
            raise
        raise membership.CannotPost(key) from exc
    log.info("chart %s posted in %s (%d bytes) at %s", filename, channel, len(png), naive(deps.clock()))
