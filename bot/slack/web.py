"""The HTTP face of the app: Bolt's ASGI adapter served by uvicorn, plus /healthz.

``POST /slack/events`` takes commands, interactivity and events (signature
verified by Bolt); ``GET /healthz`` answers 200 when the database answers,
503 otherwise. It reports the scheduler's state too; that state fails the check
only where the scheduler runs in this process (``python -m bot``), never on a
``web`` process beside a separate clock (which has ``python -m bot health``).
Bolt's sync dispatch runs in a worker thread so that one slow request never
blocks the event loop. Bodies above ``MAX_BODY`` get 413 unread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from slack_bolt import App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.logs import rejections
from kpi.config import Settings, get_settings
from kpi.store.state import reachable, writable

log = logging.getLogger("bot.web")
REQUEST_THREADS = 64
MAX_BODY = 1_000_000  # Slack's largest payloads (view submissions) are far below this
DRAIN_LIMIT = 10 * MAX_BODY


class KpiAsgi(SlackRequestHandler):
    def __init__(self, app: App, settings: Settings, clock=None, scheduler_here: bool = False):
        super().__init__(app, path="/slack/events")
        self.settings = settings
        self.scheduler_here = scheduler_here
        # Each request waits in a thread for at most KPI_INLINE_BUDGET before it is acked: a pool of its own,
        # larger than asyncio's default (cores + 4), so that a flood of slow requests never queues the others.
        self.requests = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="kpi-http")
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.started = self.clock()

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        body = await request.get_raw_body()
        return await asyncio.get_running_loop().run_in_executor(
            self.requests, handle, self.app, body, request.query_string, request.get_headers()
        )

    async def handle_installation(self, request: AsgiHttpRequest) -> BoltResponse:
        bolt_request = BoltRequest(
            body=await request.get_raw_body(), query=request.query_string, headers=request.get_headers()
        )
        assert self.app.oauth_flow is not None  # routed only with SLACK_CLIENT_ID
        return await asyncio.to_thread(self.app.oauth_flow.handle_installation, bolt_request)

    async def handle_callback(self, request: AsgiHttpRequest) -> BoltResponse:
        """The OAuth redirect: a call to oauth.v2.access and a database write, off the event loop."""
        bolt_request = BoltRequest(
            body=await request.get_raw_body(), query=request.query_string, headers=request.get_headers()
        )
        assert self.app.oauth_flow is not None  # routed only with SLACK_CLIENT_ID
        return await asyncio.to_thread(self.app.oauth_flow.handle_callback, bolt_request)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        if scope["path"] == "/healthz" and scope["method"] in ("GET", "HEAD"):
            return await self._health(send)
        body, too_big = await _read_body(scope, receive)
        if too_big:
            return await _send(send, 413, {"error": "payload too large"})
        refused = _malformed(scope, body)
        if refused is not None:  # never from Slack: refused before any parsing, one short log line
            return await _send(send, refused[0], {"error": refused[1]})

        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await super().__call__(scope, replay, send)

    async def _health(self, send) -> None:
        payload = await asyncio.to_thread(self.health)
        await _send(send, 200 if payload["status"] == "ok" else 503, payload)

    def health(self) -> dict:
        """Database reachable; where the scheduler runs in this process, a pass succeeded within twice
        KPI_EVAL_INTERVAL too (the process's own age counts as a pass: a grace period at start)."""
        from bot.jobs.clock import health, watchdog_budget

        if not reachable(self.settings.database_url):
            return {
                "status": "unavailable",
                "database": "unreachable",
                "scheduler": "unknown",
                "last_pass": None,
                "scheduler_in_process": self.scheduler_here,
            }
        if not writable(self.settings.database_url, self.clock()):  # disk full, read-only, permissions
            return {
                "status": "unavailable",
                "database": "read-only",
                "scheduler": "unknown",
                "last_pass": None,
                "scheduler_in_process": self.scheduler_here,
            }
        fresh, detail = health(
            self.settings.database_url,
            self.settings.kpi_eval_interval,
            self.started if self.scheduler_here else None,
            self.clock(),
            watchdog_budget(self.settings) if self.scheduler_here else None,
        )
        condition = "ok" if fresh else ("stuck" if "stuck_since" in detail else "stale")
        return {
            "status": "ok" if fresh or not self.scheduler_here else "unavailable",
            "database": "ok",
            "scheduler": condition,
            "scheduler_in_process": self.scheduler_here,
            **detail,
        }


def handle(app: App, body: str, query: str, headers: dict) -> BoltResponse:
    """One POST to /slack/events. A body Bolt cannot even parse (no such body comes from Slack) gets
    400 before anything else happens; everything else goes to Bolt (signature check first)."""
    try:
        bolt_request = BoltRequest(body=body, query=query, headers=headers)
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        rejections.note(f"unparseable request refused ({type(exc).__name__})")
        return BoltResponse(status=400, body="malformed request")
    odd = _without_event(app, bolt_request)
    if odd is not None:
        return odd
    response = app.dispatch(bolt_request)
    if response.status == 401:
        rejections.note("request refused with 401: its signature is wrong, stale or already used")
    return response


def _without_event(app: App, request: BoltRequest) -> BoltResponse | None:
    """A signed ``event_callback`` whose ``event`` is not an object (no such payload comes from Slack) is
    acknowledged and ignored with one log line: Bolt's own middlewares would fail on it (HTTP 500 and a
    traceback). Unsigned, it goes on to Bolt, which refuses it (401)."""
    body = request.body
    if not isinstance(body, dict) or body.get("type") != "event_callback" or isinstance(body.get("event"), dict):
        return None
    settings = getattr(getattr(app, "deps", None), "settings", None)
    secret = settings.slack_signing_secret if settings is not None else None
    if secret is None:
        return None

    def first(name: str) -> str:
        return str((request.headers.get(name) or [""])[0])

    verifier = SignatureVerifier(secret.get_secret_value())
    if not verifier.is_valid(request.raw_body, first("x-slack-request-timestamp"), first("x-slack-signature")):
        return None
    log.warning("signed event_callback whose event is not an object (%s) ignored", type(body.get("event")).__name__)
    return BoltResponse(status=200, body="")


_TIMESTAMP = re.compile(rb"[0-9]{1,12}")


def _malformed(scope, body: bytes) -> tuple[int, str] | None:
    """A request no Slack client sends: a timestamp that is not a small whole number (401, as an unsigned
    request), or a body that is not UTF-8 (400). Bolt would answer both with a 500 and a traceback."""
    if scope["path"] != "/slack/events" or scope["method"] != "POST":
        return None
    stamps = [v for k, v in scope.get("headers", []) if k.lower() == b"x-slack-request-timestamp"]
    if any(not _TIMESTAMP.fullmatch(v.strip()) for v in stamps):
        rejections.note("request with a malformed timestamp refused")
        return 401, "invalid request"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        rejections.note("request whose body is not UTF-8 refused")
        return 400, "malformed request"
    return None


async def _read_body(scope, receive) -> tuple[bytes, bool]:
    """The body, or (b"", True) when it is over MAX_BODY. An oversized body is read and thrown
    away (up to DRAIN_LIMIT) so that the client receives the 413 instead of a reset connection."""
    chunks: list[bytes] = []
    size, too_big = 0, False
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            too_big, chunks = True, []
        elif not too_big:
            chunks.append(chunk)
        if not message.get("more_body") or size > DRAIN_LIMIT:
            break
    return (b"", True) if too_big else (b"".join(chunks), False)


async def _send(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_asgi_with_scheduler() -> KpiAsgi:
    """Factory of the single-process mode (``python -m bot``): its scheduler's health is its own."""
    return create_asgi(scheduler_here=True)


def create_asgi(settings: Settings | None = None, app: App | None = None, scheduler_here: bool = False) -> KpiAsgi:
    """Factory used by uvicorn (one call per worker process): no scheduler is started here."""
    from bot import logs
    from bot.slack.app import create_app

    settings = settings or get_settings()
    if app is None:
        logs.configure(settings.log_level, settings.secrets())
        app = create_app(settings)
    clock = getattr(getattr(app, "deps", None), "clock", None)
    return KpiAsgi(app, settings, clock, scheduler_here)
