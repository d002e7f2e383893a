"""Fair sharing under a flood: 20 clients send heavy chart requests while another user asks `/kpi cac month`.

Not collected by pytest. The real app is served by uvicorn on a loopback port, against a local fake
Slack, on a SQLite file with a year of demo data. For ``--seconds`` (default 20), 20 client threads each
send `/kpi ltv_cac 3660d chart` as fast as the app answers, each as its own user; one more thread sends
`/kpi cac month` every 0.25 s as another user and records how long each answer took (the signed HTTP
request, until the response). Prints the figures (p50, p95, max) and, with ``--out``, appends them to
BENCHMARKS.md. ``--no-quota`` lifts the per-person quota, to see what the separate heavy pool alone does.

Usage: python tests/benchmarks/flood.py [--seconds 20] [--no-quota] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.sandbox.local_slack import LocalSlack  # noqa: E402
from kpi import demo  # noqa: E402
from kpi.store import facts, migrations  # noqa: E402
from tests.bot.conftest import Server, make_settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--no-quota", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args()

    url = f"sqlite:///{tempfile.mkdtemp()}/flood.db"
    migrations.upgrade(url)
    facts.replace_all(url, demo.generate(datetime.now(timezone.utc), days=365, seed=7))
    with LocalSlack() as slack:
        server = Server(make_settings(url, slack), slack, clock=lambda: datetime.now(timezone.utc))
        if args.no_quota:
            server.app.deps.limits.per_user = 10**9
        stop = time.monotonic() + args.seconds
        heavy = {"sent": 0, "busy": 0}
        cheap: list[float] = []
        lock = threading.Lock()

        def flood(i: int) -> None:
            while time.monotonic() < stop:
                text = server.command("ltv_cac 3660d chart", user=f"UFLOOD{i}").body
                with lock:
                    heavy["sent"] += 1
                    heavy["busy"] += "heavy work" in text

        def ask() -> None:
            while time.monotonic() < stop:
                started = time.monotonic()
                body = server.command("cac month", user="UCHEAP").body
                assert "Customer acquisition cost" in body, body[:200]
                cheap.append(time.monotonic() - started)
                time.sleep(0.25)  # a person, not a load generator

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(args.clients)] + [
            threading.Thread(target=ask)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        charts = len(slack.calls_to("files.completeUploadExternal"))
        server.stop()
    cheap.sort()
    p95 = cheap[max(0, int(len(cheap) * 0.95) - 1)]
    line = (
        f"| {args.clients} clients × `/kpi ltv_cac 3660d chart`, {args.seconds:g} s, quota "
        f"{'off' if args.no_quota else 'on'} | {len(cheap)} | {statistics.median(cheap) * 1000:.0f} ms | "
        f"{p95 * 1000:.0f} ms | {cheap[-1] * 1000:.0f} ms | {heavy['sent']} sent, {heavy['busy']} told to wait, "
        f"{charts} charts posted |"
    )
    print(line)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
