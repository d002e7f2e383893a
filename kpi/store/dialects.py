"""One place that knows each SQL engine: exact number types, local days, GREATEST, and which engines
the bot reads.

Every other module of the store builds SQLAlchemy Core expressions; what differs between engines is
decided here:

* numbers are cast to :data:`NUMBER`, an 8-byte float on every engine (SQLAlchemy's ``Float`` is a
  4-byte ``FLOAT`` on DuckDB and ClickHouse, which loses cents: €1,693,628.49 read back as €1,693,628.50),
  that may be NULL (``Nullable(Float64)`` on ClickHouse); an aggregate's value is cast to :data:`VALUE`,
  an exact decimal where the engine has one (PostgreSQL, DuckDB, ClickHouse), so money keeps its cents;
* :func:`local_day` buckets a naive-UTC timestamp into a local calendar day for a fixed UTC offset;
* ``GREATEST`` is spelled ``MAX(a, b)`` on SQLite;
* breakdown keys are cast to :data:`KEY`, a text that may be NULL: ``TEXT`` everywhere but ClickHouse,
  where ``String`` refuses NULL (the total's key, a LEFT JOIN without a match) and ``Nullable(String)``
  is needed;
* time columns are read as :data:`INSTANT`, so that a bound instant means the same moment whatever the
  column's kind and the session's or process's time zone (see :class:`Instant`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Date, cast, func, literal_column
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime, Double, Text, TypeDecorator, TypeEngine

from kpi.errors import SourceError

CLICKHOUSE = "clickhousedb"  # clickhouse-connect's dialect, ClickHouse's official driver (and chDB's)


class Number(Double[Any]):
    """An 8-byte float that may be NULL (a sum over no rows): ClickHouse's DOUBLE refuses NULL."""

    __visit_name__ = "kpi_number"
    cache_ok = True


@compiles(Number)
def _number(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(Double(), **kw))


@compiles(Number, CLICKHOUSE)
def _number_clickhouse(element: Any, compiler: Any, **kw: Any) -> str:
    return "Nullable(Float64)"


NUMBER = Number()  # DOUBLE / DOUBLE PRECISION / REAL / Float64 (8 bytes) everywhere; never a 4-byte FLOAT


class Value(TypeEngine[Any]):
    """The type of an aggregate's value: an exact decimal where the engine has one that every aggregate fits
    (PostgreSQL, DuckDB, ClickHouse: 29 digits before the point, 9 after), so that a sum of money comes back
    to the cent at any size a column holds (€11,999,999,999,999.88 has 16 digits, more than an 8-byte
    float keeps); :data:`NUMBER` elsewhere (SQLite holds floats; the warehouses' SQL is unchanged). Values
    come back as the driver gives them (a float type would turn the decimals into floats):
    :func:`kpi.store.aggregate.rows_of` reads them."""

    __visit_name__ = "kpi_value"
    cache_ok = True


@compiles(Value)
def _value(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(Double(), **kw))


@compiles(Value, "postgresql")
@compiles(Value, "duckdb")
def _value_decimal(element: Any, compiler: Any, **kw: Any) -> str:
    return "NUMERIC(38, 9)"


@compiles(Value, CLICKHOUSE)
def _value_clickhouse(element: Any, compiler: Any, **kw: Any) -> str:
    return "Nullable(Decimal(38, 9))"


VALUE = Value()


class KeyText(Text):
    """The type of a breakdown key: a text that may be NULL on every engine."""

    __visit_name__ = "kpi_key_text"
    cache_ok = True


@compiles(KeyText)
def _key_text(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(Text(), **kw))


@compiles(KeyText, CLICKHOUSE)
def _key_text_clickhouse(element: Any, compiler: Any, **kw: Any) -> str:
    return "Nullable(String)"


KEY = KeyText()


class Instant(TypeDecorator[datetime]):
    """A source's time column, whatever its kind: the bot binds naive UTC instants to it and reads naive
    UTC instants back (an aware value a driver returns, from ``timestamptz``, DuckDB's TIMESTAMPTZ or a
    zoned ClickHouse ``DateTime``, is converted to UTC).

    How each engine is made to compare a bound instant with every kind of column as the same moment
    (``tests/kpi/test_time_zones.py`` proves it per engine × column kind × session zone):

    * **PostgreSQL and DuckDB: the session's time zone is set to UTC on connect** (:mod:`kpi.store.engines`).
      Binding aware instants instead would fix ``timestamptz`` columns and break naive ``timestamp``
      ones: comparing a ``timestamp`` with a ``timestamptz`` converts the column in the session's zone.
      The local days (``CAST(t + offset AS DATE)``) of a ``timestamptz`` column also follow the session's
      zone. With the session in UTC, both kinds compare with naive UTC bounds as instants, and days are
      exact; naive columns hold UTC, as the bot has always read them. The engine's session zone, not the
      bound values, is the one place that decides, so no statement has to know its column's kind.
    * **ClickHouse: each bound is sent as ``toDateTime64(value, 6, 'UTC')``** (:class:`UtcInstant`). Its
      ``DateTime`` columns hold Unix instants, but a bound value arrives as text and is read in the
      *column's* zone (a ``DateTime64(6, 'Asia/Tokyo')`` column reads '2026-10-01 00:00:00' as Tokyo
      time, a zone-less one in the session's or server's zone), which no session setting can change
      for a zoned column. An explicit UTC instant compares as an instant with every kind.
    * SQLite has no zone types: its timestamps are naive UTC. The cloud warehouses bind as before.
    """

    impl = DateTime
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return UtcInstant(bindvalue)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value


class UtcInstant(FunctionElement[Any]):
    """A bound naive-UTC instant: as is, except on ClickHouse where it is made an explicit UTC instant."""

    inherit_cache = True
    name = "utc_instant"
    type = DateTime()


@compiles(UtcInstant)
def _utc_instant(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(UtcInstant, CLICKHOUSE)
def _utc_instant_clickhouse(element: Any, compiler: Any, **kw: Any) -> str:
    return f"toDateTime64({compiler.process(element.clauses, **kw)}, 6, 'UTC')"


INSTANT = Instant()

# The engines the bot reads its facts from: the first four run for real in the suite (ClickHouse as
# chDB, its engine in-process); the cloud warehouses, which cannot run here, through their maintained
# SQLAlchemy dialects, proven by compiled-SQL snapshots (tests/kpi/test_warehouse_sql.py).
SUPPORTED = {
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "duckdb": "DuckDB",
    CLICKHOUSE: "ClickHouse",
    "bigquery": "BigQuery",
    "snowflake": "Snowflake",
    "trino": "Trino",
}
# Names that mean an engine we read, through another dialect than the one we test
HINTS = {
    "clickhouse": "for ClickHouse, use ClickHouse's official driver: pip install '.[clickhouse]' and "
    "SOURCE_DATABASE_URL=clickhousedb://user:password@host:8123/database"
}


# The pip extra that installs each engine's dialect and driver
EXTRAS = {
    "duckdb": "duckdb",
    CLICKHOUSE: "clickhouse",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
    "trino": "trino",
}


def missing_driver(name: str) -> str:
    """What to say when an engine's SQLAlchemy dialect or driver is not installed."""
    if name in EXTRAS:
        return (
            f"The driver for {SUPPORTED[name]} is not installed: pip install -e '.[{EXTRAS[name]}]' "
            '(README, "Where the facts can live").'
        )
    return f"The database driver for {name} is not installed or the URL names an unknown driver."


def check_supported(source: Engine | str) -> None:
    """A clear error for an engine (or a URL, checked before any driver is loaded) outside
    :data:`SUPPORTED`, naming the supported ones."""
    name = make_url(source).get_backend_name() if isinstance(source, str) else source.dialect.name
    if name not in SUPPORTED:
        hint = f" ({HINTS[name]})" if name in HINTS else ""
        raise SourceError(
            f"The data source is {name}, which the bot does not support yet; "
            f"supported: {', '.join(SUPPORTED.values())}{hint}."
        )


def local_day(dialect: str, column: Any, offset_seconds: int) -> Any:
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
        case "clickhousedb":  # the UTC day of the shifted instant, whatever the column's or the server's zone
            return func.toDate(func.addSeconds(column, literal_column(str(offset))), literal_column("'UTC'"))
    raise SourceError(f"Local days are not known for {dialect}; supported: {', '.join(SUPPORTED.values())}.")


class Greatest(FunctionElement[Any]):
    """GREATEST(a, b, …): the later of several instants (SQLite spells it MAX with several arguments)."""

    inherit_cache = True
    name = "greatest"


@compiles(Greatest)
def _greatest_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(Greatest, "sqlite")
def _greatest_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"MAX({compiler.process(element.clauses, **kw)})"
