"""Realistic, internally consistent demo data for the canonical tables.

Deterministic for a given ``seed``, ``days`` and ``now``: weekly and yearly
seasonality, a growth trend, five acquisition channels with their own costs
and conversion, products in three categories, projects with time and invoices.
Customers come from won deals (and direct web sign-ups), sales from customers,
invoices from billable time, so every KPI has a meaningful value.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

CHANNELS = ["organic", "paid_search", "social", "email", "referral"]
VISITS_BASE = (1400, 900, 600, 250, 150)
LEAD_RATE = (0.012, 0.025, 0.015, 0.04, 0.06)
WIN_RATE = (0.22, 0.16, 0.12, 0.28, 0.35)
AD_SPEND = (120.0, 950.0, 520.0, 90.0, 160.0)  # per day, marketing
SALES_TEAM_PER_DAY = 1800.0

PRODUCTS = [
    (1, "Starter plan", "Software", 49.0, 0.85),
    (2, "Pro plan", "Software", 149.0, 0.82),
    (3, "Enterprise plan", "Software", 890.0, 0.78),
    (4, "Onboarding", "Services", 600.0, 0.45),
    (5, "Training day", "Services", 1200.0, 0.40),
    (6, "Sensor kit", "Hardware", 320.0, 0.30),
    (7, "Gateway", "Hardware", 540.0, 0.28),
]
PRODUCT_WEIGHTS = (0.30, 0.25, 0.07, 0.12, 0.06, 0.12, 0.08)
PROJECTS = ["Atlas migration", "Borealis rollout", "Cobalt audit", "Delta training", "Echo integration"]
HOURLY_COST, HOURLY_RATE = 48.0, 105.0


def generate(now: datetime, days: int = 365, seed: int = 42) -> dict[str, list[dict[str, Any]]]:
    """Rows for every canonical table, covering the ``days`` days up to ``now`` (naive UTC)."""
    if now.tzinfo is not None:
        now = now.replace(tzinfo=None) - (now.utcoffset() or timedelta())
    import numpy as np  # the demo's generator only: the app and the CLI start without it

    rng = np.random.default_rng(seed)
    first = (now - timedelta(days=days)).date()
    rows: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "leads",
            "deals",
            "customers",
            "visits",
            "spend",
            "products",
            "sales",
            "nps_responses",
            "projects",
            "project_time",
            "project_invoices",
        )
    }
    rows["products"] = [{"id": pid, "name": n, "category": c} for pid, n, c, _, _ in PRODUCTS]

    ids = {"lead": 0, "deal": 0, "customer": 0, "sale": 0, "nps": 0, "time": 0, "invoice": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def factor(day: date, index: int) -> float:
        weekly = 0.65 if day.weekday() >= 5 else 1.0
        yearly = 1.0 + 0.15 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.0)
        trend = 1.0 + 0.35 * index / max(days, 1)
        return weekly * yearly * trend

    def at(day: date) -> datetime:
        seconds = int(rng.integers(7 * 3600, 21 * 3600))
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)

    def buy(customer_id: int, when: datetime, product_index: int | None = None) -> float:
        p = product_index if product_index is not None else int(rng.choice(len(PRODUCTS), p=PRODUCT_WEIGHTS))
        pid, _, _, price, margin = PRODUCTS[p]
        qty = 1 + int(rng.poisson(0.6))
        amount = round(price * qty * float(rng.uniform(0.9, 1.1)), 2)
        cost = round(amount * (1 - margin), 2)
        rows["sales"].append(
            {
                "id": next_id("sale"),
                "sold_at": when,
                "customer_id": customer_id,
                "product_id": pid,
                "amount": amount,
                "cost": cost,
            }
        )
        return amount

    def new_customer(when: datetime, channel: str) -> int:
        cid = next_id("customer")
        rows["customers"].append({"id": cid, "acquired_at": when, "channel": channel})
        # repeat purchases after acquisition
        t = when
        while True:
            t = t + timedelta(days=float(rng.exponential(75.0)))
            if t >= now:
                break
            buy(cid, t)
        if rng.random() < 0.35:
            responded = when + timedelta(days=float(rng.uniform(14, 45)))
            if responded < now:
                base = {"organic": 8.2, "paid_search": 7.2, "social": 6.8, "email": 8.5, "referral": 8.9}[channel]
                score = int(np.clip(round(rng.normal(base, 1.6)), 0, 10))
                rows["nps_responses"].append(
                    {"id": next_id("nps"), "responded_at": responded, "customer_id": cid, "score": score}
                )
        return cid

    for i in range(days + 1):
        day = first + timedelta(days=i)
        if datetime.combine(day, datetime.min.time()) >= now:
            break
        f = factor(day, i)
        visitors = rng.poisson(np.array(VISITS_BASE) * f)
        for c, channel in enumerate(CHANNELS):
            rows["visits"].append({"day": day, "channel": channel, "visitors": int(visitors[c])})
            spend = round(AD_SPEND[c] * f * float(rng.uniform(0.8, 1.2)), 2)
            rows["spend"].append({"day": day, "kind": "marketing", "channel": channel, "amount": spend})
            for _ in range(int(rng.poisson(visitors[c] * LEAD_RATE[c]))):
                created = at(day)
                if created >= now:
                    continue
                lead_id = next_id("lead")
                rows["leads"].append({"id": lead_id, "created_at": created, "channel": channel})
                if rng.random() > 0.7:
                    continue  # lead never qualified into a deal
                product = int(rng.choice(len(PRODUCTS), p=PRODUCT_WEIGHTS))
                closed = created + timedelta(days=float(rng.uniform(1, 25)))
                outcome = rng.random()
                status = "won" if outcome < WIN_RATE[c] / 0.7 else ("lost" if outcome < 0.8 else "open")
                if closed >= now:
                    status = "open"
                deal: dict[str, Any] = {
                    "id": next_id("deal"),
                    "lead_id": lead_id,
                    "customer_id": None,
                    "product_id": PRODUCTS[product][0],
                    "status": status,
                    "closed_at": None if status == "open" else closed,
                    "amount": None,
                }
                if status == "won":
                    cid = new_customer(closed, channel)
                    deal["customer_id"] = cid
                    deal["amount"] = buy(cid, closed, product)
                else:
                    deal["amount"] = round(PRODUCTS[product][3] * float(rng.uniform(1, 2)), 2)
                rows["deals"].append(deal)
            # direct web sign-ups (no sales conversation)
            for _ in range(int(rng.poisson(visitors[c] * 0.0015))):
                when = at(day)
                if when < now:
                    buy(new_customer(when, channel), when, 0)
        if day.weekday() < 5:
            rows["spend"].append(
                {
                    "day": day,
                    "kind": "sales",
                    "channel": None,
                    "amount": round(SALES_TEAM_PER_DAY * float(rng.uniform(0.95, 1.05)), 2),
                }
            )
            for p in range(len(PROJECTS)):
                for _ in range(int(rng.integers(1, 4))):
                    hours = round(float(rng.uniform(1, 8)), 2)
                    rows["project_time"].append(
                        {
                            "id": next_id("time"),
                            "project_id": p + 1,
                            "day": day,
                            "hours": hours,
                            "cost": round(hours * HOURLY_COST, 2),
                            "billable": bool(rng.random() < 0.78 - 0.05 * p),
                        }
                    )

    rows["projects"] = [
        {"id": p + 1, "name": name, "customer_id": (p % max(ids["customer"], 1)) + 1 if ids["customer"] else None}
        for p, name in enumerate(PROJECTS)
    ]
    # Monthly invoices: billable hours of a month, invoiced on the 1st of the next month.
    billed: dict[tuple[int, date], float] = {}
    for t in rows["project_time"]:
        if t["billable"]:
            month = t["day"].replace(day=1)
            billed[(t["project_id"], month)] = billed.get((t["project_id"], month), 0.0) + t["hours"]
    for (pid, month), hours in sorted(billed.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        on = (month + timedelta(days=32)).replace(day=1)
        if datetime.combine(on, datetime.min.time()) < now:
            rate = HOURLY_RATE * (0.8 if pid == 3 else 1.0)
            rows["project_invoices"].append(
                {"id": next_id("invoice"), "project_id": pid, "invoiced_on": on, "amount": round(hours * rate, 2)}
            )
    return rows


def ensure_demo(url: str, now: datetime) -> bool:
    """The demo database at ``url``: migrated, and filled with demo data when its fact tables are empty
    (True when it was filled now)."""
    from kpi.store import facts, migrations

    migrations.upgrade(url)
    if sum(facts.row_counts(url).values()):
        return False
    facts.replace_all(url, generate(now))
    return True
