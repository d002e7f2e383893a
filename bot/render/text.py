"""Block Kit to readable terminal text (the console shows messages this way)."""

from __future__ import annotations

import re

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def _plain(text: str) -> str:
    text = _USER.sub(r"@\1", text)
    text = _LINK.sub(r"\2", text)
    text = _BOLD.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj) -> str:
    return _plain(obj.get("text", "")) if isinstance(obj, dict) else ""


def blocks_to_text(message: dict) -> str:
    blocks = message.get("blocks") or []
    if not blocks:
        return _plain(message.get("text", ""))
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text(block.get("text"))
            lines += [title, "=" * min(len(title), 72)]
        elif kind == "section":
            if block.get("text"):
                lines.append(re.sub(r"\n?```\n?", "\n", _text(block["text"])).strip("\n"))
            for f in block.get("fields") or []:
                lines.append("  " + _text(f).replace("\n", ": ", 1))
        elif kind == "context":
            lines.append("  " + "  ".join(_text(e) for e in block.get("elements") or []))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines.append("  " + " ".join(f"[{_text(e.get('text'))}]" for e in block.get("elements") or []))
    return "\n".join(line.rstrip() for line in lines)
