"""Shared fixtures: real databases (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set).

Each database is migrated once per session with Alembic, and the fact tables
are emptied before every test that asks for ``db_url``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, text

from kpi.store.engines import get_engine
from kpi.store.migrations import upgrade
from kpi.store.schema import FACT_TABLES, metadata

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
# Processes the tests start (`python -m bot`, `python -m kpi`) import this checkout's bot/ and kpi/, whichever
# checkout the virtualenv's editable install points at (a second work tree shares one virtualenv)
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
)
# the PostgreSQL runs carry the `postgres` marker: `-m "not postgres"` runs SQLite only
BACKENDS = ["sqlite"] + ([pytest.param("postgres", marks=pytest.mark.postgres)] if TEST_POSTGRES_URL else [])


def _fresh_postgres(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> dict[str, str]:
    """Backend name -> URL of a database migrated to head."""
    urls = {}
    sqlite_path: Path = tmp_path_factory.mktemp("db") / "test.db"
    urls["sqlite"] = f"sqlite:///{sqlite_path}"
    if TEST_POSTGRES_URL:
        _fresh_postgres(TEST_POSTGRES_URL)
        urls["postgres"] = TEST_POSTGRES_URL
    for url in urls.values():
        upgrade(url)
        assert set(FACT_TABLES) <= set(inspect(get_engine(url)).get_table_names())
    return urls


def clear(url: str) -> None:
    from kpi.store.state import clear_state

    clear_state(url)
    with get_engine(url).begin() as conn:
        for table in reversed(list(FACT_TABLES.values())):
            conn.execute(delete(table))


@pytest.fixture(params=BACKENDS)
def db_url(request, migrated) -> str:
    url = migrated[request.param]
    clear(url)
    return url


@pytest.fixture
def engine(db_url):
    return get_engine(db_url)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


def insert(url: str, table: str, rows: list[dict]) -> None:
    if rows:
        with get_engine(url).begin() as conn:
            conn.execute(FACT_TABLES[table].insert(), rows)


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory) -> Path:
    """chDB, ClickHouse's engine in-process, opens one data directory per process: every test that reads
    ClickHouse shares this one, each in a database of its own (:func:`clickhouse_database`)."""
    return tmp_path_factory.mktemp("chdb")


def clickhouse_database(chdb_path: Path, name: str) -> str:
    """The URL of a new, empty ClickHouse database ``name`` in the session's chDB: the same dialect and driver
    as production (clickhouse-connect), the engine in-process instead of over HTTP."""
    url = f"clickhousedb:///{name}?interface=chdb&path={chdb_path}"
    with get_engine(f"clickhousedb:///default?interface=chdb&path={chdb_path}").connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    return url
