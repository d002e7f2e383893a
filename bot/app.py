"""Build the Bolt app: configuration read once, one Web API client, listeners registered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot import envelope, installations, listeners
from bot.deps import Deps, utc_now
from kpi.config import Settings
from kpi.service import KpiService
from kpi.store import state
from kpi.texts import t


class ConfigurationError(Exception):
    """The app cannot start with this configuration; the message says which variable to set."""


def create_app(
    settings: Settings,
    service: KpiService | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> App:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if not token and not settings.oauth:
        raise ConfigurationError("SLACK_BOT_TOKEN is not set (the xoxb- token of the installed app), "
                                 "nor SLACK_CLIENT_ID for several workspaces.")
    if not settings.socket_mode and not secret:
        raise ConfigurationError("SLACK_SIGNING_SECRET is not set (Basic Information page of the Slack app).")
    if settings.oauth and settings.socket_mode:
        raise ConfigurationError("Socket Mode serves one workspace: unset SLACK_APP_TOKEN or SLACK_CLIENT_ID.")
    logger = logging.getLogger("bot.bolt")
    # One workspace: the client carries SLACK_BOT_TOKEN. Several: Bolt gives each request a client
    # with its workspace's token from the installation store (same base URL).
    client = WebClient(token=None if settings.oauth else token, base_url=settings.slack_api_url,
                       logger=logging.getLogger("slack_sdk.web"))
    app = App(
        client=client,
        oauth_flow=installations.oauth_flow(settings, client) if settings.oauth else None,
        signing_secret=secret or None,
        user_facing_authorize_error_message=t(settings.kpi_language, "err_not_installed"),
        request_verification_enabled=not settings.socket_mode,
        # Listeners run in the request's thread and return at once: slow work goes to deps.later or to
        # a future's callback. (Without it Bolt polls for the ack every 10 ms, a floor on every answer.)
        process_before_response=True,
        logger=logger,
    )

    @app.middleware
    def not_replayed(request, body, next):
        """A signed request is valid for 5 minutes; seen a second time it is a replay (401, no effect).
        Events are exempt: Slack's own retries are handled once by ``event_id`` below."""
        signature = (request.headers.get("x-slack-signature") or [""])[0]
        now = clock().astimezone(timezone.utc).replace(tzinfo=None)
        if signature and body.get("type") != "event_callback" and not state.first_delivery(
                settings.database_url, "", "sig:" + signature[:90], now):
            logger.warning("replayed request refused (same signature seen before)")
            return BoltResponse(status=401, body="")
        return next()

    @app.middleware
    def well_formed(body, next):
        """Payloads whose envelope is not Slack's are acknowledged and ignored (see bot.envelope)."""
        found = envelope.problems(body)
        if found:
            logger.warning("malformed %s payload ignored: %s", str(body.get("type"))[:40], "; ".join(found)[:300])
            return BoltResponse(status=200, body="")
        return next()

    @app.middleware
    def once_per_event(body, next):
        """Slack retries an event it thinks was lost (X-Slack-Retry-Num) and may send one twice: each
        event_id is handled once, whatever the number of web processes."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not state.first_delivery(settings.database_url, str(body.get("team_id", "")),
                                                 str(event_id), clock().astimezone(timezone.utc).replace(tzinfo=None)):
            logger.info("event %s already handled; this delivery is ignored", str(event_id)[:40])
            return BoltResponse(status=200, body="")
        return next()

    if settings.oauth:
        # app_uninstalled / tokens_revoked: the workspace's tokens are deleted from the store.
        app.enable_token_revocation_listeners()

    @app.error
    def on_error(error, body, logger):  # errors raised outside our own guarded handlers
        logger.error("unhandled error in Bolt (%s)", type(error).__name__, exc_info=error)

    deps = Deps(settings=settings, service=service or KpiService.from_settings(settings), clock=clock)
    listeners.register(app, deps)
    app.deps = deps  # type: ignore[attr-defined]  # for the console and tests
    return app
