"""What Slack refuses: the documented limits of messages, modals and the Home tab, checked on every
payload the fake Slack receives (``refusal``), so that every test checks Slack's rules for free.

Limits from https://api.slack.com/reference/block-kit (blocks, block elements, composition objects),
chat.postMessage ("text" truncated past 40,000 characters: refused here, as ``msg_too_long``) and
views.open / views.publish.
"""

from __future__ import annotations

from typing import Any

MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
VIEW_METHODS = {"views.open", "views.publish", "views.update", "views.push"}
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000


class Refused(Exception):
    def __init__(self, error: str, detail: str):
        super().__init__(f"{error}: {detail}")
        self.error = error
        self.detail = detail


def refusal(method: str, payload: dict) -> tuple[str, str] | None:
    """(Slack's error, what is wrong) for a payload Slack would refuse, else None. ``method`` is a Web API
    method, or "response_url" for a post to a response URL."""
    try:
        if method in MESSAGE_METHODS or method == "response_url":
            _message(payload, response_url=method == "response_url")
        elif method in VIEW_METHODS:
            _view(payload.get("view"))
    except Refused as exc:
        return exc.error, exc.detail
    return None


def refuse_as_slack(slack, kind: str, name: str, payload: dict) -> str | None:
    """Slack's error for a payload the fake ``slack`` received ("api" or "response_url" ``kind``) when it
    is over Slack's limits, kept in ``slack.refused`` and, with what is wrong, in ``slack.invalid``."""
    found = refusal("response_url" if kind == "response_url" else name, payload)
    if found is None:
        return None
    with slack._cond:
        slack.refused.append((name, found[0]))
        slack.invalid.append((name, *found))
        slack._cond.notify_all()
    return found[0]


def _check(ok: bool, detail: str, error: str = "invalid_blocks") -> None:
    if not ok:
        raise Refused(error, detail)


def _message(payload: dict, response_url: bool) -> None:
    if response_url and payload.get("delete_original") in (True, "true"):
        return
    blocks = _as_list(payload.get("blocks"), "blocks")
    text = payload.get("text")
    _check(isinstance(text, str | type(None)), "text is not a string", "invalid_arguments")
    _check(len(text or "") <= MAX_MESSAGE_TEXT, f"text has {len(text or '')} characters", "msg_too_long")
    if not blocks and not payload.get("attachments"):
        _check(bool((text or "").strip()), "no text and no blocks", "no_text")
    if blocks:
        _check(bool((text or "").strip()), "blocks sent without a top-level text fallback", "invalid_arguments")
    _check(len(blocks) <= MAX_MESSAGE_BLOCKS, f"{len(blocks)} blocks (at most {MAX_MESSAGE_BLOCKS})")
    for n, block in enumerate(blocks):
        _block(block, f"blocks[{n}]")


def _view(view: Any) -> None:
    _check(isinstance(view, dict), "no view", "invalid_arguments")
    blocks = _as_list(view.get("blocks"), "view.blocks", "invalid_arguments")
    _check(len(blocks) <= MAX_VIEW_BLOCKS, f"{len(blocks)} blocks (at most {MAX_VIEW_BLOCKS})", "invalid_arguments")
    if view.get("type") == "modal":
        _plain(view.get("title"), 24, "view.title", required=True, error="invalid_arguments")
        for key in ("submit", "close"):
            _plain(view.get(key), 24, f"view.{key}", required=False, error="invalid_arguments")
    _check(len(str(view.get("private_metadata") or "")) <= 3000, "private_metadata over 3000", "invalid_arguments")
    _check(len(str(view.get("callback_id") or "")) <= 255, "callback_id over 255", "invalid_arguments")
    try:
        for n, block in enumerate(blocks):
            _block(block, f"view.blocks[{n}]")
    except Refused as exc:
        raise Refused("invalid_arguments", exc.detail) from None


def _as_list(value: Any, where: str, error: str = "invalid_blocks") -> list:
    if value is None or value == "":
        return []
    _check(isinstance(value, list), f"{where} is not a list", error)
    return value


def _text(obj: Any, limit: int, where: str, required: bool = True) -> None:
    """A text object: plain_text or mrkdwn, not empty, within ``limit``."""
    if obj is None and not required:
        return
    _check(isinstance(obj, dict) and obj.get("type") in ("plain_text", "mrkdwn"), f"{where} is not a text object")
    text = obj.get("text")
    _check(isinstance(text, str) and len(text) > 0, f"{where}.text is empty")
    _check(len(text) <= limit, f"{where}.text has {len(text)} characters (at most {limit})")


def _plain(obj: Any, limit: int, where: str, required: bool = True, error: str = "invalid_blocks") -> None:
    if obj is None and not required:
        return
    try:
        _text(obj, limit, where)
    except Refused as exc:
        raise Refused(error, exc.detail) from None
    _check(obj.get("type") == "plain_text", f"{where} must be plain_text", error)


def _block(block: Any, where: str) -> None:
    _check(isinstance(block, dict), f"{where} is not a block")
    kind = block.get("type")
    _check(len(str(block.get("block_id") or "")) <= 255, f"{where}.block_id over 255 characters")
    if kind == "section":
        _check(block.get("text") is not None or bool(block.get("fields")), f"{where} has neither text nor fields")
        _text(block.get("text"), 3000, f"{where}.text", required=False)
        fields = _as_list(block.get("fields"), f"{where}.fields")
        _check(len(fields) <= 10, f"{where} has {len(fields)} fields (at most 10)")
        for n, item in enumerate(fields):
            _text(item, 2000, f"{where}.fields[{n}]")
        if block.get("accessory") is not None:
            _element(block["accessory"], f"{where}.accessory")
    elif kind == "header":
        _plain(block.get("text"), 150, f"{where}.text")
    elif kind == "context":
        elements = _as_list(block.get("elements"), f"{where}.elements")
        _check(0 < len(elements) <= 10, f"{where} has {len(elements)} elements (1 to 10)")
        for n, item in enumerate(elements):
            if item.get("type") in ("plain_text", "mrkdwn"):
                _text(item, 3000, f"{where}.elements[{n}]")
    elif kind == "actions":
        elements = _as_list(block.get("elements"), f"{where}.elements")
        _check(0 < len(elements) <= 25, f"{where} has {len(elements)} elements (1 to 25)")
        for n, item in enumerate(elements):
            _element(item, f"{where}.elements[{n}]")
    elif kind == "input":
        _plain(block.get("label"), 2000, f"{where}.label")
        _plain(block.get("hint"), 2000, f"{where}.hint", required=False)
        _element(block.get("element"), f"{where}.element")
    elif kind == "image":
        _check(len(str(block.get("alt_text") or "")) <= 2000, f"{where}.alt_text over 2000 characters")
    else:
        _check(kind in ("divider", "file", "rich_text", "video"), f"{where} has an unknown type {kind!r}")


def _element(element: Any, where: str) -> None:
    _check(isinstance(element, dict), f"{where} is not an element")
    _check(len(str(element.get("action_id") or "")) <= 255, f"{where}.action_id over 255 characters")
    _plain(element.get("placeholder"), 150, f"{where}.placeholder", required=False)
    kind = element.get("type")
    if kind == "button":
        _plain(element.get("text"), 75, f"{where}.text")
        _check(len(str(element.get("value") or "")) <= 2000, f"{where}.value over 2000 characters")
        _check(len(str(element.get("url") or "")) <= 3000, f"{where}.url over 3000 characters")
    elif kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"):
        _options(element, where)
    elif kind == "plain_text_input":
        initial, most = element.get("initial_value"), element.get("max_length")
        if initial is not None and most is not None:
            _check(len(str(initial)) <= int(most), f"{where}.initial_value longer than max_length")


def _options(element: dict, where: str) -> None:
    options = _as_list(element.get("options"), f"{where}.options")
    groups = _as_list(element.get("option_groups"), f"{where}.option_groups")
    for group in groups:
        options = options + _as_list(group.get("options"), f"{where}.option_groups.options")
    _check(0 < len(options) <= 100, f"{where} has {len(options)} options (1 to 100)")
    for n, option in enumerate(options):
        _text(option.get("text"), 75, f"{where}.options[{n}].text")
        _check(0 < len(str(option.get("value") or "")) <= 150, f"{where}.options[{n}].value empty or over 150")
    known = [(o.get("value"), (o.get("text") or {}).get("text")) for o in options]
    initial = [element["initial_option"]] if element.get("initial_option") else []
    for chosen in initial + _as_list(element.get("initial_options"), f"{where}.initial_options"):
        pair = (chosen.get("value"), (chosen.get("text") or {}).get("text"))
        _check(pair in known, f"{where}: an initial option {pair[0]!r} is not among its options")
