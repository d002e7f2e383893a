"""What a source database holds: its tables, each column's kind, and row counts (for `check-source`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, text, types
from sqlalchemy.exc import SQLAlchemyError

from kpi.errors import SourceError
from kpi.store.dialects import CLICKHOUSE
from kpi.store.engines import get_engine, limits, within
from kpi.store.facts import table_rows


@dataclass
class TableShape:
    name: str  # schema.table or table, as the definitions say
    columns: dict[str, str] = field(default_factory=dict)  # name -> timestamp | date | number | text | other
    rows: int | None = None
    times: dict[str, str] = field(default_factory=dict)  # time column -> its kind and what the bot does with it


def kind_of(sql_type: types.TypeEngine[Any]) -> str:
    """The kind of a column's type, as the KPI definitions need it."""
    if isinstance(sql_type, types.DateTime):
        return "timestamp"
    if isinstance(sql_type, types.Date):
        return "date"
    if isinstance(sql_type, (types.Integer, types.Numeric, types.Float)):
        return "number"
    if isinstance(sql_type, (types.String, types.Enum)):
        return "text"
    if isinstance(sql_type, types.Boolean):
        return "number"
    name = getattr(sql_type, "name", None)  # ClickHouse's String is a user-defined type: read by its name
    return kind_of_name(name) if isinstance(name, str) else "other"


def kind_of_name(type_name: str) -> str:
    """The kind of a column from its SQL type's name (``information_schema``)."""
    name = type_name.upper()
    while name.startswith(("NULLABLE(", "LOWCARDINALITY(")) and name.endswith(")"):  # ClickHouse's wrappers
        name = name[name.index("(") + 1 : -1]
    if name.startswith("TIMESTAMP") or name.startswith("DATETIME"):
        return "timestamp"
    if name in ("DATE", "DATE32"):
        return "date"
    if any(
        name.startswith(n)
        for n in (
            "INT",
            "BIGINT",
            "SMALLINT",
            "TINYINT",
            "HUGEINT",
            "UBIGINT",
            "UINT",
            "DECIMAL",
            "NUMERIC",
            "DOUBLE",
            "FLOAT",
            "REAL",
            "BOOL",
        )
    ):
        return "number"
    if name.startswith(("VARCHAR", "TEXT", "CHAR", "STRING", "FIXEDSTRING", "ENUM")):
        return "text"
    return "other"


def time_kind(dialect: str, type_name: str, zoned: bool = False) -> str:
    """What a time column is and what the bot does with it (``check-source`` prints it): see
    :class:`kpi.store.dialects.Instant` for why each kind gives the same answer in any session zone."""
    name = type_name
    while name.upper().startswith(("NULLABLE(", "LOWCARDINALITY(")) and name.endswith(")"):
        name = name[name.index("(") + 1 : -1]
    upper = name.upper()
    if upper in ("DATE", "DATE32"):
        return "date: read as calendar days of KPI_TIMEZONE"
    if dialect == CLICKHOUSE:
        zone = re.search(r"'([^']+)'", name)
        base = name.split("(")[0]
        what = f"ClickHouse {base} in {zone.group(1)}" if zone else f"ClickHouse {base} without a zone"
        return f"{what}: instants, compared with explicit UTC instants whatever the column's or session's zone"
    if zoned or "WITH TIME ZONE" in upper or upper.startswith(("TIMESTAMPTZ", "TIMESTAMP_TZ", "TIMESTAMP_LTZ")):
        return "timestamp with time zone: instants, compared in a session the bot sets to UTC"
    return "timestamp without time zone: its times are read as UTC"


def _columns_from_information_schema(conn: Any, schema: str, table: str) -> TableShape | None:
    """DuckDB: SQLAlchemy's reflection goes through pg_catalog, which DuckDB only partly emulates."""
    query = (
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t"
        + (" AND table_schema = :s" if schema else "")
        + " ORDER BY ordinal_position"
    )
    rows = conn.execute(text(query), {"t": table, "s": schema}).all()
    if not rows:
        return None
    columns = {name: kind_of_name(str(kind)) for name, kind in rows}
    times = {name: time_kind("duckdb", str(kind)) for name, kind in rows if columns[name] in ("timestamp", "date")}
    return TableShape(f"{schema}.{table}" if schema else table, columns, times=times)


def _shape(dialect: str, name: str, reflected: list[Any]) -> TableShape:
    columns = {c["name"]: kind_of(c["type"]) for c in reflected}
    times = {
        c["name"]: time_kind(
            dialect, str(getattr(c["type"], "name", None) or c["type"]), bool(getattr(c["type"], "timezone", False))
        )
        for c in reflected
        if columns[c["name"]] in ("timestamp", "date")
    }
    return TableShape(name, columns, times=times)


def describe(url: str, tables: list[str]) -> dict[str, TableShape | None]:
    """Each named table (``schema.table`` accepted) with its columns and rows; None when it does not exist.
    SourceError when the source cannot answer."""
    engine = get_engine(url)

    def look() -> dict[str, TableShape | None]:
        out: dict[str, TableShape | None] = {}
        if engine.dialect.name == "duckdb":
            with engine.connect() as conn:
                for name in tables:
                    schema, _, table = name.rpartition(".")
                    found = _columns_from_information_schema(conn, schema, table)
                    out[name] = TableShape(name, found.columns, times=found.times) if found else None
            return out
        inspector = inspect(engine)
        for name in tables:
            schema, _, table = name.rpartition(".")
            if not inspector.has_table(table, schema=schema or None):
                out[name] = None
                continue
            out[name] = _shape(engine.dialect.name, name, inspector.get_columns(table, schema=schema or None))
        return out

    try:
        found = within(limits().query_timeout, look)
    except SQLAlchemyError as exc:
        raise SourceError(
            f"The data source could not answer ({type(getattr(exc, 'orig', None) or exc).__name__})."
        ) from exc
    present = [name for name, shape in found.items() if shape is not None]
    for name, count in table_rows(url, present).items():
        shape = found[name]
        if shape is not None:
            shape.rows = count
    return found
