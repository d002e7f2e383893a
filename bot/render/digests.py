"""Block Kit for digests: firing rules first, then each KPI, yesterday and month to date, with pacing."""

from __future__ import annotations

from babel.dates import format_date
from slack_sdk.models.blocks import Block, ContextBlock, SectionBlock

from bot.render.blocks import MAX_FIELD, MAX_SECTION, clip_lines, escape, header, md, message
from kpi.compute import KpiResult
from kpi.present import arrow, breakdown_key, dimension_name, format_pct_change, format_value, period_label, stale_lines
from kpi.texts import babel_locale, t


def digest_message(
    day,
    weekly: bool,
    yesterday: list[KpiResult],
    month: list[KpiResult],
    firing: list[str],
    lang: str,
    currency: str,
    paces: dict | None = None,
    why: dict | None = None,
    where: tuple[str, str | None] | None = None,
) -> dict:
    """Firing rules first, then each KPI in the order given (what moved most first), with pacing and
    ``why``: the value that explains most of each KPI's change this month."""
    from bot.render.home import pace_text

    paces = paces or {}
    loc = babel_locale(lang)
    title = t(
        lang,
        "digest_title_weekly" if weekly else "digest_title_daily",
        date=format_date(day, "EEEE d MMMM y", locale=loc),
    )
    if where is not None:  # a digest for one value of a breakdown: 'channel = organic'
        title += f" · {dimension_name(where[0], lang)} = {breakdown_key(where[1], lang, where[0])}"
    blocks: list[Block] = [header(title, emoji=None)]
    blocks.append(
        SectionBlock(
            text=md(t(lang, "digest_firing", rules=_firing(firing, lang)) if firing else t(lang, "digest_all_quiet"))
        )
    )
    fields = []
    if weekly and yesterday:
        label_first = escape(period_label(yesterday[0].current, lang))  # "week 47, 2026"
    else:
        label_first = t(lang, "digest_yesterday")
    for first, mtd in zip(yesterday, month, strict=True):
        kpi = first.kpi
        fields.append(
            md(
                f"*{escape(kpi.name(lang))}*\n{label_first}: {format_value(first.value, kpi.unit, lang, currency)} "
                f"{arrow(first)}\n{t(lang, 'digest_mtd')}: {format_value(mtd.value, kpi.unit, lang, currency)} "
                f"{arrow(mtd)} {format_pct_change(mtd.change_pct, lang) if mtd.change_pct is not None else ''}".rstrip()
                + (f"\n{pace_text(paces[kpi.key], kpi.unit, lang, currency)}" if kpi.key in paces else "")
                + (f"\n{escape((why or {})[kpi.key])}" if kpi.key in (why or {}) else ""),
                MAX_FIELD,
            )
        )
    for i in range(0, len(fields), 10):
        blocks.append(SectionBlock(fields=fields[i : i + 10]))
    stale = stale_lines(list(yesterday) + list(month), lang)  # what the alert channel is told, said here too
    if stale:
        blocks.append(ContextBlock(elements=[md(escape("\n".join(stale)))]))
    lines = [f"{escape(m.kpi.name(lang))}: {format_value(m.value, m.kpi.unit, lang, currency)}" for m in month]
    return message(escape(title) + "\n" + "\n".join(lines), blocks)


def _firing(firing: list[str], lang: str) -> str:
    """The firing rules, escaped, as many as fit in the section, the others counted ("… and 12 more")."""
    room = MAX_SECTION - len(t(lang, "digest_firing", rules=""))
    return clip_lines([escape(rule) for rule in firing], room, lambda n: t(lang, "breakdown_more", count=n), sep=", ")
