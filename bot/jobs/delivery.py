"""Delivering the outbox to Slack: once, in order, paced, with retries that respect Slack.

* Each notification is claimed first (a lease), so two processes never post the same one.
* Replies and updates wait until the message they belong to has been posted.
* At most about one message per second per channel.
* HTTP 429: wait ``Retry-After`` when it fits in the pass's budget, else leave it for the next pass.
* 5xx and connection errors: exponential backoff (5 s, 10 s… up to 5 min) across passes.
* Errors that will not go away (channel_not_found, not_in_channel, invalid_blocks…) are marked failed
  and logged once, instead of being retried forever. Those that come from the channel (the bot removed,
  the channel archived or gone) are recorded on it: its rules show it (`/kpi alerts`, Home) and their
  authors get one DM, until a post there goes through again.
* A pass stops after ``KPI_DELIVERY_BUDGET`` seconds; what is left stays in the outbox.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.render.answers import notice
from kpi.errors import SecretKeyError
from kpi.store import state
from kpi.texts import t


class Courier(Protocol):
    """What delivery needs, and nothing more (a :class:`bot.jobs.context.JobContext` is one)."""

    @property
    def url(self) -> str: ...

    worker: str
    clients: Any  # ``for_team(team_id)`` -> a slack_sdk WebClient, or None when the workspace is gone
    settings: Any  # ``kpi_delivery_budget``

    @property
    def sleep(self) -> Any: ...  # injected by tests

    @property
    def monotonic(self) -> Any: ...


log = logging.getLogger("bot.delivery")
LEASE = timedelta(minutes=2)
PER_CHANNEL_GAP = 1.0
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "message_not_found",
    "cant_update_message",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "no_permission",
    "missing_scope",
    "restricted_action",
    "invalid_arguments",
}


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    left: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.retried} to retry, {self.failed} failed, {self.left} left"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 5 * 2 ** max(attempts, 0)))


def deliver(ctx: Courier, now: datetime) -> Report:
    """Deliver what is due in the outbox, within the time budget. ``now`` is naive UTC."""
    report = Report()
    start = ctx.monotonic()
    budget = ctx.settings.kpi_delivery_budget
    last_sent: dict[str, float] = {}
    working: set[tuple[str, str]] = set()  # (team, channel) where a post went through in this pass
    rows = state.pending_outbox(ctx.url, now)
    for index, row in enumerate(rows):
        if ctx.monotonic() - start > budget:
            report.left = len(rows) - index
            break
        if not state.claim(ctx.url, row["id"], ctx.worker, now, LEASE):
            continue
        thread_ts = None
        if row["method"] == "chat.update" or row["in_thread"]:
            thread_ts = state.message_ts(ctx.url, row["message_id"]) if row["message_id"] else None
            if thread_ts is None:
                state.release(ctx.url, row["id"])  # its message is not posted yet
                report.left += 1
                continue
        outcome = _send_with_retries(ctx, row, thread_ts, last_sent, start, budget, now)
        match outcome:
            case ("ok", ts):
                state.delivered(ctx.url, row["id"], ts, now)
                report.delivered += 1
                if (row["team_id"], row["channel_id"]) not in working:
                    working.add((row["team_id"], row["channel_id"]))
                    state.channel_fixed(ctx.url, row["team_id"], row["channel_id"])
            case ("retry", at, error):
                state.retry_later(ctx.url, row["id"], at, error)
                report.retried += 1
            case ("failed", error):
                state.failed(ctx.url, row["id"], error, now)
                log.error("notification %s to %s dropped: Slack says %s", row["dedupe_key"], row["channel_id"], error)
                report.failed += 1
                if error in CHANNEL_PROBLEMS and not row["channel_id"].startswith(("U", "W")):  # not a person's DM
                    _channel_refused(ctx, row, error, now)
            case _:
                raise AssertionError(outcome)
    return report


def _send_with_retries(ctx, row: dict, thread_ts, last_sent: dict, start: float, budget: float, now: datetime):
    payload = json.loads(row["payload"])
    channel = row["channel_id"]
    try:
        client = ctx.clients.for_team(row["team_id"])
    except SecretKeyError as exc:  # a key was rotated out too early: keep everything for later
        log.error("cannot deliver to workspace %s: %s", row["team_id"], exc.message)
        return ("retry", now + backoff(row["attempts"]), "stored token does not decrypt")
    if client is None:  # the workspace uninstalled the app: nothing can reach it any more
        return ("failed", "not_installed")
    while True:
        gap = PER_CHANNEL_GAP - (ctx.monotonic() - last_sent.get(channel, -1e9))
        if gap > 0:
            ctx.sleep(gap)
        try:
            if row["method"] == "chat.update":
                response = client.chat_update(
                    channel=channel, ts=thread_ts, text=payload.get("text", ""), blocks=payload.get("blocks")
                )
            elif row["method"] == "files.upload":
                client.files_upload_v2(
                    channel=channel,
                    file=base64.b64decode(payload["file_b64"]),
                    filename=payload.get("filename", "chart.png"),
                    title=payload.get("title"),
                    thread_ts=thread_ts,
                )
                last_sent[channel] = ctx.monotonic()
                return ("ok", None)
            else:
                response = client.chat_postMessage(
                    channel=channel,
                    text=payload.get("text", ""),
                    blocks=payload.get("blocks"),
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                if not response.get("ts"):  # replies and updates need it: without it, it is not delivered
                    last_sent[channel] = ctx.monotonic()
                    if row["attempts"] >= MAX_NO_TS:
                        return ("failed", "no_ts")
                    return ("retry", now + backoff(row["attempts"]), "Slack answered without a message ts")
            last_sent[channel] = ctx.monotonic()
            return ("ok", response.get("ts"))
        except SlackApiError as exc:
            last_sent[channel] = ctx.monotonic()
            status = exc.response.status_code
            error = str(exc.response.get("error", status))
            if status == 429:
                wait = _retry_after(exc.response.headers)
                if ctx.monotonic() - start + wait <= budget:
                    ctx.sleep(wait)
                    continue
                return ("retry", now + timedelta(seconds=wait), f"rate limited ({wait:g}s)")
            if status >= 500:
                return ("retry", now + backoff(row["attempts"]), f"HTTP {status}")
            if error in PERMANENT:
                return ("failed", error)
            return ("retry", now + backoff(row["attempts"]), error)
        except SlackRequestError as exc:  # the file upload step itself failed (non-200)
            last_sent[channel] = ctx.monotonic()
            return ("retry", now + backoff(row["attempts"]), str(exc)[:200])
        except (OSError, ValueError) as exc:  # connection refused/reset, timeouts, bad gateway bodies
            last_sent[channel] = ctx.monotonic()
            return ("retry", now + backoff(row["attempts"]), f"{type(exc).__name__}: {exc}"[:200])


# Refusals that come from the channel itself: shown on its rules and told to their authors (once)
CHANNEL_PROBLEMS = {"not_in_channel", "is_archived", "channel_not_found"}


def _channel_refused(ctx: Courier, row: dict, error: str, now: datetime) -> None:
    lang = ctx.settings.kpi_language
    text = t(lang, "channel_problem_dm", channel=row["channel_id"], problem=t(lang, f"channel_problem_{error}"))
    told = state.channel_refused(ctx.url, row["team_id"], row["channel_id"], error, now, notice(text))
    if told:
        log.warning("posts in %s refused (%s): %d rule author(s) told", row["channel_id"], error, len(told))


MAX_NO_TS = 5  # answers without a ts retried that many times, then the notification is failed (logged)
MAX_RETRY_AFTER = 3600.0  # a Retry-After beyond an hour (or not a number) is read as an hour


def _retry_after(headers) -> float:
    """Slack's Retry-After in seconds, between 1 s and an hour whatever the header says ('1e12', 'inf')."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                seconds = float(value if not isinstance(value, list) else value[0])
            except (TypeError, ValueError):
                return 1.0
            return min(MAX_RETRY_AFTER, max(1.0, seconds)) if math.isfinite(seconds) else MAX_RETRY_AFTER
    return 1.0
