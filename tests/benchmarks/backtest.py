"""`python tests/benchmarks/backtest.py`: how well the anomaly ranges (kpi/anomaly.py) catch what they
should and stay quiet otherwise, on generated daily series.

Each series has a weekly rhythm (weekday factors from 0.45 on Sunday to 1.2 midweek), a trend (−2 % to
+4 % a month), and day-to-day noise (log-normal; 4 %, 6 % and 8 % by default). Three kinds of incidents
are injected, one at a time, on days picked at random after the first 8 weeks:

* a drop: one day at −30 %;
* a spike: one day at +30 %;
* a broken feed: three days at 0.

A rule is judged each day, as the scheduler would at the start of the next day. An incident is caught
when its day (or, for a broken feed, its first day) is unusual that day or the next. A false alert is an
unusual day with no incident, counted per rule and per month (30 days) on clean series. Recall is the
share of the three incidents caught; precision, the share of alerts that were incidents, over the same
series-years (three incidents a year: a rule that sees fewer incidents has a lower precision).

Prints a table and, with ``--out``, appends it to BENCHMARKS.md. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kpi.anomaly import Sensitivity, judge  # noqa: E402

WEEKDAY = [1.0, 1.15, 1.2, 1.2, 1.1, 0.6, 0.45]  # Monday … Sunday
START = date(2025, 1, 6)  # a Monday
WARM_UP = 8 * 7  # days before the first judged day


def series(rng: random.Random, days: int, noise: float) -> dict[date, float]:
    level = rng.uniform(2_000, 80_000)
    trend = rng.uniform(-0.02, 0.04) / 30  # per day
    out = {}
    for i in range(days):
        day = START + timedelta(days=i)
        out[day] = level * (1 + trend) ** i * WEEKDAY[day.weekday()] * math.exp(rng.gauss(0, noise))
    return out


def inject(data: dict[date, float], day: date, kind: str) -> list[date]:
    if kind == "drop":
        data[day] *= 0.7
        return [day]
    if kind == "spike":
        data[day] *= 1.3
        return [day]
    hit = [day + timedelta(days=j) for j in range(3)]
    for d in hit:
        data[d] = 0.0
    return hit


def caught(data: dict[date, float], first: date, sensitivity: Sensitivity) -> bool:
    """Flagged on its day or the day after (judged with the history as it stands)."""
    return any(judge(data, d, sensitivity).unusual for d in (first, first + timedelta(days=1)) if d in data)


def run(n: int, days: int, noise: float, seed: int) -> dict:
    rng = random.Random(seed)
    results = {}
    for sensitivity in Sensitivity:
        false_alerts, judged_days = 0, 0
        hits = {"drop": 0, "spike": 0, "broken feed": 0}
        for k in range(n):
            clean = series(random.Random(seed * 1000 + k), days, noise)
            for day in list(clean)[WARM_UP:]:
                judged_days += 1
                false_alerts += judge(clean, day, sensitivity).unusual
            for kind in hits:
                data = dict(clean)
                day = START + timedelta(days=rng.randrange(WARM_UP, days - 4))
                inject(data, day, kind)
                hits[kind] += caught(data, day, sensitivity)
        caught_all = sum(hits.values())
        results[sensitivity] = {
            "false_per_month": false_alerts / judged_days * 30,
            # of the alerts over these n series-years (3 incidents each, and the clean days' false alerts)
            "precision": caught_all / (caught_all + false_alerts) if caught_all + false_alerts else 1.0,
            "recall": caught_all / (3 * n),
            **{kind: hit / n for kind, hit in hits.items()},
        }
    return results


def table(by_noise: dict[float, dict], n: int, days: int) -> str:
    lines = [
        f"## Anomaly ranges: backtest ({n} series of {days} days per noise level, `tests/benchmarks/backtest.py`)",
        "",
        "| daily noise | sensitivity | −30 % drop caught | +30 % spike caught | broken feed caught "
        "| recall | precision (3 incidents a year) | false alerts per rule per month (clean data) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for noise, results in by_noise.items():
        for sensitivity, r in results.items():
            lines.append(
                f"| {noise:.0%} | {sensitivity.value} | {r['drop']:.0%} | {r['spike']:.0%} "
                f"| {r['broken feed']:.0%} | {r['recall']:.0%} | {r['precision']:.0%} "
                f"| {r['false_per_month']:.2f} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=400)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--noise", default="0.04,0.06,0.08", help="daily noise levels (log-normal sigma)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", help="append the table to this file (BENCHMARKS.md)")
    args = parser.parse_args()
    by_noise = {float(x): run(args.series, args.days, float(x), args.seed) for x in args.noise.split(",")}
    text = table(by_noise, args.series, args.days)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write("\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
