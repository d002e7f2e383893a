"""Slack's inbound text format, decoded in one place: what the person typed or meant.

Slack sends the text of slash commands and of message, mention and DM events with ``&``, ``<`` and ``>``
written ``&amp;``, ``&lt;`` and ``&gt;``, and with mentions, channels and links as control sequences
between ``<`` and ``>``::

    <@U123> <@U123|ana>            -> @U123  @ana
    <#C123|general> <#C123>        -> #general  #C123
    <http://google.com|google.com> -> google.com   (a link: its label)
    <https://x.io/a>               -> x.io/a       (no label: the URL as people type it, without its scheme)
    <mailto:a@b.c|a@b.c>           -> a@b.c
    <!channel> <!here> <!everyone> -> @channel  @here  @everyone
    <!subteam^S123|@sales>         -> @sales
    <!date^1392734382^{date}|Feb 18, 2014> -> Feb 18, 2014

:func:`decode` turns a text into what the person typed; the entities are unescaped last, so that a typed
``<`` never starts a control sequence. The app's middleware (:class:`bot.slack.middleware.DecodedText`)
applies it to every command and event text before any listener reads it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//)?")


def decode(text: str, bot_user_id: str = "") -> str:
    """``text`` as the person typed it. Mentions of ``bot_user_id`` (the bot being addressed) are removed."""

    def control(match: re.Match[str]) -> str:
        inside, _, label = match.group(1).partition("|")
        return _meant(inside, label, bot_user_id)

    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], _CONTROL.sub(control, text))


def mentions(text: str, user_id: str) -> bool:
    """Whether Slack's ``text`` mentions ``user_id`` (``<@U123>`` or ``<@U123|name>``)."""
    return bool(user_id) and any(m.group(1).partition("|")[0] == "@" + user_id for m in _CONTROL.finditer(text))


def _meant(inside: str, label: str, bot_user_id: str) -> str:
    """What one control sequence stands for (its inside, its label after ``|``)."""
    if inside.startswith("@"):
        if bot_user_id and inside[1:] == bot_user_id:
            return " "
        return "@" + (label.removeprefix("@") or inside[1:])
    if inside.startswith("#"):
        return "#" + (label.removeprefix("#") or inside[1:])
    if inside.startswith("!"):
        name, _, rest = inside[1:].partition("^")
        if label or name == "date":  # a date's label is its fallback text
            return label
        return "@" + (rest.split("^")[0] if name == "subteam" and rest else name)
    if label:
        return label
    return _SCHEME.sub("", inside, count=1)
