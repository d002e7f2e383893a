"""Run the Alembic migrations from code (CLI, demo, tests) with the project's configuration."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from kpi.store import state_schema  # noqa: F401  (registers the state tables)
from kpi.store.schema import metadata as target_metadata

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"

__all__ = ["target_metadata", "upgrade", "url_for_alembic", "alembic_config", "not_ready", "ensure_ready"]


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


def not_ready(url: str) -> str | None:
    """Why the database at ``url`` can't be used yet (no database file, no tables, an older schema),
    or None when it is migrated to head. Never creates anything: a missing SQLite file stays missing.
    Raises :class:`~kpi.errors.SourceError` when the database does not answer at all."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from kpi.store.engines import get_engine, normalize_url

    parsed = make_url(normalize_url(url))
    shown = parsed.render_as_string(hide_password=True)
    if (
        parsed.get_backend_name() == "sqlite"
        and parsed.database not in (None, "", ":memory:")
        and not parsed.database.startswith("file:")
        and not Path(parsed.database).exists()
    ):
        return f"there is no database at {shown} yet"
    try:
        with get_engine(url).connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        from kpi.errors import SourceError

        raise SourceError(
            f"The database at {shown} could not answer ({type(getattr(exc, 'orig', None) or exc).__name__}); "
            "check DATABASE_URL and that the server is up."
        ) from exc
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current is None:
        return f"the database at {shown} has no tables yet"
    if current != head:
        return f"the database at {shown} is at schema {current}, this version needs {head}"
    return None


def ensure_ready(url: str) -> None:
    """Raise :class:`~kpi.errors.NotMigrated` (whose message gives the fix) unless :func:`not_ready` is None."""
    from kpi.errors import NotMigrated

    why = not_ready(url)
    if why:
        raise NotMigrated(why)
