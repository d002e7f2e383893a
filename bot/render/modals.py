"""The alert-rule modal: menus instead of syntax, validation errors shown inline."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from kpi.catalog import Catalog
from kpi.grammar import REPEATS, WEEKDAYS, DigestSpec, threshold_as_typed
from kpi.rules import WINDOWS, Rule, RuleKind
from kpi.texts import t

CALLBACK_RULE = "alert_rule_modal"
CALLBACK_DIGEST = "digest_modal"
OPS = [
    (">", "op_gt"),
    ("<", "op_lt"),
    (">=", "op_ge"),
    ("<=", "op_le"),
    ("drops", None),
    ("rises", None),
    ("unusual", "op_unusual"),
    ("target", "op_target"),
]


# The channel pickers offer channels only: never a DM or group DM (the bot is not in them), nor a bot's DM.
CHANNELS_ONLY = ConversationFilter(include=["public", "private"], exclude_bot_users=True)


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text[:75]), value=value)


def _pick(options: list[Option], value) -> Option:
    return next((o for o in options if o.value == value), options[0])


def rule_modal(catalog: Catalog, lang: str, channel: str, team: str, rule: Rule | None = None) -> dict:
    """Create a rule, or edit ``rule`` (a stored row) when given."""
    kpis = [_option(k.name(lang), k.key) for k in list(catalog.kpis.values())[:100]]
    ops = [_option(t(lang, key) if key else value, value) for value, key in OPS]
    windows = [_option(w, w) for w in WINDOWS] + [_option(t(lang, "window_day"), "day")]
    repeats = [_option(r, r) for r in REPEATS]
    spec = rule.spec if rule is not None else None
    op_value = spec.op.value if spec else ">"
    threshold = ""
    if spec is not None:  # the stored number, written back the way this language reads it
        if spec.kind is RuleKind.CHANGE:
            op_value = "rises" if spec.op.upward else "drops"
        unit = catalog.kpis[spec.kpi].unit if spec.kpi in catalog.kpis else None
        threshold = threshold_as_typed(spec.kind, spec.threshold, unit, lang)
        if spec.kind is RuleKind.UNUSUAL:
            op_value, threshold = "unusual", spec.sensitivity or "medium"
        if spec.kind is RuleKind.TARGET:
            op_value, threshold = "target", threshold_as_typed(RuleKind.CHANGE, spec.threshold, None, lang)
    repeat = {s: w for w, s in REPEATS.items()}.get(spec.repeat_seconds, "24h") if spec else "24h"
    view = View(
        type="modal",
        callback_id=CALLBACK_RULE,
        title=PlainTextObject(text=t(lang, "modal_title")[:24]),
        submit=PlainTextObject(text=t(lang, "modal_submit")),
        close=PlainTextObject(text=t(lang, "modal_cancel")),
        private_metadata=json.dumps({"channel": channel, "team": team, "rule": rule.id if rule else None}),
        blocks=[
            InputBlock(
                block_id="kpi",
                label=t(lang, "modal_kpi"),
                element=StaticSelectElement(
                    action_id="value", options=kpis, initial_option=_pick(kpis, spec.kpi if spec else None)
                ),
            ),
            InputBlock(
                block_id="op",
                label=t(lang, "modal_op"),
                element=StaticSelectElement(action_id="value", options=ops, initial_option=_pick(ops, op_value)),
            ),
            InputBlock(
                block_id="threshold",
                label=t(lang, "modal_threshold"),
                optional=True,
                element=PlainTextInputElement(
                    action_id="value",
                    placeholder=t(lang, "modal_threshold_hint"),
                    max_length=32,
                    initial_value=threshold or None,
                ),
            ),
            InputBlock(
                block_id="window",
                label=t(lang, "modal_window"),
                element=StaticSelectElement(
                    action_id="value", options=windows, initial_option=_pick(windows, spec.window if spec else "30d")
                ),
            ),
            InputBlock(
                block_id="segment",
                label=t(lang, "modal_segment"),
                optional=True,
                element=PlainTextInputElement(
                    action_id="value",
                    placeholder=t(lang, "modal_segment_hint"),
                    max_length=64,
                    initial_value=(spec.segment_by if spec else None) or None,
                ),
            ),
            InputBlock(
                block_id="channel",
                label=t(lang, "modal_channel"),
                element=ConversationSelectElement(
                    action_id="value",
                    initial_conversation=(rule.channel_id if rule else channel) or None,
                    filter=CHANNELS_ONLY,
                ),
            ),
            InputBlock(
                block_id="for",
                label=t(lang, "modal_for"),
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", initial_value=str(spec.for_count if spec else 1), max_length=3
                ),
            ),
            InputBlock(
                block_id="repeat",
                label=t(lang, "modal_repeat"),
                element=StaticSelectElement(action_id="value", options=repeats, initial_option=_pick(repeats, repeat)),
            ),
        ],
    )
    return view.to_dict()


def digest_modal(
    catalog: Catalog, lang: str, channel: str, team: str, default_tz: str, current: DigestSpec | None = None
) -> dict:
    """Subscribe a channel to the digest with menus (prefilled with its current subscription)."""
    current = current or DigestSpec(timezone=default_tz)
    cadences = [_option(t(lang, "cadence_daily"), "daily"), _option(t(lang, "cadence_weekly"), "weekly")]
    days = [_option(d, d) for d in WEEKDAYS]
    kpis = [_option(k.name(lang), k.key) for k in list(catalog.kpis.values())[:100]]
    chosen = [o for o in kpis if o.value in current.kpis]
    view = View(
        type="modal",
        callback_id=CALLBACK_DIGEST,
        title=PlainTextObject(text=t(lang, "modal_digest_title")[:24]),
        submit=PlainTextObject(text=t(lang, "modal_save")),
        close=PlainTextObject(text=t(lang, "modal_cancel")),
        private_metadata=json.dumps({"channel": channel, "team": team}),
        blocks=[
            InputBlock(
                block_id="cadence",
                label=t(lang, "modal_cadence"),
                element=StaticSelectElement(
                    action_id="value", options=cadences, initial_option=_pick(cadences, current.cadence)
                ),
            ),
            InputBlock(
                block_id="weekday",
                label=t(lang, "modal_weekday"),
                optional=True,
                element=StaticSelectElement(
                    action_id="value",
                    options=days,
                    initial_option=_pick(days, WEEKDAYS[current.weekday] if current.weekday is not None else "mon"),
                ),
            ),
            InputBlock(
                block_id="time",
                label=t(lang, "modal_time"),
                element=TimePickerElement(action_id="value", initial_time=current.at_time),
            ),
            InputBlock(
                block_id="timezone",
                label=t(lang, "modal_timezone"),
                element=PlainTextInputElement(
                    action_id="value", max_length=64, initial_value=current.timezone or default_tz
                ),
            ),
            InputBlock(
                block_id="kpis",
                label=t(lang, "modal_kpis"),
                optional=True,
                element=StaticMultiSelectElement(action_id="value", options=kpis, initial_options=chosen or None),
            ),
            InputBlock(
                block_id="channel",
                label=t(lang, "modal_channel"),
                element=ConversationSelectElement(
                    action_id="value", initial_conversation=channel or None, filter=CHANNELS_ONLY
                ),
            ),
        ],
    )
    return view.to_dict()


def submitted(view: dict) -> dict[str, str]:
    """The values of a submitted modal, by block id (multi-selects joined with commas)."""
    out = {}
    for block_id, actions in (view.get("state", {}).get("values", {}) or {}).items():
        element = (actions or {}).get("value") or {}
        if element.get("selected_options") is not None:
            value = ",".join(str(o.get("value", "")) for o in element["selected_options"][:100])
        elif element.get("selected_option"):
            value = element["selected_option"].get("value")
        else:
            value = element.get("value") or element.get("selected_time") or element.get("selected_conversation") or ""
        out[block_id] = str(value)[:1000]
    return out
