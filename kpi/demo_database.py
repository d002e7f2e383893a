"""The demo database (`make demo`, the console's demo mode): created with 26 months of demo data, or topped up
to now on the first start of each day, by generating its last weeks again (:mod:`kpi.demo` makes the same
rows whichever day it runs) and upserting them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from kpi.demo import LAG, PER_DAY, DemoCalendar, generate, invoices, naive_utc, numbered
from kpi.importer import TIME_COLUMNS


def top_up(url: str, now: datetime, seed: int = 42) -> int:
    """Bring the demo data at ``url`` up to ``now`` on the first start of a (UTC) day: yesterday and the days
    before it that were missing, and today so far (so that "to date" compares like with like), with what they
    change in the weeks before (deals closing), upserted; rows already there stay as they are. Later starts
    the same day change nothing. Returns how many rows were added or changed (0: already topped up today)."""
    from kpi.store import demo_rows

    cutoff = naive_utc(now)
    known = demo_rows.span(url)
    if known is None or known[1] >= cutoff.date():
        return 0
    first, last = known
    covered = datetime.combine(last, time())  # its last day again too: it may have been generated part way
    demo = DemoCalendar(seed, first, cutoff)
    rows = demo.days(max(first, last - timedelta(days=LAG.days)), cutoff)
    fresh = {c["id"]: c for c in rows["customers"] if c["acquired_at"] >= covered}
    customers = [c for c in demo_rows.customers(url) if c["id"] not in fresh] + list(fresh.values())
    demo.follow_ups(customers, covered, rows)
    new = {name: [r for r in table if _since(name, r, covered)] for name, table in rows.items()}
    new["project_invoices"] = invoices(
        demo_rows.project_time(url, (last - timedelta(days=31)).replace(day=1)) + new["project_time"],
        covered.date(),
        cutoff,
    )
    created = {lead["id"]: lead["created_at"] for lead in rows["leads"]}
    new["deals"] = [  # new deals, and the deals of the last weeks that have closed since
        d for d in rows["deals"] if created[d["lead_id"]] >= covered or (d["closed_at"] or covered) >= covered
    ]
    return demo_rows.upsert(url, numbered(new))


def _since(table: str, row: dict[str, Any], covered: datetime) -> bool:
    column = TIME_COLUMNS.get(table)
    if column is None:
        return False
    value = row[column]
    if value is None:
        return False
    return (value if isinstance(value, datetime) else datetime.combine(value, time())) >= covered


def ensure_demo(url: str, now: datetime) -> bool:
    """The demo database at ``url``: migrated, filled with :data:`DEMO_DAYS` days of demo data up to ``now``
    when its fact tables are empty (or hold a demo made before its ids came from the calendar), else topped
    up (:func:`top_up`). True when it was filled now."""
    from kpi.store import demo_rows, facts, migrations

    migrations.upgrade(url)
    if sum(facts.row_counts(url).values()):
        if demo_rows.lowest_id(url, "leads") >= PER_DAY:  # ids from the calendar: it can be topped up
            top_up(url, now)
            return False
        facts.replace_all(url, {})  # a demo.db made before the calendar's ids: made again
    demo_rows.fill(url, generate(now))
    return True
