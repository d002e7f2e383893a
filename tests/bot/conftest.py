"""The real app over real HTTP: uvicorn on a loopback port, the local fake Slack behind SLACK_API_URL."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
import uvicorn
from pydantic import SecretStr

from bot.sandbox.local_slack import LocalSlack
from bot.sandbox.slack_typing import slack_encode
from bot.slack.app import create_app
from bot.slack.signing import signed_headers
from bot.slack.web import create_asgi
from kpi.config import Settings
from tests.support import fixtures, hostile

SECRET = "test-signing-secret-0123456789"
TOKEN = "xoxb-test-0000-secret-token"
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


# The conversations the tests use, declared to the fake Slack as channels the bot is in (DMs: the bot's
# own); any other id does not exist there (channel_not_found), and tests add the ones the bot is not in.
JOINED = (
    *(f"C{i}" for i in range(13)),
    *("C42", "C77", "C123", "C555", "C999", "CA", "CB", "CD", "CAC", "CTA", "CTB", "CT1", "CT2"),
)
OWN_DMS = ("D1", "D2", *(f"D{i}" for i in range(40, 50)))


def declare_channels(fake: LocalSlack) -> LocalSlack:
    for channel in JOINED:
        fake.add_channel(channel, name=f"chan-{channel.lower()}")
    for dm in OWN_DMS:
        fake.add_channel(dm, kind="im")
    return fake


@pytest.fixture
def slack():
    with LocalSlack() as fake:
        yield declare_channels(fake)
    # every test checks Slack's limits for free: no payload the fake refused as Slack would
    assert not fake.invalid, f"payloads Slack would refuse: {fake.invalid[:3]}"


def make_settings(db_url: str, slack: LocalSlack, **overrides) -> Settings:
    values = dict(
        _env_file=None,
        database_url=db_url,
        source_database_url=db_url,
        kpi_timezone="UTC",
        kpi_language="en",
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=slack.api_url,
        kpi_inline_budget=2.0,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Response:
    status: int
    body: str

    def json(self):
        return json.loads(self.body)


class Server:
    """A running app: its URL, its fake Slack, and helpers to send signed requests."""

    def __init__(self, settings: Settings, slack: LocalSlack, clock=lambda: NOW, scheduler_here: bool = False):
        self.settings = settings
        self.slack = slack
        self.app = create_app(settings, clock=clock)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_asgi(settings, self.app, scheduler_here), log_config=None, lifespan="off", access_log=False
            )
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # start-up of the server thread, not a test delay
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.count = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Response:
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return Response(res.status, res.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode())

    def command_body(
        self, text: str, user: str = "U123", channel: str = "C123", team: str = "T123", raw: bool = False
    ) -> tuple[str, str]:
        """A signed slash command's body; ``text`` is sent as Slack sends what was typed (unless ``raw``)."""
        self.count += 1
        response_url = self.slack.response_url(f"cmd{self.count}")
        body = urlencode(
            {
                "token": "legacy",
                "team_id": team,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": "ana",
                "command": "/kpi",
                "text": text if raw else slack_encode(text),
                "api_app_id": "A123",
                "response_url": response_url,
                "trigger_id": f"trig.{self.count}",
            }
        )
        return body, response_url

    @staticmethod
    def json_or_empty(body: str) -> dict:
        """A command's inline answer as a message ({} when it acked with no body)."""
        try:
            found = json.loads(body) if body else {}
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def command(self, text: str, **kwargs) -> Response:
        body, _ = self.command_body(text, **kwargs)
        return self.post_signed(body)

    def post_signed(
        self,
        body: str,
        timestamp: int | None = None,
        secret: str = SECRET,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Response:
        headers = signed_headers(secret, body, timestamp, content_type)
        return self.request("POST", "/slack/events", body.encode(), headers)

    def action(
        self, action_id: str, value: str, user: str = "U123", team: str = "T123", channel: str = "C123"
    ) -> Response:
        self.count += 1
        payload = {
            "type": "block_actions",
            "team": {"id": team},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A123",
            "channel": {"id": channel},
            "trigger_id": f"trig.{self.count}",
            "response_url": self.slack.response_url(f"act{self.count}"),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1.2"}
            ],
        }
        return self.post_signed(urlencode({"payload": json.dumps(payload)}))


@pytest.fixture
def data(db_url):
    fixtures.load(db_url)
    return db_url


@pytest.fixture
def hostile_data(data):
    """The fixture data plus hostile values: 60 products and 3 channels named like Slack's control sequences."""
    hostile.load(data)
    return data


@pytest.fixture
def hostile_definitions(tmp_path):
    """A team catalog (KPI_DEFINITIONS) of 120 KPIs with hostile 300-character names."""
    return hostile.write_catalog(tmp_path / "team_kpis.yml")


@pytest.fixture
def server(data, slack):
    running = Server(make_settings(data, slack), slack)
    slack.reset()  # forget auth.test from start-up
    yield running
    running.stop()


@pytest.fixture
def ctx(data, slack):
    """The jobs' context over the fixture data and the fake Slack; waiting only moves ``ctx.fake``'s clock."""
    from bot.jobs.context import JobContext
    from tests.support.clock import FakeTime

    context = JobContext.from_settings(make_settings(data, slack))
    fake = FakeTime()
    context.sleep, context.monotonic = fake.sleep, fake.monotonic
    context.fake = fake
    return context
