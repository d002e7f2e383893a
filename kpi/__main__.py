"""``python -m kpi``: the KPI engine from the command line.

Exit codes: 0 done, 1 the data source failed, 2 the question or the input was
wrong (a one-line message on stderr says why and what would be accepted).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi.config import Settings, get_settings
from kpi.errors import DataImportError, DefinitionError, KpiError, NotMigrated, SourceError, UserInputError

if TYPE_CHECKING:  # the engine (SQLAlchemy, Babel…) is imported by the commands that compute: `list` and
    # `--help` start in a fraction of a second
    from kpi.compute import KpiResult
    from kpi.service import KpiService

IMPORT_MODES = ("append", "upsert", "replace")  # kpi.store.facts.Mode's values (a test keeps them equal)

log = logging.getLogger("kpi")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def result_json(result: KpiResult, service: KpiService) -> dict[str, Any]:
    from kpi.present import breakdown_key, honest_notes, period_label, reason_text

    def iso(dt: datetime) -> str:
        return dt.isoformat()

    data: dict[str, Any] = {
        "kpi": result.kpi.key,
        "period": {
            "start": iso(result.current.start),
            "end": iso(result.current.end),
            "label": period_label(result.current, service.language),
        },
        "value": result.value,
        "previous": {
            "start": iso(result.previous.start),
            "end": iso(result.previous.end),
            "value": result.previous_value,
        },
        "unit": result.kpi.unit.value,
        "reason": reason_text(result.reason, service.catalog, service.language),
        "coverage": {  # what the data backs (kpi.coverage)
            "current": result.cover.value,
            "previous": result.previous_cover.value,
            "first_data": result.first_data.isoformat() if result.first_data else None,
            "stale": [s.table for s in result.stale],
            "notes": honest_notes(result, service.language),
        },
    }
    if result.by:
        data["by"] = result.by
        data["breakdown"] = [
            {"key": breakdown_key(r.key, service.language), "value": r.value} for r in result.breakdown
        ]
    return data


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.catalog import load_catalog

    catalog = load_catalog(settings.kpi_definitions)
    lang = settings.kpi_language
    rows = [
        {
            "key": k.key,
            "name": k.name(lang),
            "unit": k.unit.value,
            "direction": k.direction.value,
            "dimensions": list(catalog.metrics[k.key].dimensions),
        }
        for k in catalog.kpis.values()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        width = max(len(r["key"]) for r in rows)
        for r in rows:
            print(f"{r['key']:<{width}}  {r['unit']:<8}  {r['name']}")
    return 0


def ready(settings: Settings) -> None:
    """Refuse, with the fix, to work on a database that is missing or not migrated (never create it)."""
    from kpi.store.migrations import ensure_ready

    ensure_ready(settings.database_url)


def cmd_compute(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.present import summary_lines
    from kpi.service import KpiService

    ready(settings)
    service = KpiService.from_settings(settings)
    result = service.ask(args.kpi, args.period, _now(), by=args.by)
    if args.json:
        print(json.dumps(result_json(result, service), ensure_ascii=False, indent=2))
    else:
        print("\n".join(summary_lines(result, service.catalog, service.language, service.currency)))
    return 0


def cmd_explain(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.present import explain_lines
    from kpi.service import KpiService

    service = KpiService.from_settings(settings)
    kpi = service.resolve(args.kpi)
    current = None
    try:
        ready(settings)
        current = service.ask(kpi, "month", _now())
    except (SourceError, NotMigrated):
        pass  # the explanation stands without the current value
    print("\n".join(explain_lines(kpi, service.catalog, service.language, current, service.currency)))
    return 0


def cmd_overview(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.present import change_text, format_value, period_label, reason_text
    from kpi.service import KpiService

    ready(settings)
    service = KpiService.from_settings(settings)
    lang = service.language
    results = service.overview(args.period, _now())
    print(period_label(results[0].current, lang))
    width = max(len(r.kpi.name(lang)) for r in results)
    for r in results:
        value = format_value(r.value, r.kpi.unit, lang, service.currency)
        note = change_text(r, lang, service.currency) or (reason_text(r.reason, service.catalog, lang) or "")
        print(f"  {r.kpi.name(lang):<{width}}  {value:>14}  {note}")
    return 0


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from kpi import demo
    from kpi.store import canonical, facts, migrations

    migrations.upgrade(settings.database_url)
    url = settings.source_url
    canonical.ensure_tables(url)  # DuckDB and ClickHouse get the canonical tables (SQLite, PostgreSQL: migrate)
    existing = sum(facts.row_counts(url).values())
    if existing and not args.replace:
        print(
            f"The canonical tables already hold {existing} rows; nothing was changed. "
            "Use --replace to overwrite them with demo data.",
            file=sys.stderr,
        )
        return 2
    counts = facts.replace_all(url, demo.generate(_now(), days=args.days, seed=args.seed))
    print("Demo data loaded: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.importer import import_csv
    from kpi.service import KpiService
    from kpi.store import canonical

    ready(settings)
    canonical.ensure_tables(settings.source_url)  # DuckDB and ClickHouse get the canonical tables
    result = import_csv(settings.source_url, args.table, Path(args.file), args.mode)
    print(f"Imported {args.file} into {result.summary(args.table)}")
    service = KpiService.from_settings(settings)
    if service.rollups is not None and result.changed:
        from datetime import timedelta

        first = (
            result.first_day - timedelta(days=1) if result.first_day else None
        )  # a UTC day may start locally the day before
        specs = list(service.catalog.specs.values())
        if service.rollups.invalidate(specs, args.table, first):
            service.refresh_rollups(_now())
            print("Rollups brought up to date for the imported days.")
    return 0


def cmd_rollup(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.service import KpiService

    ready(settings)
    service = KpiService.from_settings(settings.model_copy(update={"kpi_rollups": True}))
    report = service.refresh_rollups(_now(), rebuild=args.rebuild)
    assert report is not None  # kpi_rollups is on
    print(
        f"Rollups {'rebuilt' if args.rebuild else 'refreshed'}: {report.measures} measures, "
        f"{report.days} measure-days, {report.rows} rows."
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.store import migrations

    migrations.upgrade(settings.database_url)
    print("Database is up to date.")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, load demo data when the tables are empty, and show the month's KPIs."""
    from kpi import demo
    from kpi.store import canonical, facts, migrations

    migrations.upgrade(settings.database_url)
    canonical.ensure_tables(settings.source_url)  # DuckDB and ClickHouse get the canonical tables
    if not sum(facts.row_counts(settings.source_url).values()):
        facts.replace_all(settings.source_url, demo.generate(_now()))
    args.period = "month"
    cmd_overview(args, settings)
    print()
    print(
        "Try: python -m kpi compute cac month | python -m kpi compute revenue last-month --by category"
        " | python -m kpi explain nps"
    )
    return 0


def cmd_check_source(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.catalog import load_catalog
    from kpi.source_check import check_source, lines

    report = check_source(load_catalog(settings.kpi_definitions), settings.source_url)
    print("\n".join(lines(report)))
    return 2 if report.problems else 0


def cmd_ddl(args: argparse.Namespace, settings: Settings) -> int:
    from kpi.store.canonical import clickhouse_ddl

    print(";\n\n".join(clickhouse_ddl()) + ";")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpi", description="Compute and explain business KPIs.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="every KPI: key, unit, name")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("compute", help="a KPI over a period, with the previous period")
    s.add_argument("kpi")
    s.add_argument("period", nargs="?", default="month")
    s.add_argument("--by", help="break the KPI down by a dimension (channel, product, category, project)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_compute)

    s = sub.add_parser("explain", help="what a KPI means, how to read it, what moves it")
    s.add_argument("kpi")
    s.set_defaults(func=cmd_explain)

    s = sub.add_parser("overview", help="every KPI over one period")
    s.add_argument("period", nargs="?", default="month")
    s.set_defaults(func=cmd_overview)

    s = sub.add_parser("demo-data", help="fill the canonical tables with realistic demo data")
    s.add_argument("--days", type=int, default=800)  # kpi.demo.DEMO_DAYS: 26 months, so that a year earlier has data
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--replace", action="store_true", help="overwrite tables that already hold rows")
    s.set_defaults(func=cmd_demo_data)

    s = sub.add_parser("import", help="load a CSV file into a canonical table (all or nothing, idempotent)")
    s.add_argument("table")
    s.add_argument("file")
    s.add_argument(
        "--mode",
        choices=IMPORT_MODES,
        default="upsert",
        help="rows already there (same id, or same day and dimensions for spend and visits): "
        "upsert updates them (default); append refuses the file if any has changed; "
        "replace makes the table hold exactly the file. The same file twice changes nothing.",
    )
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("rollup", help="refresh the daily rollups (recent days), or rebuild them all")
    s.add_argument("--rebuild", action="store_true", help="recompute every day from the source")
    s.set_defaults(func=cmd_rollup)

    s = sub.add_parser("migrate", help="create or upgrade the database tables (alembic upgrade head)")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("check-source", help="does SOURCE_DATABASE_URL hold every table and column the KPIs read?")
    s.set_defaults(func=cmd_check_source)

    s = sub.add_parser("ddl", help="the CREATE TABLE statements of the canonical tables for ClickHouse")
    s.add_argument("engine", choices=["clickhouse"])
    s.set_defaults(func=cmd_ddl)

    s = sub.add_parser("demo", help="migrate, load demo data if empty, show this month's KPIs")
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, settings))
    except DefinitionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (UserInputError, DataImportError, NotMigrated) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KpiError as exc:  # pragma: no cover - every subclass is handled above
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
