"""A local stand-in for Slack's Web API and response URLs, on a loopback port.

The console uses it so that a newcomer sees the real app answer without a
Slack workspace, and the tests use it as the fake Slack server the app reaches
through ``SLACK_API_URL``. It records every call, answers like Slack for the
methods the app uses, and can be told to fail (HTTP 429 with Retry-After, 5xx)
to test delivery. It is not a security boundary: it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from bot.sandbox.conversations import Conversations
from bot.sandbox.holding import Holding
from bot.sandbox.latency import Latency
from bot.sandbox.slack_rules import refuse_as_slack


@dataclass
class Call:
    kind: str  # "api" or "response_url"
    name: str  # Web API method ("chat.postMessage") or the response_url id
    payload: dict
    headers: dict = field(default_factory=dict)


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    remaining: int = 1


POLL_INTERVAL = 0.02  # seconds


class LocalSlack(Conversations, Holding):
    def __init__(self, team_id: str = "T0LOCAL", users: dict[str, dict] | None = None):
        self.team_id = team_id
        self.users = users or {}
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}  # file id -> bytes sent to its upload URL
        self._failures: dict[str, list[Failure]] = {}
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        # OAuth: codes Slack would hand out after a user approves, and the workspace of each token
        self.client_credentials: tuple[str, str] | None = None
        self._codes: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}  # bot token -> team id
        self.invalid_tokens: set[str] = set()  # tokens auth.test refuses (invalid_auth), as Slack does
        self.without_ts: set[str] = set()  # methods answered {"ok": true} with no ts (a broken proxy would)
        self.refused: list[tuple[str, int | str]] = []  # (method, status or Slack's error) of every call refused
        self.invalid: list[tuple[str, str, str]] = []  # (method, error, what is wrong): payloads Slack refuses
        self.latency = Latency()  # a slow Slack: `slack.latency.delay = 4.0` answers every call 4 s late

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # stop() waits for the serving loop to notice; polled every 20 ms, not the default 0.5 s
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, name="local-slack", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}/"

    @property
    def api_url(self) -> str:
        return self.url + "api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}response/{name}"

    # -- inspection -------------------------------------------------------------------------
    def calls_to(self, name: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.name == name]

    def responses(self) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.kind == "response_url"]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Call]:
        """Block until ``predicate(calls)`` is true (a synchronisation, not a sleep)."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.calls), timeout=timeout):
                raise TimeoutError(f"expected Slack calls did not arrive; got {[c.name for c in self.calls]}")
            return list(self.calls)

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self._failures.clear()

    def fail(self, name: str, status: int, times: int = 1, retry_after: int | None = None) -> None:
        """Make the next ``times`` calls to ``name`` (method or response id, or "*") fail."""
        with self._cond:
            self._failures.setdefault(name, []).append(Failure(status, retry_after, times))

    def clear_failures(self) -> None:
        with self._cond:
            self._failures.clear()

    def grant(self, code: str, team_id: str, token: str, team_name: str = "", user: str = "UINSTALL") -> None:
        """A user of ``team_id`` approved the app on Slack's page: ``code`` now buys ``token`` once."""
        with self._cond:
            self._codes[code] = {"team_id": team_id, "team_name": team_name or team_id, "token": token, "user": user}
            self.tokens[token] = team_id

    def team_of(self, call: Call) -> str | None:
        """The workspace whose bot token made ``call`` (None for response URLs and unknown tokens)."""
        auth = call.headers.get("authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None

    # -- behaviour ----------------------------------------------------------------------------
    def _failure_for(self, name: str) -> Failure | None:
        for key in (name, "*"):
            queue = self._failures.get(key)
            while queue:
                failure = queue[0]
                if failure.remaining > 0:
                    failure.remaining -= 1
                    if failure.remaining == 0:
                        queue.pop(0)
                    return failure
                queue.pop(0)
        return None

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _exchange(self, payload: dict, headers: dict) -> dict:
        """oauth.v2.access: a granted code, once, for the right client credentials."""
        if self.client_credentials is not None:
            expected = base64.b64encode(":".join(self.client_credentials).encode()).decode()
            if headers.get("authorization", "") != f"Basic {expected}":
                return {"ok": False, "error": "invalid_client"}
        with self._cond:
            grant = self._codes.pop(str(payload.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        return {
            "ok": True,
            "app_id": "A123",
            "access_token": grant["token"],
            "token_type": "bot",
            "scope": "commands,chat:write,files:write,users:read,app_mentions:read,im:history,"
            "channels:history,groups:history,channels:join,groups:read",
            "bot_user_id": "UKPIBOT",
            "team": {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant["user"]},
        }

    def answer(self, method: str, payload: dict, headers: dict | None = None) -> dict:
        ts = f"1700000000.{next(self._ts):06d}"
        headers = headers or {}
        with self._cond:
            refused = self._posting_error(method, payload)
            if method in ("conversations.join", "conversations.info"):
                return self._conversations(method, payload)
        if refused:
            return {"ok": False, "error": refused}
        match method:
            case "oauth.v2.access":
                return self._exchange(payload, headers)
            case "auth.test":
                auth = headers.get("authorization", "")
                if auth.removeprefix("Bearer ").strip() in self.invalid_tokens:
                    return {"ok": False, "error": "invalid_auth"}
                team = self.tokens.get(auth.removeprefix("Bearer ").strip(), self.team_id)
                return {
                    "ok": True,
                    "url": "https://local.slack/",
                    "team": "Local",
                    "user": "kpi",
                    "team_id": team,
                    "user_id": "UKPIBOT",
                    "bot_id": f"B{team}",
                }
            case "chat.postMessage" if method in self.without_ts:
                return {"ok": True}
            case "chat.postMessage":
                return {
                    "ok": True,
                    "channel": payload.get("channel"),
                    "ts": ts,
                    "message": {"text": payload.get("text"), "ts": ts},
                }
            case "chat.update":
                return {"ok": True, "channel": payload.get("channel"), "ts": payload.get("ts")}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "users.info":
                user = self.users.get(payload.get("user", ""))
                return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ts):06d}"
                return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}upload/{file_id}"}
            case "files.completeUploadExternal":
                files = payload.get("files")
                files = json.loads(files) if isinstance(files, str) else (files or [])
                return {
                    "ok": True,
                    "files": [
                        {"id": f.get("id"), "title": f.get("title"), "size": len(self.uploads.get(f.get("id"), b""))}
                        for f in files
                    ],
                }
            case "views.open" | "views.publish" | "views.update" | "views.push":
                return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(payload.get("view") or {})}}
            case _:
                return {"ok": True}


def _handler(slack: LocalSlack):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test and console output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path.startswith("/upload/"):
                file_id = self.path[len("/upload/") :]
                with slack._cond:
                    slack.uploads[file_id] = raw
                slack._record(Call("upload", file_id, {"bytes": len(raw)}))
                return self._reply(200, {"ok": True})
            payload = _decode(raw, self.headers.get("Content-Type", ""))
            if self.path.startswith("/api/"):
                kind, name = "api", self.path[len("/api/") :].split("?")[0]
            elif self.path.startswith("/response/"):
                kind, name = "response_url", self.path[len("/response/") :]
            else:
                return self._reply(404, {"ok": False, "error": "not_found"})
            if slack._held(name):
                self.close_connection = True
                return
            failure = slack._failure_for(name)
            if failure is not None:
                with slack._cond:
                    slack.refused.append((name, failure.status))
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return self._reply(
                    failure.status,
                    {"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal_error"},
                    headers,
                )
            headers = {k.lower(): v for k, v in self.headers.items()}
            slack.latency.wait(kind, name)  # a slow Slack answers late (bot.sandbox.latency)
            refused = refuse_as_slack(slack, kind, name, payload)
            if refused is not None:  # refused as Slack refuses it: never posted, so not recorded as a call
                return self._reply(200 if kind == "api" else 400, {"ok": False, "error": refused})
            slack._record(Call(kind, name, payload, headers))
            if kind == "response_url":
                return self._reply(200, {"ok": True})
            return self._reply(200, slack.answer(name, payload, headers))

        def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _decode(raw: bytes, content_type: str) -> dict:
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            data = json.loads(text)
            return data if isinstance(data, dict) else {"_": data}
        except ValueError:
            return {"_raw": text}
    fields: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(text).items()}
    for key in ("blocks", "view", "attachments"):
        if isinstance(fields.get(key), str):
            try:
                fields[key] = json.loads(fields[key])
            except ValueError:
                pass
    return fields
