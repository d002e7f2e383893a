"""The render kit every Block Kit module uses: escaping, clipping and the few block shapes they share.

Slack reads ``&``, ``<`` and ``>`` as the start of an entity, a mention (``<!channel>``, ``<@U1>``), a
channel (``<#C1>``) or a link (``<http://…|label>``) in mrkdwn, in a message's top-level ``text`` and in
a file's ``initial_comment``. Every piece of text that comes from the data or from people (product and
channel values, KPI names from a team's catalog, words typed back, did-you-mean lists) goes through
:func:`escape` before it is put in such a text; the fixed texts with a literal ``<`` or ``>`` go through
:func:`fixed` (which :func:`message` also applies to every fallback). Plain texts (headers, buttons,
options) are shown literally: they are given raw, never escaped; a refusal shown as plain text (a
form's errors) goes through :func:`plain`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, PlainTextObject, SectionBlock

from kpi.errors import Refusal
from kpi.texts import t

MAX_BLOCKS = 50  # per message
MAX_VIEW_BLOCKS = 100  # per modal or Home tab
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_BUTTON = 75
MAX_FALLBACK = 3000  # the top-level text we send (Slack takes 40,000; a notification shows far less)

# The control sequences the bot itself means to write: a user or a channel named by its id.
_INTENDED = re.compile(r"<[@#][A-Z0-9]{1,20}>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def escape(text: object) -> str:
    """Slack's own escaping: & < > are the only control characters of mrkdwn links and mentions."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def fixed(text: str) -> str:
    """A text made safe for mrkdwn and top-level ``text``: a fixed text of kpi/locales with literal ``<``,
    ``>`` or ``&`` ("OP is one of >, <, >=, <="), or a text whose values were escaped already. Entities
    are kept as they are, anything raw is escaped, except the mentions the bot means (``<@U123>``,
    ``<#C123>``), which only a fixed text holds raw (so data must be escaped before: a raw ``<@U1>`` from
    the data would pass for one of them)."""
    out, last = [], 0
    for found in _INTENDED.finditer(text):
        out += [_escape_raw(text[last : found.start()]), found.group(0)]
        last = found.end()
    return "".join(out) + _escape_raw(text[last:])


def _escape_raw(text: str) -> str:
    return _BARE_AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """A text for a ``plain_text`` object (modal errors, labels): shown literally, so no entity, no
    ``*bold*`` and no backticks."""
    text = unescape(text).replace("`", "")
    return re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)


def refusal_text(problem: Refusal, lang: str) -> str:
    """A refusal of typed input for mrkdwn: its words escaped (the value typed, the closest values of the
    data), the text's own literal ``<``, ``>`` too."""
    if not problem.key:
        return ""
    values = {k: escape(v) if isinstance(v, str) else v for k, v in problem.params.items()}
    return fixed(t(lang, problem.key, **values))


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, the cut marked with "…" (never inside an entity such as ``&amp;``)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", len(cut) - 4)
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def clip_lines(lines: Sequence[str], limit: int, more: Callable[[int], str], sep: str = "\n") -> str:
    """Whole lines (or items: ``sep``) joined up to ``limit`` characters; those left out told by
    ``more(count)`` ("…and 12 more") instead of being cut mid-token."""
    total = len(lines)
    kept: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        rest = total - n - 1  # the lines after this one, told by ``more`` if they don't fit
        if used + len(line) + (len(more(rest)) + len(sep) if rest else 0) > limit:
            break
        kept.append(line)
        used += len(line) + len(sep)
    else:
        return sep.join(kept)
    if not kept:  # even the first line is too long: it is cut, the others counted
        kept = [clip(lines[0], limit - len(more(total - 1)) - len(sep) if total > 1 else limit)]
    left = total - len(kept)
    return sep.join(kept + ([more(left)] if left else []))


def md(text: str, limit: int = MAX_SECTION) -> MarkdownTextObject:
    """A mrkdwn text object of an already escaped text."""
    return MarkdownTextObject(text=clip(text, limit))


def header(text: str, emoji: bool | None = True) -> HeaderBlock:
    """A header: plain text, shown as written (so given raw, never escaped)."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER), emoji=emoji))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=md(text))


def message(text: str, blocks: Sequence[Block | dict]) -> dict:
    """``{"text": fallback, "blocks": [...]}`` for ``ack``, ``respond`` or ``chat.postMessage``: at most 50
    blocks, each validated by ``slack_sdk``, and a fallback without any control sequence."""
    shown = [b if isinstance(b, dict) else b.to_dict() for b in list(blocks)[:MAX_BLOCKS]]
    return {"text": clip(fixed(text), MAX_FALLBACK), "blocks": shown}
