"""Writing business facts: bulk loads in one transaction, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from itertools import islice
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from kpi.errors import DataImportError, ImportProblem
from kpi.store.dialects import CLICKHOUSE
from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES

log = logging.getLogger(__name__)
BATCH = 5000


def row_counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(t)).scalar_one() for name, t in FACT_TABLES.items()}


def table_rows(url: str, names: list[str]) -> dict[str, int]:
    """Rows in each named table (``schema.table`` accepted); SourceError when the source can't answer."""
    from sqlalchemy import table as sql_table
    from sqlalchemy.exc import SQLAlchemyError

    from kpi.errors import SourceError

    try:
        with get_engine(url).connect() as conn:
            return {
                name: conn.execute(
                    select(func.count()).select_from(
                        sql_table(name.rsplit(".", 1)[-1], schema=name.rsplit(".", 1)[0] if "." in name else None)
                    )
                ).scalar_one()
                for name in names
            }
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).splitlines()[0][:200]
        raise SourceError(f"the source database could not answer ({type(cause).__name__}: {first})") from exc


def replace_all(url: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Empty the canonical tables and load ``rows`` in a single transaction."""
    with get_engine(url).begin() as conn:
        for table in FACT_TABLES.values():
            _empty(conn, table)
        counts = {}
        for name, table_rows in rows.items():
            counts[name] = insert_batches(conn, FACT_TABLES[name], iter(table_rows))
        reset_sequences(conn, FACT_TABLES.values())
    return counts


def _empty(conn: Connection, table: Table) -> None:
    if conn.dialect.name == CLICKHOUSE:  # its DELETE needs a WHERE and is a mutation: TRUNCATE is the way
        conn.execute(text(f"TRUNCATE TABLE {conn.dialect.identifier_preparer.quote(table.name)}"))
    else:
        conn.execute(delete(table))


def insert_batches(conn: Connection, table: Table, rows: Iterator[dict[str, Any]] | Iterable[dict[str, Any]]) -> int:
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


# -- idempotent imports -------------------------------------------------------------------------

# The key that says "this row is already there" when a file has no `id` column: daily aggregates are
# one row per day and dimension value. Event tables (leads, sales…) have no natural key but their id.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {"visits": ("day", "channel"), "spend": ("day", "kind", "channel")}


class Mode(str, Enum):
    APPEND = "append"  # new rows are added; a row already there with other values refuses the file
    UPSERT = "upsert"  # new rows are added, changed rows updated
    REPLACE = "replace"  # the table then holds exactly the file's rows


@dataclass
class MergeReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    moments: list[Any] = field(default_factory=list[Any])  # the earliest time the change touches, when any

    def touch(self, moment: date | datetime | None) -> None:
        if moment is not None and (not self.moments or _day(moment) < _day(self.moments[0])):
            self.moments[:] = [moment]


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def import_key(table: str, columns: list[str]) -> tuple[str, ...] | None:
    """The columns that identify a row of this file: its ids, else the table's natural key, else none."""
    if "id" in columns:
        return ("id",)
    return NATURAL_KEYS.get(table)


def merge(
    url: str,
    table: str,
    key: tuple[str, ...] | None,
    rows: Iterator[tuple[int, dict[str, Any]]],
    mode: Mode,
    problems: list[ImportProblem],
    time_column: str | None,
) -> MergeReport:
    """Bring ``table`` in line with ``rows`` ((line, row) pairs) in one transaction, all or nothing.

    A row whose key is already there with the same values is left alone, so that importing the same
    file twice changes nothing, whatever the mode. Refusals are appended to ``problems`` (with their
    line) and roll everything back."""
    target = FACT_TABLES[table]
    report = MergeReport()
    seen: dict[tuple[Any, ...], int] = {}
    try:
        with get_engine(url).begin() as conn:
            size: int | None = BATCH
            if conn.dialect.name == CLICKHOUSE:  # no transactions: the whole file is read and checked first
                rows, size = iter(list(rows)), None
                if problems:
                    raise Rejected()
            if key is None:
                if mode is not Mode.REPLACE:
                    raise AssertionError("a file without a key can only replace the table")
                report.deleted = _delete_all(conn, target, time_column, report)
            while batch := list(islice(rows, size)):
                _merge_batch(conn, target, key, batch, mode, problems, seen, report, time_column)
            if mode is Mode.REPLACE and key is not None and not problems:
                report.deleted = _delete_others(conn, target, key, seen, time_column, report)
            if problems:
                raise Rejected()
            reset_sequences(conn, [target])
    except Rejected:
        return MergeReport()
    except DBAPIError as exc:  # a constraint, a value out of the column's range: nothing was kept
        detail = str(exc.orig).splitlines()[0][:200] if exc.orig else type(exc).__name__
        raise DataImportError(
            table, [ImportProblem(0, None, f"the database refused a row ({detail}); nothing was imported")]
        ) from exc
    return report


def _merge_batch(
    conn: Connection,
    target: Table,
    key: tuple[str, ...] | None,
    batch: list[tuple[int, dict[str, Any]]],
    mode: Mode,
    problems: list[ImportProblem],
    seen: dict[tuple[Any, ...], int],
    report: MergeReport,
    time_column: str | None,
) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    existing = _existing(conn, target, key, [row for _, row in batch]) if key else {}
    for line, row in batch:
        if key is None:
            inserts.append(row)
            continue
        ident = tuple(row.get(c) for c in key)
        if ident in seen:
            problems.append(ImportProblem(line, None, f"repeats the {_key_text(key, ident)} of line {seen[ident]}"))
            continue
        seen[ident] = line
        found = existing.get(ident, [])
        if not found:
            inserts.append(row)
            continue
        if len(found) > 1:
            problems.append(
                ImportProblem(
                    line,
                    None,
                    f"{target.name} already holds {len(found)} rows with the "
                    f"{_key_text(key, ident)}; remove the extra rows, or use --mode replace",
                )
            )
            continue
        old = found[0]
        changed = {c: v for c, v in row.items() if c not in key and not _same(old[c], v)}
        if not changed:
            report.unchanged += 1
        elif mode is Mode.APPEND:
            what = ", ".join(f"{c} {old[c]} → {v}" for c, v in list(changed.items())[:3])
            problems.append(
                ImportProblem(
                    line,
                    None,
                    f"the {_key_text(key, ident)} is already in {target.name} "
                    f"with other values ({what}); use --mode upsert to update it",
                )
            )
        else:
            updates.append({**{f"v_{c}": v for c, v in changed.items()}, **{f"k_{c}": old[c] for c in key}})
            report.touch(old.get(time_column) if time_column else None)
    for row in inserts + updates:
        report.touch((row.get(time_column) or row.get(f"v_{time_column}")) if time_column else None)
    if problems:
        return  # keep reading to report every problem; nothing will be kept
    if inserts:
        conn.execute(target.insert(), inserts)
        report.inserted += len(inserts)
    for columns, group in _by_columns(updates).items():
        where = and_(*(_key_match(target, c) for c in key or ()))
        conn.execute(update(target).where(where).values({c: bindparam(f"v_{c}") for c in columns}), group)
        report.updated += len(group)


def _by_columns(updates: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Updates grouped by the columns they change (one executemany per shape)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        groups.setdefault(tuple(sorted(c[2:] for c in values if c.startswith("v_"))), []).append(values)
    return groups


def _key_match(target: Table, column: str) -> Any:
    col = target.c[column]
    return col.is_not_distinct_from(bindparam(f"k_{column}")) if col.nullable else col == bindparam(f"k_{column}")


def _existing(
    conn: Connection, target: Table, key: tuple[str, ...], rows: list[dict[str, Any]]
) -> dict[tuple[Any, ...], list[Any]]:
    """The table's rows that share a key with ``rows``, by key (one query on the key's first column)."""
    first = key[0]
    values = {row.get(first) for row in rows} - {None}
    if not values:
        return {}
    found: dict[tuple[Any, ...], list[Any]] = {}
    for record in conn.execute(select(target).where(target.c[first].in_(sorted(values)))).mappings():
        found.setdefault(tuple(record[c] for c in key), []).append(record)
    return found


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return bool(old == new)


def _key_text(key: tuple[str, ...], ident: tuple[Any, ...]) -> str:
    return ", ".join(f"{c} {v if v is not None else '(empty)'}" for c, v in zip(key, ident, strict=True))


def _delete_all(conn: Connection, target: Table, time_column: str | None, report: MergeReport) -> int:
    if time_column:
        report.touch(conn.execute(select(func.min(target.c[time_column]))).scalar())
    if conn.dialect.name == CLICKHOUSE:  # no row count from its DELETE, and none without WHERE
        count = conn.execute(select(func.count()).select_from(target)).scalar_one()
        _empty(conn, target)
        return count
    return conn.execute(delete(target)).rowcount or 0


def _delete_others(
    conn: Connection,
    target: Table,
    key: tuple[str, ...],
    seen: dict[tuple[Any, ...], int],
    time_column: str | None,
    report: MergeReport,
) -> int:
    """Replace mode: delete the rows whose key is not in the file."""
    columns = [target.c[c] for c in key] + ([target.c[time_column]] if time_column else [])
    gone = [r for r in conn.execute(select(*columns)).all() if tuple(r[: len(key)]) not in seen]
    for r in gone:
        report.touch(r[-1] if time_column else None)
    where = and_(*(_key_match(target, c) for c in key))
    for start in range(0, len(gone), BATCH):
        conn.execute(
            delete(target).where(where),
            [{f"k_{c}": r[i] for i, c in enumerate(key)} for r in gone[start : start + BATCH]],
        )
    return len(gone)
