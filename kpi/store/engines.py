"""Engines: one per database URL per process. The only place engines are created."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def normalize_url(url: str) -> str:
    """Accept the URLs platforms hand out (``postgres://``, ``postgresql://``) and use psycopg 3."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def get_engine(url: str) -> Engine:
    """The process-wide engine for ``url`` (created on first use)."""
    key = normalize_url(url)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create(key)
            _engines[key] = engine
        return engine


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def ping(url: str) -> bool:
    """True when the database answers a trivial query."""
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def has_table(url: str, name: str) -> bool:
    return inspect(get_engine(url)).has_table(name)
