"""Turning results into words and numbers for people, in English or French (Babel formats).

Shared by the CLI and the Slack app, so that a number reads the same everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_interval
from babel.numbers import format_currency, format_decimal, format_percent

from kpi.anomaly import MIN_HISTORY, Judgement
from kpi.catalog import Catalog, Direction, Kpi, Unit
from kpi.compute import KpiResult, Reason, ReasonCode
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
    """▲/▼ for the direction of the move, with 🟢 when it is good and 🔴 when it is bad."""
    if result.change is None:
        return ""
    if result.change == 0:
        return "="
    mark = "▲" if result.change > 0 else "▼"
    return f"{mark} {'🟢' if result.improved else '🔴'}"


def change_text(result: KpiResult, lang: str, currency: str = "EUR") -> str:
    """'+€8.16 (+5.4 %) ▲ 🔴 worse' — or '' when there is nothing to compare."""
    if result.change is None:
        return ""
    parts = [format_delta(result.change, result.kpi.unit, lang, currency)]
    if result.change_pct is not None:
        parts.append(f"({format_pct_change(result.change_pct, lang)})")
    verdict = t(lang, "flat") if result.improved is None else t(lang, "better" if result.improved else "worse")
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
    raise AssertionError(reason.code)


def dimension_name(dimension: str, lang: str) -> str:
    key = f"dimension_{dimension}"
    from kpi.texts import messages

    return messages(lang).get(key, dimension)


def breakdown_key(key: str | None, lang: str, dimension: str | None = None) -> str:
    """A dimension value as shown; rows with none: '(no channel)' when the dimension is known."""
    if key is not None:
        return key
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
            return period_span(period, lang)
        case Kind.CALENDAR | Kind.TO_DATE:
            base = _grain_label(start, period.grain, loc, lang)
            return f"{base} {t(lang, 'to_date')}" if period.kind is Kind.TO_DATE else base
    raise AssertionError(period.kind)


def previous_field(result: KpiResult, lang: str, key: str = "field_previous") -> str:
    """What the previous value is called: "Previous", or "A year earlier" when the question compared with
    the same period a year before (`yoy`, `vs last year`)."""
    return t(lang, "field_year_earlier") if result.previous == year_earlier(result.current) else t(lang, key)


def period_title(period: Period, lang: str) -> str:
    """'October 2026 (Oct 1 – 31, 2026)'; a range is its own span, so it is said once."""
    label, span = period_label(period, lang), period_span(period, lang)
    return label if label == span else f"{label} ({span})"


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
    if reason:
        lines.append(f"  {reason}")
    prev = format_value(result.previous_value, kpi.unit, lang, currency)
    comparison = f"  {t(lang, 'previous')} {prev} ({period_span(result.previous, lang)})"
    change = change_text(result, lang, currency)
    lines.append(comparison + (f"  {change}" if change else ""))
    if result.by:
        lines.append(f"  {t(lang, 'breakdown_by', dimension=dimension_name(result.by, lang))}")
        width = max((len(breakdown_key(r.key, lang, result.by)) for r in result.breakdown), default=0)
        for row in result.breakdown:
            lines.append(
                f"    {breakdown_key(row.key, lang, result.by):<{width}}  "
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
