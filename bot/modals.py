"""The alert-rule modal: menus instead of syntax, validation errors shown inline."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from kpi.alerts import WINDOWS
from kpi.catalog import Catalog
from kpi.texts import t

CALLBACK_RULE = "alert_rule_modal"
OPS = [(">", "op_gt"), ("<", "op_lt"), (">=", "op_ge"), ("<=", "op_le"), ("drops", None), ("rises", None)]
REPEATS = ["1h", "6h", "12h", "24h", "1w"]


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text[:75]), value=value)


def rule_modal(catalog: Catalog, lang: str, channel: str, team: str) -> dict:
    kpis = [_option(k.name(lang), k.key) for k in list(catalog.kpis.values())[:100]]
    ops = [_option(t(lang, key) if key else value, value) for value, key in OPS]
    windows = [_option(w, w) for w in WINDOWS]
    repeats = [_option(r, r) for r in REPEATS]
    view = View(
        type="modal",
        callback_id=CALLBACK_RULE,
        title=PlainTextObject(text=t(lang, "modal_title")[:24]),
        submit=PlainTextObject(text=t(lang, "modal_submit")),
        close=PlainTextObject(text=t(lang, "modal_cancel")),
        private_metadata=json.dumps({"channel": channel, "team": team}),
        blocks=[
            InputBlock(block_id="kpi", label=t(lang, "modal_kpi"),
                       element=StaticSelectElement(action_id="value", options=kpis, initial_option=kpis[0])),
            InputBlock(block_id="op", label=t(lang, "modal_op"),
                       element=StaticSelectElement(action_id="value", options=ops, initial_option=ops[0])),
            InputBlock(block_id="threshold", label=t(lang, "modal_threshold"),
                       element=PlainTextInputElement(action_id="value", placeholder=t(lang, "modal_threshold_hint"),
                                                     max_length=32)),
            InputBlock(block_id="window", label=t(lang, "modal_window"),
                       element=StaticSelectElement(action_id="value", options=windows, initial_option=windows[1])),
            InputBlock(block_id="for", label=t(lang, "modal_for"), optional=True,
                       element=PlainTextInputElement(action_id="value", initial_value="1", max_length=3)),
            InputBlock(block_id="repeat", label=t(lang, "modal_repeat"),
                       element=StaticSelectElement(action_id="value", options=repeats, initial_option=repeats[3])),
        ],
    )
    return view.to_dict()


def submitted(view: dict) -> dict[str, str]:
    """The values of a submitted rule modal, by block id."""
    out = {}
    for block_id, actions in (view.get("state", {}).get("values", {}) or {}).items():
        element = (actions or {}).get("value") or {}
        selected = element.get("selected_option") or {}
        out[block_id] = str(selected.get("value") if selected else (element.get("value") or ""))[:64]
    return out
