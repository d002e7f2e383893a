"""Realistic, internally consistent demo data for the canonical tables, that can be topped up.

Weekly and yearly seasonality, a growth trend, five acquisition channels with their own costs and
conversion, products in three categories, projects with time and invoices. Customers come from won deals
(and direct web sign-ups, and a base acquired before the demo's first day), sales from customers, invoices
from billable time, so every KPI has a meaningful value.

The data is a function of the calendar: what happens on a day depends only on the seed, the demo's first
day and that day (its own random generator); what a customer buys and answers on draws keyed by their id;
ids come from the day or the customer. So the rows up to any instant are the same whichever day they were
generated on, and :func:`kpi.demo_database.top_up` brings a demo database up to now by generating only its
last weeks again and upserting them: idempotent. A new demo covers :data:`DEMO_DAYS` days (26 months), so that
year-over-year, quarters and "last year" have a base.

Figures on the 2-core test machine (shared, load 8): a new demo, 254,000 rows, is generated in 2.5 s and
written to SQLite in 1.5 to 2.5 s (:func:`kpi.store.demo_rows.fill`); a top-up after six days takes 0.8 s;
a later start the same day, 6 ms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

CHANNELS = ["organic", "paid_search", "social", "email", "referral"]
VISITS_BASE = (1400, 900, 600, 250, 150)
LEAD_RATE = (0.012, 0.025, 0.015, 0.04, 0.06)
WIN_RATE = (0.22, 0.16, 0.12, 0.28, 0.35)
AD_SPEND = (120.0, 950.0, 520.0, 90.0, 160.0)  # per day, marketing
SALES_TEAM_PER_DAY = 1800.0
NPS_BASE = {"organic": 8.2, "paid_search": 7.2, "social": 6.8, "email": 8.5, "referral": 8.9}

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

DEMO_DAYS = 800  # a new demo's history: more than 25 months
EPOCH = date(2000, 1, 1)  # ids are built from the days since then
PER_DAY = 10_000  # ids of a day: leads (and the customers of won deals) below 5000, direct sign-ups above
SIGN_UPS = 5_000
LAG = timedelta(days=26)  # the longest a deal stays open (it closes within 25 days): days generated again
WARM_UP = 730  # days of customers acquired before the demo's first day, buying during it
PRIOR_PER_DAY = 22.0  # customers acquired a day before the demo (about the rate of its first days)
_WON = [v * lead * win for v, lead, win in zip(VISITS_BASE, LEAD_RATE, WIN_RATE, strict=True)]
CHANNEL_MIX = tuple(w / sum(_WON) for w in _WON)  # the channels of those customers
LIFETIME = 365.0  # days a customer keeps buying, on average (exponential)
REPEATS = 64  # the most repeat purchases a customer makes (about 13 years of them)
POISSON_06 = tuple(sum(math.exp(-0.6) * 0.6**k / math.factorial(k) for k in range(n + 1)) for n in range(8))
TABLES = (
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

Rows = dict[str, list[dict[str, Any]]]


def _rng(*key: int) -> Any:
    import numpy as np  # the demo's generator only: the app and the CLI start without it

    return np.random.default_rng(list(key))


def naive_utc(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo is not None else now


def generate(now: datetime, days: int = DEMO_DAYS, seed: int = 42) -> Rows:
    """Rows for every canonical table, covering the ``days`` days up to ``now`` (naive UTC)."""
    now = naive_utc(now)
    first = (now - timedelta(days=days)).date()
    demo = DemoCalendar(seed, first, now)
    rows = demo.days(first, now)
    rows["customers"] = demo.prior_customers() + rows["customers"]
    rows["customers"].sort(key=lambda c: c["id"])
    demo.follow_ups(rows["customers"], datetime.combine(first, time()), rows)
    rows["products"] = [{"id": pid, "name": n, "category": c} for pid, n, c, _, _ in PRODUCTS]
    ids = [c["id"] for c in rows["customers"]]
    rows["projects"] = [
        {"id": p + 1, "name": name, "customer_id": ids[p % len(ids)] if ids else None}
        for p, name in enumerate(PROJECTS)
    ]
    rows["project_invoices"] = invoices(rows["project_time"], first, now)
    return numbered(rows)


class DemoCalendar:
    """The demo's calendar: what each day brings, and what each customer buys, up to ``now``."""

    def __init__(self, seed: int, first: date, now: datetime):
        self.seed, self.first, self.now = seed, first, now

    def factor(self, day: date) -> float:
        weekly = 0.65 if day.weekday() >= 5 else 1.0
        yearly = 1.0 + 0.15 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.0)
        trend = 1.0 + 0.35 * (day - self.first).days / 365.0
        return weekly * yearly * trend

    def prior_customers(self) -> list[dict[str, Any]]:
        """The customers acquired in the :data:`WARM_UP` days before the demo's first day, who buy during it:
        the demo starts with a customer base, not from nothing (sign-up ids of those days)."""
        out = []
        for back in range(WARM_UP, 0, -1):
            day = self.first - timedelta(days=back)
            index = (day - EPOCH).days
            rng = _rng(self.seed, 5, index)
            count = int(rng.poisson(PRIOR_PER_DAY * self.factor(day)))
            seconds = rng.integers(7 * 3600, 21 * 3600, count)
            channels = rng.choice(len(CHANNELS), size=count, p=CHANNEL_MIX)
            for k in range(count):
                when = datetime.combine(day, time()) + timedelta(seconds=int(seconds[k]))
                out.append(
                    {"id": index * PER_DAY + SIGN_UPS + k + 1, "acquired_at": when, "channel": CHANNELS[channels[k]]}
                )
        return out

    def days(self, start: date, end: datetime) -> Rows:
        """What the days from ``start`` to ``end`` bring (leads, deals, new customers, visits, spend, time)."""
        rows: Rows = {k: [] for k in TABLES}
        day = start
        while datetime.combine(day, time()) < min(end, self.now):
            self.day(day, rows)
            day += timedelta(days=1)
        return rows

    def day(self, day: date, rows: Rows) -> None:
        import numpy as np

        index = (day - EPOCH).days
        rng = _rng(self.seed, 1, index)
        f = self.factor(day)
        visitors = rng.poisson(np.array(VISITS_BASE) * f)
        spends = rng.uniform(0.8, 1.2, len(CHANNELS))
        leads = rng.poisson(visitors * np.array(LEAD_RATE))
        sign_ups = rng.poisson(visitors * 0.0015)
        n = 0
        for c, channel in enumerate(CHANNELS):
            rows["visits"].append({"day": day, "channel": channel, "visitors": int(visitors[c])})
            amount = round(AD_SPEND[c] * f * float(spends[c]), 2)
            rows["spend"].append({"day": day, "kind": "marketing", "channel": channel, "amount": amount})
            self.leads(day, c, int(leads[c]), index * PER_DAY + n, rng, rows)
            n += int(leads[c])
        k = 0
        for c, channel in enumerate(CHANNELS):
            count = int(sign_ups[c])
            seconds, quantities, prices = (
                rng.integers(7 * 3600, 21 * 3600, count),
                rng.poisson(0.6, count),
                rng.uniform(0.9, 1.1, count),
            )
            for j in range(count):
                when = datetime.combine(day, time()) + timedelta(seconds=int(seconds[j]))
                k += 1
                if when < self.now:
                    cid = index * PER_DAY + SIGN_UPS + k
                    rows["customers"].append({"id": cid, "acquired_at": when, "channel": channel})
                    _sale(rows, when, cid, 0, 1 + int(quantities[j]), float(prices[j]))
        if day.weekday() < 5:
            self.office_day(day, index, rng, rows)

    def leads(self, day: date, c: int, count: int, first_id: int, rng: Any, rows: Rows) -> None:
        """``count`` leads of channel ``c`` on ``day``, their deals, and the customers (and first sales) of the
        deals won."""
        seconds = rng.integers(7 * 3600, 21 * 3600, count)
        qualified, outcomes = rng.random(count), rng.random(count)
        products = rng.choice(len(PRODUCTS), size=count, p=PRODUCT_WEIGHTS)
        closing, quotes = rng.uniform(1, 25, count), rng.uniform(1, 2, count)
        quantities, prices = rng.poisson(0.6, count), rng.uniform(0.9, 1.1, count)
        channel = CHANNELS[c]
        for j in range(count):
            created = datetime.combine(day, time()) + timedelta(seconds=int(seconds[j]))
            lead_id = first_id + j
            if created >= self.now:
                continue
            rows["leads"].append({"id": lead_id, "created_at": created, "channel": channel})
            if qualified[j] > 0.7:
                continue  # lead never qualified into a deal
            product = int(products[j])
            closed = created + timedelta(days=float(closing[j]))
            status = "won" if outcomes[j] < WIN_RATE[c] / 0.7 else ("lost" if outcomes[j] < 0.8 else "open")
            if closed >= self.now:
                status = "open"
            amount = round(PRODUCTS[product][3] * float(quotes[j]), 2)
            if status == "won":
                rows["customers"].append({"id": lead_id, "acquired_at": closed, "channel": channel})
                amount = _sale(rows, closed, lead_id, product, 1 + int(quantities[j]), float(prices[j]))
            rows["deals"].append(
                {
                    "id": lead_id,
                    "lead_id": lead_id,
                    "customer_id": lead_id if status == "won" else None,
                    "product_id": PRODUCTS[product][0],
                    "status": status,
                    "closed_at": None if status == "open" else closed,
                    "amount": amount,
                }
            )

    def office_day(self, day: date, index: int, rng: Any, rows: Rows) -> None:
        """The sales team's spend and the projects' time of a working day."""
        team = round(SALES_TEAM_PER_DAY * float(rng.uniform(0.95, 1.05)), 2)
        rows["spend"].append({"day": day, "kind": "sales", "channel": None, "amount": team})
        k = 0
        for p in range(len(PROJECTS)):
            for _ in range(int(rng.integers(1, 4))):
                hours = round(float(rng.uniform(1, 8)), 2)
                k += 1
                rows["project_time"].append(
                    {
                        "id": index * 100 + k,
                        "project_id": p + 1,
                        "day": day,
                        "hours": hours,
                        "cost": round(hours * HOURLY_COST, 2),
                        "billable": bool(rng.random() < 0.78 - 0.05 * p),
                    }
                )

    def follow_ups(self, customers: list[dict[str, Any]], start: datetime, rows: Rows) -> None:
        """Each customer's NPS answer and repeat purchases from ``start`` to ``now``: draws keyed by the
        customer's id (:func:`_uniform`), the same whatever the window, computed for every customer at once.
        A customer buys again about every 75 days, :data:`REPEATS` times at most."""
        import numpy as np

        if not customers:
            return
        ids = np.array([c["id"] for c in customers], dtype=np.uint64)
        acquired = np.array([c["acquired_at"] for c in customers], dtype="datetime64[us]")
        channels = [c["channel"] for c in customers]
        self._answers(ids, acquired, channels, start, rows)
        j = np.arange(REPEATS, dtype=np.uint64)[None, :]
        gaps = -75.0 * np.log1p(-_uniform(self.seed, 10, ids[:, None], j))  # days, exponential
        ages = np.cumsum(gaps, axis=1)
        life = -LIFETIME * np.log1p(-_uniform(self.seed, 14, ids, 0))  # then they stop buying
        times = acquired[:, None] + (ages * 86_400e6).astype("timedelta64[us]")
        lo, hi = np.datetime64(start, "us"), np.datetime64(self.now, "us")
        who, which = np.nonzero((times >= lo) & (times < hi) & (ages < life[:, None]))
        if not len(who):
            return
        pick = (who, which)
        products = np.searchsorted(np.cumsum(PRODUCT_WEIGHTS), _uniform(self.seed, 11, ids[who], j[0, which]))
        quantities = 1 + np.searchsorted(POISSON_06, _uniform(self.seed, 12, ids[who], j[0, which]))
        prices = 0.9 + 0.2 * _uniform(self.seed, 13, ids[who], j[0, which])
        for when, cid, product, quantity, price in zip(
            times[pick].tolist(),
            ids[who].tolist(),
            products.tolist(),
            quantities.tolist(),
            prices.tolist(),
            strict=True,
        ):
            _sale(rows, when, cid, min(product, len(PRODUCTS) - 1), quantity, price)

    def _answers(self, ids: Any, acquired: Any, channels: list[str], start: datetime, rows: Rows) -> None:
        """About a third of customers answer the NPS survey, 14 to 45 days after they were acquired."""
        import numpy as np

        answers = _uniform(self.seed, 1, ids, 0)
        responded = acquired + (14 + 31 * _uniform(self.seed, 2, ids, 0)) * np.timedelta64(86_400_000_000, "us")
        normal = np.sqrt(-2 * np.log1p(-_uniform(self.seed, 3, ids, 0))) * np.cos(
            2 * np.pi * _uniform(self.seed, 4, ids, 0)
        )
        lo, hi = np.datetime64(start, "us"), np.datetime64(self.now, "us")
        for i in np.nonzero((answers < 0.35) & (responded >= lo) & (responded < hi))[0].tolist():
            score = int(min(10, max(0, round(NPS_BASE[channels[i]] + 1.6 * float(normal[i])))))
            cid = int(ids[i])
            rows["nps_responses"].append(
                {"id": cid, "responded_at": responded[i].item(), "customer_id": cid, "score": score}
            )


def _uniform(seed: int, stream: int, ids: Any, j: Any) -> Any:
    """Uniform draws in [0, 1) keyed by (seed, stream, id, j): splitmix64 over the key, element-wise, so that
    a customer's draws never depend on which other customers, or which days, are being generated."""
    import numpy as np

    with np.errstate(over="ignore"):
        x = (np.asarray(ids, dtype=np.uint64) << np.uint64(8)) + np.asarray(j, dtype=np.uint64)
        x = x + np.uint64((seed * 1_000_003 + stream) & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (2.0**-53)


def _sale(rows: Rows, when: datetime, cid: int, product: int, quantity: int, price: float) -> float:
    """A sale (numbered later, by day: :func:`numbered`); returns its amount."""
    amount = round(PRODUCTS[product][3] * quantity * price, 2)
    cost = round(amount * (1 - PRODUCTS[product][4]), 2)
    rows["sales"].append(
        {"sold_at": when, "customer_id": cid, "product_id": product + 1, "amount": amount, "cost": cost}
    )
    return amount


def numbered(rows: Rows) -> Rows:
    """Sales get their ids by day (time order), the same whichever day they were generated on."""
    rows["sales"].sort(key=lambda r: (r["sold_at"], r["customer_id"]))
    day, k = None, 0
    for sale in rows["sales"]:
        k = k + 1 if sale["sold_at"].date() == day else 1
        day = sale["sold_at"].date()
        sale["id"] = (day - EPOCH).days * PER_DAY + k
    return rows


def invoices(time_rows: Iterable[dict[str, Any]], since: date, now: datetime) -> list[dict[str, Any]]:
    """Monthly invoices: a month's billable hours, invoiced on the 1st of the next month (from ``since``)."""
    billed: dict[tuple[int, date], float] = {}
    for t in time_rows:
        if t["billable"]:
            month = t["day"].replace(day=1)
            billed[(t["project_id"], month)] = billed.get((t["project_id"], month), 0.0) + float(t["hours"])
    out = []
    for (pid, month), hours in sorted(billed.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        on = (month + timedelta(days=32)).replace(day=1)
        if since <= on and datetime.combine(on, time()) < now:
            rate = HOURLY_RATE * (0.8 if pid == 3 else 1.0)
            ident = ((on.year - EPOCH.year) * 12 + on.month) * 10 + pid
            out.append({"id": ident, "project_id": pid, "invoiced_on": on, "amount": round(hours * rate, 2)})
    return out
