"""Who may change alert rules and digests: KPI_ADMINS, or else workspace admins and owners."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from kpi.texts import t

log = logging.getLogger("bot.permissions")


def can_manage(settings, client, user: str) -> bool:
    admins = settings.admins
    if admins:
        return user in admins
    try:
        info = client.users_info(user=user)
    except SlackApiError as exc:
        log.warning("users.info failed for a permission check: %s", exc.response.get("error"))
        return False
    profile = info.get("user") or {}
    return bool(profile.get("is_admin") or profile.get("is_owner") or profile.get("is_primary_owner"))


def who(settings, lang: str) -> str:
    admins = settings.admins
    if admins:
        return t(lang, "who_admins", users=", ".join(f"<@{u}>" for u in admins))
    return t(lang, "who_workspace_admins")


def refusal(settings, lang: str) -> str:
    return t(lang, "not_allowed", who=who(settings, lang))
