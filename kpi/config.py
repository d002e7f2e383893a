"""The one configuration object, and the only code that reads the environment.

Values come from the process environment, then from a ``.env`` file in the
working directory (12-factor). Everything else in the project receives a
:class:`Settings` instance; nothing else calls ``os.environ``.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kpi.errors import KpiError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True, case_sensitive=False
    )

    database_url: str = Field("sqlite:///kpi.db", description="The bot's own database (rules, history, migrations).")
    source_database_url: str | None = Field(
        None, description="Where the business facts live; defaults to DATABASE_URL."
    )
    kpi_timezone: str = Field("UTC", description="IANA time zone that periods are read in.")
    kpi_language: Literal["en", "fr"] = Field("en", description="Language of every message.")
    kpi_currency: str = Field("EUR", description="ISO 4217 code money is shown in.")
    kpi_definitions: Path | None = Field(None, description="Optional YAML file with the team's own KPI definitions.")

    # -- the Slack app (bot/) --------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, description="xoxb- token of the installed app.")
    slack_signing_secret: SecretStr | None = Field(None, description="Verifies that requests come from Slack.")
    slack_app_token: SecretStr | None = Field(None, description="xapp- token; when set, Socket Mode is used.")
    slack_api_url: str = Field("https://slack.com/api/", description="Base URL of the Slack Web API.")
    # -- several workspaces (Slack OAuth): set both to serve /slack/install and /slack/oauth_redirect
    slack_client_id: str | None = Field(None, description="Client ID (Basic Information); turns on OAuth.")
    slack_client_secret: SecretStr | None = Field(None, description="Client Secret (Basic Information).")
    slack_redirect_uri: str | None = Field(
        None, description="Public URL of /slack/oauth_redirect, when the app has several Redirect URLs."
    )
    kpi_encryption_key: SecretStr | None = Field(
        None, description="Fernet key(s), comma-separated, newest first: encrypt the bot tokens stored by OAuth."
    )
    port: int = Field(3000, ge=1, le=65535, description="HTTP port of the web process.")
    web_concurrency: int = Field(1, ge=1, le=64, description="Web worker processes (set by platforms).")
    kpi_inline_budget: float = Field(
        2.0,
        ge=0,
        le=2.5,
        description="Seconds a slash command may compute before it is acknowledged and answered later.",
    )
    log_level: str = Field("INFO", description="Logging level of the app.")
    kpi_rollups: bool = Field(True, description="Answer past days from the daily rollups the scheduler refreshes.")
    kpi_late_days: int = Field(3, ge=0, le=60, description="Recent days recomputed at every rollup refresh.")

    # -- alerts, scheduler, digests ---------------------------------------------------------
    kpi_admins: str = Field(
        "", description="Comma-separated Slack user IDs who may manage rules; empty: workspace admins and owners."
    )
    kpi_eval_interval: int = Field(300, ge=10, le=86400, description="Seconds between two evaluation passes.")
    kpi_digest_grace: int = Field(
        3600, ge=0, le=86400, description="A digest missed while down is still posted within this many seconds."
    )
    kpi_delivery_budget: float = Field(
        20.0, ge=1, le=600, description="Seconds a pass may spend delivering before leaving the rest."
    )
    # -- time limits on everything that waits ----------------------------------------------
    kpi_connect_timeout: float = Field(
        5.0, ge=0.5, le=120, description="Seconds to open a database connection (source and bot)."
    )
    kpi_query_timeout: float = Field(
        120.0, ge=1, le=3600, description="Seconds one SQL statement may run, on every database."
    )
    kpi_answer_timeout: float = Field(
        20.0,
        ge=1,
        le=600,
        description="Seconds a /kpi answer may wait for the source before the person is told it did not answer.",
    )
    kpi_pass_budget: float = Field(
        240.0,
        ge=10,
        le=86400,
        description="Seconds a scheduler pass may spend on rules and digests before "
        "it skips the rest (recorded) until the next pass.",
    )

    @field_validator("database_url", "source_database_url")
    @classmethod
    def _readable_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A URL SQLAlchemy can read, port included; said without the URL, which may hold a password."""
        if value is None:
            return value
        try:
            make_url(value).port  # noqa: B018 - reading the port is what checks it
        except (ArgumentError, ValueError):
            raise ValueError(
                f"{str(info.field_name).upper()} is not a database URL "
                "(scheme://user:password@host:port/database, e.g. postgresql+psycopg://kpi@db:5432/kpi)"
            ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _bot_database(cls, value: str) -> str:
        engine = value.split(":", 1)[0].split("+", 1)[0].lower()
        if engine not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                "DATABASE_URL holds the bot's own records (rules, incidents, rollups) and must be SQLite or "
                "PostgreSQL (a sqlite:// or postgresql:// URL); a warehouse that holds the facts goes in "
                "SOURCE_DATABASE_URL"
            )
        return value

    @field_validator("kpi_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("KPI_TIMEZONE is not an IANA time zone name (e.g. 'Europe/Paris')") from exc
        return value

    @field_validator("kpi_language", mode="before")
    @classmethod
    def _lower_language(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("kpi_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValueError("KPI_CURRENCY must be an ISO 4217 code such as EUR")
        return value

    @model_validator(mode="after")
    def _default_source(self) -> Settings:
        if not self.source_database_url:
            object.__setattr__(self, "source_database_url", self.database_url)
        return self

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("kpi_encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for key in value.get_secret_value().split(","):
            try:
                raw = base64.urlsafe_b64decode(key.strip().encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    "KPI_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes each, "
                    "comma-separated); make one with `python -m bot new-key`"
                )
        return value

    @model_validator(mode="after")
    def _oauth_complete(self) -> Settings:
        if self.slack_client_id:
            missing = [
                name
                for name, value in (
                    ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                    ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
                    ("KPI_ENCRYPTION_KEY", self.kpi_encryption_key),
                )
                if value is None or not value.get_secret_value()
            ]
            if missing:
                raise ValueError(
                    f"SLACK_CLIENT_ID is set (several workspaces, OAuth) but {', '.join(missing)} "
                    "is not: bot tokens are stored encrypted and every request is verified"
                )
        return self

    @property
    def oauth(self) -> bool:
        """Several workspaces: installations through Slack OAuth, one bot token per workspace."""
        return bool(self.slack_client_id)

    @property
    def encryption_keys(self) -> list[str]:
        """Fernet keys, newest first (the first encrypts; all decrypt, for rotation)."""
        if self.kpi_encryption_key is None:
            return []
        return [k.strip() for k in self.kpi_encryption_key.get_secret_value().split(",") if k.strip()]

    @property
    def admins(self) -> list[str]:
        return [u.strip() for u in self.kpi_admins.split(",") if u.strip()]

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None and bool(self.slack_app_token.get_secret_value())

    def secrets(self) -> list[str]:
        """Every secret value, so that logging can redact them."""
        values = [
            s.get_secret_value()
            for s in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.slack_client_secret)
            if s is not None and s.get_secret_value()
        ]
        return values + self.encryption_keys

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.kpi_timezone)

    @property
    def source_url(self) -> str:
        return self.source_database_url or self.database_url


class InvalidConfiguration(KpiError, ValueError):
    """The environment does not make a valid configuration. The message names each variable and what
    is wrong with it, never its value: a value may be a secret (pydantic's own message prints them)."""


def describe(exc: ValidationError) -> str:
    """One line per problem, ``VARIABLE: what is wrong``, built without the values that were given."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        where = str(error["loc"][0]).upper() if error["loc"] else ""
        lines.append(message if not where or message.startswith(where) else f"{where}: {message}")
    return "; ".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the configuration once per process; :class:`InvalidConfiguration` names what is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidConfiguration(describe(exc)) from None
