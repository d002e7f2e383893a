"""Scale-out as deployed: two `clock` processes (one by mistake) and three `web` processes at once,
against one PostgreSQL database and the fake Slack. Rules are created through different web
processes, each of which evaluates its new rule at once; the clocks run passes and a digest on the
real clock. Every alert and the digest reach Slack exactly once; one clock leads, the other waits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.sandbox.local_slack import LocalSlack
from bot.slack.signing import signed_headers
from kpi.store import state
from kpi.store.engines import get_engine
from kpi.store.state.records import DigestSpec
from kpi.store.state_schema import leases
from tests.bot.conftest import SECRET, TOKEN
from tests.conftest import insert
from tests.support.processes import env, web_process


def wait_until(predicate, timeout: float, what: str):
    """Wait for other processes to do something (their work, not a test delay)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def command(port: int, text: str, channel: str) -> dict:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": channel,
            "user_id": "UADMIN",
            "command": "/kpi",
            "text": text,
            "api_app_id": "A123",
            "trigger_id": "t",
            "response_url": f"http://127.0.0.1:9/unused/{channel}",
        }
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        method="POST",
        headers=signed_headers(SECRET, body, None, "application/x-www-form-urlencoded"),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


@pytest.mark.slow
def test_two_clocks_and_three_webs_post_everything_once(data, tmp_path):
    if not data.startswith("postgresql"):
        pytest.skip("the deployment test runs against PostgreSQL, the production backend")
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    insert(
        data,
        "sales",
        [
            {
                "id": 100 + i,
                "sold_at": now - timedelta(days=1),
                "customer_id": None,
                "product_id": None,
                "amount": 1000,
                "cost": 0,
            }
            for i in range(3)
        ],
    )
    # a digest that fell due two minutes ago, while nothing was running: the leader catches it up once
    due = (now - timedelta(minutes=2)).strftime("%H:%M")
    state.subscribe_digest(
        data, "T1", "CD", DigestSpec("daily", due, None, "UTC", ("revenue",)), "UADMIN", now - timedelta(hours=1)
    )
    with LocalSlack() as slack, ExitStack() as stack:
        variables = dict(
            DATABASE_URL=data,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            KPI_ADMINS="UADMIN",
            KPI_EVAL_INTERVAL="10",
            KPI_TIMEZONE="UTC",
            LOG_LEVEL="INFO",
        )
        webs = [stack.enter_context(web_process(tmp_path, **variables)) for _ in range(3)]
        clocks = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "clock"],
                cwd=tmp_path,
                env=env(**variables),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            for (port, _), channel in zip(webs, ("C1", "C2", "C3"), strict=True):
                answer = command(port, "alert revenue > 10 7d", channel)
                assert "Rule `#" in json.dumps(answer), answer
            wait_until(lambda: len(slack.calls_to("chat.postMessage")) >= 4, 180, "3 alerts and the digest")
            # two more passes of the leader after everything was posted: nothing is posted again
            first_beat = state.last_beat(data, "scheduler")["last_success_at"]
            wait_until(
                lambda: state.last_beat(data, "scheduler")["last_success_at"] >= first_beat + timedelta(seconds=15),
                120,
                "two more passes",
            )
            assert all(c.poll() is None for c in clocks), "a clock died"
            health = [
                json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read())
                for port, _ in webs
            ]
        finally:
            for clock in clocks:
                clock.terminate()
            outputs = [clock.communicate(timeout=30)[0] for clock in clocks]
    channels = sorted(c.payload["channel"] for c in slack.calls_to("chat.postMessage"))
    assert channels == ["C1", "C2", "C3", "CD"], (channels, outputs)
    assert len(slack.calls_to("files.completeUploadExternal")) == 1  # the digest's chart, once
    assert all(r["delivered_at"] is not None for r in state.outbox_rows(data))
    assert [h["status"] for h in health] == ["ok"] * 3
    with get_engine(data).connect() as conn:
        [holder] = conn.execute(select(leases.c.holder).where(leases.c.name == "clock")).scalars().all()
    standby = [o for o in outputs if "standby: another scheduler holds the clock lease" in o]
    assert len(standby) == 1, outputs  # exactly one clock waited; the other led
    assert not any("Traceback" in o for o in outputs), outputs
    assert holder.endswith(tuple(f":{c.pid}" for c in clocks))
