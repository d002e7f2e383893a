"""Charts as PNG, rendered server-side with matplotlib (Agg backend: no display needed).

* ``trend``: the KPI by day (or week) over the period, the previous period dashed behind it
  (aligned point by point), and the alert threshold when a rule watches the KPI;
* ``breakdown``: grouped bars, current vs previous, one pair per dimension value;
* ``sparklines``: one small line per KPI, for digests.

Sized for Slack's preview (880 × 400 px), numbers in the KPI's unit and the team's language.
"""

from __future__ import annotations

import functools
import io
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from babel.numbers import format_compact_currency, format_compact_decimal

from kpi.catalog import Unit
from kpi.compute import KpiResult
from kpi.present import breakdown_key, format_value
from kpi.series import Series
from kpi.texts import babel_locale, t

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@functools.cache
def _mpl() -> SimpleNamespace:
    """matplotlib, imported with the first chart (about 0.3 s): the app and the CLI start without it.
    Figures are made without pyplot (no global state to close), and drawn by the Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    # Names come from the data ("Price $10 # $20"): never read them as TeX math, which garbles or crashes.
    matplotlib.rcParams["text.parse_math"] = False
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    return SimpleNamespace(Figure=Figure, FuncFormatter=FuncFormatter, MaxNLocator=MaxNLocator)


WIDTH, HEIGHT, DPI = 8.0, 3.64, 110  # 880 x 400 px
CURRENT, PREVIOUS, THRESHOLD, BAND = "#1f6feb", "#8b949e", "#cf222e", "#2da44e"
BAND_ALPHA = 0.18


def _figure(height: float = HEIGHT) -> tuple[Figure, Any]:
    fig = _mpl().Figure(figsize=(WIDTH, height), dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def trend(
    series: Series,
    title: str,
    current_label: str,
    previous_label: str,
    lang: str,
    currency: str,
    threshold: float | None = None,
    band: list[tuple[float, float] | None] | None = None,
) -> bytes:
    """``band``: the range each point was expected in (an unusual rule's), drawn behind the line, with the
    points outside it marked."""
    kpi = series.kpi
    fig, ax = _figure()
    xs = list(range(len(series.current.values)))
    cur = [float("nan") if v is None else v for v in series.current.values]
    prev = [float("nan") if v is None else v for v in series.previous.values][: len(xs)]
    if prev:
        ax.plot(range(len(prev)), prev, color=PREVIOUS, linestyle="--", linewidth=1.6, label=previous_label)
    ax.plot(
        xs, cur, color=CURRENT, linewidth=2.4, marker="o" if len(xs) <= 31 else None, markersize=3, label=current_label
    )
    if band:
        lows = [float("nan") if b is None else b[0] for b in band][: len(xs)]
        highs = [float("nan") if b is None else b[1] for b in band][: len(xs)]
        ax.fill_between(
            range(len(lows)),
            lows,
            highs,
            color=BAND,
            alpha=BAND_ALPHA,
            linewidth=0,
            label=t(lang, "chart_expected_range"),
        )
        out = [(x, v) for x, v, b in zip(xs, cur, band, strict=False) if b is not None and not b[0] <= v <= b[1]]
        if out:
            ax.scatter(
                [x for x, _ in out],
                [v for _, v in out],
                color=THRESHOLD,
                s=36,
                zorder=5,
                label=t(lang, "chart_unusual"),
            )
    if threshold is not None:
        ax.axhline(
            threshold,
            color=THRESHOLD,
            linestyle=":",
            linewidth=1.6,
            label=f"{t(lang, 'alert_threshold')}: {format_value(threshold, kpi.unit, lang, currency)}",
        )
    loc = babel_locale(lang)
    labels = [format_date(d, "d MMM", locale=loc) for d in series.current.labels]
    ax.xaxis.set_major_locator(_mpl().MaxNLocator(nbins=8, integer=True))
    ax.xaxis.set_major_formatter(_mpl().FuncFormatter(lambda x, _: labels[int(x)] if 0 <= int(x) < len(labels) else ""))
    ax.yaxis.set_major_formatter(_mpl().FuncFormatter(lambda y, _: format_value(y, kpi.unit, lang, currency)))
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.legend(loc="best", frameon=False, fontsize=9)
    return _png(fig)


def breakdown(
    result: KpiResult, title: str, current_label: str, previous_label: str, lang: str, currency: str, limit: int = 12
) -> bytes:
    rows = [r for r in result.breakdown if r.value is not None][:limit]
    fig, ax = _figure(max(HEIGHT, 0.35 * len(rows) + 1.2))
    keys = [breakdown_key(r.key, lang, result.by)[:28] for r in rows][::-1]
    ys = list(range(len(rows)))
    cur = [r.value or 0.0 for r in rows][::-1]
    prev = [r.previous or 0.0 for r in rows][::-1]
    ax.barh([y + 0.2 for y in ys], cur, height=0.38, color=CURRENT, label=current_label)
    ax.barh([y - 0.2 for y in ys], prev, height=0.38, color=PREVIOUS, label=previous_label)
    ax.set_yticks(ys, keys)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(_mpl().MaxNLocator(6))
    ax.xaxis.set_major_formatter(_mpl().FuncFormatter(lambda x, _: tick_label(x, result.kpi.unit, lang, currency)))
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    return _png(fig)


def tick_label(value: float, unit: Unit, lang: str, currency: str) -> str:
    """An axis label short enough never to overlap its neighbours: €1.2M, 450 k€, 12%."""
    loc = babel_locale(lang)
    match unit:
        case Unit.CURRENCY:
            text = format_compact_currency(value, currency, locale=loc, fraction_digits=1)
        case Unit.NUMBER | Unit.SCORE:
            text = format_compact_decimal(value, locale=loc, fraction_digits=1)
        case Unit.PERCENT | Unit.RATIO:
            return format_value(value, unit, lang, currency)
        case _:
            raise AssertionError(unit)
    return text.replace("-", "\u2212")


def sparklines(all_series: list[tuple[str, Series, str]], lang: str) -> bytes:
    """One compact image for the digest: a small trend per KPI (complete days only) with its latest value."""
    count = max(len(all_series), 1)
    cols = 3
    rows = (count + cols - 1) // cols
    fig = _mpl().Figure(figsize=(WIDTH, 1.1 * rows + 0.2), dpi=DPI)
    for i, (name, series, latest) in enumerate(all_series):
        ax = fig.add_subplot(rows, cols, i + 1)
        values = [float("nan") if v is None else v for v in series.current.values[:-1]]  # today is partial
        ax.plot(range(len(values)), values, color=CURRENT, linewidth=1.6)
        ax.set_title(f"{name[:26]}  {latest}", fontsize=8, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
    return _png(fig)
