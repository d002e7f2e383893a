"""App Home: the team's dashboard — pinned KPIs with value, change and pacing against targets, the
rules firing, the next digest; buttons change the period and pin or unpin KPIs."""

from __future__ import annotations

import re
from datetime import timezone

from slack_bolt import App

from bot.jobs.context import naive
from bot.jobs.digests import firing_now, trigger_of
from bot.render import alerts as ra
from bot.render import answers as render
from bot.render.blocks import escape
from bot.render.home import ACTION_PERIOD, ACTION_PIN, ACTION_UNPIN, PERIODS, home_view
from bot.slack import permissions
from bot.slack.deps import Deps
from kpi.errors import KpiError
from kpi.grammar.words import DEFAULT_MARGIN
from kpi.pacing import standings
from kpi.rules import target_margins
from kpi.store import state
from kpi.texts import t


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event, client, logger, context):
        user = event.get("user")
        if event.get("tab") in (None, "home") and isinstance(user, str) and user:  # no one to show it to else
            deps.later(publish_home, deps, client, context.team_id or "", user, "month", logger)

    for period in PERIODS:

        @app.action(f"{ACTION_PERIOD}_{period}")
        def change_period(ack, body, client, logger, action, context):
            ack()
            deps.later(
                publish_home,
                deps,
                client,
                context.team_id or "",
                body["user"]["id"],
                action.get("value") if action.get("value") in PERIODS else "month",
                logger,
            )

    def pin_handler(on: bool):
        def handler(ack, body, client, logger, action, context):
            ack()  # the permission check asks Slack (users.info): after the ack
            user, team = body["user"]["id"], context.team_id or ""
            deps.later(_pin, deps, client, team, user, str(action.get("value", ""))[:64], on, logger)

        return handler

    app.action(ACTION_PIN)(pin_handler(True))
    app.action(ACTION_UNPIN)(pin_handler(False))


def _pin(deps: Deps, client, team: str, user: str, key: str, on: bool, logger) -> None:
    if key in deps.service.catalog.kpis and permissions.can_manage(deps.settings, client, user):
        state.pin(deps.settings.database_url, team, key, user, naive(deps.clock()), on)
    publish_home(deps, client, team, user, "month", logger)


def dashboard(deps: Deps, team: str, period: str) -> dict:
    service, lang, url = deps.service, deps.lang, deps.settings.database_url
    now = deps.clock()
    pinned = [k for k in state.pinned(url, team) if k in service.catalog.kpis]
    results = service.overview(period, now, pinned or None)
    targets = {k: v for (k, grain), v in state.team_targets(url, team).items() if grain == period}
    margins = target_margins(state.rules(url, team), period)
    paces = standings(service.catalog, results, targets, margins, now, DEFAULT_MARGIN)
    firing = []
    for row in state.rules(url, team):
        if firing_now(row, now):
            kpi = service.catalog.kpis.get(row.kpi)
            name = escape(
                ra.segment_name(kpi.name(lang) if kpi else row.kpi, row.segment_key, row.spec.segment_by, lang)
            )
            channel = re.sub(r"[^A-Za-z0-9]", "", row.channel_id)
            firing.append(f"#{row.shown} {name} (<#{channel}>)")
    next_digest = None
    upcoming = []
    for digest in state.active_digests(url, team):
        fire = trigger_of(digest.spec).get_next_fire_time(None, now)
        if fire is not None:
            upcoming.append((fire, digest))
    if upcoming:
        fire, digest = min(upcoming, key=lambda item: item[0])
        when = ra.when_text(fire.astimezone(timezone.utc).replace(tzinfo=None), service.tz, lang)
        channel = re.sub(r"[^A-Za-z0-9]", "", digest.channel_id)
        next_digest = t(lang, "home_next_digest", channel=channel, when=when)
    problems = channel_problems(state.channel_problems(url, team), deps)
    return home_view(results, paces, pinned, period, firing, next_digest, lang, deps.currency, problems)


def channel_problems(problems: list[dict], deps: Deps) -> list[str]:
    """Channels where alerts and digests can no longer be posted, shown under the Home's header."""
    lines = [
        t(
            deps.lang,
            "channel_problem_home",
            channel=re.sub(r"[^A-Za-z0-9]", "", row["channel_id"]),
            since=ra.when_text(row["since"], deps.service.tz, deps.lang),
            problem=t(deps.lang, f"channel_problem_{row['error']}"),
        )
        for row in problems
    ]
    return lines


def publish_home(deps: Deps, client, team: str, user: str, period: str, logger) -> None:
    try:
        view = dashboard(deps, team, period)
    except KpiError as exc:
        logger.warning("App Home shows a notice instead of KPIs: %s", exc.message)
        view = {"type": "home", "blocks": render.notice(render.escape(exc.message))["blocks"]}
    client.views_publish(user_id=user, view=view)
