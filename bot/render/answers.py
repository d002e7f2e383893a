"""Block Kit messages, built with ``slack_sdk.models.blocks`` (which enforces Slack's limits).

Every message is a dict ``{"text": fallback, "blocks": [...]}`` ready for
``ack``, ``respond`` or ``chat.postMessage``. Anything that came from a user or
from the data (names typed, product names) is escaped so that it can neither
format nor mention (``<!channel>``).
"""

from __future__ import annotations

import json
from datetime import timezone

from babel.dates import format_time
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, DividerBlock, SectionBlock

from bot.render.blocks import MAX_BUTTON, MAX_FIELD, MAX_SECTION, clip, escape, fixed, header, md, message, section
from kpi.catalog import Catalog, Kpi
from kpi.compute import Cover, KpiResult, Reason, ReasonCode, pct_change
from kpi.errors import PeriodError, UnknownDimension, UnknownKpi
from kpi.periods import ACCEPTED_FORMS
from kpi.present import (
    breakdown_key,
    change_text,
    covered_span,
    dimension_name,
    direction_text,
    first_data_text,
    format_pct_change,
    format_value,
    honest_notes,
    period_label,
    period_span,
    period_title,
    previous_field,
    reason_text,
    stale_lines,
)
from kpi.spans import year_earlier
from kpi.texts import babel_locale, t

MAX_BREAKDOWN_ROWS = 25
ACTION_SHARE = "kpi_share"
ACTION_EXPLAIN = "kpi_explain"
ACTION_WHY = "kpi_why"
ACTION_CHART = "kpi_chart"
ACTION_ASK = "kpi_ask"  # a reading offered for a question understood only in part


def query_value(kpi: str, period: str, by: str | None, where: str | None = None) -> str:
    found = {"k": kpi, "p": period, "b": by}
    return json.dumps(found | {"w": where} if where else found, separators=(",", ":"))


def read_as(result: KpiResult, lang: str) -> str:
    """How the question was read, in one line: 'Customer acquisition cost · last month · channel =
    referral · vs a year earlier' (the KPI, the period, the breakdown or the filter, the comparison)."""
    parts = [result.kpi.name(lang), period_label(result.current, lang)]
    if result.by:
        parts.append(t(lang, "breakdown_title", dimension=dimension_name(result.by, lang)).lower())
    if result.where is not None:
        parts.append(where_text(result, lang))
    if result.previous == year_earlier(result.current):
        parts.append(t(lang, "read_vs_year_earlier"))
    return t(lang, "read_as", reading=" · ".join(parts))


def where_text(result: KpiResult, lang: str) -> str:
    """'channel = referral' for an answer about one value of a breakdown, else ''."""
    if result.where is None:
        return ""
    by, key = result.where
    return f"{dimension_name(by, lang)} = {breakdown_key(key, lang, by)}"


# -- answers ------------------------------------------------------------------------------


def answer(
    result: KpiResult, catalog: Catalog, lang: str, currency: str, period_text: str, shared_by: str | None = None
) -> dict:
    kpi = result.kpi
    value = format_value(result.value, kpi.unit, lang, currency)
    period = period_title(result.current, lang)
    if result.cover is Cover.PARTIAL:  # 'October 2025 (Oct 1 – 31, 2025), from Oct 4, 2025 (first data)'
        period += ", " + t(lang, "cover_from", first=first_data_text(result, lang))
    if result.where is not None:  # one value of a breakdown: said with the period, as it was read
        period += f"  ·  {where_text(result, lang)}"
    previous = format_value(result.previous_value, kpi.unit, lang, currency)
    change = change_text(result, lang, currency) or "—"
    blocks: list[Block] = [
        header(kpi.name(lang)),
        ContextBlock(elements=[md(escape(read_as(result, lang)))]),
        SectionBlock(
            text=md(f"*{value}*  ·  {escape(period)}"),
            fields=[
                md(
                    f"*{previous_field(result, lang)}*\n{previous} "
                    f"({escape(covered_span(result.previous, result, lang, previous=True))})",
                    MAX_FIELD,
                ),
                md(f"*{t(lang, 'field_change')}*\n{change}", MAX_FIELD),
            ],
        ),
    ]
    reason = reason_text(result.reason, catalog, lang)
    if reason and result.cover in (Cover.FULL, Cover.PARTIAL):  # otherwise the coverage note says it
        blocks.append(SectionBlock(text=md(f":information_source: {escape(reason)}")))
    notes = honest_notes(result, lang)
    if notes:
        blocks.append(SectionBlock(text=md(escape("\n".join(notes)))))
    if result.by:
        blocks.append(SectionBlock(text=md(breakdown_table(result, lang, currency, catalog))))
    blocks.append(
        ContextBlock(
            elements=[
                md(
                    f"{escape(kpi.description(lang))} {t(lang, 'formula')} {escape(catalog.formula_text(kpi, lang))}"
                    f"  ·  {direction_text(kpi, lang)}" + as_of_text(result, lang)
                )
            ]
        )
    )
    if shared_by:
        blocks.append(ContextBlock(elements=[md(t(lang, "shared_by", user=escape(shared_by)))]))
    else:
        where = f"{result.where[0]}={result.where[1]}" if result.where else None
        value_json = query_value(kpi.key, period_text, result.by, where)
        buttons = [
            ButtonElement(text=t(lang, "button_share"), action_id=ACTION_SHARE, value=value_json, style="primary"),
            ButtonElement(text=t(lang, "button_chart"), action_id=ACTION_CHART, value=value_json),
        ]
        buttons.append(ButtonElement(text=t(lang, "button_why"), action_id=ACTION_WHY, value=value_json))
        buttons.append(ButtonElement(text=t(lang, "button_explain"), action_id=ACTION_EXPLAIN, value=kpi.key))
        blocks.append(ActionsBlock(elements=buttons))
    fallback = (
        f"{escape(kpi.name(lang))}, {escape(period)}: {value} "
        f"({previous_field(result, lang).lower()} {previous}; {change})"
    )
    return message(fallback, blocks)


def as_of_text(result: KpiResult, lang: str) -> str:
    """'· past days as of 09:15' when whole past days came from the daily rollup."""
    if result.as_of is None:
        return ""
    moment = result.as_of.replace(tzinfo=timezone.utc).astimezone(result.current.tz)
    return "  ·  " + t(lang, "as_of", time=format_time(moment, "HH:mm", locale=babel_locale(lang)))


def breakdown_table(result: KpiResult, lang: str, currency: str, catalog: Catalog) -> str:
    """A compact aligned table in a code block, cut with "… and N more" to fit one section."""
    title = f"*{t(lang, 'breakdown_title', dimension=dimension_name(result.by or '', lang))}*"
    rows = []
    for row in result.breakdown:
        change = ""
        if (pct := pct_change(row.value, row.previous)) is not None:
            change = format_pct_change(pct, lang)
        rows.append(
            (
                escape(clip(breakdown_key(row.key, lang, result.by, catalog), 40)),
                format_value(row.value, result.kpi.unit, lang, currency),
                change,
            )
        )
    width_key = max((len(r[0]) for r in rows), default=0)
    width_val = max((len(r[1]) for r in rows), default=0)
    lines, used = [], len(title) + 20
    shown = 0
    for key, value, change in rows:
        line = f"{key:<{width_key}}  {value:>{width_val}}  {change}".rstrip()
        if shown >= MAX_BREAKDOWN_ROWS or used + len(line) + 1 > MAX_SECTION - 60:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    text = f"{title}\n```\n" + "\n".join(lines) + "\n```"
    if shown < len(rows):
        text += "\n" + t(lang, "breakdown_more", count=len(rows) - shown)
    for row in result.breakdown[:shown]:  # a "—" is explained, never left as a riddle
        if row.value is None:
            zero = tuple(name for name, value in row.measures.items() if not value)
            why = Reason(ReasonCode.ZERO_DENOMINATOR, zero) if zero else Reason(ReasonCode.NO_DATA)
            key = escape(clip(breakdown_key(row.key, lang, result.by, catalog), 40))
            text += f"\n_{key}_: {reason_text(why, catalog, lang)}"
    return text


def kpi_list(results: list[KpiResult], lang: str, currency: str) -> dict:
    period = period_label(results[0].current, lang) if results else ""
    blocks: list[Block] = [
        header(t(lang, "list_title", period=period)),
        ContextBlock(elements=[md(escape(t(lang, "read_as", reading=t(lang, "read_list", period=period))))]),
    ]
    fields = []
    for r in results:
        value = format_value(r.value, r.kpi.unit, lang, currency)
        trend = ""
        if r.change is not None:
            mark = "▲" if r.change > 0 else ("▼" if r.change < 0 else "=")
            colour = "" if r.improved is None else (" 🟢" if r.improved else " 🔴")
            pct = f" {format_pct_change(r.change_pct, lang)}" if r.change_pct is not None else ""
            trend = f"  {mark}{pct}{colour}"
        elif r.cover is Cover.PARTIAL:  # a value the data covers only in part: said, and not compared
            trend = f"  ({t(lang, 'cover_from', first=first_data_text(r, lang))})"
        fields.append(md(f"*{escape(r.kpi.name(lang))}* (`{r.kpi.key}`)\n{value}{trend}", MAX_FIELD))
    for i in range(0, len(fields), 10):  # a section holds at most 10 fields
        blocks.append(SectionBlock(fields=fields[i : i + 10]))
    stale = stale_lines(results, lang)
    if stale:
        blocks.append(ContextBlock(elements=[md(escape("\n".join(stale)))]))
    if results:
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"{escape(period_span(results[0].current, lang))} · {t(lang, 'field_previous').lower()}: "
                        f"{escape(period_span(results[0].previous, lang))}"
                    )
                ]
            )
        )
    lines = [f"{escape(r.kpi.name(lang))}: {format_value(r.value, r.kpi.unit, lang, currency)}" for r in results]
    return message(t(lang, "list_fallback", period=period) + "\n" + "\n".join(lines), blocks)


def explanation(kpi: Kpi, catalog: Catalog, lang: str, currency: str, current: KpiResult | None) -> dict:
    blocks: list[Block] = [
        header(f"{kpi.name(lang)} ({kpi.key})"),
        ContextBlock(elements=[md(escape(t(lang, "read_as", reading=t(lang, "read_explain", kpi=kpi.name(lang)))))]),
        SectionBlock(
            text=md(escape(kpi.description(lang))),
            fields=[
                md(f"*{t(lang, 'formula').rstrip(' :')}*\n{escape(catalog.formula_text(kpi, lang))}", MAX_FIELD),
                md(f"*{t(lang, 'field_direction')}*\n{direction_text(kpi, lang)}", MAX_FIELD),
            ],
        ),
        SectionBlock(text=md(f"*{t(lang, 'meaning')}* {escape(kpi.explanation.meaning(lang))}")),
        SectionBlock(text=md(f"*{t(lang, 'reading')}* {escape(kpi.explanation.reading(lang))}")),
        SectionBlock(text=md(f"*{t(lang, 'drivers')}* {escape(kpi.explanation.drivers(lang))}")),
    ]
    if current is not None:
        value = format_value(current.value, kpi.unit, lang, currency)
        change = change_text(current, lang, currency)
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"{t(lang, 'current_value', period=period_label(current.current, lang))} *{value}*"
                        + (f"  {change}" if change else "")
                    )
                ]
            )
        )
    fallback = (
        f"{escape(kpi.name(lang))}: {escape(kpi.description(lang))} {t(lang, 'formula')} "
        f"{escape(catalog.formula_text(kpi, lang))}"
    )
    return message(fallback, blocks)


def help_message(catalog: Catalog, lang: str) -> dict:
    kpis = ", ".join(f"`{escape(k)}`" for k in catalog.keys())
    blocks: list[Block] = [
        header(t(lang, "help_title")),
        SectionBlock(text=md(t(lang, "help_intro"))),
        SectionBlock(text=md(fixed(t(lang, "help_commands")))),
        SectionBlock(text=md(fixed(t(lang, "help_examples")))),
        DividerBlock(),
        ContextBlock(elements=[md(t(lang, "help_periods"), MAX_FIELD), md(t(lang, "help_kpis", kpis=kpis), MAX_FIELD)]),
    ]
    return message(t(lang, "help_title") + "\n" + fixed(t(lang, "help_commands")), blocks)


# -- refusals -----------------------------------------------------------------------------


def notice(text: str) -> dict:
    """A one-section message of a mrkdwn text (its data escaped already)."""
    return message(text, [section(text)])


def reading_label(kpi_name: str, period: str, by: str | None, where: str | None, lang: str) -> str:
    """A reading offered as a button: 'Customer acquisition cost · last-month · channel = referral'."""
    parts = [kpi_name, period]
    if by:
        parts.append(t(lang, "breakdown_title", dimension=dimension_name(by, lang)).lower())
    if where:
        name, _, value = where.partition("=")
        parts.append(f"{dimension_name(name, lang)} = {value}" if name else value)
    return " · ".join(parts)


def unclear(
    words: str, readings: list[tuple[str, str]], lang: str, no_kpi: bool = False, comparison: bool = False
) -> dict:
    """A question read only in part: the words not understood (or a comparison not made), then the closest
    readings as buttons (each a (label, question) pair; pressing one asks it)."""
    key = "err_comparison" if comparison else "err_unclear_no_kpi" if no_kpi else "err_unclear"
    text = t(lang, key, words=escape(words[:100]))
    text += " " + (t(lang, "unclear_readings") if readings else t(lang, "unclear_no_reading"))
    blocks: list[Block] = [SectionBlock(text=md(text))]
    if readings:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text=clip(label, MAX_BUTTON), action_id=f"{ACTION_ASK}_{n}", value=value)
                    for n, (label, value) in enumerate(readings[:5])
                ]
            )
        )
    return message(text, blocks)


def unknown_kpi(error: UnknownKpi, lang: str) -> dict:
    parts = [t(lang, "err_unknown_kpi", name=escape(error.name[:64]))]
    if error.suggestions:
        parts.append(t(lang, "err_did_you_mean", names=" / ".join(f"`{escape(s)}`" for s in error.suggestions)))
    parts.append(t(lang, "err_known_kpis", names=", ".join(f"`{escape(k)}`" for k in error.known)))
    return notice(" ".join(parts))


def bad_period(error: PeriodError, lang: str) -> dict:
    forms = ", ".join(f"`{f}`" for f in ACCEPTED_FORMS)
    return notice(t(lang, "err_period", text=escape(error.text[:64])) + " " + t(lang, "err_period_forms", forms=forms))


def bad_dimension(error: UnknownDimension, lang: str) -> dict:
    if not error.known:
        return notice(t(lang, "err_no_dimension", kpi=escape(error.kpi)))
    parts = [t(lang, "err_dimension", kpi=escape(error.kpi), name=escape(error.name[:64]))]
    if error.suggestions:
        parts.append(t(lang, "err_did_you_mean", names=" / ".join(f"`{escape(s)}`" for s in error.suggestions)))
    parts.append(t(lang, "err_dimension_known", names=", ".join(f"`{escape(k)}`" for k in error.known)))
    return notice(" ".join(parts))
