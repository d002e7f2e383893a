"""BigQuery, Snowflake and Trino can't run here: the SQL the bot would send them, compiled by their own
maintained SQLAlchemy dialects, is kept as snapshots (tests/kpi/snapshots/sql/), one per statement kind.

``SNAPSHOT_UPDATE=1 make test`` rewrites them; review the diff in the commit. Each snapshot also passes
checks that hold whatever its text: 8-byte numbers only, and the engine's own spelling of local days.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_mock_engine

from kpi.catalog import load_catalog
from kpi.compute import window
from kpi.periods import parse_period
from kpi.store.aggregate import plain_pieces, prepared
from kpi.store.days import day_statements

CATALOG = load_catalog()
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
SNAPSHOTS = Path(__file__).parent / "snapshots" / "sql"
UPDATE = os.environ.get("SNAPSHOT_UPDATE") == "1"
DIALECTS = {
    "bigquery": ("bigquery://project/dataset", "DATE(DATETIME_ADD("),
    "snowflake": ("snowflake://user:pass@account/db/schema", "TO_DATE(DATEADD(second, "),
    "trino": ("trino://user@host:8080/catalog/schema", " SECOND AS DATE)"),
}


def dialect(name: str):
    return create_mock_engine(DIALECTS[name][0], executor=lambda *a, **k: None).dialect


def sql(stmt, name: str, values: dict | None = None) -> str:
    """The SQL the bot sends (``values``: its bound parameters, as :func:`prepared` gives them)."""
    compiled = stmt.compile(dialect=dialect(name))
    params = "\n".join(f"-- {k} = {v!r}" for k, v in sorted(compiled.construct_params(values).items()))
    return re.sub(r"[ \t]+\n", "\n", str(compiled)).strip() + "\n" + (params + "\n" if params else "")


def sent(pieces, name: str) -> str:
    stmt, values = prepared(pieces)
    return sql(stmt, name, values)


def aggregate_sql(name: str) -> str:
    """`/kpi revenue month by category` and `/kpi cac month`: every measure × this and the previous month."""
    pair = parse_period("month", NOW, ZoneInfo("Europe/Paris"))
    windows = [window(pair.current), window(pair.previous)]
    revenue = [CATALOG.specs["sales_amount"]]
    by_category = {"sales_amount": CATALOG.dimension_ref("sales_amount", "category")}
    cac = [CATALOG.specs[m] for m in CATALOG.metrics["cac"].measures]
    return sent(plain_pieces(revenue, windows, by_category), name) + "\n" + sent(plain_pieces(cac, windows), name)


def rollup_sql(name: str) -> str:
    """The daily GROUP BYs that build the rollups over the autumn DST change in Paris (two stretches)."""
    spec = CATALOG.specs["sales_amount"]
    statements = day_statements(name, spec, ZoneInfo("Europe/Paris"), date(2026, 10, 20), date(2026, 10, 30))
    assert len(statements) == 2  # one per UTC offset: +02:00, then +01:00
    return "\n".join(sql(s, name) for s in statements)


def cumulative_sql(name: str) -> str:
    """LTV: everything before the period's end (lifetime margin per customer acquired so far), and the
    same measure counted from a date on (what the rollups leave to the source)."""
    pair = parse_period("2026-10", NOW, ZoneInfo("UTC"))
    ltv = [CATALOG.specs[m] for m in CATALOG.metrics["ltv"].measures]
    plain = sent(plain_pieces(ltv, [window(pair.current)]), name)
    edge = window(pair.current)
    recent = type(edge)(
        edge.start_utc,
        edge.end_utc,
        edge.first_day,
        edge.end_day,
        edge.whole_end,
        cumulative_from=datetime(2026, 10, 29),
    )
    return plain + "\n" + sent(plain_pieces(ltv[:1], [recent]), name)


KINDS = {"aggregate": aggregate_sql, "rollup_days": rollup_sql, "cumulative_ltv": cumulative_sql}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_the_sql_each_warehouse_gets(name, kind):
    text = KINDS[kind](name)
    assert not re.search(r"\bAS (FLOAT|REAL)\b(?!64)", text), "a 4-byte float would lose cents"
    if kind == "rollup_days":
        assert DIALECTS[name][1] in text, "local days in the engine's own spelling"
    path = SNAPSHOTS / name / f"{kind}.sql"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot {path} written: review and commit it")
    assert text == path.read_text(encoding="utf-8"), f"{name}/{kind} changed: review, then SNAPSHOT_UPDATE=1"
