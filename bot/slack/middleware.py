"""The app's own middlewares, run by Bolt after its signature check and before any listener.

* :class:`NotReplayed` — a signed request seen a second time is a replay: 401, no effect;
* :class:`WellFormed` — the envelope of interactivity payloads (below);
* :class:`OncePerEvent` — each Slack event is handled once, whatever its retries and the processes;
* :class:`DecodedText` — the text of commands and message events as the person typed it (:mod:`bot.slack.wire`).

The envelope: the shape Slack gives every interactivity payload, checked once before any listener runs.

Listeners treat the *values* inside a payload (button values, modal inputs, metadata) as untrusted
text, but they rely on its *envelope*: ``team``, ``user`` and ``channel`` are objects with a string
``id``, ``actions`` a list of objects with a string ``action_id``, ``view`` an object whose ``state``
holds objects. A signed payload that breaks this (no such payload comes from Slack) is acknowledged
and ignored, with one log line naming what was wrong; nothing is changed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy.exc import SQLAlchemyError

from bot.slack import wire
from kpi.config import Settings
from kpi.store import state
from kpi.texts import t


def _id_object(body: dict, key: str, required: bool) -> list[str]:
    value = body.get(key)
    if value is None:
        return [f"{key} is missing"] if required else []
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return [f"{key} is not an object with a string id"]
    return []


def problems(body: dict) -> list[str]:
    """What is wrong with an interactivity payload's envelope (empty when it is well formed)."""
    kind = body.get("type")
    if kind not in (
        "block_actions",
        "view_submission",
        "view_closed",
        "block_suggestion",
        "shortcut",
        "message_action",
        "interactive_message",
    ):
        return []  # commands and events have envelopes of their own, checked by Bolt
    found = _id_object(body, "team", required=True) + _id_object(body, "user", required=True)
    found += _id_object(body, "channel", required=False)
    actions = body.get("actions")
    if kind == "block_actions":
        if not isinstance(actions, list) or not actions:
            found.append("actions is not a non-empty list")
        else:
            for index, action in enumerate(actions):
                if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                    found.append(f"actions[{index}] has no string action_id")
                    continue
                if "value" in action and not isinstance(action["value"], (str, type(None))):
                    found.append(f"actions[{index}].value is not a string")
                option = action.get("selected_option")
                if option is not None and not (isinstance(option, dict) and isinstance(option.get("value"), str)):
                    found.append(f"actions[{index}].selected_option has no string value")
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return found + ["view is not an object with a string callback_id"]
        if not isinstance(view.get("private_metadata", ""), str):
            found.append("view.private_metadata is not a string")
        view_state = view.get("state", {} if kind == "view_closed" else None)
        values = view_state.get("values", {}) if isinstance(view_state, dict) else None
        if not isinstance(values, dict) or not all(
            isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
            for block in values.values()
        ):
            found.append("view.state.values is not an object of objects")
    return found


class NotReplayed(Middleware):
    """A signed request is valid for 5 minutes; seen a second time it is a replay (401, no effect).
    Events are exempt: Slack's own retries are handled once by ``event_id`` (:class:`OncePerEvent`)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime], logger: logging.Logger):
        self.settings, self.clock, self.logger = settings, clock, logger

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        now = self.clock().astimezone(timezone.utc).replace(tzinfo=None)
        try:
            first = (
                not signature
                or req.body.get("type") == "event_callback"
                or state.first_delivery(self.settings.database_url, "", "sig:" + signature[:90], now)
            )
        except SQLAlchemyError:
            return apology(self.settings, self.logger)
        if not first:  # said by the web front, like every 401
            return BoltResponse(status=401, body="")
        return next()


class WellFormed(Middleware):
    """Payloads whose envelope is not Slack's are acknowledged and ignored (see :func:`problems`)."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        found = problems(req.body)
        if found:
            self.logger.warning(
                "malformed %s payload ignored: %s", str(req.body.get("type"))[:40], "; ".join(found)[:300]
            )
            return BoltResponse(status=200, body="")
        return next()


class OncePerEvent(Middleware):
    """Slack retries an event it thinks was lost (X-Slack-Retry-Num) and may send one twice: each
    event_id is handled once, whatever the number of web processes."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime], logger: logging.Logger):
        self.settings, self.clock, self.logger = settings, clock, logger

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        try:
            first = not event_id or state.first_delivery(
                self.settings.database_url,
                str(req.context.team_id or body.get("team_id", "")),
                str(event_id),
                self.clock().astimezone(timezone.utc).replace(tzinfo=None),
            )
        except SQLAlchemyError:
            if event_id:  # no one reads an event's answer: its listener apologises where the person wrote
                req.context["state_failed"] = logged_failure(self.logger)
                return next()
            return apology(self.settings, self.logger)
        if not first:
            self.logger.info("event %s already handled; this delivery is ignored", str(event_id)[:40])
            return BoltResponse(status=200, body="")
        return next()


MENTIONS_BOT = "mentions_bot"  # in the listener's context: the event's text mentioned the bot (removed from it)
_TEXT_EVENTS = ("message", "app_mention")


class DecodedText(Middleware):
    """Slack's text format decoded once, before any listener reads it: a slash command's ``text`` and the
    ``text`` of message and mention events become what the person typed (:func:`bot.slack.wire.decode`).
    The bot's own mentions are removed from an event's text; ``context[MENTIONS_BOT]`` says there was one."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body
        if isinstance(body.get("command"), str) and isinstance(body.get("text"), str):
            body["text"] = wire.decode(body["text"])
        event = body.get("event") if body.get("type") == "event_callback" else None
        if isinstance(event, dict) and event.get("type") in _TEXT_EVENTS and isinstance(event.get("text"), str):
            bot = req.context.bot_user_id or ""
            req.context[MENTIONS_BOT] = wire.mentions(event["text"], bot)
            event["text"] = wire.decode(event["text"], bot)
        return next()


def apology(settings: Settings, logger: logging.Logger) -> BoltResponse:
    """The bot's own database failed before any listener: the person gets the apology with an error id
    (a slash command shows the body; other payloads ignore it), and the log the traceback under that id."""
    error_id = logged_failure(logger)
    body = json.dumps(
        {"response_type": "ephemeral", "text": t(settings.kpi_language, "err_internal", error_id=error_id)}
    )
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _object(body: dict, key: str) -> dict:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def foreign_team(body: dict) -> str | None:
    """The team of a person from another organisation in this request (Slack Connect: a partner's member
    in a shared channel or a DM), or None when the person belongs to the installed workspace.

    The workspace a request is delivered for is the installation's (``team_id`` of commands and events,
    ``team.id`` of interactivity payloads); the person's own team is ``user_team`` / ``source_team`` /
    ``team`` in a message event, ``user.team_id`` in interactivity payloads and ``user_team`` in a command.
    An organisation-wide install (Enterprise Grid) serves every workspace of the organisation: its
    workspaces are not foreign, so no team check is made there."""
    team = body.get("team")
    home = _text(body.get("team_id")) or (_text(team.get("id")) if isinstance(team, dict) else "")
    if not home or body.get("is_enterprise_install") in (True, "true"):
        return None
    event, user = _object(body, "event"), _object(body, "user")
    teams = [event.get("user_team"), event.get("source_team"), event.get("team"), user.get("team_id")]
    teams.append(body.get("user_team"))
    return next((other for other in map(_text, teams) if other and other != home), None)


class SameWorkspace(Middleware):
    """Only the installed workspace's people are answered: a request from a member of another team gets a
    polite refusal and no data (a command: the refusal as its answer; a mention or a DM: the refusal in
    the background; a button: the refusal through its response URL; anything else is ignored)."""

    def __init__(self, settings: Settings, later: Callable[..., None], logger: logging.Logger):
        self.settings, self.later, self.logger = settings, later, logger

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        other = foreign_team(req.body)
        if other is None:
            return next()
        self.logger.info("a request from team %s (not the installed workspace) was refused", other[:20])
        text = t(self.settings.kpi_language, "err_other_workspace")
        if "command" in req.body:
            body = json.dumps({"response_type": "ephemeral", "text": text})
            return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
        if req.body.get("type") == "view_submission":  # the form is replaced by the refusal, nothing saved
            view = {
                "type": "modal",
                "title": {"type": "plain_text", "text": "KPI bot"},
                "close": {"type": "plain_text", "text": "OK"},
                "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text}}],
            }
            body = json.dumps({"response_action": "update", "view": view})
            return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
        self.later(_refuse, req.context.client, req.body, text)
        return BoltResponse(status=200, body="")


def _refuse(client, body: dict, text: str) -> None:
    """Tell a person of another workspace that the bot does not answer them (never any data)."""
    event = _object(body, "event")
    channel, user = _text(event.get("channel")), _text(event.get("user"))
    if event.get("type") == "app_mention" and channel and user:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    elif event.get("type") == "message" and event.get("channel_type") == "im" and channel:
        client.chat_postMessage(channel=channel, text=text)
    elif isinstance(body.get("response_url"), str) and body.get("type") == "block_actions":
        from slack_sdk.webhook import WebhookClient

        WebhookClient(body["response_url"]).send(text=text, response_type="ephemeral", replace_original=False)


def logged_failure(logger: logging.Logger) -> str:
    """The traceback of the bot's database failing, logged under a new error id (returned)."""
    error_id = uuid.uuid4().hex[:10]
    logger.exception("the bot's database failed while checking a request [error_id=%s]", error_id)
    return error_id
