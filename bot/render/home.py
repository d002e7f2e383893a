"""The App Home tab: the team's dashboard ("tableau de bord")."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, DividerBlock, SectionBlock

from bot.render.blocks import MAX_SECTION, MAX_VIEW_BLOCKS, clip_lines, escape, header, md
from kpi.compute import KpiResult
from kpi.pacing import Miss, Standing
from kpi.present import arrow, format_pct_change, format_value, period_label, period_span, stale_lines
from kpi.texts import t

ACTION_PERIOD = "home_period"
ACTION_PIN = "home_pin"
ACTION_UNPIN = "home_unpin"
PERIODS = ("week", "month", "quarter")


def pace_text(found: Miss, unit, lang: str, currency: str) -> str:
    """Where a KPI stands against its target, judged as its target rule judges it (:attr:`Miss.standing`)."""
    p = found.pace
    if found.standing is Standing.EARLY:
        status = t(lang, "pace_early", pct=format_value(found.elapsed, type(unit).PERCENT, lang))
    else:
        status = t(lang, "pace_on_track" if found.standing is Standing.ON_TRACK else "pace_off_track")
    if p.prorated:
        return t(
            lang,
            "pace_prorated",
            pct=format_value(p.share or 0.0, type(unit).PERCENT, lang),
            expected=format_value(p.expected, unit, lang, currency),
            target=format_value(p.target, unit, lang, currency),
            projected=format_value(p.projected, unit, lang, currency),
            status=status,
        )
    return t(lang, "pace_level", target=format_value(p.target, unit, lang, currency), status=status)


def home_view(
    results: list[KpiResult],
    paces: dict[str, Miss],
    pinned: list[str],
    period: str,
    firing: list[str],
    next_digest: str | None,
    lang: str,
    currency: str,
    problems: list[str] | None = None,
) -> dict:
    """The dashboard, always within Slack's 100 blocks: KPIs past the room left are counted ("and 33
    more — `/kpi list`"), the firing rules (escaped lines) cut on whole lines with "…and N more";
    ``problems``: the channels the bot can no longer post in, under the header."""
    label = period_label(results[0].current, lang) if results else ""
    blocks: list[Block] = [
        header(t(lang, "home_title", period=label)),
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
    if problems:
        blocks.append(SectionBlock(text=md(clip_lines(problems, MAX_SECTION, _more_rules(lang)))))
    if not pinned:
        blocks.append(ContextBlock(elements=[md(t(lang, "home_pinned_hint"))]))
    stale = stale_lines(results, lang)  # what the alert channel is told, said on the dashboard too
    room = MAX_VIEW_BLOCKS - len(blocks) - 4 - bool(stale)  # the period, stale tables, divider, rules, digest
    shown = results if len(results) <= room else results[: room - 1]
    blocks += [kpi_section(r, paces, pinned, lang, currency) for r in shown]
    if len(shown) < len(results):
        blocks.append(ContextBlock(elements=[md(t(lang, "home_more_kpis", count=len(results) - len(shown)))]))
    blocks.append(ContextBlock(elements=[md(escape(period_span(results[0].current, lang)) if results else "—")]))
    if stale:
        blocks.append(ContextBlock(elements=[md(escape("\n".join(stale)))]))
    blocks.append(DividerBlock())
    if firing:
        title = t(lang, "home_firing", rules="").rstrip()
        text = title + "\n" + clip_lines(firing, MAX_SECTION - len(title) - 1, _more_rules(lang))
    else:
        text = t(lang, "home_quiet")
    blocks.append(SectionBlock(text=md(text)))
    blocks.append(ContextBlock(elements=[md(next_digest or t(lang, "home_no_digest"))]))
    return {"type": "home", "blocks": [b.to_dict() for b in blocks]}


def kpi_section(r: KpiResult, paces: dict[str, Miss], pinned: list[str], lang: str, currency: str) -> SectionBlock:
    """One KPI of the dashboard: its value, change and pace, with its Pin (or Unpin) button."""
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
    return SectionBlock(
        text=md("\n".join(lines)),
        accessory=ButtonElement(
            text=t(lang, "button_unpin" if is_pinned else "button_pin"),
            action_id=ACTION_UNPIN if is_pinned else ACTION_PIN,
            value=kpi.key,
        ),
    )


def _more_rules(lang: str):
    return lambda count: t(lang, "home_more_rules", count=count)
