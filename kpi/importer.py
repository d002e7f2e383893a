"""Load a CSV export (from a CRM, a web analytics tool…) into a canonical table.

Columns are checked against the table, every value against its column's type
and rules; each bad row is reported with its line number, and nothing is loaded
unless every row is right (one transaction, rolled back on any problem). The
file is streamed, never held whole in memory.

Accepted values: timestamps in ISO 8601 (naive = UTC, an offset is converted to
UTC), dates as YYYY-MM-DD, numbers with a dot (or a comma when the file is
separated by semicolons, as French spreadsheets export), booleans as
true/false, 1/0, yes/no, oui/non. An empty cell is NULL.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric

from kpi.errors import DataImportError, ImportProblem
from kpi.store import facts
from kpi.store.schema import FACT_TABLES

MAX_PROBLEMS = 1000
RULES = {
    ("deals", "status"): ("open", "won", "lost"),
    ("spend", "kind"): ("marketing", "sales"),
}
RANGES = {
    ("nps_responses", "score"): (0, 10),
    ("visits", "visitors"): (0, None),
}
_TRUE = {"true", "t", "1", "yes", "y", "oui", "vrai"}
_FALSE = {"false", "f", "0", "no", "n", "non", "faux"}


class _Bad(ValueError):
    pass


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Bad(f"'{text[:40]}' is not an ISO 8601 timestamp (e.g. 2026-10-05T14:30:00)") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"'{text[:40]}' is not a date (YYYY-MM-DD)") from None


def _number(text: str, comma_decimal: bool) -> Decimal:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if comma_decimal:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise _Bad(f"'{text[:40]}' is not a number") from None
    if not value.is_finite():
        raise _Bad(f"'{text[:40]}' is not a finite number")
    return value


def _integer(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _Bad(f"'{text[:40]}' is not a whole number") from None


def _boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _Bad(f"'{text[:40]}' is not true or false")


def convert(table: str, column: str, text: str, comma_decimal: bool = False):
    """The Python value for one CSV cell, or raise with a readable reason."""
    col = FACT_TABLES[table].c[column]
    if text.strip() == "":
        if not col.nullable and not col.primary_key:
            raise _Bad("is empty but required")
        return None
    match col.type:
        case DateTime():
            value = _timestamp(text.strip())
        case Date():
            value = _date(text.strip())
        case Boolean():
            value = _boolean(text)
        case Integer():
            value = _integer(text)
        case Numeric():
            value = _number(text.strip(), comma_decimal)
        case _:
            value = text
    allowed = RULES.get((table, column))
    if allowed and value not in allowed:
        raise _Bad(f"'{str(value)[:40]}' must be one of {', '.join(allowed)}")
    bounds = RANGES.get((table, column))
    if bounds:
        low, high = bounds
        if (low is not None and value < low) or (high is not None and value > high):
            raise _Bad(f"{value} must be between {low} and {high if high is not None else '∞'}")
    return value


def import_csv(url: str, table: str, path: Path) -> "ImportResult":
    """Load ``path`` into ``table``, all or nothing; returns how many rows and the earliest day they touch
    (so that the caller can bring the rollups up to date from there)."""
    name = str(path)
    if table not in FACT_TABLES:
        raise DataImportError(name, [ImportProblem(0, None, f"unknown table '{table}'; "
                                                   f"tables: {', '.join(FACT_TABLES)}")])
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataImportError(name, [ImportProblem(0, None, f"cannot be read ({exc.strerror})")]) from None
    problems: list[ImportProblem] = []
    with handle:
        sample = handle.read(8192)
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        header = next(reader, None)
        if not header:
            raise DataImportError(name, [ImportProblem(1, None, "the file is empty; the first line must name the columns")])
        columns = [h.strip() for h in header]
        known = list(FACT_TABLES[table].c.keys())
        unknown = [c for c in columns if c not in known]
        required = [c.name for c in FACT_TABLES[table].c if not c.nullable and not c.primary_key]
        missing = [c for c in required if c not in columns]
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if unknown or missing or duplicated:
            text = []
            if unknown:
                text.append(f"unknown column(s) {', '.join(unknown)}")
            if missing:
                text.append(f"missing required column(s) {', '.join(missing)}")
            if duplicated:
                text.append(f"repeated column(s) {', '.join(duplicated)}")
            raise DataImportError(name, [ImportProblem(1, None, "; ".join(text) + f" (columns of {table}: {', '.join(known)})")])
        comma_decimal = getattr(dialect, "delimiter", ",") == ";"
        time_column = _time_column(table)
        earliest: list = []

        def rows() -> Iterator[dict]:
            for values in reader:
                line = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(columns):
                    problems.append(ImportProblem(line, None, f"has {len(values)} fields, expected {len(columns)}"))
                    continue
                row = {}
                for column, text in zip(columns, values, strict=True):
                    try:
                        row[column] = convert(table, column, text, comma_decimal)
                    except _Bad as exc:
                        problems.append(ImportProblem(line, column, str(exc)))
                if len(problems) >= MAX_PROBLEMS:
                    return
                moment = row.get(time_column) if time_column else None
                if moment is not None and (not earliest or moment < earliest[0]):
                    earliest[:] = [moment]
                if not problems:
                    yield row

        count = facts.load(url, table, rows(), lambda: problems)
    if problems:
        raise DataImportError(name, problems)
    first = earliest[0] if earliest else None
    return ImportResult(count, first.date() if isinstance(first, datetime) else first)


@dataclass(frozen=True)
class ImportResult:
    rows: int
    first_day: date | None  # the earliest day the rows belong to (UTC day for timestamps)


def _time_column(table: str) -> str | None:
    """The column the canonical catalog reads the table's time from."""
    return {"leads": "created_at", "deals": "closed_at", "customers": "acquired_at", "visits": "day",
            "spend": "day", "sales": "sold_at", "nps_responses": "responded_at", "project_time": "day",
            "project_invoices": "invoiced_on"}.get(table)
