"""Block Kit for "Why?": a KPI's change split across the values of each of its breakdowns (:mod:`kpi.why`)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, SectionBlock

from bot.render.answers import read_as
from bot.render.blocks import clip, escape, header, md, message
from kpi.catalog import Catalog, Unit
from kpi.compute import KpiResult, pct_change
from kpi.present import (
    breakdown_key,
    coverage_notes,
    dimension_name,
    format_pct_change,
    format_value,
    period_title,
    stale_lines,
)
from kpi.texts import t
from kpi.why import Part, Why, unsplit_reason

TOP = 5  # values shown per breakdown


def part_line(why: Why, part: Part, catalog: Catalog, unit: Unit, lang: str, currency: str) -> str:
    """ "paid_search explains 71.0% of the rise: marketing and sales spend +18.0%, new customers −19.0%"."""
    share = why.share(part)
    moved = ", ".join(
        f"{catalog.measures[name].label(lang)} {_moved(before, now, lang)}" for name, before, now in part.measures
    )
    key = escape(breakdown_key(part.key, lang, why.by, catalog))
    if share is not None and share > 0:
        offset = why.offset(part)  # more than all of the change: the other values went the other way
        line = t(
            lang,
            "why_part_share" if offset is None else "why_part_share_offset",
            key=key,
            share=format_value(share, Unit.PERCENT, lang) if offset is None else format_pct_change(share, lang),
            offset=format_pct_change(offset or 0.0, lang),
            direction=t(lang, "why_rise" if why.change > 0 else "why_drop"),
            measures=escape(moved),
        )
    elif share is not None:  # it moved the KPI the other way: the others more than make up for it
        line = t(lang, "why_part_against", key=key, measures=escape(moved))
    else:
        line = t(lang, "why_part", key=key, measures=escape(moved))
    change = _signed(part.change, unit, lang, currency)
    if part.mix is not None and part.rate is not None:
        change = t(
            lang,
            "why_mix_rate",
            change=change,
            mix=_signed(part.mix, unit, lang, currency),
            rate=_signed(part.rate, unit, lang, currency),
        )
    return f"{line} ({change})"


def _moved(before: float, now: float, lang: str) -> str:
    if before == now:
        return "="
    if not before:
        return t(lang, "why_new")
    moved = pct_change(now, before)  # the one percentage rule (kpi.compute): none across a change of sign
    return format_pct_change(moved, lang) if moved is not None else "—"


def _signed(value: float, unit: Unit, lang: str, currency: str) -> str:
    text = format_value(abs(value), unit, lang, currency)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def _unsplit(total: KpiResult, whys: list[Why], catalog: Catalog, lang: str) -> str:
    """Why nothing is split: the KPI's kind, its breakdowns, its values, or no change at all."""
    reason = unsplit_reason(catalog, total) or ("why_nothing" if whys else "why_no_compare")
    where = ""
    if total.where is not None:
        by, key = total.where
        where = f"{dimension_name(by, lang)} = {breakdown_key(key, lang, by, catalog)}"
    dimension = total.where[0] if total.where is not None else ""
    return t(
        lang,
        reason,
        kpi=escape(total.kpi.name(lang)),
        where=escape(where),
        dimension=escape(dimension_name(dimension, lang)),
        key=total.kpi.key,
        by=dimension,
    )


def why_message(total: KpiResult, whys: list[Why], catalog: Catalog, lang: str, currency: str) -> dict:
    kpi = total.kpi
    before = format_value(total.previous_value, kpi.unit, lang, currency)
    now = format_value(total.value, kpi.unit, lang, currency)
    title = t(lang, "why_title", kpi=kpi.name(lang), before=before, now=now)
    blocks: list[Block] = [
        header(title, emoji=None),
        ContextBlock(
            elements=[
                md(
                    escape(read_as(total, lang))
                    + "\n"
                    + escape(
                        t(
                            lang,
                            "why_periods",
                            current=period_title(total.current, lang),
                            previous=period_title(total.previous, lang),
                        )
                    )
                )
            ]
        ),
    ]
    lines = []
    if not total.comparable:  # no change the data backs (kpi.coverage): say why, not "cannot be split"
        lines.append(escape("\n".join(coverage_notes(total, lang))))
    elif not whys or not any(w.change for w in whys):
        lines.append(_unsplit(total, whys, catalog, lang))
    for why in whys:
        if not why.change:
            continue
        shown = [part_line(why, p, catalog, kpi.unit, lang, currency) for p in why.parts[:TOP] if p.change]
        if len(why.parts) > TOP:
            shown.append(t(lang, "why_more", count=len(why.parts) - TOP))
        if abs(why.rest) > 1e-9 * max(abs(why.change), 1.0):
            shown.append(t(lang, "why_rest", rest=_signed(why.rest, kpi.unit, lang, currency)))
        text = f"*{t(lang, 'why_by', dimension=escape(dimension_name(why.by, lang)))}*\n" + "\n".join(shown)
        blocks.append(SectionBlock(text=md(clip(text, 2900))))
        lines.append(text)
    if not whys or not any(w.change for w in whys):
        blocks.append(SectionBlock(text=md(lines[0])))
    else:
        blocks.append(ContextBlock(elements=[md(t(lang, "why_how"))]))
    if total.stale:  # the tables it reads that stopped getting rows, as every answer says them
        blocks.append(ContextBlock(elements=[md(escape("\n".join(stale_lines([total], lang))))]))
    return message(escape(title) + "\n" + "\n".join(lines), blocks)
