"""Load a CSV export (from a CRM, a web analytics tool…) into a canonical table.

Columns are checked against the table, every value against its column's type
and rules; each bad row is reported with its line number, and nothing is loaded
unless every row is right (one transaction, rolled back on any problem). The
file is streamed, never held whole in memory.

Accepted values: timestamps in ISO 8601 (naive = UTC, an offset is converted to
UTC), dates as YYYY-MM-DD, numbers with a dot (or a comma when the file is
separated by semicolons, as French spreadsheets export), booleans as
true/false, 1/0, yes/no, oui/non. An empty cell is NULL. Amounts keep at most the column's
decimals (cents for money): more is refused, never rounded.

Imports are idempotent. A row is recognised by its key: the file's ``id`` column, or for daily
aggregates without ids (``spend``, ``visits``) the day and dimension values. Importing the same
file twice changes nothing; ``mode`` says what a file that overlaps the table does (see
:class:`kpi.store.facts.Mode`). A file without a key can only replace the whole table.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric

from kpi.errors import DataImportError, ImportProblem
from kpi.spans import MAX_YEAR, MIN_YEAR
from kpi.store import facts
from kpi.store.facts import Mode
from kpi.store.schema import FACT_TABLES

MAX_PROBLEMS = 1000
MAX_FIELD = 128 * 1024  # bytes of one cell; csv's own limit, said plainly
NOT_UTF8 = (
    'is not UTF-8 text; save it as UTF-8 ("CSV UTF-8" in Excel, or `iconv -f latin1 -t utf-8 file.csv > file-utf8.csv`)'
)
RULES = {("deals", "status"): ("open", "won", "lost"), ("spend", "kind"): ("marketing", "sales")}
RANGES = {("nps_responses", "score"): (0, 10), ("visits", "visitors"): (0, None)}
_TRUE = {"true", "t", "1", "yes", "y", "oui", "vrai"}
_FALSE = {"false", "f", "0", "no", "n", "non", "faux"}


class _Bad(ValueError):
    pass


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise _Bad(f"'{text[:40]}' is not an ISO 8601 timestamp (e.g. 2026-10-05T14:30:00)") from None
    _in_range(value.year, text)
    return value


def _date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"'{text[:40]}' is not a date (YYYY-MM-DD)") from None
    _in_range(value.year, text)
    return value


def _in_range(year: int, text: str) -> None:
    """Placeholder dates (0001-01-01, 9999-12-31) are refused: no period can name them."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Bad(
            f"'{text[:40]}' is outside the years {MIN_YEAR}-{MAX_YEAR} (a placeholder for "
            '"unknown"? leave the cell empty if the column allows it)'
        )


def _number(text: str, comma_decimal: bool, scale: int | None = None, precision: int | None = None) -> Decimal:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if comma_decimal:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise _Bad(f"'{text[:40]}' is not a number") from None
    if not value.is_finite():
        raise _Bad(f"'{text[:40]}' is not a finite number")
    if precision is not None and abs(value) >= Decimal(10) ** (precision - (scale or 0)):
        raise _Bad(
            f"'{text[:40]}' is too large for this column (at most {precision - (scale or 0)} digits "
            "before the decimal point)"
        )
    if scale is not None and value != value.quantize(Decimal(1).scaleb(-scale), rounding="ROUND_DOWN"):
        raise _Bad(f"'{text[:40]}' has more than {scale} decimals")
    return value


def _integer(text: str) -> int:
    cleaned = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", cleaned):
        raise _Bad(f"'{text[:40]}' is not a whole number")
    value = int(cleaned)
    if not -(2**31) <= value < 2**31:
        raise _Bad(f"'{text[:40]}' is too large for this column (whole numbers up to 2,147,483,647)")
    return value


def _boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _Bad(f"'{text[:40]}' is not true or false")


def convert(table: str, column: str, text: str, comma_decimal: bool = False) -> Any:
    """The Python value for one CSV cell, or raise with a readable reason."""
    col = FACT_TABLES[table].c[column]
    if text.strip() == "":
        if not col.nullable and not col.primary_key:
            raise _Bad("is empty but required")
        return None
    value: Any
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
            value = _number(text.strip(), comma_decimal, col.type.scale, col.type.precision)
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


def import_csv(url: str, table: str, path: Path, mode: Mode | str = Mode.UPSERT) -> ImportResult:
    """Load ``path`` into ``table``, all or nothing; returns how many rows were inserted, updated, left
    alone and deleted, and the earliest day the change touches (so that the caller can bring the rollups
    up to date from there)."""
    name = str(path)
    mode = Mode(mode)
    if table not in FACT_TABLES:
        raise DataImportError(
            name, [ImportProblem(0, None, f"unknown table '{table}'; tables: {', '.join(FACT_TABLES)}")]
        )
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataImportError(name, [ImportProblem(0, None, f"cannot be read ({exc.strerror})")]) from None
    problems: list[ImportProblem] = []
    with handle:
        try:
            sample = handle.read(8192)
        except UnicodeDecodeError:
            raise DataImportError(name, [ImportProblem(_first_bad_line(path), None, NOT_UTF8)]) from None
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataImportError(name, [ImportProblem(_line_of(exc, reader, path), None, _unreadable(exc))]) from None
        if not header:
            raise DataImportError(
                name, [ImportProblem(1, None, "the file is empty; the first line must name the columns")]
            )
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
            raise DataImportError(
                name, [ImportProblem(1, None, "; ".join(text) + f" (columns of {table}: {', '.join(known)})")]
            )
        comma_decimal = getattr(dialect, "delimiter", ",") == ";"
        time_column = _time_column(table)
        key = facts.import_key(table, columns)
        if key is None and mode is not Mode.REPLACE:
            raise DataImportError(
                name,
                [
                    ImportProblem(
                        1,
                        None,
                        (
                            f"the file has no id column, so a second import could not tell its rows from new ones; "
                            f"add the id your tool gives each record as a column named id, or use --mode replace "
                            f"(the {table} table then holds exactly this file)"
                        ),
                    )
                ],
            )

        def lines() -> Iterator[list[str]]:
            """The reader's rows; a line it cannot read ends the file with a problem on that line."""
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except (csv.Error, UnicodeDecodeError) as exc:
                    problems.append(ImportProblem(_line_of(exc, reader, path), None, _unreadable(exc)))
                    return
                yield values

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            for values in lines():
                line = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if any("\x00" in v for v in values):
                    problems.append(ImportProblem(line, None, _unreadable(csv.Error("NUL"))))
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
                if len(row) == len(columns):
                    yield line, row

        report = facts.merge(url, table, key, rows(), mode, problems, time_column)
    if problems:
        raise DataImportError(name, problems)
    first = report.moments[0] if report.moments else None
    return ImportResult(
        report.inserted,
        report.updated,
        report.unchanged,
        report.deleted,
        first.date() if isinstance(first, datetime) else first,
    )


def _line_of(exc: Exception, reader: Any, path: Path) -> int:
    """The line a reading error is on: the reader's own count, or for bytes that are not UTF-8, the first
    line that does not decode (the reader never got to it)."""
    return _first_bad_line(path) if isinstance(exc, UnicodeDecodeError) else max(reader.line_num, 1)


def _first_bad_line(path: Path) -> int:
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return NOT_UTF8
    text = str(exc)
    if "field larger than field limit" in text:
        return f"has a cell longer than {MAX_FIELD // 1024} KiB"
    if "NUL" in text:
        return "contains a NUL character (a binary file, or text saved as UTF-16?); save it as UTF-8 CSV"
    return f"cannot be read as CSV ({text[:100]})"


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    first_day: date | None  # the earliest day the change touches (UTC day for timestamps)

    @property
    def rows(self) -> int:
        """Rows of the file (inserted, updated or already there)."""
        return self.inserted + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def summary(self, table: str) -> str:
        return (
            f"{table}: {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted."
        )


TIME_COLUMNS = {  # the column the canonical catalog reads each table's time from
    "leads": "created_at",
    "deals": "closed_at",
    "customers": "acquired_at",
    "visits": "day",
    "spend": "day",
    "sales": "sold_at",
    "nps_responses": "responded_at",
    "project_time": "day",
    "project_invoices": "invoiced_on",
}


def _time_column(table: str) -> str | None:
    """The column the canonical catalog reads the table's time from."""
    return TIME_COLUMNS.get(table)
