"""The shape Slack gives every interactivity payload, checked once before any listener runs.

Listeners treat the *values* inside a payload (button values, modal inputs, metadata) as untrusted
text, but they rely on its *envelope*: ``team``, ``user`` and ``channel`` are objects with a string
``id``, ``actions`` a list of objects with a string ``action_id``, ``view`` an object whose ``state``
holds objects. A signed payload that breaks this (no such payload comes from Slack) is acknowledged
and ignored, with one log line naming what was wrong; nothing is changed.
"""

from __future__ import annotations


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
    if kind not in ("block_actions", "view_submission", "view_closed", "block_suggestion", "shortcut",
                    "message_action", "interactive_message"):
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
                for block in values.values()):
            found.append("view.state.values is not an object of objects")
    return found
