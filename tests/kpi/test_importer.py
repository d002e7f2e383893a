from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kpi.errors import DataImportError
from kpi.importer import import_csv
from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES


def rows(url, table):
    t = FACT_TABLES[table]
    with get_engine(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]


def csv_file(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_leads_converts_offsets_to_utc(db_url, tmp_path):
    path = csv_file(tmp_path, "id,created_at,channel\n1,2026-10-05T14:30:00+02:00,organic\n2,2026-10-06 09:00:00,\n")
    assert import_csv(db_url, "leads", path).rows == 2
    assert rows(db_url, "leads") == [
        {"id": 1, "created_at": datetime(2026, 10, 5, 12, 30), "channel": "organic"},
        {"id": 2, "created_at": datetime(2026, 10, 6, 9, 0), "channel": None},
    ]


def test_import_french_spreadsheet_export(db_url, tmp_path):
    path = csv_file(
        tmp_path, "\ufeffday;kind;channel;amount\n2026-10-05;marketing;social;1 234,50\n2026-10-06;sales;;99,9\n"
    )
    assert import_csv(db_url, "spend", path).rows == 2
    amounts = [r["amount"] for r in rows(db_url, "spend")]
    assert [Decimal(str(a)).quantize(Decimal("0.01")) for a in amounts] == [Decimal("1234.50"), Decimal("99.90")]


def test_bad_rows_are_reported_by_line_and_nothing_is_loaded(db_url, tmp_path):
    path = csv_file(
        tmp_path,
        "\n".join(
            [
                "id,lead_id,customer_id,product_id,status,closed_at,amount",
                "1,,,,won,2026-10-05,100",
                "2,,,,maybe,2026-10-05,100",  # line 3: bad status
                "3,,,,lost,yesterday,100",  # line 4: bad timestamp
                "4,,,,open,,abc",  # line 5: bad number
                "5,,,,open,,",
            ]
        )
        + "\n",
    )
    with pytest.raises(DataImportError) as info:
        import_csv(db_url, "deals", path)
    text = str(info.value)
    assert "nothing was imported" in text
    assert "line 3, column 'status': 'maybe' must be one of open, won, lost" in text
    assert "line 4, column 'closed_at'" in text and "line 5, column 'amount'" in text
    assert [p.line for p in info.value.problems] == [3, 4, 5]
    assert rows(db_url, "deals") == []


def test_a_bad_row_after_many_good_batches_still_loads_nothing(db_url, tmp_path):
    lines = ["day,channel,visitors"] + [f"2026-10-01,c{i},{i}" for i in range(12_000)] + ["2026-10-02,x,-5"]
    with pytest.raises(DataImportError) as info:
        import_csv(db_url, "visits", csv_file(tmp_path, "\n".join(lines) + "\n"))
    assert info.value.problems[0].line == 12_002
    with get_engine(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(FACT_TABLES["visits"])).scalar_one() == 0


def test_columns_are_checked_before_any_row(db_url, tmp_path):
    with pytest.raises(DataImportError) as info:
        import_csv(db_url, "sales", csv_file(tmp_path, "id,sold_at,amount,colour\n1,2026-10-01,5,red\n"))
    assert "unknown column(s) colour" in str(info.value) and "missing required column(s) cost" in str(info.value)


def test_unknown_table_and_missing_file(db_url, tmp_path):
    with pytest.raises(DataImportError, match="unknown table 'salez'"):
        import_csv(db_url, "salez", csv_file(tmp_path, "a\n1\n"))
    with pytest.raises(DataImportError, match="cannot be read"):
        import_csv(db_url, "sales", tmp_path / "missing.csv")


def test_a_changed_id_refuses_an_append_whole(db_url, tmp_path):
    import_csv(db_url, "products", csv_file(tmp_path, "id,name,category\n1,A,X\n"))
    with pytest.raises(DataImportError, match="the id 1 is already in products with other values"):
        import_csv(db_url, "products", csv_file(tmp_path, "id,name,category\n2,B,X\n1,A2,X\n", "again.csv"), "append")
    assert [r["name"] for r in rows(db_url, "products")] == ["A"]


def test_sequences_follow_explicit_ids(db_url, tmp_path):
    import_csv(db_url, "customers", csv_file(tmp_path, "id,acquired_at,channel\n10,2026-10-01,web\n"))
    with get_engine(db_url).begin() as conn:
        conn.execute(FACT_TABLES["customers"].insert(), [{"acquired_at": datetime(2026, 10, 2), "channel": "web"}])
    assert [r["id"] for r in rows(db_url, "customers")] == [10, 11]


def test_dates_and_booleans(db_url, tmp_path):
    path = csv_file(
        tmp_path, "id,project_id,day,hours,cost,billable\n1,1,2026-10-05,7.5,300,oui\n2,1,2026-10-06,1,40,false\n"
    )
    import_csv(db_url, "project_time", path)
    got = [(r["day"], r["billable"]) for r in rows(db_url, "project_time")]
    assert got == [(date(2026, 10, 5), True), (date(2026, 10, 6), False)]
