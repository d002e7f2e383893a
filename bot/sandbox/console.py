"""`python -m bot console [--demo]`: try the Slack app in a terminal, no workspace needed.

Typed lines (`/kpi cac month`, or just `cac month`) become slash-command
requests signed like Slack's and go through the same Bolt listeners as in
production; answers (inline, or posted to the response URL) are printed as
text. With ``--demo`` the app runs on a local SQLite file filled with demo data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from pydantic import SecretStr
from slack_bolt.request import BoltRequest

from bot.render.text import blocks_to_text
from bot.sandbox.local_slack import LocalSlack
from bot.sandbox.slack_typing import slack_encode
from bot.slack.app import create_app
from bot.slack.signing import signed_headers
from kpi.config import Settings

SECRET = "console-signing-secret"
DEMO_URL = "sqlite:///demo.db"
FIRST_EXAMPLE = "/kpi cac month"
CHARTS = Path("kpi-charts")
DEMO_HINT = (
    f"The demo data is in demo.db. The command line reads it with: "
    f"DATABASE_URL={DEMO_URL} .venv/bin/python -m kpi compute cac month"
)


def prepare_demo(settings: Settings, now: datetime | None = None) -> Settings:
    """The demo's settings, its database created (26 months of data) or topped up to now."""
    from kpi import demo_database

    settings = settings.model_copy(update={"database_url": DEMO_URL, "source_database_url": DEMO_URL})
    demo_database.ensure_demo(settings.source_url, now or datetime.now(timezone.utc))
    return settings


class Console:
    def __init__(self, settings: Settings, out: TextIO = sys.stdout, clock: Callable[[], datetime] | None = None):
        self.slack = LocalSlack().start()
        self.settings = settings.model_copy(
            update={
                "slack_api_url": self.slack.api_url,
                "slack_bot_token": SecretStr("xoxb-console-local"),
                "slack_signing_secret": SecretStr(SECRET),
                "slack_app_token": None,
                "kpi_admins": "",  # the console user is an admin of the local workspace (see LocalSlack users)
            }
        )
        self.slack.users["U0CONSOLE"] = {"id": "U0CONSOLE", "is_admin": True}
        self.app = create_app(self.settings, clock=clock) if clock else create_app(self.settings)
        self.app.deps.synchronous = True  # type: ignore[attr-defined]  # a new rule is evaluated before the prompt comes back
        self.out = out
        self.count = 0

    def close(self) -> None:
        self.slack.stop()

    def run_line(self, line: str) -> str:
        """Send one typed line through the app; returns what Slack would show, as text."""
        line = line.strip()
        if line.startswith("/") and not line.lower().startswith("/kpi"):
            return "Only /kpi is available here. Try /kpi help."
        text = line[4:].strip() if line.lower().startswith("/kpi") else line
        self.count += 1
        seen = len(self.slack.calls)
        body = urlencode(
            {
                "token": "unused",
                "team_id": "T0LOCAL",
                "team_domain": "local",
                "channel_id": "C0CONSOLE",
                "channel_name": "console",
                "user_id": "U0CONSOLE",
                "user_name": "you",
                "command": "/kpi",
                "text": slack_encode(text),  # as Slack sends what was typed
                "api_app_id": "A0LOCAL",
                "response_url": self.slack.response_url(str(self.count)),
                "trigger_id": f"console.{self.count}",
            }
        )
        headers: dict[str, Any] = dict(signed_headers(SECRET, body))
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        shown = []
        if response.body:
            try:
                shown.append(_show(json.loads(response.body)))
            except ValueError:
                shown.append(response.body)
        for call in self.slack.calls[seen:]:
            if call.kind == "response_url":
                shown.append(_show(call.payload))
            elif call.name in ("chat.postMessage", "chat.update"):
                shown.append(_show({**call.payload, "response_type": "in_channel"}))
            elif call.name == "files.completeUploadExternal":
                shown.append(self._save_charts(call.payload))
            elif call.name == "views.open":
                shown.append(_form_hint(call.payload))
        return "\n\n".join(s for s in shown if s) or "(no answer)"

    def _save_charts(self, payload: dict) -> str:
        """Slack would show the image; the console saves it next to you and says where."""
        files = payload.get("files")
        files = json.loads(files) if isinstance(files, str) else (files or [])
        folder = CHARTS
        folder.mkdir(exist_ok=True)
        saved = []
        for f in files:
            data = self.slack.uploads.get(f.get("id", ""))
            if data:
                name = "".join(c if c.isalnum() else "-" for c in (f.get("title") or f.get("id"))).strip("-").lower()
                path = folder / f"{name}-{self.count}.png"
                path.write_bytes(data)
                saved.append(str(path))
        comment = blocks_to_text({"text": payload.get("initial_comment", "")})  # mrkdwn, as Slack shows it
        return f"📈 {comment}\n  chart saved to {', '.join(saved)} (in Slack it shows in the channel)"


def _form_hint(payload: dict) -> str:
    """The console can't show Slack's forms: it says which command does the same."""
    view = payload.get("view")
    view = json.loads(view) if isinstance(view, str) else (view or {})
    if view.get("callback_id") == "digest_modal":
        return (
            "(the digest form opens in Slack here; in the console, type it instead, "
            "e.g. /kpi digest daily 09:00 Europe/Paris)"
        )
    return "(a form opens in Slack here; in the console, type the rule instead, e.g. /kpi alert cac > 150 30d)"


def _show(message: dict) -> str:
    visibility = (
        "(visible to everyone in the channel)"
        if message.get("response_type") == "in_channel"
        else "(only visible to you)"
    )
    return f"{blocks_to_text(message)}\n  {visibility}"


def main(settings: Settings, demo: bool, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    if demo:
        settings = prepare_demo(settings)
    console = Console(settings, out)
    interactive = stdin.isatty()
    try:
        print("KPI bot console: type /kpi help, /kpi list, /kpi cac month… (Ctrl-D or 'exit' to quit)", file=out)
        if demo:
            print(DEMO_HINT, file=out)
            print(f"\n> {FIRST_EXAMPLE}\n{console.run_line(FIRST_EXAMPLE)}\n", file=out, flush=True)
        while True:
            if interactive:
                print("kpi> ", end="", file=out, flush=True)
            line = stdin.readline()
            if not line or line.strip().lower() in ("exit", "quit", "\\q"):
                break
            if not line.strip():
                continue
            if not interactive:
                print(f"> {line.strip()}", file=out)
            print(console.run_line(line) + "\n", file=out, flush=True)
    finally:
        console.close()
    return 0
