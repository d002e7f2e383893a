"""Build the Bolt app: configuration read once, one Web API client, listeners registered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import workspaces as installations
from bot.slack import listeners, middleware
from bot.slack.deps import Deps, utc_now
from kpi.config import Settings
from kpi.service import KpiService
from kpi.texts import t

_QUIET = logging.getLogger("bot.startup.slack")
_QUIET.propagate = False
_QUIET.addHandler(logging.NullHandler())


class ConfigurationError(Exception):
    """The app cannot start with this configuration; the message says which variable to set."""


def create_app(
    settings: Settings, service: KpiService | None = None, *, clock: Callable[[], datetime] = utc_now
) -> App:
    problem = missing_slack_settings(settings)
    if problem:
        raise ConfigurationError(problem)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _BoltLogLines) for f in logger.filters):
        logger.addFilter(_BoltLogLines())
    # One workspace: the client carries SLACK_BOT_TOKEN. Several: Bolt gives each request a client
    # with its workspace's token from the installation store (same base URL).
    client = WebClient(
        token=None if settings.oauth else token,
        base_url=settings.slack_api_url,
        logger=logging.getLogger("slack_sdk.web"),
    )
    client._logger = _QUIET  # the start-up check of the token reports in one line below, not in retries' logs
    try:
        app = _bolt_app(settings, client, secret, logger)
    except BoltError as exc:
        raise ConfigurationError(_refused(exc)) from None
    except OSError as exc:  # urllib's URLError, a refused connection, a time-out: Slack can't be reached
        raise ConfigurationError(
            f"Slack can't be reached at {settings.slack_api_url} to check SLACK_BOT_TOKEN "
            f"({getattr(exc, 'reason', exc)}). Check the network or SLACK_API_URL; "
            "`python -m bot check --offline` checks everything else without Slack."
        ) from None
    finally:
        client._logger = logging.getLogger("slack_sdk.web")

    deps = Deps(settings=settings, service=service or KpiService.from_settings(settings), clock=clock)
    app.use(middleware.NotReplayed(settings, clock, logger))
    app.use(middleware.WellFormed(logger))
    app.use(middleware.OncePerEvent(settings, clock, logger))
    app.use(middleware.SameWorkspace(settings, deps.later, logger))
    app.use(middleware.DecodedText())

    if settings.oauth:
        # app_uninstalled / tokens_revoked: the workspace's tokens are deleted from the store.
        app.enable_token_revocation_listeners()

    @app.error
    def on_error(error, body, logger):  # errors raised outside our own guarded handlers
        logger.error("unhandled error in Bolt (%s)", type(error).__name__, exc_info=error)

    listeners.register(app, deps)
    app.deps = deps  # type: ignore[attr-defined]  # for the console and tests
    return app


def missing_slack_settings(settings: Settings) -> str | None:
    """What the web app needs from Slack's settings and lacks (None when nothing): checked without any
    network, by ``create_app`` and by ``python -m bot check --offline``."""
    if not settings.slack_bot_token and not settings.oauth:
        return (
            "SLACK_BOT_TOKEN is not set (the xoxb- token of the installed app), "
            "nor SLACK_CLIENT_ID for several workspaces."
        )
    if not settings.socket_mode and not settings.slack_signing_secret:
        return "SLACK_SIGNING_SECRET is not set (Basic Information page of the Slack app)."
    if settings.oauth and settings.socket_mode:
        return "Socket Mode serves one workspace: unset SLACK_APP_TOKEN or SLACK_CLIENT_ID."
    return None


def _bolt_app(settings: Settings, client: WebClient, secret: str, logger: logging.Logger) -> App:
    """Bolt's app. With one workspace it checks the token with Slack (auth.test) right here."""
    return App(
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


def _refused(exc: BoltError) -> str:
    """One line for a token Slack refused at start (Bolt's own message carries the whole response)."""
    cause = exc.__context__
    if isinstance(cause, SlackApiError):
        code = str(cause.response.get("error", "refused"))
        return (
            f"Slack refused SLACK_BOT_TOKEN ({code}). Copy the Bot User OAuth Token (xoxb-…) from the app's "
            "OAuth & Permissions page; `python -m bot check --offline` checks everything else without Slack."
        )
    return f"The Slack app could not be set up: {str(exc).splitlines()[0][:200]}"


class _BoltLogLines(logging.Filter):
    """Two of Bolt's log lines, made right for this app (Bolt copies the filters of the logger it is
    given to its middlewares' loggers):

    * Bolt reads SLACK_BOT_TOKEN from the environment by itself and warns that the client we give it
      wins ("token will be unused"). It does win, on purpose (it carries SLACK_API_URL): dropped.
    * A request whose signature is wrong is logged by Bolt with its whole body, at INFO: anyone could
      fill the log, forge lines and read others' response URLs. It becomes one short, rate-limited line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request signature detected"):
            return False  # the web front says it in one short line (bot.slack.web.handle), whatever Bolt's level
        return message != warning_client_prioritized_and_token_skipped()
