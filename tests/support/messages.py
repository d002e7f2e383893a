"""Reading what a user reads: the texts of a Block Kit message, the posts the fake Slack received."""

from __future__ import annotations


def texts(message: dict) -> str:
    """Every text of a Block Kit message, joined (to assert on what a user reads)."""
    out = [message.get("text", "")]
    for block in message.get("blocks", []):
        for key in ("text",):
            if isinstance(block.get(key), dict):
                out.append(block[key]["text"])
        for f in block.get("fields", []) or []:
            out.append(f["text"])
        for e in block.get("elements", []) or []:
            if isinstance(e.get("text"), dict):
                out.append(e["text"]["text"])
            elif "text" in e:
                out.append(e["text"])
    return "\n".join(out)


def posts(slack, channel=None):
    return [c for c in slack.calls_to("chat.postMessage") if channel is None or c.payload.get("channel") == channel]
