"""The demo data is a function of the calendar, so that a demo database can be topped up: the rows a top-up
adds are exactly the rows a demo generated on that later day holds, a second top-up changes nothing, and
the history is long enough for year-over-year answers."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from kpi import demo, demo_database
from kpi.store import demo_rows, facts, migrations
from kpi.store.engines import get_engine
from kpi.store.schema import FACT_TABLES

D0 = datetime(2026, 12, 4, 9, 30, tzinfo=timezone.utc)
SIX_DAYS_LATER = D0 + timedelta(days=6, hours=2)


def _table(url: str, name: str) -> list[tuple]:
    """The table's rows, comparable with generated ones (numbers as decimals, database ids of visits and spend
    left out: those tables are keyed by day and channel)."""
    table = FACT_TABLES[name]
    columns = [c for c in table.c if not (c.name == "id" and name in facts.NATURAL_KEYS)]
    with get_engine(url).connect() as conn:
        return sorted(tuple(_plain(v) for v in row) for row in conn.execute(select(*columns)).all())


def _generated(rows: dict, name: str) -> list[tuple]:
    table = FACT_TABLES[name]
    columns = [c.name for c in table.c if not (c.name == "id" and name in facts.NATURAL_KEYS)]
    return sorted(tuple(_plain(r.get(c)) for c in columns) for r in rows[name])


def _plain(value):
    if isinstance(value, float | Decimal):
        return Decimal(str(value)).normalize()
    return value


def test_a_top_up_adds_what_a_demo_made_that_day_holds_and_a_second_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrations.upgrade(url)
    facts.replace_all(url, demo.generate(D0, days=60))  # Dec 4 up to 9:30
    started = time.perf_counter()
    changed = demo_database.top_up(url, SIX_DAYS_LATER)
    took = time.perf_counter() - started
    assert changed > 1000  # six days of leads, deals, sales… and the deals that closed since
    later = demo.generate(SIX_DAYS_LATER, days=66)  # the same first day, made six days later
    for name in FACT_TABLES:
        assert _table(url, name) == _generated(later, name), name
    assert demo_database.top_up(url, SIX_DAYS_LATER) == 0  # idempotent
    assert demo_database.top_up(url, SIX_DAYS_LATER + timedelta(hours=10)) == 0  # at most once a day
    assert took < 5, took  # well under a second here; the figure for a 26-month demo is in kpi/demo.py


def test_a_new_demo_is_stored_as_sqlalchemy_stores_it(tmp_path):
    """The fast loader writes the same text in SQLite as the ordinary path, so that every query reads it."""
    rows = demo.generate(D0, days=20)
    stored = []
    for name, load in (("fast", demo_rows.fill), ("plain", facts.replace_all)):
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        migrations.upgrade(url)
        load(url, rows)
        with get_engine(url).connect() as conn:
            stored.append({t: sorted(conn.exec_driver_sql(f"SELECT * FROM {t}").all()) for t in FACT_TABLES})
    assert stored[0] == stored[1] and len(stored[0]["sales"]) > 1000


def test_a_demo_made_before_the_calendar_ids_is_made_again(tmp_path):
    """Its ids (1, 2, 3…) would collide with a top-up's: the demo is made again, whole."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrations.upgrade(url)
    old = demo.generate(D0, days=30)
    for number, lead in enumerate(old["leads"], 1):
        lead["id"] = number
    for deal in old["deals"]:
        deal["lead_id"] = None
    facts.replace_all(url, old)
    assert demo_database.ensure_demo(url, SIX_DAYS_LATER)
    assert demo_rows.lowest_id(url, "leads") >= demo.PER_DAY
    assert _table(url, "visits") == _generated(demo.generate(SIX_DAYS_LATER), "visits")
