"""The canonical tables in the sources Alembic does not migrate: DuckDB and ClickHouse.

Alembic migrates SQLite and PostgreSQL (``python -m kpi migrate``). DuckDB has no Alembic
implementation and no SERIAL: each id there takes its default from a sequence of its own.
ClickHouse tables are MergeTree tables sorted by their time column (so that a period reads only
its own granules), timestamps ``DateTime64(6, 'UTC')`` (naive UTC in the bot, read as UTC whatever
the server's zone), money ``Decimal(14, 2)`` (exact sums), and an id drawn from
``generateSnowflakeID()`` when a file brings none. :func:`clickhouse_ddl` prints them
(``python -m kpi ddl clickhouse``): the README's guidance for teams that create their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, Sequence, Table, inspect, text
from sqlalchemy.types import Boolean, Date, DateTime, Numeric, Text
from sqlalchemy.types import Integer as IntegerType

from kpi.store.dialects import CLICKHOUSE
from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES


def ensure_tables(url: str) -> bool:
    """Create the canonical tables in a DuckDB or ClickHouse source that has none (True when created)."""
    engine = get_engine(url)
    if engine.dialect.name not in ("duckdb", CLICKHOUSE) or inspect(engine).has_table("sales"):
        return False
    with engine.begin() as conn:
        if engine.dialect.name == "duckdb":
            _duckdb_tables().create_all(conn)
        else:
            for statement in clickhouse_ddl():
                conn.execute(text(statement))
    return True


def _duckdb_tables() -> MetaData:
    out = MetaData()
    for table in FACT_TABLES.values():
        sequence = Sequence(f"{table.name}_id_seq", metadata=out)
        columns = [
            Column("id", Integer, sequence, primary_key=True, autoincrement=False, server_default=sequence.next_value())
            if c.name == "id"
            else c._copy()
            for c in table.columns
        ]
        checks = [k._copy() for k in table.constraints if isinstance(k, CheckConstraint)]
        Table(table.name, out, *columns, *checks)
    return out


def _clickhouse_type(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, DateTime):
        name = "DateTime64(6, 'UTC')"
    elif isinstance(kind, Date):
        name = "Date32"  # 1900-2299: an old placeholder date is stored as written, not wrapped around
    elif isinstance(kind, Numeric):
        name = f"Decimal({kind.precision}, {kind.scale})"
    elif isinstance(kind, Boolean):
        name = "Bool"
    elif isinstance(kind, IntegerType):
        name = "Int64"
    elif isinstance(kind, Text):
        name = "String"
    else:  # pragma: no cover - the canonical schema uses only the types above
        raise TypeError(f"no ClickHouse type for {column.table.name}.{column.name} ({kind})")
    return f"Nullable({name})" if column.nullable and not column.primary_key else name


def _sort_key(table: Table) -> str:
    """The time column (the first timestamp or date that is never NULL), else the id."""
    for column in table.columns:
        if isinstance(column.type, (DateTime, Date)) and not column.nullable:
            return column.name
    return "id"


def clickhouse_ddl() -> list[str]:
    """CREATE TABLE statements for the canonical tables in ClickHouse."""
    out = []
    for table in FACT_TABLES.values():
        lines = [
            f"    {c.name} {_clickhouse_type(c)}"
            + (" DEFAULT toInt64(generateSnowflakeID())" if c.name == "id" else "")
            for c in table.columns
        ]
        lines += [
            f"    CONSTRAINT {k.name} CHECK {k.sqltext}" for k in table.constraints if isinstance(k, CheckConstraint)
        ]
        body = ",\n".join(lines)
        out.append(
            f"CREATE TABLE IF NOT EXISTS {table.name} (\n{body}\n) ENGINE = MergeTree\n"
            f"ORDER BY {_sort_key(table)}\n"
            # lightweight UPDATEs (imports in upsert mode) need the block number columns
            "SETTINGS enable_block_number_column = 1, enable_block_offset_column = 1"
        )
    return out
