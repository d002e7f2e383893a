"""Writing business facts: bulk loads in one transaction, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from sqlalchemy import Table, delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from kpi.errors import DataImportError, ImportProblem

from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES

log = logging.getLogger(__name__)
BATCH = 5000


def row_counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in FACT_TABLES.items()}


def replace_all(url: str, rows: dict[str, list[dict]]) -> dict[str, int]:
    """Empty the canonical tables and load ``rows`` in a single transaction."""
    with get_engine(url).begin() as conn:
        for table in FACT_TABLES.values():
            conn.execute(delete(table))
        counts = {}
        for name, table_rows in rows.items():
            counts[name] = insert_batches(conn, FACT_TABLES[name], iter(table_rows))
        reset_sequences(conn, FACT_TABLES.values())
    return counts


def insert_batches(conn: Connection, table: Table, rows: Iterator[dict] | Iterable[dict]) -> int:
    """Insert rows by batches inside the caller's transaction; returns how many."""
    total, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            total += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        total += len(batch)
    return total


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After loading explicit ids, move PostgreSQL's serial sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        highest = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), highest + 1, False)))


class Rejected(Exception):
    """Raised inside a load transaction to roll it back."""


def load(url: str, table: str, rows: Iterator[dict], problems) -> int:
    """Insert ``rows`` into ``table`` in one transaction, rolled back when ``problems()`` is non-empty
    once every row was read, or when the database refuses a row (returned as a problem)."""
    target = FACT_TABLES[table]
    try:
        with get_engine(url).begin() as conn:
            count = insert_batches(conn, target, rows)
            if problems():
                raise Rejected()
            reset_sequences(conn, [target])
    except Rejected:
        return 0
    except IntegrityError as exc:
        detail = str(exc.orig).splitlines()[0][:200] if exc.orig else "constraint violated"
        raise DataImportError(table, [ImportProblem(0, None, f"the database refused a row ({detail}); "
                                                   "is an id already in the table?")]) from exc
    return count
