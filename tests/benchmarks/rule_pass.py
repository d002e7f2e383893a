"""`python tests/benchmarks/rule_pass.py`: the alert pass with 1,000 rules of mixed kinds, on SQLite.

Fills a SQLite database (source and bot records in one file, as the demo runs) with N sales rows
(default 1 M, two years), rebuilds the rollups, creates 1,000 rules over the built-in KPIs in 50
channels (threshold, change, segment rules by one of the KPI's breakdowns, unusual by day and by week at every
sensitivity, and target-miss rules) and times:

* the first pass after creating them (hundreds fire at once and are written up);
* the steady passes after it (median of 5), with the pass's rollup refresh, evaluation and the outbox
  writes, and without delivery to Slack.

Appends a section to BENCHMARKS.md. Not collected by pytest; not part of `make test`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.jobs.clock import run_pass  # noqa: E402
from bot.jobs.context import JobContext  # noqa: E402
from kpi.config import Settings  # noqa: E402
from kpi.rules import Op, RuleKind, RuleSpec  # noqa: E402
from kpi.store import migrations, state  # noqa: E402
from tests.benchmarks.bench import TOKEN, fill  # noqa: E402

KINDS = [
    ("threshold", 30),
    ("change", 10),
    ("segment", 10),
    ("unusual day", 25),
    ("unusual week", 10),
    ("target", 15),
]  # % of the rules


def rules(ctx: JobContext, url: str, now: datetime) -> Counter:
    rng = random.Random(7)
    keys = list(ctx.service.catalog.kpis)
    kinds = [k for k, share in KINDS for _ in range(share * 10)]
    for kpi in keys:  # a target per KPI, month and quarter, so that target rules are judged
        for grain in ("month", "quarter"):
            state.set_target(url, "T1", kpi, grain, rng.uniform(1, 1000), "UBENCH", now.replace(tzinfo=None))
    made: Counter = Counter()
    for i, kind in enumerate(kinds):
        kpi = rng.choice(keys)
        match kind:
            case "threshold":
                spec = RuleSpec(
                    kpi,
                    RuleKind.THRESHOLD,
                    rng.choice([Op.GT, Op.LT]),
                    rng.uniform(0, 1000),
                    rng.choice(["7d", "30d", "90d", "week", "month", "quarter"]),
                )
            case "change":
                spec = RuleSpec(kpi, RuleKind.CHANGE, Op.GE, rng.uniform(0.05, 0.5), rng.choice(["7d", "30d", "month"]))
            case "segment":  # a threshold watched for each value of one of the KPI's breakdowns
                kpi = rng.choice([k for k in keys if ctx.service.catalog.metrics[k].dimensions])
                spec = RuleSpec(
                    kpi,
                    RuleKind.THRESHOLD,
                    rng.choice([Op.GT, Op.LT]),
                    rng.uniform(0, 1000),
                    rng.choice(["7d", "30d", "month"]),
                    segment_by=ctx.service.catalog.metrics[kpi].dimensions[0],
                )
            case "target":
                spec = RuleSpec(kpi, RuleKind.TARGET, Op.LT, rng.choice([0.05, 0.1]), rng.choice(["month", "quarter"]))
            case _:
                spec = RuleSpec(
                    kpi,
                    RuleKind.UNUSUAL,
                    Op.GT,
                    0.0,
                    kind.split()[1],
                    sensitivity=rng.choice(["low", "medium", "high"]),
                )
        state.create_rule(url, "T1", f"C{i % 50}", spec, "UBENCH", now.replace(tzinfo=None))
        made[kind] += 1
    return made


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    now = datetime.now(timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrations.upgrade(url)
        print(f"filling {args.rows:,} sales rows: {fill(url, args.rows, now):.1f} s", flush=True)
        ctx = JobContext.from_settings(
            Settings(_env_file=None, database_url=url, kpi_timezone="UTC", slack_bot_token=TOKEN)
        )
        began = time.perf_counter()
        ctx.service.refresh_rollups(now, rebuild=True)
        print(f"rollups rebuilt: {time.perf_counter() - began:.1f} s", flush=True)
        made = rules(ctx, url, now)
        began = time.perf_counter()
        first = run_pass(ctx, now + timedelta(minutes=5), deliver=False)
        first_s = time.perf_counter() - began
        steady = []
        for i in range(5):
            began = time.perf_counter()
            run_pass(ctx, now + timedelta(minutes=10 + 5 * i), deliver=False)
            steady.append(time.perf_counter() - began)
        rows = state.rules(url)
        states = Counter(r.state.value for r in rows if not r.splits)
        by_kind = Counter(
            ("segment" if r.parent_id else r.spec.kind.value, r.state.value) for r in rows if not r.splits
        )
        made["segments' own rules"] = sum(1 for r in rows if r.parent_id)
        kinds = ", ".join(f"{kind} {n} {st.replace('_', ' ')}" for (kind, st), n in sorted(by_kind.items()))
    print(
        f"first pass {first_s:.2f} s ({dict(first.events)}), steady {statistics.median(steady):.2f} s, "
        f"states {dict(states)}; {kinds}",
        flush=True,
    )
    lines = [
        "",
        f"## Alert pass: 1,000 rules of mixed kinds, SQLite, {args.rows:,} sales rows ({now:%Y-%m-%d}, "
        "`tests/benchmarks/rule_pass.py`)",
        "",
        "| rules | first pass (s) | steady pass, median of 5 (s) | target |",
        "|---|---|---|---|",
        f"| {', '.join(f'{n} {k}' for k, n in made.items())} | {first_s:.2f} | "
        f"{statistics.median(steady):.2f} | ≤ 1 s |",
        "",
        f"After the first pass: {kinds}; the first pass "
        f"posted (into the outbox) {dict(first.events)}. Steady passes: "
        f"{', '.join(f'{s:.2f}' for s in steady)} s; each refreshes the rollups' last days, observes "
        "every rule and writes what changed.",
        "",
    ]
    with Path(args.out).open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
