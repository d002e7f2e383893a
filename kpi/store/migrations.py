"""Run the Alembic migrations from code (CLI, demo, tests) with the project's configuration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from kpi.store import state_schema  # noqa: F401  (registers the state tables)
from kpi.store.schema import metadata as target_metadata

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"

__all__ = ["target_metadata", "upgrade", "url_for_alembic", "alembic_config"]


def url_for_alembic(explicit: str | None) -> str:
    """The URL Alembic migrates: the one a caller set, else DATABASE_URL from the settings."""
    if explicit:
        return explicit
    from kpi.config import get_settings

    return get_settings().database_url


def alembic_config(url: str) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """``alembic upgrade head`` on ``url``."""
    command.upgrade(alembic_config(url), revision)
