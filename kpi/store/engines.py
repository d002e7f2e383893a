"""Engines: one per database URL per process. The only place engines are created.

Every engine waits a bounded time (:class:`Limits`): connecting gives up after
``connect_timeout`` seconds, and a statement after ``query_timeout`` seconds, on the server
where it can (PostgreSQL's ``statement_timeout``, SQLite's interrupt) and, for the queries sent
to the source, in the caller too (:func:`within`), so that a source that accepts connections and
never answers can't hang an answer or a pass.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchModuleError

from kpi.errors import SourceError, SourceTimeout
from kpi.store.dialects import CLICKHOUSE, missing_driver

log = logging.getLogger(__name__)

# duckdb:// URLs: duckdb-engine with SQLAlchemy's statement cache on (see kpi.store.duckdb_dialect)
registry.register("duckdb", "kpi.store.duckdb_dialect", "DuckDBDialect")

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0  # seconds to open a connection (or to wait for one from the pool)
    query_timeout: float = 120.0  # seconds one statement may run (rollup rebuilds of big tables included)


_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_limits = Limits()


def set_limits(limits: Limits) -> None:
    """Use ``limits`` for every engine (those created before with other limits are disposed)."""
    global _limits
    with _lock:
        if limits == _limits:
            return
        _limits = limits
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def limits() -> Limits:
    return _limits


class _Workers:
    """Daemon threads that run source queries, kept between queries: starting a thread costs about 0.5 ms,
    and DuckDB answers a small question in 2. A worker whose query outlives its caller's limit finishes
    (or is stopped by the driver's own timeouts) before it is reused; a new worker is started when none
    is idle, so a hung query never holds the next one. Daemon threads: a query that never returns can't
    hold the process at exit."""

    KEEP = 8  # idle workers kept

    def __init__(self) -> None:
        self._idle: list[queue.SimpleQueue[Any]] = []
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], object], box: dict[str, Any], done: threading.Event) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="kpi-query", daemon=True).start()
        inbox.put((work, box, done))

    def _serve(self, inbox: queue.SimpleQueue[Any]) -> None:
        while True:
            work, box, done = inbox.get()
            try:
                box["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - handed over to the caller by within()
                box["error"] = exc
            done.set()
            with self._lock:
                if len(self._idle) >= self.KEEP:
                    return
                self._idle.append(inbox)


_workers = _Workers()


def within(seconds: float, work: Callable[[], T], what: str = "the data source") -> T:
    """``work()``, or :class:`SourceTimeout` after ``seconds``. The work runs in a worker thread, so
    that even a socket that never answers can't hold the caller: that worker is left to the driver's
    own timeouts, and the caller moves on."""
    box: dict[str, Any] = {}
    done = threading.Event()
    _workers.submit(work, box, done)
    if not done.wait(seconds):
        raise SourceTimeout(seconds, what)
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])


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
            try:
                engine = _create(key)
            except (NoSuchModuleError, ImportError) as exc:  # the dialect or its driver is not installed
                raise SourceError(missing_driver(make_url(key).get_backend_name())) from exc
            _engines[key] = engine
        return engine


def _create(url: str) -> Engine:
    engine = _engine(url)
    event.listen(engine, "handle_error", _read_only_is_lost)
    return engine


def _read_only_is_lost(context: Any) -> None:
    """A connection that refuses writes ("attempt to write a readonly database": SQLite opened the file
    while it could not be written; PostgreSQL's read-only transaction, 25006) is dropped, and the pool's
    connections with it: once the database takes writes again, the next connection can write, without a
    restart. (Kept, the pool would hand out read-only connections for ever.)"""
    error = context.original_exception
    if "readonly database" in str(error) or getattr(error, "sqlstate", None) == "25006":
        context.is_disconnect = True


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    limit = _limits
    if parsed.get_backend_name() == "sqlite":
        # "timeout" is SQLite's wait for another writer's lock (web and clock on one file): 30 s at most
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": min(30.0, limit.query_timeout)}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
            # SQLite has no statement timeout: a progress handler interrupts a statement past its deadline.
            deadline = record.info.setdefault("deadline", [float("inf")])
            dbapi_conn.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 20_000)

        @event.listens_for(engine, "before_cursor_execute")
        def _start(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: Any) -> None:
            conn.connection.info["deadline"][0] = time.monotonic() + limit.query_timeout

        @event.listens_for(engine, "after_cursor_execute")
        def _done(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: Any) -> None:
            conn.connection.info["deadline"][0] = float("inf")

        return engine
    connect_args = {}
    if parsed.get_backend_name() == "postgresql":
        given = parsed.query.get("options")  # libpq options in the URL (e.g. a search_path) are kept
        given = " ".join(given) if isinstance(given, tuple) else (given or "")
        connect_args = {
            "connect_timeout": max(1, round(limit.connect_timeout)),
            # the session in UTC, after any zone the URL gives: see kpi.store.dialects.Instant
            "options": f"{given} -c statement_timeout={int(limit.query_timeout * 1000)} -c TimeZone=UTC".strip(),
        }
    elif parsed.get_backend_name() == CLICKHOUSE:
        connect_args = clickhouse_args(parsed.query.get("interface") == "chdb", limit)
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=limit.connect_timeout,
        connect_args=connect_args,
    )
    if parsed.get_backend_name() == "duckdb":
        event.listen(engine, "connect", _duckdb_in_utc)
    return engine


def _duckdb_in_utc(dbapi_conn: Any, record: Any) -> None:
    """DuckDB's session zone is the process's (``TZ``) unless set: UTC, as for PostgreSQL (see
    :class:`kpi.store.dialects.Instant`)."""
    dbapi_conn.execute("SET TimeZone = 'UTC'")


def clickhouse_args(in_process: bool, limit: Limits) -> dict[str, Any]:
    """ClickHouse settings sent with every query (``ch_`` names a setting for clickhouse-connect):

    * ``join_use_nulls``: a LEFT JOIN without a match gives NULLs, as in SQL, not the column type's default
      (``""``, ``1970-01-01``), which would put the row under the wrong key or inside a time range;
    * ``max_execution_time``: the server stops a statement at the query time limit.

    Over HTTP, the client gives up connecting and waiting by the same limits (chDB, in-process, has no
    socket)."""
    args: dict[str, Any] = {"ch_join_use_nulls": 1, "ch_max_execution_time": max(1, round(limit.query_timeout))}
    if not in_process:
        args |= {
            "connect_timeout": max(1, round(limit.connect_timeout)),
            "send_receive_timeout": max(1, round(limit.query_timeout)),
        }
    return args


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def has_table(url: str, name: str) -> bool:
    return inspect(get_engine(url)).has_table(name)


def read_rows(engine: Engine, stmt: Any, values: dict[str, Any] | None = None) -> list[Any]:
    """The rows of one query to a source, within the query time limit. Any failure of the engine or its
    driver (SQLAlchemy's errors, and a driver's own exceptions that are not DB-API ones) becomes a
    SourceError naming its kind; the traceback goes to the log. SourceTimeout passes through."""

    def query() -> list[Any]:
        with engine.connect() as conn:
            return list(conn.execute(stmt, values).all() if values else conn.execute(stmt).all())

    try:
        return within(limits().query_timeout, query)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - every driver failure is the source's, said once, logged whole
        log.exception("query failed on %s", engine.url.render_as_string(hide_password=True))
        kind = type(getattr(exc, "orig", None) or exc).__name__
        raise SourceError(f"The data source could not answer ({kind}).") from exc
