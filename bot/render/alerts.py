"""Block Kit for alerts, rule management and digests (same conventions as bot/render/answers.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from babel.dates import format_datetime
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, SectionBlock

from bot.render.answers import query_value
from bot.render.blocks import MAX_FIELD, escape, header, md, message
from bot.render.why import part_line
from kpi.alerts import Mover
from kpi.anomaly import Judgement
from kpi.catalog import Catalog, Kpi, Unit
from kpi.compute import KpiResult, pct_change
from kpi.pacing import Miss
from kpi.present import (
    breakdown_key,
    change_text,
    format_pct_change,
    format_value,
    period_label,
    period_span,
    period_title,
    previous_field,
    unusual_text,
    unusual_words,
)
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.texts import babel_locale, t

ACTION_ACK = "alert_ack"
ACTION_SNOOZE_DAY = "alert_snooze_day"
ACTION_SNOOZE_WEEK = "alert_snooze_week"
ACTION_BREAKDOWN = "alert_breakdown"
MAX_ALERTS_PER_MESSAGE = 8


def op_text(op: Op, lang: str) -> str:
    match op:
        case Op.GT:
            return t(lang, "op_gt")
        case Op.LT:
            return t(lang, "op_lt")
        case Op.GE:
            return t(lang, "op_ge")
        case Op.LE:
            return t(lang, "op_le")
    raise AssertionError(op)


def line_text(spec: RuleSpec, unit: Unit, lang: str, currency: str) -> str:
    """'above €150.00', 'drops by 20.0% or more'."""
    match spec.kind:
        case RuleKind.THRESHOLD:
            return f"{op_text(spec.op, lang)} {format_value(spec.threshold, unit, lang, currency)}"
        case RuleKind.CHANGE:
            pct = format_value(abs(spec.threshold), Unit.PERCENT, lang)
            return t(lang, "change_rises" if spec.op.upward else "change_drops", pct=pct)
        case RuleKind.UNUSUAL:
            return t(
                lang, f"rule_unusual_{spec.window}", sensitivity=t(lang, f"sensitivity_{spec.sensitivity or 'medium'}")
            )
        case RuleKind.TARGET:
            return t(lang, f"rule_target_{spec.window}", pct=format_value(spec.threshold, Unit.PERCENT, lang))
    raise AssertionError(spec.kind)


def when_text(moment: datetime, tz, lang: str) -> str:
    return format_datetime(moment.replace(tzinfo=timezone.utc).astimezone(tz), "d MMM HH:mm", locale=babel_locale(lang))


def alert_snapshot(
    rule_id: int,
    seq: int,
    spec: RuleSpec,
    result: KpiResult,
    catalog: Catalog,
    lang: str,
    currency: str,
    by: str | None,
    top: list[Mover],
    since: str | None = None,
    segment: str | None = None,
    whys: list | None = None,
) -> dict:
    """The blocks that describe one firing rule, kept with the incident to re-render it later (``segment``:
    the value of ``by`` a segment's rule watches; ``whys``: its change split across each breakdown, whose
    largest parts are shown instead of ``top``)."""
    kpi = result.kpi
    line = line_text(spec, kpi.unit, lang, currency)
    title = f"🔴 {segment_name(kpi.name(lang), segment, by, lang, catalog)} {line}"
    window = period_title(result.current, lang)
    now_value = format_value(result.value, kpi.unit, lang, currency)
    if spec.kind is RuleKind.CHANGE and result.change_pct is not None:
        now_value += f" ({format_pct_change(result.change_pct, lang)})"
    fields = [
        md(f"*{t(lang, 'alert_now')}*\n{now_value}", MAX_FIELD),
        md(f"*{t(lang, 'alert_threshold')}*\n{line}", MAX_FIELD),
        md(
            f"*{previous_field(result, lang, 'alert_previous_window')}*\n"
            f"{format_value(result.previous_value, kpi.unit, lang, currency)}"
            f" ({escape(period_span(result.previous, lang))})",
            MAX_FIELD,
        ),
        md(f"*{t(lang, 'field_change')}*\n{change_text(result, lang, currency) or '—'}", MAX_FIELD),
    ]
    blocks: list[Block] = [SectionBlock(text=md(f"*{escape(title)}* · {escape(window)}"), fields=fields)]
    drivers = []
    for name in catalog.measures_of(kpi):
        cur, prev = result.measures.get(name), result.previous_measures.get(name)
        if cur is None or prev is None:
            continue
        moved = pct_change(cur, prev)  # the one percentage rule (kpi.compute)
        pct = format_pct_change(moved, lang) if moved is not None else "—"
        drivers.append(
            "• "
            + t(
                lang,
                "alert_measure_change",
                measure=escape(catalog.measures[name].label(lang)),
                current=_measure_value(catalog, name, cur, lang, currency),
                previous=_measure_value(catalog, name, prev, lang, currency),
                pct=pct,
            )
        )
    parts = sorted(
        ((why, p) for why in whys or [] for p in why.parts if p.change and why.change),
        key=lambda wp: -abs(wp[1].change),
    )[:3]
    for why, part in parts:  # the top contributors to the change, whatever their breakdown
        drivers.append(part_line(why, part, catalog, kpi.unit, lang, currency))
    for mover in [] if parts else top:
        drivers.append(
            "• "
            + t(
                lang,
                "alert_mover",
                key=escape(breakdown_key(mover.key, lang, by, catalog)),
                measure=escape(catalog.measures[mover.measure].label(lang)),
                current=_measure_value(catalog, mover.measure, mover.current, lang, currency),
                previous=_measure_value(catalog, mover.measure, mover.previous, lang, currency),
            )
        )
    if drivers:
        blocks.append(SectionBlock(text=md(f"*{t(lang, 'alert_drivers')}*\n" + "\n".join(drivers))))
    blocks.append(
        ContextBlock(
            elements=[
                md(
                    f"*{t(lang, 'alert_what')}:* {escape(kpi.description(lang))} {t(lang, 'formula')} "
                    f"{escape(catalog.formula_text(kpi, lang))}. {escape(kpi.explanation.reading(lang))}"
                )
            ]
        )
    )
    if since:
        blocks.append(ContextBlock(elements=[md(t(lang, "alert_still_firing", since=since))]))
    # a segment's (or a filtered rule's) chart is that value's; the rows without a value can't be asked for
    # alone: their chart is the breakdown they are one bar of
    where = f"{by}={segment}" if segment and by else None
    blocks.append(_actions(f"{rule_id}:{seq}", kpi.key, spec.window, by, spec.window, lang, where, segment == ""))
    return {
        "title": title,
        "kpi": kpi.key,
        "change": spec.kind is RuleKind.CHANGE,
        "blocks": [b.to_dict() for b in blocks],
    }


UNUSUAL_PERIOD = {"day": "yesterday", "week": "last-week"}  # what an unusual rule judged, as a period
UNUSUAL_CHART = "56d"  # the chart of an unusual rule: 8 weeks by day, with the expected range


def segment_name(name: str, segment: str | None, by: str | None, lang: str, catalog: Catalog | None = None) -> str:
    """'Customer acquisition cost' or, for a segment's rule, 'Customer acquisition cost · paid_search'."""
    return name if segment is None else f"{name} · {breakdown_key(segment or None, lang, by, catalog)}"


def unusual_snapshot(
    rule_id: int,
    seq: int,
    spec: RuleSpec,
    kpi: Kpi,
    verdict: Judgement,
    catalog: Catalog,
    lang: str,
    currency: str,
    since: str | None = None,
) -> dict:
    """The blocks of a firing unusual rule: the day's value, the range that was expected and why."""
    title = "🔴 " + t(
        lang, "alert_unusual_title", kpi=kpi.name(lang), verdict=t(lang, f"unusual_{verdict.direction or 'usual'}")
    )
    week = "_week" if spec.window == "week" else ""
    words = unusual_words(verdict, lang, spec.window)
    expected = t(
        lang,
        f"alert_expected_range{week}",
        low=format_value(verdict.low, kpi.unit, lang, currency),
        high=format_value(verdict.high, kpi.unit, lang, currency),
        **words,
    )
    fields = [
        md(f"*{t(lang, 'alert_now')}*\n{format_value(verdict.value, kpi.unit, lang, currency)}", MAX_FIELD),
        md(f"*{t(lang, 'alert_expected')}*\n{escape(expected)}", MAX_FIELD),
        md(f"*{t(lang, 'alert_threshold')}*\n{line_text(spec, kpi.unit, lang, currency)}", MAX_FIELD),
    ]
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{escape(unusual_text(kpi, verdict, lang, currency, spec.window))}*"), fields=fields),
        ContextBlock(
            elements=[
                md(
                    f"*{t(lang, 'alert_what')}:* {escape(kpi.description(lang))} {t(lang, 'formula')} "
                    f"{escape(catalog.formula_text(kpi, lang))}. {escape(kpi.explanation.reading(lang))} "
                    f"{t(lang, f'alert_unusual_how{week}')}"
                )
            ]
        ),
    ]
    if since:
        blocks.append(ContextBlock(elements=[md(t(lang, "alert_still_firing", since=since))]))
    blocks.append(_actions(f"{rule_id}:{seq}", kpi.key, UNUSUAL_PERIOD[spec.window], None, UNUSUAL_CHART, lang))
    return {"title": title, "kpi": kpi.key, "change": False, "blocks": [b.to_dict() for b in blocks]}


def target_text(kpi: Kpi, found: Miss, lang: str, currency: str) -> str:
    """ "On pace for €1.31M of €1.5M (−12.7%): €9,450.00 a day is needed for the 20 days left, against
    €7,100.00 a day so far." (a level KPI: where it stands against its target)."""
    p = found.pace
    gap = target_gap(p.projected, p.target, kpi.unit, lang, currency)
    days = format_value(round(found.days_left), Unit.NUMBER, lang)
    if p.prorated:
        return t(
            lang,
            "target_pace_prorated",
            projected=format_value(p.projected, kpi.unit, lang, currency),
            target=format_value(p.target, kpi.unit, lang, currency),
            pct=gap,
            days=days,
            needed=format_value(found.per_day_needed or 0.0, kpi.unit, lang, currency),
            so_far=format_value(found.per_day_so_far or 0.0, kpi.unit, lang, currency),
        )
    return t(
        lang,
        "target_pace_level",
        kpi=kpi.name(lang),
        value=format_value(p.value, kpi.unit, lang, currency),
        target=format_value(p.target, kpi.unit, lang, currency),
        pct=gap,
        days=days,
    )


def target_snapshot(
    rule_id: int,
    seq: int,
    spec: RuleSpec,
    result: KpiResult,
    found: Miss,
    catalog: Catalog,
    lang: str,
    currency: str,
    since: str | None = None,
) -> dict:
    """The blocks of a firing target rule: the projection against the target, and what each day left needs."""
    kpi = result.kpi
    title = "🔴 " + t(lang, "alert_target_title", kpi=kpi.name(lang))
    fields = [
        md(f"*{t(lang, 'alert_now')}*\n{format_value(found.pace.value, kpi.unit, lang, currency)}", MAX_FIELD),
        md(
            f"*{t(lang, 'alert_projected')}*\n{format_value(found.pace.projected, kpi.unit, lang, currency)}", MAX_FIELD
        ),
        md(f"*{t(lang, 'alert_target')}*\n{format_value(found.pace.target, kpi.unit, lang, currency)}", MAX_FIELD),
        md(f"*{t(lang, 'alert_threshold')}*\n{line_text(spec, kpi.unit, lang, currency)}", MAX_FIELD),
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"*{escape(title)}* · {escape(period_title(result.current, lang))}\n"
                f"{escape(target_text(kpi, found, lang, currency))}"
            ),
            fields=fields,
        ),
        ContextBlock(
            elements=[
                md(
                    f"*{t(lang, 'alert_what')}:* {escape(kpi.description(lang))} {t(lang, 'formula')} "
                    f"{escape(catalog.formula_text(kpi, lang))}. {t(lang, 'alert_target_how')}"
                )
            ]
        ),
    ]
    if since:
        blocks.append(ContextBlock(elements=[md(t(lang, "alert_still_firing", since=since))]))
    blocks.append(_actions(f"{rule_id}:{seq}", kpi.key, spec.window, None, spec.window, lang))
    return {"title": title, "kpi": kpi.key, "change": False, "blocks": [b.to_dict() for b in blocks]}


def _actions(
    ref: str,
    kpi: str,
    period: str,
    by: str | None,
    chart_period: str,
    lang: str,
    where: str | None = None,
    chart_by: bool = False,
) -> ActionsBlock:
    """An alert's buttons: acknowledge, snooze, the breakdown over ``period``, the chart over ``chart_period``
    (of one value of a breakdown with ``where``; by ``by`` with ``chart_by``)."""
    return ActionsBlock(
        elements=[
            ButtonElement(text=t(lang, "button_ack"), action_id=ACTION_ACK, value=ref),
            ButtonElement(text=t(lang, "button_snooze_day"), action_id=ACTION_SNOOZE_DAY, value=ref),
            ButtonElement(text=t(lang, "button_snooze_week"), action_id=ACTION_SNOOZE_WEEK, value=ref),
            ButtonElement(
                text=t(lang, "button_breakdown"), action_id=ACTION_BREAKDOWN, value=f"{kpi}|{period}|{by or ''}"
            ),
            ButtonElement(
                text=t(lang, "button_chart"),
                action_id="kpi_chart",
                value=query_value(kpi, chart_period, by if chart_by else None, where),
            ),
        ]
    )


def _measure_value(catalog: Catalog, name: str, value: float, lang: str, currency: str) -> str:
    return format_value(value, catalog.measure_unit(name), lang, currency)


def alert_message(snapshots: list[dict], statuses: list[str | None], lang: str) -> dict:
    """One message for every alert of a channel in a pass (statuses: resolved/acked lines or None)."""
    shown = snapshots[:MAX_ALERTS_PER_MESSAGE]
    title = shown[0]["title"] if len(snapshots) == 1 else f"🔴 {t(lang, 'alert_several', count=len(snapshots))}"
    blocks = [header(title).to_dict()]
    for snapshot, status in zip(shown, statuses[: len(shown)], strict=True):
        blocks += [b for b in snapshot["blocks"] if not (status and b["type"] == "actions")]
        if status:
            blocks.append(ContextBlock(elements=[md(status)]).to_dict())
    if len(snapshots) > len(shown):
        rest = ", ".join(s["title"] for s in snapshots[len(shown) :])
        blocks.append(SectionBlock(text=md(escape(rest))).to_dict())
    text = t(lang, "alert_fallback", title=" · ".join(escape(s["title"]) for s in snapshots))
    return message(text, blocks)


def notice_message(lines: list[str]) -> dict:
    return message(lines[0], [SectionBlock(text=md(line)) for line in lines[:49]])


def stale_text(key: str, table: str, found, rule_ids: list[int], tz, lang: str) -> str:
    """ "Data looks stale" (key "stale") or "rows again" (key "fresh") for one table, naming the rules."""
    rules = ", ".join(f"`#{i}`" for i in sorted(rule_ids))
    last = when_text(found.last_row_at, tz, lang) if found.last_row_at else "—"
    gap = found.usual_gap_days or 1
    usual = t(lang, "stale_gap_one") if gap == 1 else t(lang, "stale_gap_many", days=gap)
    return t(lang, f"{key}_notice", table=escape(table), last=last, usual=usual, rules=rules)


def period_ended_reply(
    kpi_name: str, closed: KpiResult, found: Miss | None, unit: Unit, lang: str, currency: str
) -> dict:
    """ "✅ November 2026 is over: Revenue ended at €1.80M against its target of €2.00M (−10.0%), missed."."""
    words = {"kpi": escape(kpi_name), "period": escape(period_label(closed.current, lang))}
    if found is None:
        text = t(lang, "target_period_over_no_value", **words)
    else:
        p = found.pace
        text = t(
            lang,
            "target_period_over",
            **words,
            value=format_value(p.value, unit, lang, currency),
            target=format_value(p.target, unit, lang, currency),
            gap=target_gap(p.value, p.target, unit, lang, currency),
            verdict=t(lang, "target_met" if p.on_track else "target_missed"),
        )
    return message(text, [SectionBlock(text=md(text))])


def target_gap(value: float, target: float, unit: Unit, lang: str, currency: str) -> str:
    """How far from the target: '−10.0%', or in the KPI's unit against a target of 0 ('+24.1')."""
    if target:
        return format_pct_change((value - target) / abs(target), lang)
    text = format_value(abs(value), unit, lang, currency)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def resolved_reply(kpi_name: str, value: str, line: str, lang: str) -> dict:
    text = t(lang, "alert_resolved_reply", kpi=escape(kpi_name), value=value, line=line)
    return message(text, [SectionBlock(text=md(text))])
