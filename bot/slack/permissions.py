"""Who may change alert rules and digests: KPI_ADMINS, or else workspace admins and owners."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk.errors import SlackApiError

from kpi.texts import t

log = logging.getLogger("bot.permissions")


ADMIN_TTL = 300.0  # seconds a workspace-admin answer from users.info is reused
_admins: dict[tuple[str, str, str], tuple[float, bool]] = {}
_admins_lock = threading.Lock()


def _key(client, user: str) -> tuple[str, str, str]:
    return (str(getattr(client, "base_url", "")), str(getattr(client, "token", "") or "")[-12:], user)


def known(settings, client, user: str, clock=time.monotonic) -> bool | None:
    """What :func:`can_manage` would answer, without asking Slack: None when only Slack can tell
    (a form is acked at once, and asks after)."""
    admins = settings.admins
    if admins:
        return user in admins
    with _admins_lock:
        seen = _admins.get(_key(client, user))
    if seen is not None and clock() - seen[0] < ADMIN_TTL:
        return seen[1]
    return None


def can_manage(settings, client, user: str, clock=time.monotonic) -> bool:
    """KPI_ADMINS, else the workspace's admins and owners (users.info). Slack's answer is kept five
    minutes, so that the form opened by `/kpi alert` is submitted (and acked) without a second call."""
    found = known(settings, client, user, clock)
    if found is not None:
        return found
    try:
        info = client.users_info(user=user)
    except SlackApiError as exc:
        log.warning("users.info failed for a permission check: %s", exc.response.get("error"))
        return False
    profile = info.get("user") or {}
    allowed = bool(profile.get("is_admin") or profile.get("is_owner") or profile.get("is_primary_owner"))
    with _admins_lock:
        if len(_admins) > 10_000:
            _admins.clear()
        _admins[_key(client, user)] = (clock(), allowed)
    return allowed


def who(settings, lang: str) -> str:
    admins = settings.admins
    if admins:
        return t(lang, "who_admins", users=", ".join(f"<@{u}>" for u in admins))
    return t(lang, "who_workspace_admins")


def refusal(settings, lang: str) -> str:
    return t(lang, "not_allowed", who=who(settings, lang))
