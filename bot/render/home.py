"""The App Home tab: the team's dashboard ("tableau de bord")."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from bot.render.answers import _clip, _md, escape
from kpi.compute import KpiResult
from kpi.pacing import Pace
from kpi.present import arrow, format_pct_change, format_value, period_label, period_span, stale_lines
from kpi.texts import t

ACTION_PERIOD = "home_period"
ACTION_PIN = "home_pin"
ACTION_UNPIN = "home_unpin"
PERIODS = ("week", "month", "quarter")


def pace_text(p: Pace, unit, lang: str, currency: str) -> str:
    if p.prorated:
        return t(
            lang,
            "pace_prorated",
            pct=format_value(p.share or 0.0, type(unit).PERCENT, lang),
            expected=format_value(p.expected, unit, lang, currency),
            target=format_value(p.target, unit, lang, currency),
            projected=format_value(p.projected, unit, lang, currency),
        )
    return t(
        lang,
        "pace_level",
        target=format_value(p.target, unit, lang, currency),
        status=t(lang, "pace_on_track" if p.on_track else "pace_off_track"),
    )


def home_view(
    results: list[KpiResult],
    paces: dict[str, Pace],
    pinned: list[str],
    period: str,
    firing: list[str],
    next_digest: str | None,
    lang: str,
    currency: str,
) -> dict:
    label = period_label(results[0].current, lang) if results else ""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=_clip(t(lang, "home_title", period=label), 150), emoji=True)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=t(lang, f"button_{p}"),
                    action_id=f"{ACTION_PERIOD}_{p}",
                    value=p,
                    style="primary" if p == period else None,
                )
                for p in PERIODS
            ]
        ),
    ]
    if not pinned:
        blocks.append(ContextBlock(elements=[_md(t(lang, "home_pinned_hint"))]))
    for r in results:
        kpi = r.kpi
        change = ""
        if r.change_pct is not None:
            change = f"{arrow(r)} {format_pct_change(r.change_pct, lang)}"
        elif r.change is not None:
            change = arrow(r)
        lines = [f"*{escape(kpi.name(lang))}*  {format_value(r.value, kpi.unit, lang, currency)}  {change}".rstrip()]
        if kpi.key in paces:
            lines.append(pace_text(paces[kpi.key], kpi.unit, lang, currency))
        is_pinned = kpi.key in pinned
        blocks.append(
            SectionBlock(
                text=_md("\n".join(lines)),
                accessory=ButtonElement(
                    text=t(lang, "button_unpin" if is_pinned else "button_pin"),
                    action_id=ACTION_UNPIN if is_pinned else ACTION_PIN,
                    value=kpi.key,
                ),
            )
        )
    blocks.append(ContextBlock(elements=[_md(escape(period_span(results[0].current, lang)) if results else "—")]))
    stale = stale_lines(results, lang)  # what the alert channel is told, said on the dashboard too
    if stale:
        blocks.append(ContextBlock(elements=[_md(escape("\n".join(stale)))]))
    blocks.append(DividerBlock())
    blocks.append(
        SectionBlock(text=_md(t(lang, "home_firing", rules=", ".join(firing)) if firing else t(lang, "home_quiet")))
    )
    blocks.append(ContextBlock(elements=[_md(next_digest or t(lang, "home_no_digest"))]))
    return {"type": "home", "blocks": [b.to_dict() for b in blocks[:100]]}
