"""Several workspaces: Slack OAuth with Bolt's SQLAlchemy installation and state stores.

The tables are created by Alembic (migration 0006), not by the stores. Bot and user tokens
are encrypted at rest with ``KPI_ENCRYPTION_KEY`` (Fernet): the store's token columns encrypt
on write and decrypt on read, so the SDK's own queries are used unchanged.

The install and redirect pages answer in the configured language. Every refused callback
(no state cookie, a forged, stale or replayed state, no code, a code Slack rejects) answers
401 and stores nothing; a user who cancels on Slack's page gets 200 and a polite page.
"""

from __future__ import annotations

import html
import logging
import threading

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from kpi.config import Settings
from kpi.store import state_schema
from kpi.store.crypto import TokenCipher, encrypt_columns
from kpi.store.engines import get_engine
from kpi.texts import t

log = logging.getLogger("bot.installations")

# The bot scopes of manifest.yml (a test keeps the two equal); README says why each is needed.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "files:write",
    "users:read",
    "app_mentions:read",
    "im:history",
    "channels:history",
    "groups:history",
    "channels:join",
    "groups:read",
)
STATE_SECONDS = 600
REFUSED = {"invalid_browser", "invalid_state", "missing_code", "invalid_code"}


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store, with its token columns encrypted."""

    def __init__(self, settings: Settings):
        super().__init__(
            client_id=settings.slack_client_id or "",
            engine=get_engine(settings.database_url),
            logger=logging.getLogger("slack_sdk.oauth"),
        )
        cipher = TokenCipher(settings.encryption_keys)
        for table in (self.installations, self.bots):
            encrypt_columns(table, state_schema.TOKEN_COLUMNS, cipher)

    def create_tables(self):  # the tables are Alembic's (migration 0006)
        raise NotImplementedError("run the migrations: python -m kpi migrate")


def state_store(settings: Settings) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_SECONDS,
        engine=get_engine(settings.database_url),
        logger=logging.getLogger("slack_sdk.oauth"),
    )


class KpiOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow, with the install page in the configured language."""

    lang = "en"

    def build_install_page_html(self, url: str, request) -> str:
        title, link = html.escape(t(self.lang, "oauth_install_title")), html.escape(url, quote=True)
        return (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f"<h1>{title}</h1><p>{html.escape(t(self.lang, 'oauth_install'))}</p>"
            f'<p><a href="{link}">{html.escape(t(self.lang, "oauth_install_link"))}</a></p></body></html>'
        )


def oauth_flow(settings: Settings, client: WebClient) -> KpiOAuthFlow:
    """The OAuth flow of a multi-workspace app; its Web API calls go through ``client`` (SLACK_API_URL)."""
    flow = KpiOAuthFlow(
        client=client,
        logger=logging.getLogger("bot.oauth"),
        settings=oauth_settings(settings, EncryptedInstallationStore(settings)),
    )
    flow.lang = settings.kpi_language
    return flow


def oauth_settings(settings: Settings, store: EncryptedInstallationStore) -> OAuthSettings:
    lang = settings.kpi_language
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=state_store(settings),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(
            success=lambda args: _success(args, lang), failure=lambda args: _failure(args, lang)
        ),
        logger=logging.getLogger("bot.oauth"),
    )


def _page(status: int, title: str, text: str) -> BoltResponse:
    body = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def _success(args: SuccessArgs, lang: str) -> BoltResponse:
    installation = args.installation
    log.info("installed in workspace %s (%s)", installation.team_id, installation.team_name)
    return _page(
        200,
        t(lang, "oauth_done_title"),
        t(lang, "oauth_done", team=installation.team_name or installation.team_id or ""),
    )


def _failure(args: FailureArgs, lang: str) -> BoltResponse:
    if args.reason in REFUSED:
        log.warning("installation refused: %s", args.reason)
        return _page(401, t(lang, "oauth_refused_title"), t(lang, "oauth_refused"))
    if args.error is not None or args.reason == "storage_error":
        log.error("installation could not be stored (%s)", args.reason, exc_info=args.error)
        return _page(500, t(lang, "oauth_failed_title"), t(lang, "oauth_failed"))
    log.info("installation cancelled on Slack's page: %s", str(args.reason)[:60])
    return _page(200, t(lang, "oauth_cancelled_title"), t(lang, "oauth_cancelled"))


class TeamClients:
    """The Web API client for a workspace: its own bot token (OAuth) or the one SLACK_BOT_TOKEN.

    Tokens are looked up in the installation store at most once a minute per workspace, so a
    reinstall (a new token) is picked up without a restart. ``None`` when the workspace has
    uninstalled the app: what was meant for it cannot be delivered.
    """

    TTL = 60.0

    def __init__(self, settings: Settings, monotonic, store: EncryptedInstallationStore | None = None):
        self.settings = settings
        self.monotonic = monotonic
        self._single: WebClient | None = None
        self._store = store
        self._cache: dict[str, tuple[float, WebClient | None]] = {}
        self._lock = threading.Lock()

    def _client(self, token: str) -> WebClient:
        return WebClient(
            token=token,
            base_url=self.settings.slack_api_url,
            retry_handlers=[],
            logger=logging.getLogger("slack_sdk.web"),
        )

    def for_team(self, team_id: str) -> WebClient | None:
        if not self.settings.oauth:
            if self._single is None:
                token = self.settings.slack_bot_token.get_secret_value() if self.settings.slack_bot_token else ""
                self._single = self._client(token)
            return self._single
        now = self.monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
            if cached and now - cached[0] < self.TTL:
                return cached[1]
        if self._store is None:
            self._store = EncryptedInstallationStore(self.settings)
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id or None)
        client = self._client(bot.bot_token) if bot and bot.bot_token else None
        with self._lock:
            self._cache[team_id] = (now, client)
        return client
