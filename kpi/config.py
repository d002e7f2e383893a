"""The one configuration object, and the only code that reads the environment.

Values come from the process environment, then from a ``.env`` file in the
working directory (12-factor). Everything else in the project receives a
:class:`Settings` instance; nothing else calls ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        case_sensitive=False,
    )

    database_url: str = Field(
        "sqlite:///kpi.db",
        description="The bot's own database (rules, history, migrations).",
    )
    source_database_url: str | None = Field(
        None,
        description="Where the business facts live; defaults to DATABASE_URL.",
    )
    kpi_timezone: str = Field("UTC", description="IANA time zone that periods are read in.")
    kpi_language: Literal["en", "fr"] = Field("en", description="Language of every message.")
    kpi_currency: str = Field("EUR", description="ISO 4217 code money is shown in.")
    kpi_definitions: Path | None = Field(
        None, description="Optional YAML file with the team's own KPI definitions."
    )

    @field_validator("kpi_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"KPI_TIMEZONE={value!r} is not an IANA time zone name (e.g. 'Europe/Paris')"
            ) from exc
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
            raise ValueError(f"KPI_CURRENCY={value!r} must be an ISO 4217 code such as EUR")
        return value

    @model_validator(mode="after")
    def _default_source(self) -> "Settings":
        if not self.source_database_url:
            object.__setattr__(self, "source_database_url", self.database_url)
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.kpi_timezone)

    @property
    def source_url(self) -> str:
        return self.source_database_url or self.database_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the configuration once per process."""
    return Settings()
