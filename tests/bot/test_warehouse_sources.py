"""A scheduler pass with an alert and a digest due, end to end, reading the facts from a DuckDB file and
from ClickHouse (chDB: ClickHouse's engine in-process, through production's dialect and driver)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from kpi.store import canonical
from kpi.store.engines import dispose_all
from tests.bot.conftest import make_settings
from tests.conftest import clickhouse_database
from tests.support import fixtures
from tests.support.clock import T0, FakeTime
from tests.support.messages import posts, texts
from tests.support.rules import CAC_ABOVE_300, add_rule, subscribe


@pytest.fixture(params=["duckdb", "clickhouse"])
def warehouse_ctx(request, db_url, slack, tmp_path, chdb_path):
    """The bot's records in the test database; the facts (the same fixture rows) in the warehouse only."""
    source = (
        f"duckdb:///{tmp_path / 'facts.duckdb'}"
        if request.param == "duckdb"
        else clickhouse_database(chdb_path, "scheduler_pass")
    )
    canonical.ensure_tables(source)
    fixtures.load(source)
    context = JobContext.from_settings(make_settings(db_url, slack, source_database_url=source))
    fake = FakeTime()
    context.sleep, context.monotonic = fake.sleep, fake.monotonic
    yield context
    dispose_all()


def test_an_alert_and_a_digest_from_a_warehouse_source(warehouse_ctx, slack):
    ctx = warehouse_ctx
    rule = add_rule(ctx.url, CAC_ABOVE_300)
    subscribe(ctx.url, at="13:00", tz="UTC", kpis="revenue,cac")
    report = run_pass(ctx, T0)
    assert report.rollup is not None and report.rollup.measures > 0  # rolled up from the warehouse
    [alert] = posts(slack)
    assert "Customer acquisition cost above €300.00" in alert.payload["text"]
    assert "€500.00" in texts(alert.payload)  # 1,000 of spend for 2 new customers, as on SQLite
    run_pass(ctx, T0 + timedelta(hours=1))
    digest = [p for p in posts(slack) if "KPI digest" in p.payload["text"]][0].payload
    body = texts(digest)
    assert f"🔴 Firing now: #{rule} Customer acquisition cost" in body
    assert "*Revenue*\nYesterday: €0.00" in body and "Month to date: €400.00" in body
