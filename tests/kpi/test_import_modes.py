"""Imports are idempotent: the same file twice changes nothing, in every mode; overlaps do what was chosen."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kpi.catalog import load_catalog
from kpi.errors import DataImportError
from kpi.importer import import_csv
from kpi.service import KpiService
from kpi.store.engines import get_engine
from kpi.store.facts import Mode
from kpi.store.schema import FACT_TABLES
from tests.support import fixtures

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
SPEND = "day,kind,channel,amount\n2026-10-05,marketing,social,1234.50\n2026-10-06,sales,,99.90\n"
SALES = (
    "id,sold_at,customer_id,product_id,amount,cost\n"
    "9001,2026-10-07T10:00:00,1,1,500.25,100\n9002,2026-10-08T11:00:00Z,2,1,80.10,20\n"
)


def kpis(url: str) -> dict[str, float | None]:
    """Every built-in KPI for October and for the year to date, computed straight from the source."""
    service = KpiService(load_catalog(None), get_engine(url), ZoneInfo("Europe/Paris"), "en", "EUR")
    return {f"{r.kpi.key}@{period}": r.value for period in ("2026-10", "year") for r in service.overview(period, NOW)}


def table(url: str, name: str) -> list[dict]:
    t = FACT_TABLES[name]
    with get_engine(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]


def write(tmp_path, text: str, name: str = "file.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("name, text", [("spend", SPEND), ("sales", SALES)])
def test_the_same_file_twice_leaves_every_kpi_unchanged(db_url, tmp_path, mode, name, text):
    fixtures.load(db_url)
    path = write(tmp_path, text)
    first = import_csv(db_url, name, path, mode)
    assert first.inserted == 2
    after_once, rows_once = kpis(db_url), table(db_url, name)
    again = import_csv(db_url, name, path, mode)
    assert (again.inserted, again.updated, again.unchanged, again.deleted) == (0, 0, 2, 0)
    assert not again.changed
    assert kpis(db_url) == after_once
    assert table(db_url, name) == rows_once


def test_upsert_updates_changed_rows_and_says_how_many(db_url, tmp_path):
    import_csv(db_url, "spend", write(tmp_path, SPEND))
    changed = SPEND.replace("99.90", "120.00") + "2026-10-07,marketing,ads,10\n"
    result = import_csv(db_url, "spend", write(tmp_path, changed, "b.csv"), "upsert")
    assert (result.inserted, result.updated, result.unchanged, result.deleted) == (1, 1, 1, 0)
    assert result.summary("spend") == "spend: 1 inserted, 1 updated, 1 unchanged, 0 deleted."
    assert result.first_day == date(2026, 10, 6)  # the rollups are brought up to date from the first day touched
    assert sorted(Decimal(r["amount"]) for r in table(db_url, "spend")) == [
        Decimal("10"),
        Decimal("120.00"),
        Decimal("1234.50"),
    ]


def test_append_refuses_a_changed_row_and_loads_nothing(db_url, tmp_path):
    import_csv(db_url, "sales", write(tmp_path, SALES), "append")
    before = table(db_url, "sales")
    changed = SALES.replace("80.10", "81.10") + "9003,2026-10-09T10:00:00,3,1,5,1\n"
    with pytest.raises(DataImportError) as refused:
        import_csv(db_url, "sales", write(tmp_path, changed, "b.csv"), "append")
    assert (
        "line 3: the id 9002 is already in sales with other values (amount 80.10 → 81.10); "
        "use --mode upsert to update it" in str(refused.value)
    )
    assert table(db_url, "sales") == before  # 9003 was not added either


def test_replace_makes_the_table_hold_exactly_the_file(db_url, tmp_path):
    fixtures.load(db_url)
    assert len(table(db_url, "spend")) > 2
    result = import_csv(db_url, "spend", write(tmp_path, SPEND), "replace")
    assert result.inserted == 2 and result.deleted > 0
    assert [(r["day"], r["channel"]) for r in table(db_url, "spend")] == [
        (date(2026, 10, 5), "social"),
        (date(2026, 10, 6), None),
    ]


def test_a_file_without_a_key_can_only_replace(db_url, tmp_path):
    path = write(tmp_path, "acquired_at,channel\n2026-10-02,web\n")
    for mode in ("append", "upsert"):
        with pytest.raises(DataImportError, match="the file has no id column, so a second import could not tell"):
            import_csv(db_url, "customers", path, mode)
    assert table(db_url, "customers") == []
    assert import_csv(db_url, "customers", path, "replace").inserted == 1
    assert import_csv(db_url, "customers", path, "replace").inserted == 1  # and again: still one row
    assert len(table(db_url, "customers")) == 1


def test_a_key_repeated_in_the_file_is_refused(db_url, tmp_path):
    path = write(tmp_path, SPEND + "2026-10-05,marketing,social,1.00\n")
    with pytest.raises(
        DataImportError, match="line 4: repeats the day 2026-10-05, kind marketing, channel social of line 2"
    ):
        import_csv(db_url, "spend", path)
    assert table(db_url, "spend") == []


def test_amounts_keep_their_cents_or_are_refused(db_url, tmp_path):
    with pytest.raises(DataImportError) as refused:
        import_csv(
            db_url, "spend", write(tmp_path, "day,kind,amount\n2026-10-05,sales,10.555\n2026-10-06,sales,1e20\n")
        )
    assert "line 2, column 'amount': '10.555' has more than 2 decimals" in str(refused.value)
    assert "line 3, column 'amount': '1e20' is too large for this column" in str(refused.value)
    assert table(db_url, "spend") == []
