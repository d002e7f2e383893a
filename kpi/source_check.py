"""`python -m kpi check-source`: does the source hold what the catalog reads?

For every measure of the catalog (built-in, or ``KPI_DEFINITIONS``): its table and joined tables
exist; every column it reads (time, expression, filters, joins, dimensions) exists; the time column
is a timestamp (or a date, for ``time_type: date``); the columns it sums or averages are numbers.
Each problem names the measure, what is wrong and the fix; each table says how many rows it holds,
and each time column the measures read says its kind and what the bot does with it (naive times are read
as UTC; zoned ones are compared as instants, see :class:`kpi.store.dialects.Instant`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi.catalog import Catalog
from kpi.model import Measure, ref_of
from kpi.store.expr import parse, refs
from kpi.store.introspect import TableShape, describe


@dataclass(frozen=True)
class Problem:
    where: str  # measures.<name> or a table
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}. Fix: {self.fix}."


@dataclass
class SourceReport:
    tables: dict[str, TableShape | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    times: dict[str, str] = field(default_factory=dict)  # table.column -> its kind and what the bot does


def _needs(name: str, m: Measure) -> dict[str, dict[str, str | None]]:
    """table -> column -> the kind it must have (None: any), for one measure."""
    tables: dict[str | None, str] = {None: m.table, **{alias: j.table for alias, j in m.joins.items()}}
    out: dict[str, dict[str, str | None]] = {t: {} for t in tables.values()}

    def need(alias: str | None, column: str, kind: str | None) -> None:
        table = tables.get(alias)
        if table is not None and (out[table].get(column) is None):
            out[table][column] = kind

    need(None, m.time, "date" if m.time_type == "date" else "timestamp")
    numeric = m.agg in ("sum", "avg", "min", "max")
    for ref in refs(parse(m.expr)) if m.expr else []:
        need(ref.alias, ref.name, "number" if numeric else None)
    for f in m.filters:
        ref = ref_of(f.column)
        need(ref.alias, ref.name, ("date" if f.type == "date" else "timestamp") if f.op == "before_end" else None)
    for j in m.joins.values():
        need(None, j.local, None)
        out[j.table].setdefault(j.remote, None)
    for column in m.dimensions.values():
        ref = ref_of(column)
        need(ref.alias, ref.name, None)
    return out


def check_source(catalog: Catalog, url: str) -> SourceReport:
    wanted: dict[str, list[tuple[str, str, str | None]]] = {}
    for name, measure in catalog.measures.items():
        for table, columns in _needs(name, measure).items():
            wanted.setdefault(table, []).extend((name, column, kind) for column, kind in columns.items())
    report = SourceReport(describe(url, sorted(wanted)))
    for table, needs in wanted.items():
        shape = report.tables[table]
        users = sorted({n for n, _, _ in needs})
        if shape is None:
            report.problems.append(
                Problem(
                    table,
                    f"the table does not exist (read by {', '.join(users)})",
                    "create it (`python -m kpi migrate` or `demo-data` for the canonical "
                    "tables), point SOURCE_DATABASE_URL at the database that has it, or "
                    "change those measures' table in KPI_DEFINITIONS",
                )
            )
            continue
        for user, column, kind in needs:
            found = shape.columns.get(column)
            if kind in ("timestamp", "date") and column in shape.times:
                report.times[f"{table}.{column}"] = shape.times[column]
            if found is None:
                close = [c for c in shape.columns if c.lower() == column.lower()]
                hint = f" (the table has '{close[0]}')" if close else ""
                report.problems.append(
                    Problem(
                        f"measures.{user}",
                        f"column '{column}' is not in {table}{hint}",
                        f"add it to {table}, or change the measure in KPI_DEFINITIONS",
                    )
                )
            elif kind == "number" and found not in ("number", "other"):
                report.problems.append(
                    Problem(
                        f"measures.{user}",
                        f"{table}.{column} holds {found}, not numbers",
                        "store amounts in a numeric column (NUMERIC or an integer)",
                    )
                )
            elif kind in ("timestamp", "date") and found != kind and found != "other":
                fix = (
                    "declare `time_type: date` on the measure"
                    if found == "date" and kind == "timestamp"
                    else "store instants in a TIMESTAMP column (or DATE with `time_type: date`)"
                )
                report.problems.append(
                    Problem(
                        f"measures.{user}",
                        f"{table}.{column} is a {found} column, the measure reads it as a {kind}",
                        fix,
                    )
                )
    return report


def lines(report: SourceReport) -> list[str]:
    """What `check-source` prints: one line per table, then one per problem."""
    out = []
    for name, shape in sorted(report.tables.items()):
        if shape is None:
            out.append(f"  missing  {name}")
        else:
            out.append(f"  ok       {name}: {shape.rows:,} rows" + ("" if shape.rows else " (empty)"))
    out += [f"  time     {column}: {kind}" for column, kind in sorted(report.times.items())]
    out += [f"  problem  {p}" for p in report.problems]
    out.append(
        "The source has everything the catalog reads."
        if not report.problems
        else f"{len(report.problems)} problem(s): the KPIs that read them cannot be computed."
    )
    return out
