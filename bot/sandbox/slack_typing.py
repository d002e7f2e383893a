"""What Slack sends for what a person types: the encoder of the fake Slack (:mod:`bot.sandbox.local_slack`),
used by the console and the tests so that the app always reads text the way Slack delivers it
(the app decodes it with :mod:`bot.slack.wire`)."""

from __future__ import annotations

import re

_LINKABLE = re.compile(
    r"(?<![\w@./:-])(https?://[^\s<>]+|[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|io|org|net|fr|co|dev|app)\b)"
)


def slack_encode(text: str, links: bool = True) -> str:
    """``text`` as Slack sends what a person typed: ``&``, ``<``, ``>`` escaped, and (``links``) URLs and
    domain names turned into links (``google.com`` -> ``<http://google.com|google.com>``)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not links:
        return escaped
    return _LINKABLE.sub(_link, escaped)


def _link(match: re.Match[str]) -> str:
    typed = match.group(1)
    if typed.startswith(("http://", "https://")):
        return f"<{typed}>"
    if "@" in typed:
        return f"<mailto:{typed}|{typed}>"
    return f"<http://{typed}|{typed}>"
