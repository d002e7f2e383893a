"""The entry points as a user starts them: real processes, piped input, a real production server."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.sandbox.local_slack import LocalSlack
from bot.slack.signing import signed_headers
from tests.bot.conftest import SECRET, TOKEN
from tests.support.processes import env, free_port, web_process

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_console_demo_answers_cac_month_with_piped_input(tmp_path):
    lines = (
        "/kpi revenue last-month by category\n/kpi rvnu\n/kpi share nps 30d\n"
        "what was our revenu last month for the organic channel?\nexit\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--demo"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    first = text.split("> /kpi cac month")[1]
    assert "Customer acquisition cost" in first and "Previous: €" in first and "lower is better" in first
    assert "[Share in channel] [Show chart] [Why?] [Explain]" in first
    assert "By category" in text and "Services" in text and "Hardware" in text
    assert "I don't know the KPI rvnu. Did you mean `revenue`?" in text
    assert "Read as: Revenue · " in text and " · channel = organic" in text  # free text, typo included
    assert "Shared by @U0CONSOLE" in text and "(visible to everyone in the channel)" in text
    assert (tmp_path / "demo.db").exists()
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_python_m_bot_web_serves_signed_commands_with_uvicorn(tmp_path):
    db = f"sqlite:///{tmp_path / 'web.db'}"
    subprocess.run(
        [sys.executable, "-m", "kpi", "demo-data", "--days", "40"],
        cwd=tmp_path,
        env=env(DATABASE_URL=db),
        check=True,
        capture_output=True,
        timeout=120,
    )
    with LocalSlack() as slack:
        with web_process(
            tmp_path,
            DATABASE_URL=db,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            WEB_CONCURRENCY="2",
        ) as (port, logs):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as res:
                assert json.loads(res.read())["database"] == "ok"
            body = "command=%2Fkpi&text=cac+30d&user_id=U1&channel_id=C1&team_id=T1&response_url=" + slack.response_url(
                "r1"
            )
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events",
                data=body.encode(),
                headers=signed_headers(SECRET, body),
                method="POST",
            )
            with urllib.request.urlopen(req, timeout=30) as res:
                message = json.loads(res.read())
            assert message["blocks"][0]["text"]["text"] == "Customer acquisition cost"
            assert message["blocks"][1]["elements"][0]["text"].startswith("Read as: Customer acquisition cost")
            assert "€" in message["blocks"][2]["text"]["text"]
    output = logs[0]
    assert TOKEN not in output and SECRET not in output
    assert "Uvicorn running" in output or "Started server process" in output
    assert "will be unused" not in output  # Bolt's warning about SLACK_BOT_TOKEN, once per process before


def test_missing_slack_configuration_is_reported(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bot", "web"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"),
        timeout=60,
    )
    assert out.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in out.stderr and "Traceback" not in out.stderr


def test_socket_mode_is_chosen_when_an_app_token_is_set():
    from kpi.config import Settings

    assert Settings(_env_file=None, slack_app_token="xapp-1-x").socket_mode
    assert not Settings(_env_file=None).socket_mode


def test_two_run_jobs_at_once_post_each_alert_once(data, tmp_path):
    from datetime import datetime, timedelta, timezone

    from kpi.rules import Op, RuleKind, RuleSpec
    from kpi.store import state
    from tests.conftest import insert

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    insert(
        data,
        "sales",
        [
            {
                "id": 100 + i,
                "sold_at": now.replace(microsecond=0) - timedelta(days=1),
                "customer_id": None,
                "product_id": None,
                "amount": 1000,
                "cost": 0,
            }
            for i in range(3)
        ],
    )
    for channel in ("C1", "C2", "C3"):
        state.create_rule(
            data, "T1", channel, RuleSpec("revenue", RuleKind.THRESHOLD, Op.GT, 10.0, "7d"), "UADMIN", now
        )
    with LocalSlack() as slack:
        environment = env(
            DATABASE_URL=data, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "run-jobs"],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        channels = sorted(c.payload["channel"] for c in slack.calls_to("chat.postMessage"))
    assert channels == ["C1", "C2", "C3"], outputs
    assert all("rules evaluated" in o for o in outputs)


@pytest.mark.slow
def test_console_demo_alert_fires_right_after_the_rule_is_set(tmp_path):
    lines = "/kpi alert cac > 1 30d\n/kpi alerts\n"
    out = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--demo"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    after = out.stdout.split("> /kpi alert cac > 1 30d")[1]
    assert "Rule `#1` created" in after
    assert "🔴 Customer acquisition cost above €1.00" in after
    assert "What moved" in after and "(visible to everyone in the channel)" in after
    assert "firing 🔴" in after.split("> /kpi alerts")[1]


def _bot(args, tmp_path, **variables):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(**variables),
        timeout=120,
    )


def _migrated(tmp_path) -> str:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    subprocess.run(
        [sys.executable, "-m", "kpi", "migrate"],
        cwd=tmp_path,
        env=env(DATABASE_URL=db),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return db


@pytest.mark.slow
def test_a_token_slack_refuses_or_an_unreachable_slack_is_one_clear_line(tmp_path):
    db = _migrated(tmp_path)
    with LocalSlack() as slack:
        slack.invalid_tokens.add("xoxb-test")
        refused = _bot(
            ["web"],
            tmp_path,
            DATABASE_URL=db,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
        )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: Slack refused SLACK_BOT_TOKEN (invalid_auth). Copy the Bot User OAuth Token (xoxb-…) from the "
        "app's OAuth & Permissions page; `python -m bot check --offline` checks everything else without Slack."
    ]
    unreachable = _bot(
        ["web"],
        tmp_path,
        DATABASE_URL=db,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
    )
    assert unreachable.returncode == 2
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("error: Slack can't be reached at http://127.0.0.1:") and "Traceback" not in line


def test_an_unmigrated_database_says_run_migrate_and_creates_nothing(tmp_path):
    with LocalSlack() as slack:
        out = _bot(
            ["web"],
            tmp_path,
            DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}",
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
        )
    assert out.returncode == 2
    assert "there is no database at sqlite:///" in out.stderr and "run `python -m kpi migrate`" in out.stderr
    assert not (tmp_path / "none.db").exists()


@pytest.mark.slow
def test_check_offline_needs_no_slack_and_health_tells_the_clock_state(tmp_path):
    db = _migrated(tmp_path)
    slack_settings = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET)
    unset = _bot(["check", "--offline"], tmp_path, DATABASE_URL=db)
    assert unset.returncode == 2 and "FAIL  Slack: SLACK_BOT_TOKEN is not set" in unset.stdout
    out = _bot(["check", "--offline"], tmp_path, DATABASE_URL=db, **slack_settings)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[0].startswith("ok    configuration: HTTP, one workspace")
    assert "ok    bot database: migrated" in out.stdout and "ok    KPI definitions: 9 KPIs" in out.stdout
    assert "ok    source: 0 rows in" in out.stdout
    assert "ok    Slack: settings present; the token is not checked" in out.stdout
    broken = _bot(["check", "--offline"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}", **slack_settings)
    assert broken.returncode == 2 and "FAIL  bot database: there is no database" in broken.stdout
    stale = _bot(["health"], tmp_path, DATABASE_URL=db)
    assert stale.returncode == 1 and json.loads(stale.stdout) == {"scheduler": "stale", "last_pass": None}
    assert _bot(["run-jobs"], tmp_path, DATABASE_URL=db, SLACK_BOT_TOKEN=TOKEN).returncode == 0
    fresh = _bot(["health"], tmp_path, DATABASE_URL=db)
    assert fresh.returncode == 0 and json.loads(fresh.stdout)["scheduler"] == "ok"
