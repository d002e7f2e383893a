"""Block Kit for rule management: this channel's rules with their state (a segment rule once, with its
segments' states), and who changed what."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from slack_sdk.models.blocks import Block, SectionBlock

from bot.render.alerts import line_text, when_text
from bot.render.blocks import MAX_BLOCKS, MAX_SECTION, clip_lines, escape, fixed, header, md, message
from kpi.catalog import Catalog, Unit
from kpi.present import breakdown_key, dimension_name, format_value
from kpi.rules import Rule, RuleKind
from kpi.texts import t

MAX_FIRING = 2000  # characters of a rule's firing segments in /kpi alerts (a section holds 3,000)


def state_text(rule: Rule, now: datetime, tz, lang: str) -> str:
    if rule.snoozed_until and rule.snoozed_until > now:
        return t(lang, "state_snoozed", until=when_text(rule.snoozed_until, tz, lang))
    return t(lang, f"state_{rule.state.value}")


def rules_message(rules: list[Rule], catalog: Catalog, now: datetime, tz, lang: str, currency: str) -> dict:
    if not rules:
        empty = fixed(t(lang, "rule_list_empty"))
        return message(empty, [SectionBlock(text=md(empty))])
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
            id=row.shown,
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
                id=row.shown,
                kpi=escape(name),
                line=line_text(spec, unit, lang, currency),
                window=spec.window,
                state=t(lang, "rule_segments", count=len(mine), states=counts or "—"),
            )
            if firing:
                line += " · 🔴 " + _firing(firing, lang)
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
    blocks: list[Block] = [header(t(lang, "rule_list_title"), emoji=None), *_sections(lines)]
    return message(t(lang, "rule_list_title") + "\n" + "\n".join(lines), blocks)


def _sections(lines: list[str]) -> list[SectionBlock]:
    """Lines in as few sections as they fit in (2,900 characters each)."""
    blocks: list[SectionBlock] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and sum(len(c) + 1 for c in chunk) + len(line) > 2900:
            blocks.append(SectionBlock(text=md("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=md("\n".join(chunk))))
    return blocks


def _firing(firing: list[str], lang: str) -> str:
    """A segment rule's firing values, escaped, as many as fit, the others counted ("… and 12 more")."""
    more = lambda n: t(lang, "breakdown_more", count=n)  # noqa: E731
    return clip_lines([escape(f) for f in firing], MAX_FIRING, more, sep=", ")


def history_message(entries: list[dict], tz, lang: str) -> dict:
    if not entries:
        return message(t(lang, "history_empty"), [SectionBlock(text=md(t(lang, "history_empty")))])
    lines = []
    for e in entries:
        what = t(lang, "action_" + e["action"].replace(".", "_"), target=escape(e.get("target") or ""))
        lines.append(t(lang, "history_line", when=when_text(e["at"], tz, lang), user=escape(e["user_id"]), what=what))
    shown = clip_lines(lines, MAX_SECTION, lambda count: t(lang, "breakdown_more", count=count))
    return message(
        t(lang, "history_title") + "\n" + shown,
        [header(t(lang, "history_title"), emoji=None), SectionBlock(text=md(shown))],
    )


def with_problem(listed: dict, problems: list[dict], tz, lang: str) -> dict:
    """The channel's rules, under a warning when Slack refuses the bot's posts there (removed, archived)."""
    if not problems:
        return listed
    row = problems[0]
    text = t(
        lang,
        "channel_problem_line",
        since=when_text(row["since"], tz, lang),
        problem=t(lang, f"channel_problem_{row['error']}"),
    )
    blocks = [SectionBlock(text=md(text)).to_dict(), *listed.get("blocks", [])]
    if len(blocks) > MAX_BLOCKS:  # the warning first, then the list cut on whole blocks, the cut said
        more = t(lang, "breakdown_more", count=len(blocks) - MAX_BLOCKS + 1)
        blocks = [*blocks[: MAX_BLOCKS - 1], SectionBlock(text=md(more)).to_dict()]
    return {**listed, "text": f"{text}\n{listed.get('text', '')}", "blocks": blocks}
