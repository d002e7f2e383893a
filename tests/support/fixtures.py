"""A small, hand-checked data set. The expected numbers are worked out in the comments.

October 2026 (UTC) is the period asked; September 2026 is the previous one.
"""

from datetime import date, datetime

from tests.conftest import insert

D = datetime

LEADS = [
    {"id": 1, "created_at": D(2026, 10, 1, 0, 0, 0), "channel": "organic"},  # Oct, first instant
    {"id": 2, "created_at": D(2026, 10, 10, 12), "channel": "organic"},
    {"id": 3, "created_at": D(2026, 10, 20, 9), "channel": "paid_search"},
    {"id": 4, "created_at": D(2026, 10, 31, 23, 59, 59, 999999), "channel": None},  # Oct, last instant
    {"id": 5, "created_at": D(2026, 11, 1, 0, 0, 0), "channel": "organic"},  # Nov: not October
    {"id": 6, "created_at": D(2026, 9, 5), "channel": "organic"},
    {"id": 7, "created_at": D(2026, 9, 30, 23, 59, 59), "channel": "organic"},
]  # Oct: 4 leads (organic 2, paid 1, none 1); Sep: 2

DEALS = [
    {
        "id": 1,
        "lead_id": 1,
        "customer_id": 1,
        "product_id": 1,
        "status": "won",
        "closed_at": D(2026, 10, 15),
        "amount": 100,
    },
    {
        "id": 2,
        "lead_id": 3,
        "customer_id": 2,
        "product_id": 2,
        "status": "won",
        "closed_at": D(2026, 10, 25),
        "amount": 250,
    },
    {
        "id": 3,
        "lead_id": 2,
        "customer_id": None,
        "product_id": 1,
        "status": "lost",
        "closed_at": D(2026, 10, 12),
        "amount": 90,
    },
    {
        "id": 4,
        "lead_id": 6,
        "customer_id": 3,
        "product_id": 1,
        "status": "won",
        "closed_at": D(2026, 9, 20),
        "amount": 80,
    },
    {"id": 5, "lead_id": 7, "customer_id": None, "product_id": 3, "status": "open", "closed_at": None, "amount": None},
    {
        "id": 6,
        "lead_id": 5,
        "customer_id": None,
        "product_id": 1,
        "status": "won",
        "closed_at": D(2026, 11, 1),
        "amount": 10,
    },
]  # won in Oct: 2 (organic 1, paid 1); Sep: 1 -> conversion Oct 2/4 = 0.5, Sep 1/2 = 0.5

CUSTOMERS = [
    {"id": 1, "acquired_at": D(2026, 10, 15), "channel": "organic"},
    {"id": 2, "acquired_at": D(2026, 10, 25), "channel": "paid_search"},
    {"id": 3, "acquired_at": D(2026, 9, 20), "channel": "organic"},
    {"id": 4, "acquired_at": D(2026, 8, 1), "channel": "email"},
]  # new in Oct: 2; Sep: 1; acquired before Nov 1: 4; before Oct 1: 2

VISITS = [
    {"day": date(2026, 10, 1), "channel": "organic", "visitors": 100},
    {"day": date(2026, 10, 1), "channel": "paid_search", "visitors": 50},
    {"day": date(2026, 10, 31), "channel": "organic", "visitors": 50},
    {"day": date(2026, 11, 1), "channel": "organic", "visitors": 999},
    {"day": date(2026, 9, 30), "channel": "organic", "visitors": 40},
]  # Oct: 200 (organic 150, paid 50) -> visitor conversion 2/200 = 0.01; Sep 1/40 = 0.025

SPEND = [
    {"day": date(2026, 10, 5), "kind": "marketing", "channel": "organic", "amount": 300},
    {"day": date(2026, 10, 6), "kind": "marketing", "channel": "paid_search", "amount": 500},
    {"day": date(2026, 10, 7), "kind": "sales", "channel": None, "amount": 200},
    {"day": date(2026, 9, 10), "kind": "marketing", "channel": "organic", "amount": 90},
]  # Oct: 1000 -> cac 1000/2 = 500; Sep 90/1 = 90

PRODUCTS = [
    {"id": 1, "name": "Starter", "category": "Software"},
    {"id": 2, "name": "Gateway", "category": "Hardware"},
    {"id": 3, "name": "Pro", "category": "Software"},
]

SALES = [
    {"id": 1, "sold_at": D(2026, 10, 15), "customer_id": 1, "product_id": 1, "amount": 100, "cost": 40},
    {"id": 2, "sold_at": D(2026, 10, 25), "customer_id": 2, "product_id": 2, "amount": 250, "cost": 200},
    {"id": 3, "sold_at": D(2026, 10, 28), "customer_id": 1, "product_id": 3, "amount": 50, "cost": 10},
    {"id": 4, "sold_at": D(2026, 9, 20), "customer_id": 3, "product_id": 1, "amount": 80, "cost": 30},
    {"id": 5, "sold_at": D(2026, 8, 1), "customer_id": 4, "product_id": 1, "amount": 20, "cost": 5},
    {"id": 6, "sold_at": D(2026, 11, 2), "customer_id": 1, "product_id": 1, "amount": 1000, "cost": 0},
]  # revenue Oct 400 (Software 150, Hardware 250); Sep 80
# ltv end of Oct: margins 60+50+40+50+15 = 215 over 4 customers = 53.75; end of Sep: (50+15)/2 = 32.5

NPS = [
    {"id": 1, "responded_at": D(2026, 10, 3), "customer_id": 1, "score": 10},
    {"id": 2, "responded_at": D(2026, 10, 4), "customer_id": 2, "score": 9},
    {"id": 3, "responded_at": D(2026, 10, 5), "customer_id": None, "score": 9},
    {"id": 4, "responded_at": D(2026, 10, 6), "customer_id": 1, "score": 7},
    {"id": 5, "responded_at": D(2026, 10, 7), "customer_id": 2, "score": 3},
    {"id": 6, "responded_at": D(2026, 9, 7), "customer_id": 3, "score": 6},
]  # Oct: 3 promoters, 1 detractor, 5 responses -> 100*(3-1)/5 = 40; Sep: -100

PROJECTS = [{"id": 1, "name": "Atlas", "customer_id": 1}, {"id": 2, "name": "Borealis", "customer_id": 2}]

PROJECT_TIME = [
    {"id": 1, "project_id": 1, "day": date(2026, 10, 2), "hours": 10, "cost": 400, "billable": True},
    {"id": 2, "project_id": 1, "day": date(2026, 10, 3), "hours": 5, "cost": 200, "billable": False},
    {"id": 3, "project_id": 2, "day": date(2026, 10, 10), "hours": 8, "cost": 320, "billable": True},
    {"id": 4, "project_id": 1, "day": date(2026, 9, 10), "hours": 4, "cost": 160, "billable": True},
]  # utilization Oct 18/23, Sep 4/4; by project Atlas 10/15, Borealis 8/8

INVOICES = [
    {"id": 1, "project_id": 1, "invoiced_on": date(2026, 10, 31), "amount": 1000},
    {"id": 2, "project_id": 2, "invoiced_on": date(2026, 10, 1), "amount": 500},
    {"id": 3, "project_id": 1, "invoiced_on": date(2026, 9, 30), "amount": 300},
]  # margin Oct (1500-920)/1500; Sep (300-160)/300; Atlas (1000-600)/1000 = 0.4, Borealis (500-320)/500 = 0.36


def load(url: str) -> None:
    for table, rows in [
        ("leads", LEADS),
        ("deals", DEALS),
        ("customers", CUSTOMERS),
        ("visits", VISITS),
        ("spend", SPEND),
        ("products", PRODUCTS),
        ("sales", SALES),
        ("nps_responses", NPS),
        ("projects", PROJECTS),
        ("project_time", PROJECT_TIME),
        ("project_invoices", INVOICES),
    ]:
        insert(url, table, rows)
