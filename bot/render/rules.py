"""Block Kit for rule management: this channel's rules with their state (a segment rule once, with its
segments' states), and who changed what."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from slack_sdk.models.blocks import Block, HeaderBlock, PlainTextObject, SectionBlock

from bot.render.alerts import line_text, when_text
from bot.render.answers import _md, escape, message
from kpi.catalog import Catalog, Unit
from kpi.present import breakdown_key, dimension_name, format_value
from kpi.rules import Rule, RuleKind
from kpi.texts import t


def state_text(rule: Rule, now: datetime, tz, lang: str) -> str:
    if rule.snoozed_until and rule.snoozed_until > now:
        return t(lang, "state_snoozed", until=when_text(rule.snoozed_until, tz, lang))
    return t(lang, f"state_{rule.state.value}")


def rules_message(rules: list[Rule], catalog: Catalog, now: datetime, tz, lang: str, currency: str) -> dict:
    if not rules:
        return message(t(lang, "rule_list_empty"), [SectionBlock(text=_md(t(lang, "rule_list_empty")))])
    lines = []
    segments: dict[int, list[Rule]] = {}
    for row in rules:
        if row.parent_id is not None:
            segments.setdefault(row.parent_id, []).append(row)
    for row in [r for r in rules if r.parent_id is None]:
        spec = row.spec
        kpi = catalog.kpis.get(spec.kpi)
        unit = kpi.unit if kpi else Unit.NUMBER
        name = kpi.name(lang) if kpi else spec.kpi
        if spec.segment_only is not None:
            name = (
                f"{name} ({dimension_name(spec.segment_by or '', lang)} = "
                f"{breakdown_key(spec.segment_only or None, lang, spec.segment_by, catalog)})"
            )
        elif spec.segment_by:
            name = f"{name} ({t(lang, 'segment_for_each', dimension=dimension_name(spec.segment_by, lang))})"
        line = t(
            lang,
            "rule_line",
            id=row.id,
            kpi=escape(name),
            line=line_text(spec, unit, lang, currency),
            window=spec.window,
            state=state_text(row, now, tz, lang),
        )
        if row.splits:  # its segments' states, the firing ones named
            mine = segments.get(row.id, [])
            firing = sorted(
                breakdown_key(c.segment_key or None, lang, spec.segment_by, catalog)
                for c in mine
                if c.state == "firing"
            )
            counts = ", ".join(
                f"{n} {t(lang, f'state_{st}')}" for st, n in sorted(Counter(c.state.value for c in mine).items())
            )
            line = t(
                lang,
                "rule_line",
                id=row.id,
                kpi=escape(name),
                line=line_text(spec, unit, lang, currency),
                window=spec.window,
                state=t(lang, "rule_segments", count=len(mine), states=counts or "—"),
            )
            if firing:
                line += f" · 🔴 {escape(', '.join(firing))}"
            lines.append(line)
            continue
        if row.last_value is not None:
            shown = (
                format_value(row.last_value, Unit.PERCENT, lang)
                if spec.kind is RuleKind.CHANGE
                else format_value(row.last_value, unit, lang, currency)
            )
            line += f" · {t(lang, 'rule_last_value', value=shown)}"
        lines.append(line)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=t(lang, "rule_list_title")))]
    chunk: list[str] = []
    for line in lines:
        if sum(len(c) + 1 for c in chunk) + len(line) > 2900:
            blocks.append(SectionBlock(text=_md("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=_md("\n".join(chunk))))
    return message(t(lang, "rule_list_title") + "\n" + "\n".join(lines), blocks)


def history_message(entries: list[dict], tz, lang: str) -> dict:
    if not entries:
        return message(t(lang, "history_empty"), [SectionBlock(text=_md(t(lang, "history_empty")))])
    lines = []
    for e in entries:
        what = t(lang, "action_" + e["action"].replace(".", "_"), target=escape(e.get("target") or ""))
        lines.append(t(lang, "history_line", when=when_text(e["at"], tz, lang), user=escape(e["user_id"]), what=what))
    return message(
        t(lang, "history_title") + "\n" + "\n".join(lines),
        [HeaderBlock(text=PlainTextObject(text=t(lang, "history_title"))), SectionBlock(text=_md("\n".join(lines)))],
    )
