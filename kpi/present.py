"""Turning results into words and numbers for people, in English or French (Babel formats).

Shared by the CLI and the Slack app, so that a number reads the same everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone, tzinfo
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_interval
from babel.numbers import format_currency, format_decimal, format_percent

from kpi.anomaly import MIN_HISTORY, Judgement
from kpi.catalog import Catalog, Direction, Kpi, Unit
from kpi.compute import Cover, KpiResult, Reason, ReasonCode, Stale
from kpi.spans import Grain, Kind, Period, year_earlier
from kpi.store.exact import Exact
from kpi.texts import babel_locale, t


def format_value(value: float | None, unit: Unit, lang: str, currency: str = "EUR") -> str:
    """A value in its unit; negatives carry the minus sign (−), as every change the bot prints does."""
    if value is None:
        return "—"
    return _formatted(value, unit, lang, currency).replace("-", "\u2212")


def _formatted(value: float, unit: Unit, lang: str, currency: str) -> str:
    loc = babel_locale(lang)
    if isinstance(value, Exact) and unit in (Unit.CURRENCY, Unit.NUMBER):
        value = value.exact  # type: ignore[assignment]  # Babel formats decimals exactly: €12,345,678,901.34
    match unit:
        case Unit.PERCENT:
            return format_percent(value, _percent_pattern(value, loc), locale=loc)
        case Unit.CURRENCY:
            return format_currency(value, currency, locale=loc)
        case Unit.SCORE:
            return format_decimal(value, "#,##0.0", locale=loc)
        case Unit.NUMBER:
            return format_decimal(value, "#,##0.##", locale=loc)
        case Unit.RATIO:
            return format_decimal(value, "#,##0.00", locale=loc) + "×"
    raise AssertionError(unit)


def _percent_pattern(value: float, loc: str) -> str:
    """The locale's percent pattern ('#,##0%' / '#,##0 %') with one decimal, two for small rates."""
    return _pattern(loc, abs(value) < 0.1)


@cache
def _pattern(loc: str, small: bool) -> str:
    base = Locale.parse(loc).percent_formats[None].pattern
    decimals = "0.00" if small else "0.0"
    head, sep, tail = base.rpartition("0")
    return f"{head}{decimals}{tail}" if sep else base


def format_delta(delta: float, unit: Unit, lang: str, currency: str = "EUR") -> str:
    """An absolute change with its sign; percentages change by points."""
    loc = babel_locale(lang)
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    size: Any = abs(delta.exact) if isinstance(delta, Exact) and unit in (Unit.CURRENCY, Unit.NUMBER) else abs(delta)
    match unit:
        case Unit.PERCENT:
            text = format_decimal(size * 100, "#,##0.0" if size >= 0.001 else "#,##0.00", locale=loc)
            text += " " + t(lang, "points")
        case Unit.CURRENCY:
            text = format_currency(size, currency, locale=loc)
        case Unit.SCORE:
            text = format_decimal(size, "#,##0.0", locale=loc)
        case Unit.NUMBER:
            text = format_decimal(size, "#,##0.##", locale=loc)
        case Unit.RATIO:
            text = format_decimal(size, "#,##0.00", locale=loc)
        case _:
            raise AssertionError(unit)
    return sign + text


def format_pct_change(change: float, lang: str) -> str:
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    loc = babel_locale(lang)
    return sign + format_percent(abs(change), _percent_pattern(1.0, loc), locale=loc)


def arrow(result: KpiResult) -> str:
    """▲/▼ for the direction of the move, with 🟢 when it is good and 🔴 when it is bad (no colour when it
    is not judged: a table the KPI reads is stale)."""
    if result.change is None:
        return ""
    if result.change == 0:
        return "="
    mark = "▲" if result.change > 0 else "▼"
    return mark if result.improved is None else f"{mark} {'🟢' if result.improved else '🔴'}"


def verdict_text(result: KpiResult, lang: str) -> str:
    if result.stale and result.change:
        return t(lang, "verdict_stale")
    return t(lang, "flat") if result.improved is None else t(lang, "better" if result.improved else "worse")


def change_text(result: KpiResult, lang: str, currency: str = "EUR") -> str:
    """'+€8.16 (+5.4 %) ▲ 🔴 worse' — or '' when there is nothing to compare."""
    if result.change is None:
        return ""
    parts = [format_delta(result.change, result.kpi.unit, lang, currency)]
    if result.change_pct is not None:
        parts.append(f"({format_pct_change(result.change_pct, lang)})")
    verdict = verdict_text(result, lang)
    parts += [arrow(result), verdict]
    return " ".join(p for p in parts if p)


def direction_text(kpi: Kpi, lang: str) -> str:
    match kpi.direction:
        case Direction.UP:
            return t(lang, "higher_is_better")
        case Direction.DOWN:
            return t(lang, "lower_is_better")
    raise AssertionError(kpi.direction)


def reason_text(reason: Reason | None, catalog: Catalog, lang: str) -> str | None:
    if reason is None:
        return None
    match reason.code:
        case ReasonCode.ZERO_DENOMINATOR:
            names = [catalog.measures[m].label(lang) if m in catalog.measures else m for m in reason.measures]
            return t(lang, "reason_zero_denominator", measures=", ".join(f"«{n}»" for n in names))
        case ReasonCode.NO_DATA:
            return t(lang, "reason_no_data")
        case ReasonCode.FUTURE:
            return t(lang, "reason_future")
        case ReasonCode.BEFORE_DATA:
            since = format_date(reason.since, "medium", locale=babel_locale(lang)) if reason.since else "—"
            return t(lang, "reason_before_data", first=since)
    raise AssertionError(reason.code)


def kpi_data_name(kpi: Kpi, lang: str) -> str:
    """The KPI's name inside an English sentence: 'revenue', 'customer acquisition cost', but 'Net Promoter
    Score'; French quotes it as it is (« Chiffre d'affaires »), which needs no elision."""
    name = kpi.name(lang)
    return name[:1].lower() + name[1:] if lang == "en" and name[1:] == name[1:].lower() else name


def first_data_text(result: KpiResult, lang: str) -> str:
    return format_date(result.first_data, "medium", locale=babel_locale(lang)) if result.first_data else "—"


def coverage_notes(result: KpiResult, lang: str) -> list[str]:
    """What the data cannot back, in words: 'No revenue data before Dec 4, 2025: nothing to compare a year
    earlier.', a period partly covered, a period not begun. Empty when both periods are covered."""
    kpi, first = kpi_data_name(result.kpi, lang), first_data_text(result, lang)
    if result.cover is Cover.FUTURE:
        return [t(lang, "reason_future")]
    if result.cover is Cover.NONE:
        return [t(lang, "cover_none", kpi=kpi, first=first)]
    if result.cover is Cover.AFTER:
        return []  # the stale table's line says it: no row since
    against = t(lang, "cover_against_year" if is_year_earlier(result) else "cover_against_previous")
    if result.previous_cover is Cover.NONE:
        return [t(lang, "cover_none_previous", kpi=kpi, first=first, against=against)]
    if Cover.PARTIAL in (result.cover, result.previous_cover):
        return [t(lang, "cover_partial", kpi=kpi, first=first)]
    return []


def stale_line(stale: Stale, tz: tzinfo, lang: str) -> str:
    """'⚠ sales has had no new rows since Dec 2 (usually daily)': what the alert channel is told."""
    if stale.last_row_at is None:
        since = "—"
    else:  # the newest row's day (a DATE table's newest day ends at the midnight after it)
        moment = (stale.last_row_at - timedelta(microseconds=1)).replace(tzinfo=timezone.utc).astimezone(tz)
        since = format_date(moment.date(), "d MMM" if lang == "fr" else "MMM d", locale=babel_locale(lang))
    gap = stale.usual_gap_days or 1
    usual = t(lang, "stale_usual_daily") if gap == 1 else t(lang, "stale_usual_days", days=gap)
    return t(lang, "stale_line", table=stale.table, since=since, usual=usual)


def stale_lines(results: list[KpiResult], lang: str) -> list[str]:
    """One line per stale table read by any of ``results`` (each said once)."""
    seen: dict[str, str] = {}
    for result in results:
        for stale in result.stale:
            seen.setdefault(stale.table, stale_line(stale, result.current.tz, lang))
    return list(seen.values())


def honest_notes(result: KpiResult, lang: str) -> list[str]:
    """Everything an answer must say about what its numbers rest on: coverage, then stale tables."""
    return coverage_notes(result, lang) + stale_lines([result], lang)


def covered_span(period: Period, result: KpiResult, lang: str, previous: bool = False) -> str:
    """The days of a period, with 'from Dec 4, 2025 (first data)' when the data begins inside it."""
    span = period_span(period, lang)
    if (result.previous_cover if previous else result.cover) is Cover.PARTIAL:
        span += ", " + t(lang, "cover_from", first=first_data_text(result, lang))
    return span


def dimension_name(dimension: str, lang: str) -> str:
    key = f"dimension_{dimension}"
    from kpi.texts import messages

    return messages(lang).get(key, dimension)


def breakdown_key(key: str | None, lang: str, dimension: str | None = None, catalog: Catalog | None = None) -> str:
    """A dimension value as shown; rows with none: what the catalog says they are ('no channel (sales team
    spend)'), else 'no channel (unassigned)' when the dimension is known."""
    if key is not None:
        return key
    if catalog is not None and (label := catalog.unset_label(dimension, lang)) is not None:
        return label
    return t(lang, "none_key_of", dimension=dimension_name(dimension, lang)) if dimension else t(lang, "none_key")


def period_label(period: Period, lang: str, previous: bool = False) -> str:
    """'October 2026', 'November 2026 to date', 'last 30 days' ('the 30 days before' as a previous
    period), 'week 43, 2026'…"""
    loc = babel_locale(lang)
    start = period.start.date()
    match period.kind:
        case Kind.ROLLING:
            days = round((period.end_utc() - period.start_utc()).total_seconds() / 86400)
            return t(lang, "rolling_previous_label" if previous else "rolling_label", days=days)
        case Kind.RANGE:
            return (
                f"{period_span(period, lang)} {t(lang, 'to_date')}" if period.is_to_date else period_span(period, lang)
            )
        case Kind.CALENDAR | Kind.TO_DATE:
            base = _grain_label(start, period.grain, loc, lang)
            return f"{base} {t(lang, 'to_date')}" if period.kind is Kind.TO_DATE else base
    raise AssertionError(period.kind)


def previous_field(result: KpiResult, lang: str, key: str = "field_previous") -> str:
    """What the previous value is called: "Previous", or "A year earlier" when the question compared with
    the same period a year before (`yoy`, `vs last year`)."""
    return t(lang, "field_year_earlier") if is_year_earlier(result) else t(lang, key)


def is_year_earlier(result: KpiResult) -> bool:
    """The question compared with the same period a year earlier (`yoy`, `vs last year`)."""
    return result.previous == year_earlier(result.current)


def period_title(period: Period, lang: str) -> str:
    """'October 2026 (Oct 1 – 31, 2026)'; a range is its own span, so it is said once."""
    label, span = period_label(period, lang), period_span(period, lang)
    return label if label == span or period.kind is Kind.RANGE else f"{label} ({span})"


def _grain_label(start: date, grain: Grain | None, loc: str, lang: str) -> str:
    match grain:
        case Grain.DAY:
            return format_date(start, "medium", locale=loc)
        case Grain.WEEK:
            iso = start.isocalendar()
            return t(lang, "week_label", week=iso.week, year=iso.year)
        case Grain.MONTH:
            return format_date(start, "LLLL y", locale=loc)
        case Grain.QUARTER:
            return t(lang, "quarter_label", quarter=(start.month - 1) // 3 + 1, year=start.year)
        case Grain.YEAR:
            return str(start.year)
        case None:
            return start.isoformat()
    raise AssertionError(grain)


def period_span(period: Period, lang: str) -> str:
    """The days a period covers, e.g. 'Oct 1 – 25, 2026' (a single day when it is one)."""
    loc = babel_locale(lang)
    first = period.first_day()
    last = period.end_day() - timedelta(days=1)
    if last < first:
        return format_date(first, "medium", locale=loc)
    if last == first:
        return format_date(first, "medium", locale=loc)
    return format_interval(first, last, "yMMMd", locale=loc)


def summary_lines(result: KpiResult, catalog: Catalog, lang: str, currency: str = "EUR") -> list[str]:
    """A plain-text answer: value, comparison, reason, and the one-line reminder."""
    kpi = result.kpi
    lines = [
        f"{kpi.name(lang)} — {period_title(result.current, lang)}",
        f"  {format_value(result.value, kpi.unit, lang, currency)}",
    ]
    reason = reason_text(result.reason, catalog, lang)
    notes = honest_notes(result, lang)
    if reason and result.cover in (Cover.FULL, Cover.PARTIAL):
        lines.append(f"  {reason}")
    lines += [f"  {note}" for note in notes]
    prev = format_value(result.previous_value, kpi.unit, lang, currency)
    comparison = f"  {t(lang, 'previous')} {prev} ({covered_span(result.previous, result, lang, previous=True)})"
    change = change_text(result, lang, currency)
    lines.append(comparison + (f"  {change}" if change else ""))
    if result.by:
        lines.append(f"  {t(lang, 'breakdown_by', dimension=dimension_name(result.by, lang))}")
        width = max((len(breakdown_key(r.key, lang, result.by, catalog)) for r in result.breakdown), default=0)
        for row in result.breakdown:
            lines.append(
                f"    {breakdown_key(row.key, lang, result.by, catalog):<{width}}  "
                f"{format_value(row.value, kpi.unit, lang, currency)}"
            )
    lines.append(f"  {kpi.description(lang)} {t(lang, 'formula')} {catalog.formula_text(kpi, lang)}")
    return lines


def explain_lines(
    kpi: Kpi, catalog: Catalog, lang: str, current: KpiResult | None = None, currency: str = "EUR"
) -> list[str]:
    lines = [
        f"{kpi.name(lang)} ({kpi.key})",
        kpi.description(lang),
        "",
        f"{t(lang, 'formula')} {catalog.formula_text(kpi, lang)}",
        f"{t(lang, 'meaning')} {kpi.explanation.meaning(lang)}",
        f"{t(lang, 'reading')} {kpi.explanation.reading(lang)}",
        f"{t(lang, 'drivers')} {kpi.explanation.drivers(lang)}",
    ]
    if current is not None:
        value = format_value(current.value, kpi.unit, lang, currency)
        lines.append(f"{t(lang, 'current_value', period=period_label(current.current, lang))} {value}")
    return lines


def unusual_text(kpi: Kpi, verdict: Judgement, lang: str, currency: str = "EUR", grain: str = "day") -> str:
    """One line on a day's (or week's) value against its expected range: "Revenue on Tue, Nov 24:
    €41,200.00, unusually low: expected €60,000.00–€72,000.00 for a Tuesday (last 8 Tuesdays)"."""
    values = {"kpi": kpi.name(lang), **unusual_words(verdict, lang, grain)}
    week = "_week" if grain == "week" else ""
    if not verdict.judged:
        return t(lang, f"unusual_not_judged{week}", needed=MIN_HISTORY, **values)
    return t(
        lang,
        f"unusual_line{week}",
        verdict=t(lang, f"unusual_{verdict.direction or 'usual'}"),
        value=format_value(verdict.value, kpi.unit, lang, currency),
        low=format_value(verdict.low, kpi.unit, lang, currency),
        high=format_value(verdict.high, kpi.unit, lang, currency),
        **values,
    )


def unusual_words(verdict: Judgement, lang: str, grain: str = "day") -> dict[str, Any]:
    """The day (or the week's Monday) as shown, its weekday, and how many past ones were known."""
    loc = babel_locale(lang)
    weekday = format_date(verdict.day, "EEEE", locale=loc)
    return {
        "day": format_date(
            verdict.day,
            ("d MMM" if grain == "week" else "EEE d MMM")
            if lang == "fr"
            else ("MMM d" if grain == "week" else "EEE, MMM d"),
            locale=loc,
        ),
        "weekdays": weekday + "s",
        "weekday": weekday,
        "history": verdict.history,
    }
