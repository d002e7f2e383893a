"""ClickHouse as its users run it: the canonical DDL (MergeTree sorted by time, DateTime64 in UTC, exact
decimals), the hand-checked numbers, NULL keys where SQL has them, any server time zone, and imports.

The engine is chDB, ClickHouse's engine in-process; the dialect and driver are production's
(clickhouse-connect), so the SQL sent here is the SQL a ClickHouse server gets."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from kpi.catalog import load_catalog
from kpi.compute import compute
from kpi.errors import DataImportError, SourceError
from kpi.importer import import_csv
from kpi.periods import parse_period
from kpi.source_check import check_source
from kpi.store import canonical
from kpi.store.dialects import check_supported
from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES
from tests.conftest import clickhouse_database
from tests.support import fixtures

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
CATALOG = load_catalog()


@pytest.fixture(scope="module")
def ch_url(chdb_path):
    url = clickhouse_database(chdb_path, "handchecked")
    canonical.ensure_tables(url)
    fixtures.load(url)
    return url


def ask(url, key, period="2026-10", by=None, tz="UTC"):
    return compute(CATALOG, get_engine(url), key, parse_period(period, NOW, ZoneInfo(tz)), by)


def test_the_canonical_tables_are_sorted_by_their_time_column(ch_url):
    with get_engine(ch_url).connect() as conn:
        tables = dict(
            conn.execute(text("SELECT name, sorting_key FROM system.tables WHERE database = currentDatabase()")).all()
        )
        kinds = dict(
            conn.execute(
                text("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'sales'")
            ).all()
        )
    assert tables["sales"] == "sold_at" and tables["spend"] == "day" and tables["products"] == "id"
    assert set(tables) == set(FACT_TABLES)
    assert kinds["sold_at"] == "DateTime64(6, 'UTC')" and kinds["amount"] == "Decimal(14, 2)"
    assert kinds["customer_id"] == "Nullable(Int64)"


@pytest.mark.parametrize(
    "key, value, previous",
    [
        ("conversion_rate", 2 / 4, 1 / 2),
        ("cac", 1000 / 2, 90 / 1),
        ("revenue", 400, 80),
        ("nps", 40, -100),
        ("ltv", 215 / 4, 65 / 2),
        ("utilization", 18 / 23, 4 / 4),
    ],
)
def test_the_hand_checked_values(ch_url, key, value, previous):
    result = ask(ch_url, key)
    assert result.value == pytest.approx(value, rel=1e-9)
    assert result.previous_value == pytest.approx(previous, rel=1e-9)


def test_rows_without_a_key_are_null_not_an_empty_string(ch_url):
    """ClickHouse's String has no NULL, and a LEFT JOIN without a match gives the type's default unless
    join_use_nulls is set: the lead without a channel, and the NPS answer of an unknown customer, must
    be "(none)", as on every other engine."""
    conversion = {r.key: r.value for r in ask(ch_url, "conversion_rate", by="channel").breakdown}
    assert conversion == {"paid_search": 1.0, "organic": 0.5, None: 0.0}
    nps = {r.key: r.value for r in ask(ch_url, "nps", by="channel").breakdown}
    assert nps == {"organic": 50.0, "paid_search": 0.0, None: 100.0}
    # LTV counts customers acquired before the end: an unmatched join must not read as acquired in 1970
    ltv = {r.key: r.value for r in ask(ch_url, "ltv", by="channel").breakdown}
    assert ltv == {"organic": 75.0, "paid_search": 50.0, "email": 15.0}


def test_a_server_in_another_time_zone_gives_the_same_numbers(ch_url, chdb_path):
    """Bound timestamps are naive UTC; the columns are DateTime64(6, 'UTC'), so they are read as UTC
    whatever the server's (or the session's) zone."""
    elsewhere = ch_url + "&ch_session_timezone=America/Los_Angeles"
    with get_engine(elsewhere).connect() as conn:
        assert conn.execute(text("SELECT timezone()")).scalar() == "America/Los_Angeles"
    for key in ("revenue", "conversion_rate", "cac"):
        for tz in ("UTC", "Europe/Paris"):
            here, there = ask(ch_url, key, tz=tz), ask(elsewhere, key, tz=tz)
            assert (there.value, there.previous_value) == (here.value, here.previous_value)


def test_imports_into_clickhouse_are_idempotent_and_all_or_nothing(chdb_path, tmp_path):
    url = clickhouse_database(chdb_path, "imports")
    canonical.ensure_tables(url)
    spend = tmp_path / "spend.csv"
    spend.write_text("day,kind,channel,amount\n2026-10-05,marketing,social,1234.50\n2026-10-06,sales,,99.90\n")
    first = import_csv(url, "spend", spend)
    assert (first.inserted, first.updated) == (2, 0)
    again = import_csv(url, "spend", spend)
    assert (again.inserted, again.unchanged) == (0, 2)
    spend.write_text("day,kind,channel,amount\n2026-10-05,marketing,social,1300.00\n2026-10-06,sales,,99.90\n")
    changed = import_csv(url, "spend", spend, "upsert")
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    # ClickHouse has no transactions: the whole file is checked before the first row is written
    lines = ["day,channel,visitors"] + [f"2026-10-01,c{i},{i}" for i in range(12_000)] + ["2026-10-01,c7,8"]
    visits = tmp_path / "visits.csv"
    visits.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataImportError) as refused:
        import_csv(url, "visits", visits)
    assert refused.value.problems[0].line == 12_002
    # a file without ids replaces the table: one bad row must not leave it emptied (no rollback here)
    products = tmp_path / "products.csv"
    products.write_text("name,category\nStarter,Software\nPro,Software\n")
    import_csv(url, "products", products, "replace")
    products.write_text("name,category\nGateway,Hardware\n" + "Sensor,Hardware\n" * 6000 + "Broken\n")
    with pytest.raises(DataImportError) as refused_again:
        import_csv(url, "products", products, "replace")
    assert refused_again.value.problems[0].line == 6003
    with get_engine(url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(FACT_TABLES["visits"])).scalar_one() == 0
        assert conn.execute(select(func.sum(FACT_TABLES["spend"].c.amount))).scalar_one() == Decimal("1399.90")
        assert sorted(conn.execute(select(FACT_TABLES["products"].c.name)).scalars()) == ["Pro", "Starter"]


def test_the_other_clickhouse_dialect_is_named_with_the_fix():
    with pytest.raises(SourceError, match=r"clickhouse, which the bot does not support yet.*clickhousedb://"):
        check_supported("clickhouse+native://default@localhost/default")


def test_check_source_reads_clickhouse_types(ch_url, chdb_path):
    """Nullable(…), DateTime64(6, 'UTC'), Date32 and Decimal are usable; a time kept as text is named."""
    assert check_source(CATALOG, ch_url).problems == []
    url = clickhouse_database(chdb_path, "broken")
    with get_engine(url).connect() as conn:
        conn.execute(
            text(
                "CREATE TABLE leads (id Int64, created_at String, channel Nullable(String)) "
                "ENGINE = MergeTree ORDER BY id"
            )
        )
    said = [str(p) for p in check_source(CATALOG, url).problems]
    assert any(
        "measures.leads: leads.created_at is a text column, the measure reads it as a timestamp" in s for s in said
    )
    assert any(s.startswith("sales: the table does not exist") for s in said)


def test_the_printed_ddl_creates_the_canonical_tables(chdb_path, capsys):
    """`python -m kpi ddl clickhouse`: the README's guidance for teams that create their own tables."""
    from kpi.__main__ import main

    assert main(["ddl", "clickhouse"]) == 0
    printed = capsys.readouterr().out
    assert "ORDER BY sold_at" in printed and "amount Decimal(14, 2)" in printed
    url = clickhouse_database(chdb_path, "printed")
    with get_engine(url).connect() as conn:
        for statement in printed.strip().rstrip(";").split(";\n\n"):
            conn.execute(text(statement))
    assert check_source(CATALOG, url).problems == []


def test_a_clickhouse_server_that_does_not_answer_is_a_source_error(caplog):
    """Over HTTP, as in production: nothing listens on port 9 here; the person gets "the data source could
    not answer", never the driver's traceback (which goes to the log)."""
    with pytest.raises(SourceError, match=r"could not answer \(OperationalError\)"):
        ask("clickhousedb://default@127.0.0.1:9/default", "revenue")
    assert any(r.exc_info for r in caplog.records)


@pytest.mark.slow  # three processes
def test_a_missing_driver_is_named_with_its_pip_extra(tmp_path):
    """A newcomer sets SOURCE_DATABASE_URL=clickhousedb://… before `pip install '.[clickhouse]'`: a sentence
    with the fix, from the command line and from `python -m bot check`, not SQLAlchemy's traceback."""
    import subprocess
    import sys

    from tests.support.processes import env

    with pytest.raises(SourceError, match=r"driver for ClickHouse is not installed: pip install -e '\.\[clickhouse\]'"):
        get_engine("clickhousedb+nosuchdriver://default@localhost/default")
    bad = {"DATABASE_URL": f"sqlite:///{tmp_path / 'kpi.db'}", "SOURCE_DATABASE_URL": "duckdb+nosuchdriver:///x.db"}
    subprocess.run([sys.executable, "-m", "kpi", "migrate"], env=env(**bad), capture_output=True, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "kpi", "compute", "revenue"], env=env(**bad), capture_output=True, text=True
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "driver for DuckDB is not installed: pip install -e '.[duckdb]'" in done.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--offline"], env=env(**bad), capture_output=True, text=True
    )
    assert checked.returncode == 2 and "FAIL  source: The driver for DuckDB is not installed" in checked.stdout
