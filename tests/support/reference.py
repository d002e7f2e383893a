"""A reference for the SQL push-down: random data (hypothesis), and every built-in KPI computed from it
with pandas, independently of the SQL the engine runs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from hypothesis import strategies as st

START = datetime(2026, 8, 1)
SPAN_SECONDS = 120 * 86400
CHANNELS = st.sampled_from(["organic", "paid", "email", None])
BOUNDARIES = [datetime(2026, 10, 1), datetime(2026, 11, 1), datetime(2026, 9, 30, 22), datetime(2026, 10, 31, 23)]


def instants():
    return st.one_of(
        st.integers(0, SPAN_SECONDS).map(lambda s: START + timedelta(seconds=s)), st.sampled_from(BOUNDARIES)
    )


def days():
    return st.integers(0, 119).map(lambda d: (START + timedelta(days=d)).date())


money = st.integers(0, 100_000).map(lambda c: c / 100)


@st.composite
def dataset(draw):
    n_customers = draw(st.integers(0, 12))
    customers = [{"id": i + 1, "acquired_at": draw(instants()), "channel": draw(CHANNELS)} for i in range(n_customers)]
    cust_ids = st.one_of(st.none(), st.integers(1, max(n_customers, 1))) if n_customers else st.none()
    products = [
        {"id": 1, "name": "A", "category": "X"},
        {"id": 2, "name": "B", "category": "X"},
        {"id": 3, "name": "C", "category": "Y"},
    ]
    leads = [
        {"id": i + 1, "created_at": draw(instants()), "channel": draw(CHANNELS)}
        for i in range(draw(st.integers(0, 15)))
    ]
    deals = []
    for i in range(draw(st.integers(0, 12))):
        status = draw(st.sampled_from(["open", "won", "lost"]))
        deals.append(
            {
                "id": i + 1,
                "lead_id": draw(st.one_of(st.none(), st.integers(1, max(len(leads), 1)))),
                "customer_id": draw(cust_ids),
                "product_id": draw(st.sampled_from([None, 1, 2, 3])),
                "status": status,
                "closed_at": None if status == "open" else draw(instants()),
                "amount": draw(money),
            }
        )
    sales = [
        {
            "id": i + 1,
            "sold_at": draw(instants()),
            "customer_id": draw(cust_ids),
            "product_id": draw(st.sampled_from([None, 1, 2, 3])),
            "amount": draw(money),
            "cost": draw(money),
        }
        for i in range(draw(st.integers(0, 15)))
    ]
    visits = [
        {"day": draw(days()), "channel": draw(CHANNELS), "visitors": draw(st.integers(0, 500))}
        for _ in range(draw(st.integers(0, 10)))
    ]
    spend = [
        {
            "day": draw(days()),
            "kind": draw(st.sampled_from(["marketing", "sales"])),
            "channel": draw(CHANNELS),
            "amount": draw(money),
        }
        for _ in range(draw(st.integers(0, 10)))
    ]
    nps = [
        {
            "id": i + 1,
            "responded_at": draw(instants()),
            "customer_id": draw(cust_ids),
            "score": draw(st.integers(0, 10)),
        }
        for i in range(draw(st.integers(0, 12)))
    ]
    projects = [{"id": 1, "name": "P1", "customer_id": None}, {"id": 2, "name": "P2", "customer_id": None}]
    time_rows = [
        {
            "id": i + 1,
            "project_id": draw(st.integers(1, 2)),
            "day": draw(days()),
            "hours": draw(st.integers(0, 40)) / 4,
            "cost": draw(money),
            "billable": draw(st.booleans()),
        }
        for i in range(draw(st.integers(0, 10)))
    ]
    invoices = [
        {"id": i + 1, "project_id": draw(st.integers(1, 2)), "invoiced_on": draw(days()), "amount": draw(money)}
        for i in range(draw(st.integers(0, 6)))
    ]
    return {
        "customers": customers,
        "products": products,
        "leads": leads,
        "deals": deals,
        "sales": sales,
        "visits": visits,
        "spend": spend,
        "nps_responses": nps,
        "projects": projects,
        "project_time": time_rows,
        "project_invoices": invoices,
    }


def frame(rows, columns):
    return pd.DataFrame(rows, columns=columns)


def div(a, b):
    return None if b == 0 else a / b


def reference(data, period) -> dict:
    """Every KPI from its definition, on DataFrames in memory."""
    s, e = period.start_utc(), period.end_utc()
    d0, d1 = period.first_day(), period.end_day()

    def in_p(df, col):
        return df[(df[col] >= s) & (df[col] < e)] if len(df) else df

    def in_days(df, col):
        return df[(df[col] >= d0) & (df[col] < d1)] if len(df) else df

    leads = frame(data["leads"], ["id", "created_at", "channel"])
    deals = frame(data["deals"], ["id", "lead_id", "customer_id", "product_id", "status", "closed_at", "amount"])
    customers = frame(data["customers"], ["id", "acquired_at", "channel"])
    visits = frame(data["visits"], ["day", "channel", "visitors"])
    spend = frame(data["spend"], ["day", "kind", "channel", "amount"])
    sales = frame(data["sales"], ["id", "sold_at", "customer_id", "product_id", "amount", "cost"])
    nps = frame(data["nps_responses"], ["id", "responded_at", "customer_id", "score"])
    ptime = frame(data["project_time"], ["id", "project_id", "day", "hours", "cost", "billable"])
    invoices = frame(data["project_invoices"], ["id", "project_id", "invoiced_on", "amount"])

    won = deals[(deals["status"] == "won") & deals["closed_at"].notna()]
    won = won[(won["closed_at"] >= s) & (won["closed_at"] < e)] if len(won) else won
    new = len(in_p(customers, "acquired_at"))
    spent = float(in_days(spend, "day")["amount"].sum()) if len(spend) else 0.0
    responses = in_p(nps, "responded_at")
    promoters = int((responses["score"] >= 9).sum()) if len(responses) else 0
    detractors = int((responses["score"] <= 6).sum()) if len(responses) else 0
    before = customers[customers["acquired_at"] < e] if len(customers) else customers
    lifetime = sales[(sales["sold_at"] < e) & sales["customer_id"].isin(before["id"])] if len(sales) else sales
    margin = float((lifetime["amount"] - lifetime["cost"]).sum()) if len(lifetime) else 0.0
    ltv = div(margin, len(before))
    cac = div(spent, new)
    pt = in_days(ptime, "day")
    invoiced = float(in_days(invoices, "invoiced_on")["amount"].sum()) if len(invoices) else 0.0
    hours = float(pt["hours"].sum()) if len(pt) else 0.0
    billable = float(pt[pt["billable"]]["hours"].sum()) if len(pt) else 0.0
    return {
        "conversion_rate": div(len(won), len(in_p(leads, "created_at"))),
        "visitor_conversion": div(new, float(in_days(visits, "day")["visitors"].sum()) if len(visits) else 0),
        "cac": cac,
        "revenue": float(in_p(sales, "sold_at")["amount"].sum()) if len(sales) else 0.0,
        "nps": div(100 * (promoters - detractors), len(responses)),
        "ltv": ltv,
        "project_margin": div(invoiced - (float(pt["cost"].sum()) if len(pt) else 0.0), invoiced),
        "utilization": div(billable, hours),
        "ltv_cac": None if ltv is None or not cac else ltv / cac,
    }


def reference_revenue_by_category(data, pair) -> dict:
    """Category -> current revenue, for every category sold in the current or the previous period."""
    category = {p["id"]: p["category"] for p in data["products"]}
    out: dict = {}
    for period, counted in ((pair.current, True), (pair.previous, False)):
        s, e = period.start_utc(), period.end_utc()
        for row in data["sales"]:
            if s <= row["sold_at"] < e:
                key = category.get(row["product_id"])
                out[key] = out.get(key, 0.0) + (row["amount"] if counted else 0.0)
    return out


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)
