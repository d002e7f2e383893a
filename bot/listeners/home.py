"""App Home: the month's KPIs at a glance when someone opens the app's Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot import render
from bot.deps import Deps
from kpi.errors import KpiError


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event, client, logger):
        if event.get("tab") in (None, "home"):
            deps.later(publish_home, deps, client, event["user"], logger)


def publish_home(deps: Deps, client, user: str, logger) -> None:
    try:
        results = deps.service.overview("month", deps.clock())
        blocks = render.kpi_list(results, deps.lang, deps.currency)["blocks"]
    except KpiError as exc:
        logger.warning("App Home shows a notice instead of KPIs: %s", exc.message)
        blocks = render.notice(render.escape(exc.message))["blocks"]
    client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
