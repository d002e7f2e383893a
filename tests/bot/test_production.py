"""Production behaviour: one clock leader, events handled once, no secret in logs."""

import json
from datetime import timedelta

import pytest

from bot.jobs.clock import is_leader
from bot.jobs.context import JobContext
from tests.bot.conftest import SECRET, TOKEN, make_settings
from tests.support.clock import T0


def test_one_clock_leads_and_a_standby_takes_over_when_it_stops(data, slack):
    first = JobContext.from_settings(make_settings(data, slack))
    second = JobContext.from_settings(make_settings(data, slack))
    first.worker, second.worker = "host-a:1", "host-b:2"
    assert is_leader(first, T0)
    assert not is_leader(second, T0)
    assert is_leader(first, T0 + timedelta(minutes=5))  # renewed
    assert not is_leader(second, T0 + timedelta(minutes=10))
    # the leader stops renewing (killed): after the lease (2 intervals + 30 s) the standby leads
    assert is_leader(second, T0 + timedelta(minutes=5 + 11))
    assert not is_leader(first, T0 + timedelta(minutes=5 + 12))


def test_event_retries_and_duplicates_have_no_second_effect(server, slack):
    event = {
        "token": "x",
        "team_id": "T123",
        "api_app_id": "A123",
        "type": "event_callback",
        "event_id": "EvDUP1",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": "U9", "tab": "home", "channel": "D1"},
    }
    body = json.dumps(event)
    from bot.slack.signing import signed_headers

    assert (
        server.request(
            "POST", "/slack/events", body.encode(), signed_headers(SECRET, body, content_type="application/json")
        ).status
        == 200
    )
    slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
    retry = {
        **signed_headers(SECRET, body, content_type="application/json"),
        "x-slack-retry-num": "1",
        "x-slack-retry-reason": "http_timeout",
    }
    assert server.request("POST", "/slack/events", body.encode(), retry).status == 200
    assert server.post_signed(body, content_type="application/json").status == 200
    server.command("help")  # a later request, to be sure nothing was still on its way
    assert len(slack.calls_to("views.publish")) == 1


@pytest.mark.slow
def test_no_secret_reaches_the_logs_even_at_debug(data, tmp_path):
    """A real `python -m bot web` at LOG_LEVEL=DEBUG: commands, an error, a Web API call with the token.

    Guards the whole stack (Bolt, slack-sdk, our code) against writing a secret at DEBUG; our own
    redaction filter is proven separately in test_logs.py."""
    import urllib.error
    import urllib.request

    from bot.sandbox.local_slack import LocalSlack
    from bot.slack.signing import signed_headers
    from tests.support.processes import web_process

    with LocalSlack() as slack:
        with web_process(
            tmp_path,
            DATABASE_URL=data,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            LOG_LEVEL="DEBUG",
        ) as (port, output):

            def post(body, content_type="application/x-www-form-urlencoded"):
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/slack/events",
                    data=body.encode(),
                    headers=signed_headers(SECRET, body, content_type=content_type),
                    method="POST",
                )
                try:
                    urllib.request.urlopen(req, timeout=30).read()
                except urllib.error.HTTPError:
                    pass

            for text in ("cac+2026-10", "revenu", "share+nps+2026-10"):
                post(
                    f"command=%2Fkpi&text={text}&user_id=U1&channel_id=C1&team_id=T1&response_url="
                    + slack.response_url("r")
                )
            post(
                json.dumps(
                    {
                        "type": "event_callback",
                        "team_id": "T1",
                        "event_id": "EvLOG",
                        "event_time": 1,
                        "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
                    }
                ),
                "application/json",
            )
            slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
            assert slack.calls_to("views.publish")[0].headers["authorization"] == f"Bearer {TOKEN}"
    logs = output[0]
    assert "DEBUG" in logs  # logging really ran at DEBUG
    for secret in ("xoxb-", "xoxp-", "xapp-", SECRET):
        assert secret not in logs, secret


@pytest.mark.slow
def test_no_secret_reaches_the_logs_of_a_multi_workspace_run_at_debug(data, tmp_path):
    """OAuth mode at DEBUG, as real processes: install a workspace, answer it, post its alert from
    `run-jobs`. No bot token, client secret, signing secret or encryption key is ever written."""
    import re
    import subprocess
    import sys
    import urllib.request
    from html import unescape
    from urllib.parse import parse_qs, urlparse

    from cryptography.fernet import Fernet

    from bot.sandbox.local_slack import LocalSlack
    from bot.slack.signing import signed_headers
    from kpi.store import state
    from tests.support.processes import env, web_process
    from tests.support.rules import CAC_ABOVE_300

    key, client_secret, team_token = Fernet.generate_key().decode(), "client-secret-0123456789", "xoxb-ta-9999-abc"
    state.create_rule(data, "TA", "CA", CAC_ABOVE_300, "UADMIN", T0.replace(tzinfo=None))
    with LocalSlack() as slack:
        slack.client_credentials = ("1111.2222", client_secret)
        variables = dict(
            DATABASE_URL=data,
            SLACK_CLIENT_ID="1111.2222",
            SLACK_CLIENT_SECRET=client_secret,
            KPI_ENCRYPTION_KEY=key,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            LOG_LEVEL="DEBUG",
            KPI_TIMEZONE="UTC",
        )
        with web_process(tmp_path, **variables) as (port, output):
            base = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(base + "/slack/install", timeout=30) as res:
                cookie, page = res.headers["Set-Cookie"].split(";")[0], res.read().decode()
            link = unescape(re.search(r'href="([^"]+)"', page).group(1))
            slack.grant("code-ta", "TA", team_token)
            callback = urllib.request.Request(
                f"{base}/slack/oauth_redirect?code=code-ta&state={parse_qs(urlparse(link).query)['state'][0]}",
                headers={"Cookie": cookie},
            )
            assert "installed" in urllib.request.urlopen(callback, timeout=30).read().decode()
            body = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "TA",
                    "api_app_id": "A123",
                    "event_id": "EvO1",
                    "event_time": 1,
                    "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
                }
            )
            urllib.request.urlopen(
                urllib.request.Request(
                    base + "/slack/events",
                    data=body.encode(),
                    method="POST",
                    headers=signed_headers(SECRET, body, content_type="application/json"),
                ),
                timeout=30,
            ).read()
            slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
        jobs = subprocess.run(
            [sys.executable, "-m", "bot", "run-jobs", "--at", T0.isoformat()],
            cwd=tmp_path,
            env=env(**variables),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert jobs.returncode == 0, jobs.stderr
        [alert] = slack.calls_to("chat.postMessage")
        assert slack.team_of(alert) == "TA" and slack.team_of(slack.calls_to("views.publish")[0]) == "TA"
    logs = output[0] + jobs.stdout + jobs.stderr
    assert "DEBUG" in logs and "installed in workspace TA" in logs
    for secret in ("xoxb-", "xoxp-", "xoxe", "xapp-", SECRET, client_secret, key):
        assert secret not in logs, secret


HOSTILE = [
    "'; DROP TABLE sales; --",
    '" OR 1=1 --',
    "<!channel>",
    "<@U123|boss>",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "\x00\x01",
    "🙂" * 300,
    "%s%s%n",
    "1e309",
    "NaN",
    "-0",
    "cac; DELETE FROM leads",
]


def _facts(url):
    from sqlalchemy import func, select

    from kpi.store.engines import get_engine
    from kpi.store.schema import FACT_TABLES

    with get_engine(url).connect() as conn:
        return {n: conn.execute(select(func.count()).select_from(t)).scalar_one() for n, t in FACT_TABLES.items()}


def test_hostile_strings_in_every_argument_change_nothing(server, slack, data):
    before = _facts(data)
    templates = [
        "{}",
        "cac {}",
        "cac month by {}",
        "explain {}",
        "alert {} > 3",
        "alert cac > {}",
        "alert cac > 3 {}",
        "alert remove {}",
        "digest daily {}",
        "target revenue {}",
        "pin {}",
        "share {}",
        "list {}",
        "cac {} chart",
    ]
    for hostile in HOSTILE:
        for template in templates:
            res = server.command(template.format(hostile), user="UPLEB")
            assert res.status == 200
            body = res.json()
            assert body.get("text") and "<!channel>" not in json.dumps(body)
        for action in (
            "kpi_share",
            "kpi_chart",
            "kpi_explain",
            "alert_ack",
            "alert_snooze_day",
            "alert_breakdown",
            "home_pin",
            "home_period_week",
        ):
            server.action(action, hostile, user="UPLEB")
    server.command("help")  # everything above has been answered
    assert _facts(data) == before
    assert server.request("GET", "/healthz").json()["database"] == "ok"
    assert state_rules(data) == []


def state_rules(url):
    from kpi.store import state

    return state.rules(url)


def test_a_replayed_button_click_is_refused_and_old_signatures_are_forgotten(server, slack, data):
    import json as _json
    from urllib.parse import urlencode

    from bot.jobs.clock import run_pass
    from bot.jobs.context import JobContext
    from bot.slack.signing import signed_headers
    from kpi.store import state
    from tests.support.clock import T0

    payload = {
        "type": "block_actions",
        "team": {"id": "T123"},
        "user": {"id": "U1"},
        "api_app_id": "A123",
        "channel": {"id": "C123"},
        "response_url": slack.response_url("replay"),
        "trigger_id": "t",
        "actions": [
            {
                "type": "button",
                "action_id": "kpi_share",
                "value": "revenue|2026-10|",
                "block_id": "b",
                "action_ts": "1.2",
            }
        ],
    }
    body = urlencode({"payload": _json.dumps(payload)})
    headers = signed_headers(SECRET, body)
    assert server.request("POST", "/slack/events", body.encode(), headers).status == 200
    assert server.request("POST", "/slack/events", body.encode(), headers).status == 401
    slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
    assert len(state.audit_entries(data, "T123")) == 1  # one share, not two
    # signatures and event ids are kept a day, then the scheduler's pass forgets them
    state.first_delivery(data, "T123", "EvOLD", (T0 - timedelta(days=2)).replace(tzinfo=None))
    run_pass(JobContext.from_settings(server.settings), T0)
    assert state.first_delivery(data, "T123", "EvOLD", T0.replace(tzinfo=None))  # forgotten: new again
