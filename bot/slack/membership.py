"""Can the bot post in a conversation? Slash commands work in any channel, but posting there needs the bot
to be a member: it joins public channels itself (``conversations.join``, scope ``channels:join``); for a
private channel, or a DM between people, it says how to invite it. Archived channels take nothing.

Used before saving a rule or a digest, before a digest posted now and before a chart, so that none of them
looks like a success and then fails where nobody sees it."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from slack_sdk.errors import SlackApiError, SlackClientError

from kpi.errors import Refusal

log = logging.getLogger("bot.membership")

INVITE = "channel_invite_me"
ARCHIVED = "channel_archived"
# Slack's answers to a post that mean "not here until someone acts" (invite the bot, unarchive the channel)
CHANNEL_ERRORS = {"not_in_channel": INVITE, "channel_not_found": INVITE, "is_archived": ARCHIVED}
_checks = ThreadPoolExecutor(4, thread_name_prefix="kpi-membership")


class CannotPost(Refusal):
    """The bot cannot post in the channel: ``key`` says why and what to do (``channel_invite_me``…)."""


def problem(client, channel: str) -> str | None:
    """None when the bot can post in ``channel`` (after joining it if it is public), else the text key
    saying why not. Slack errors that say nothing about the channel (rate limits, a scope the workspace
    has not granted yet) are logged and read as "can post": the delivery reports a later failure."""
    error = _error(client.conversations_join, channel)
    if error is None:
        return None
    if error == "method_not_supported_for_channel_type":  # private channel or DM: is the bot in it?
        try:
            found = client.conversations_info(channel=channel)["channel"] or {}
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
        except (SlackClientError, OSError, ValueError) as exc:
            log.warning("could not check whether I am in %s: %s", channel, type(exc).__name__)
            return None
        else:
            if found.get("is_archived"):
                return ARCHIVED
            return None if found.get("is_member") or found.get("is_im") else INVITE
    if error in CHANNEL_ERRORS:
        return CHANNEL_ERRORS[error]
    log.warning("could not check whether I can post in %s: Slack says %s", channel, error)
    return None


def _error(method, channel: str) -> str | None:
    try:
        method(channel=channel)
    except SlackApiError as exc:
        return str(exc.response.get("error", "")) or "unknown"
    except (SlackClientError, OSError, ValueError) as exc:
        return f"unreachable ({type(exc).__name__})"
    return None


def require(client, channel: str) -> None:
    """Raise :class:`CannotPost` (answered politely by the listeners' guard) unless the bot can post there."""
    key = problem(client, channel)
    if key is not None:
        raise CannotPost(key)


def problem_within(client, channel: str, seconds: float) -> str | None:
    """:func:`problem`, given up after ``seconds`` (a form must be answered within Slack's 3 seconds):
    too slow reads as "can post", and a later failure is reported by the delivery."""
    future = _checks.submit(problem, client, channel)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        log.warning("Slack too slow to say whether I can post in %s; saving anyway", channel)
        return None


def refused(exc: Exception) -> str | None:
    """The text key for a Slack error raised while posting in a channel, when it is about the channel."""
    if isinstance(exc, SlackApiError):
        return CHANNEL_ERRORS.get(str(exc.response.get("error", "")))
    return None
