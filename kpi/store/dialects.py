"""One place that knows each SQL engine: exact number types, local days, GREATEST, and which engines
the bot reads.

Every other module of the store builds SQLAlchemy Core expressions; what differs between engines is
decided here:

* numbers are cast to :data:`NUMBER`, an 8-byte float on every engine (SQLAlchemy's ``Float`` is a
  4-byte ``FLOAT`` on DuckDB, which loses cents: €1,693,628.49 read back as €1,693,628.50);
* :func:`local_day` buckets a naive-UTC timestamp into a local calendar day for a fixed UTC offset;
* ``GREATEST`` is spelled ``MAX(a, b)`` on SQLite.
"""

from __future__ import annotations

from sqlalchemy import Date, cast, func, literal_column
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Double

from kpi.errors import SourceError

NUMBER = Double()  # DOUBLE / DOUBLE PRECISION / REAL (8 bytes) everywhere; never a 4-byte FLOAT

# The engines the bot reads its facts from: the first three run for real in the suite; the cloud
# warehouses, which cannot run here, through their maintained SQLAlchemy dialects, proven by
# compiled-SQL snapshots (tests/kpi/test_warehouse_sql.py).
SUPPORTED = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "duckdb": "DuckDB",
             "bigquery": "BigQuery", "snowflake": "Snowflake", "trino": "Trino"}


def check_supported(source: Engine | str) -> None:
    """A clear error for an engine (or a URL, checked before any driver is loaded) outside
    :data:`SUPPORTED`, naming the supported ones."""
    name = make_url(source).get_backend_name() if isinstance(source, str) else source.dialect.name
    if name not in SUPPORTED:
        raise SourceError(f"The data source is {name}, which the bot does not support yet; "
                          f"supported: {', '.join(SUPPORTED.values())}.")


def local_day(dialect: str, column, offset_seconds: int):
    """The local calendar day of a naive-UTC timestamp, for a fixed UTC offset (an integer we computed,
    never user input)."""
    offset = int(offset_seconds)
    match dialect:
        case "sqlite":
            return func.date(column, f"{offset:+d} seconds")
        case "postgresql" | "duckdb":
            return cast(column + literal_column(f"INTERVAL '{offset} seconds'"), Date)
        case "bigquery":  # naive timestamps are DATETIME there
            return func.DATE(func.DATETIME_ADD(column, literal_column(f"INTERVAL {offset} SECOND")))
        case "snowflake":
            return func.TO_DATE(func.DATEADD(literal_column("second"), literal_column(str(offset)), column))
        case "trino":
            return cast(column + literal_column(f"INTERVAL '{offset}' SECOND"), Date)
    raise SourceError(f"Local days are not known for {dialect}; supported: {', '.join(SUPPORTED.values())}.")


class Greatest(FunctionElement):
    """GREATEST(a, b, …): the later of several instants (SQLite spells it MAX with several arguments)."""

    inherit_cache = True
    name = "greatest"


@compiles(Greatest)
def _greatest_default(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(Greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"MAX({compiler.process(element.clauses, **kw)})"
