"""The fake Slack's conversations: which channels exist, of which kind, whether the bot is in them, and
how Slack refuses to post where the bot cannot (``not_in_channel``, ``channel_not_found``, ``is_archived``),
as documented for chat.postMessage, chat.postEphemeral, files.completeUploadExternal and conversations.join.

Private channels, DMs and group DMs the bot is not in are invisible to it (``channel_not_found``), as in
Slack; ``conversations.join`` works on public channels only (``method_not_supported_for_channel_type``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

# -- conversations: which channels exist, of which kind, and whether the bot is in them ------------------


@dataclass
class Conversation:
    """A conversation as Slack knows it: ``kind`` is public | private | im | mpim."""

    id: str
    kind: str = "public"
    member: bool = True
    archived: bool = False
    name: str = ""

    def info(self) -> dict:
        return {
            "id": self.id,
            "name": self.name or self.id.lower(),
            "is_channel": self.kind in ("public", "private"),
            "is_group": self.kind == "private",
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "public",
            "is_archived": self.archived,
            "is_member": self.member,
        }


# Methods that post into a conversation: refused as Slack refuses them when the bot cannot post there.
POSTING = {
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "chat.scheduleMessage",
    "files.completeUploadExternal",
}


class Conversations:
    """Mixed into :class:`bot.sandbox.local_slack.LocalSlack` (which provides the lock ``_cond``)."""

    _cond: threading.Condition
    # None: every conversation is a public channel the bot is in (the console, tests that do not care);
    # else only these exist (see add_channel), and posting follows Slack's membership rules
    channels: dict[str, Conversation] | None = None

    def add_channel(
        self, channel_id: str, kind: str = "public", member: bool = True, archived: bool = False, name: str = ""
    ) -> Conversation:
        """Declare a conversation (from then on, undeclared ones do not exist: ``channel_not_found``)."""
        assert kind in ("public", "private", "im", "mpim"), kind
        with self._cond:
            if self.channels is None:
                self.channels = {}
            conversation = Conversation(channel_id, kind, member, archived, name)
            self.channels[channel_id] = conversation
            return conversation

    def _conversation(self, channel_id: str) -> Conversation | None:
        if self.channels is None:
            return Conversation(channel_id)
        if channel_id.startswith("U"):  # a user's id as channel: the bot's own DM with that person
            return Conversation(channel_id, "im")
        return self.channels.get(channel_id)

    def _visible(self, channel_id: str) -> Conversation | None:
        """The conversation as the bot sees it: private ones, DMs and group DMs it is not in are hidden."""
        found = self._conversation(channel_id)
        if found is None or (found.kind != "public" and not found.member):
            return None
        return found

    def _posting_error(self, method: str, payload: dict) -> str | None:
        """Why Slack would refuse to post there: channel_not_found, is_archived, not_in_channel (or None)."""
        if method not in POSTING:
            return None
        channel = str(payload.get("channel") or payload.get("channel_id") or payload.get("channels") or "")
        if method == "files.completeUploadExternal" and not channel:
            return None  # uploaded without sharing it anywhere
        found = self._visible(channel.split(",")[0])
        if found is None:
            return "channel_not_found"
        if found.archived:
            return "is_archived"
        if not found.member:
            return "not_in_channel"
        return None

    def _conversations(self, method: str, payload: dict) -> dict:
        """conversations.join (public channels only) and conversations.info."""
        channel = str(payload.get("channel") or "")
        found = self._visible(channel) if method == "conversations.info" else self._conversation(channel)
        if found is None:
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.info":
            return {"ok": True, "channel": found.info()}
        if found.kind != "public":
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if found.archived:
            return {"ok": False, "error": "is_archived"}
        already, found.member = found.member, True
        answer: dict[str, Any] = {"ok": True, "channel": found.info()}
        if already:
            answer.update(warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]})
        return answer
