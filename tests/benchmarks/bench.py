"""`make bench`: latency, memory, alert pass and rollup figures at 100 k, 1 M and 10 M sales rows.

Not collected by pytest (the file name does not start with test_). For each backend
(SQLite always, PostgreSQL when TEST_POSTGRES_URL is set) and each size it:

1. fills the canonical tables in SQL (fast bulk inserts): N sales, N/5 customers,
   N/2 leads, N/10 deals, N/50 NPS responses, daily spend and visits over two years;
2. rebuilds the rollups (timed), then times an incremental refresh;
3. starts the real app (`python -m bot web`, uvicorn) against a local fake Slack and sends
   signed `/kpi revenue <last month> by category` and `/kpi cac last-month` requests over
   HTTP: median and p95 of 40 requests after 5 of warm-up; next to it, the bare SQL
   aggregate over the raw tables for the same question, and a naive "read the table into
   pandas" baseline;
4. reads the app process's peak RSS (VmHWM);
5. times an alert pass with 1,000 rules over the catalog (evaluation, no delivery);
6. measures sustained throughput with 20 concurrent clients for 10 s;
7. writes everything to BENCHMARKS.md.

Usage: python tests/benchmarks/bench.py [--sizes 100000,1000000,10000000] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.jobs.clock import run_pass  # noqa: E402
from bot.jobs.context import JobContext  # noqa: E402
from bot.sandbox.local_slack import LocalSlack  # noqa: E402
from bot.slack.signing import signed_headers  # noqa: E402
from kpi.config import Settings  # noqa: E402
from kpi.rules import Op, RuleKind, RuleSpec  # noqa: E402
from kpi.store import migrations, state  # noqa: E402
from kpi.store.engines import dispose_all  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
SPAN_DAYS = 730
CHANNELS = ["organic", "paid_search", "social", "email", "referral"]


# -- data --------------------------------------------------------------------------------------


def fill(url: str, n: int, now: datetime) -> float:
    """Fill the canonical tables in SQL; returns seconds."""
    start = (now - timedelta(days=SPAN_DAYS)).replace(tzinfo=None, microsecond=0)
    span = SPAN_DAYS * 86400
    params = {
        "n": n,
        "start": start,
        "span": span,
        "customers": max(n // 5, 1),
        "leads": max(n // 2, 1),
        "deals": max(n // 10, 1),
        "nps": max(n // 50, 1),
    }
    engine = create_engine(url)
    began = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA journal_mode=OFF"))
            statements = _sqlite_fill()
        else:
            statements = _postgres_fill()
        conn.execute(
            text(
                "INSERT INTO products (id, name, category) VALUES "
                "(1,'Starter','Software'),(2,'Pro','Software'),(3,'Enterprise','Software'),"
                "(4,'Onboarding','Services'),(5,'Training','Services'),(6,'Sensor','Hardware'),"
                "(7,'Gateway','Hardware')"
            )
        )
        for sql in statements:
            conn.execute(text(sql), params)
    if engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load: statistics and visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - began


def _sqlite_fill() -> list[str]:
    seq = "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < :{n} - 1) "
    at = "datetime(:start, '+' || CAST(x * :span / :{n} AS INTEGER) || ' seconds')"
    channel = (
        "CASE abs(random()) % 5 WHEN 0 THEN 'organic' WHEN 1 THEN 'paid_search' WHEN 2 THEN 'social' "
        "WHEN 3 THEN 'email' ELSE 'referral' END"
    )
    return [
        seq.format(n="customers") + f"INSERT INTO customers (id, acquired_at, channel) SELECT x + 1, "
        f"{at.format(n='customers')}, {channel} FROM c",
        seq.format(n="n") + f"INSERT INTO sales (id, sold_at, customer_id, product_id, amount, cost) SELECT x + 1, "
        f"{at.format(n='n')}, CAST(x * :customers / :n AS INTEGER) + 1, abs(random()) % 7 + 1, "
        "round(20 + (abs(random()) % 98000) / 100.0, 2), round(5 + (abs(random()) % 40000) / 100.0, 2) FROM c",
        seq.format(n="leads") + f"INSERT INTO leads (id, created_at, channel) SELECT x + 1, "
        f"{at.format(n='leads')}, {channel} FROM c",
        seq.format(n="deals") + "INSERT INTO deals (id, lead_id, customer_id, product_id, status, closed_at, amount) "
        f"SELECT x + 1, x * 5 + 1, NULL, abs(random()) % 7 + 1, CASE abs(random()) % 4 WHEN 0 THEN 'won' "
        f"WHEN 1 THEN 'lost' WHEN 2 THEN 'lost' ELSE 'open' END, {at.format(n='deals')}, 100 FROM c",
        seq.format(n="nps") + f"INSERT INTO nps_responses (id, responded_at, customer_id, score) SELECT x + 1, "
        f"{at.format(n='nps')}, NULL, abs(random()) % 11 FROM c",
        "WITH RECURSIVE d(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM d WHERE x < 730) "
        "INSERT INTO spend (day, kind, channel, amount) SELECT date(:start, '+' || x || ' days'), 'marketing', ch.c, "
        "round(100 + abs(random()) % 900, 2) FROM d, (SELECT 'organic' AS c UNION ALL SELECT 'paid_search' UNION ALL "
        "SELECT 'social' UNION ALL SELECT 'email' UNION ALL SELECT 'referral') AS ch",
        "WITH RECURSIVE d(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM d WHERE x < 730) "
        "INSERT INTO visits (day, channel, visitors) SELECT date(:start, '+' || x || ' days'), ch.c, "
        "CAST(:n / 100 AS INTEGER) + abs(random()) % 100 FROM d, (SELECT 'organic' AS c UNION ALL "
        "SELECT 'paid_search' UNION ALL SELECT 'social' UNION ALL SELECT 'email' UNION ALL SELECT 'referral') AS ch",
    ]


def _postgres_fill() -> list[str]:
    at = "(CAST(:start AS timestamp) + (x::bigint * :span / :{n}) * INTERVAL '1 second')"
    channel = "(ARRAY['organic','paid_search','social','email','referral'])[1 + (random() * 4)::int]"
    return [
        f"INSERT INTO customers (id, acquired_at, channel) SELECT x + 1, {at.format(n='customers')}, {channel} "
        "FROM generate_series(0, :customers - 1) AS x",
        f"INSERT INTO sales (id, sold_at, customer_id, product_id, amount, cost) SELECT x + 1, {at.format(n='n')}, "
        "(x::bigint * :customers / :n) + 1, 1 + (random() * 6)::int, round((20 + random() * 980)::numeric, 2), "
        "round((5 + random() * 400)::numeric, 2) FROM generate_series(0, :n - 1) AS x",
        f"INSERT INTO leads (id, created_at, channel) SELECT x + 1, {at.format(n='leads')}, {channel} "
        "FROM generate_series(0, :leads - 1) AS x",
        "INSERT INTO deals (id, lead_id, customer_id, product_id, status, closed_at, amount) SELECT x + 1, x * 5 + 1, "
        "NULL, 1 + (random() * 6)::int, (ARRAY['won','lost','lost','open'])[1 + (random() * 3)::int], "
        f"{at.format(n='deals')}, 100 FROM generate_series(0, :deals - 1) AS x",
        f"INSERT INTO nps_responses (id, responded_at, customer_id, score) SELECT x + 1, {at.format(n='nps')}, NULL, "
        "(random() * 10)::int FROM generate_series(0, :nps - 1) AS x",
        "INSERT INTO spend (day, kind, channel, amount) SELECT CAST(:start AS date) + x, 'marketing', ch, "
        "round((100 + random() * 900)::numeric, 2) FROM generate_series(0, 730) AS x, "
        "unnest(ARRAY['organic','paid_search','social','email','referral']) AS ch",
        "INSERT INTO visits (day, channel, visitors) SELECT CAST(:start AS date) + x, ch, (:n / 100) + "
        "(random() * 100)::int FROM generate_series(0, 730) AS x, "
        "unnest(ARRAY['organic','paid_search','social','email','referral']) AS ch",
    ]


# -- the app -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(url: str, slack: LocalSlack, port: int) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KPI_", "SLACK_", "DATABASE_URL", "SOURCE_", "PORT", "WEB_CONCURRENCY"))
    }
    env.update(
        DATABASE_URL=url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        KPI_TIMEZONE="UTC",
    )
    return env


def command(port: int, text_: str, slack: LocalSlack) -> float:
    body = urlencode(
        {
            "command": "/kpi",
            "text": text_,
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T1",
            "response_url": slack.response_url("bench"),
        }
    )
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=signed_headers(SECRET, body), method="POST"
    )
    began = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as res:
        payload = json.loads(res.read())
    elapsed = time.perf_counter() - began
    assert payload.get("blocks"), payload
    return elapsed


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- one size on one backend -------------------------------------------------------------------------


def bench_one(url: str, n: int, now: datetime) -> dict:
    out: dict = {"rows": n}
    migrations.upgrade(url)
    out["fill_s"] = fill(url, n, now)
    settings = Settings(_env_file=None, database_url=url, kpi_timezone="UTC", slack_bot_token=TOKEN)
    ctx = JobContext.from_settings(settings)
    began = time.perf_counter()
    ctx.service.refresh_rollups(now, rebuild=True)
    out["rebuild_s"] = time.perf_counter() - began
    later = now + timedelta(minutes=5)
    began = time.perf_counter()
    ctx.service.refresh_rollups(later)
    out["refresh_s"] = time.perf_counter() - began

    last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    questions = {"revenue": f"revenue {last_month} by category", "cac": "cac last-month"}
    with LocalSlack() as slack:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            cwd=ROOT,
            env=app_env(url, slack, port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the app did not start") from exc
                    time.sleep(0.2)
            for name, question in questions.items():
                for _ in range(5):
                    command(port, question, slack)
                times = [command(port, question, slack) for _ in range(40)]
                out[f"{name}_median_ms"] = statistics.median(times) * 1000
                out[f"{name}_p95_ms"] = percentile(times, 0.95) * 1000
            out.update(throughput(port, slack, questions))
            out["rss_mb"] = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    out.update(bare_sql(url, now))
    out["alert_first_pass_s"], out["alert_pass_s"] = alert_pass(url, ctx, now)
    dispose_all()
    return out


def throughput(port: int, slack: LocalSlack, questions: dict, clients: int = 20, seconds: float = 10.0) -> dict:
    texts = list(questions.values())
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()
    errors = [0]

    def client(i: int) -> None:
        k = i
        while time.perf_counter() < stop:
            try:
                elapsed = command(port, texts[k % len(texts)], slack)
                with lock:
                    latencies.append(elapsed)
            except Exception:  # noqa: BLE001 - counted, reported
                with lock:
                    errors[0] += 1
            k += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - began
    return {
        "rps": len(latencies) / elapsed,
        "rps_max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "rps_errors": errors[0],
    }


def bare_sql(url: str, now: datetime) -> dict:
    """The same two questions as plain aggregates over the raw tables, and a naive pandas read."""
    first = (
        (now.replace(day=1) - timedelta(days=1))
        .replace(day=1)
        .replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    )
    end = now.replace(day=1).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    engine = create_engine(url)
    revenue = text(
        "SELECT p.category, SUM(s.amount) FROM sales s LEFT JOIN products p ON p.id = s.product_id "
        "WHERE s.sold_at >= :a AND s.sold_at < :b GROUP BY p.category"
    )
    cac = text(
        "SELECT (SELECT SUM(amount) FROM spend WHERE day >= :da AND day < :db) / "
        "(SELECT COUNT(*) FROM customers WHERE acquired_at >= :a AND acquired_at < :b)"
    )
    out = {}
    for name, stmt in (("revenue", revenue), ("cac", cac)):
        times = []
        for _ in range(5):
            began = time.perf_counter()
            with engine.connect() as conn:
                conn.execute(stmt, {"a": first, "b": end, "da": first.date(), "db": end.date()}).all()
            times.append(time.perf_counter() - began)
        out[f"{name}_sql_ms"] = statistics.median(times) * 1000
    began = time.perf_counter()
    with engine.connect() as conn:
        sales = pd.read_sql(text("SELECT sold_at, product_id, amount FROM sales"), conn)
        products = pd.read_sql(text("SELECT id, category FROM products"), conn)
    sales["sold_at"] = pd.to_datetime(sales["sold_at"])
    month = sales[(sales["sold_at"] >= first) & (sales["sold_at"] < end)]
    month.merge(products, left_on="product_id", right_on="id", how="left").groupby("category")["amount"].sum()
    out["revenue_pandas_ms"] = (time.perf_counter() - began) * 1000
    del sales, month
    engine.dispose()
    return out


def alert_pass(url: str, ctx: JobContext, now: datetime) -> tuple[float, float]:
    """1,000 new rules: the first pass (hundreds fire at once and are written up), then a steady pass."""
    rng = random.Random(7)
    keys = list(ctx.service.catalog.kpis)
    windows = ["7d", "30d", "90d", "week", "month", "quarter"]
    for i in range(1000):
        spec = RuleSpec(
            rng.choice(keys), RuleKind.THRESHOLD, rng.choice([Op.GT, Op.LT]), rng.uniform(0, 1000), rng.choice(windows)
        )
        state.create_rule(url, "T1", f"C{i % 50}", spec, "UBENCH", now.replace(tzinfo=None))
    began = time.perf_counter()
    run_pass(ctx, now + timedelta(minutes=10), deliver=False)
    first = time.perf_counter() - began
    began = time.perf_counter()
    run_pass(ctx, now + timedelta(minutes=15), deliver=False)
    return first, time.perf_counter() - began


# -- report --------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def write(results: dict[str, list[dict]], path: Path, now: datetime) -> None:
    lines = ["# Benchmarks", "", f"Run by `make bench` on {now:%Y-%m-%d %H:%M} UTC. Machine: {machine()}.", ""]
    lines += [
        "Figures are medians unless marked p95. 'ratio' is the bare SQL aggregate over the raw table "
        "divided by the app's end-to-end median (higher is better: the rollups make the app faster than "
        "SQL over the raw table).",
        "",
    ]
    for backend, rows in results.items():
        lines += [
            f"## {backend}",
            "",
            "| metric | " + " | ".join(f"{r['rows']:,} rows" for r in rows) + " | target |",
            "|---|" + "---|" * (len(rows) + 1),
        ]

        def row(label, key, fmt="{:.1f}", target="", rows=rows, lines=lines):
            values = [fmt.format(r[key]) if key in r else "—" for r in rows]
            lines.append(f"| {label} | " + " | ".join(values) + f" | {target} |")

        row("fill the tables (s)", "fill_s")
        row("rollup full rebuild (s)", "rebuild_s", target="≤ 60 s")
        row("rollup incremental refresh (s)", "refresh_s", "{:.2f}", "≤ 2 s")
        row("`/kpi revenue <last month> by category` median (ms)", "revenue_median_ms", target="≤ 50 ms")
        row("`/kpi revenue …` p95 (ms)", "revenue_p95_ms", target="≤ 150 ms")
        row("`/kpi cac last-month` median (ms)", "cac_median_ms", target="≤ 50 ms")
        row("`/kpi cac …` p95 (ms)", "cac_p95_ms", target="≤ 150 ms")
        row("bare SQL over raw tables, revenue (ms)", "revenue_sql_ms")
        row("bare SQL over raw tables, cac (ms)", "cac_sql_ms")
        for r in rows:
            r["revenue_ratio"] = r["revenue_sql_ms"] / r["revenue_median_ms"]
            r["cac_ratio"] = r["cac_sql_ms"] / r["cac_median_ms"]
        row("ratio SQL / app, revenue", "revenue_ratio", "{:.1f}×", "≥ 10× at 10 M")
        row("ratio SQL / app, cac", "cac_ratio", "{:.1f}×", "≥ 10× at 10 M")
        row("naive pandas read + group, revenue (ms)", "revenue_pandas_ms", "{:.0f}")
        row("app peak RSS (MB)", "rss_mb", target="≤ 300 MB, within 20 % of 100 k")
        row("alert pass, 1,000 rules (s)", "alert_pass_s", "{:.2f}", "≤ 1 s")
        row("first pass after creating the 1,000 rules, ~390 fire at once (s)", "alert_first_pass_s", "{:.2f}")
        row("throughput, 20 clients (commands/s)", "rps", "{:.0f}", "≥ 100/s")
        row("slowest command under load (ms)", "rps_max_ms", "{:.0f}", "≤ 3000 ms")
        lines.append("")
    existing = path.read_text() if path.exists() else ""
    notes = existing.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in existing else "\n"
    path.write_text("\n".join(lines) + "\n<!-- notes -->" + notes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    now = datetime.now(timezone.utc)
    results: dict[str, list[dict]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    backends = [("SQLite", lambda n: f"sqlite:///{workdir / f'bench_{n}.db'}")]
    pg = os.environ.get("TEST_POSTGRES_URL")
    if pg:
        backends.append(("PostgreSQL", lambda n: _fresh_pg(pg, f"kpi_bench_{n}")))
    for name, make_url in backends:
        results[name] = []
        for n in sizes:
            print(f"{name}: {n:,} rows…", flush=True)
            figures = bench_one(make_url(n), n, now)
            print(json.dumps(figures, indent=1), flush=True)
            results[name].append(figures)
            if name == "SQLite" and not args.keep:
                (workdir / f"bench_{n}.db").unlink(missing_ok=True)
    write(results, Path(args.out), now)
    print(f"written to {args.out}")
    return 0


def _fresh_pg(base_url: str, name: str) -> str:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    sys.exit(main())
