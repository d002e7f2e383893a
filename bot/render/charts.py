"""Charts as PNG, rendered server-side with matplotlib (Agg backend: no display needed).

* ``trend``: the KPI by day, calendar week or calendar month over the period, the previous period dashed
  behind it (aligned point by point), and the alert threshold when a rule watches the KPI;
* ``breakdown``: grouped bars, current vs previous, one pair per dimension value;
* ``sparklines``: one small line per KPI, for digests, with its dates and its range.

They show what is known (:mod:`kpi.series`): a partial bucket (the day in progress, a week cut by the
period) is a hollow point reached by a dashed segment, the last one labelled "to date", and never stretches
the scale; the days to come are left empty; a ratio's points on too small a denominator are shaded
columns, not spikes; a KPI without data says "No data". Legends sit under the axes, never on the data;
axes have compact ticks without cents (€400K, 400 k €) and the last point's tick is always labelled.

Sized for Slack's preview (880 × 400 px), numbers in the KPI's unit and the team's language.
"""

from __future__ import annotations

import functools
import io
import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_currency, format_compact_decimal, format_decimal, format_percent

from kpi.catalog import Unit
from kpi.compute import KpiResult
from kpi.present import breakdown_key, format_value
from kpi.series import Points, Series
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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    return SimpleNamespace(
        Figure=Figure, FuncFormatter=FuncFormatter, MaxNLocator=MaxNLocator, FigureCanvasAgg=FigureCanvasAgg
    )


WIDTH, HEIGHT, DPI = 8.0, 3.64, 110  # 880 x 400 px
CURRENT, PREVIOUS, THRESHOLD, BAND = "#1f6feb", "#8b949e", "#cf222e", "#2da44e"
BAND_ALPHA = 0.18
LEGEND_WIDTH = 0.88  # the share of the image's width a legend row may take (the axes start ~8% in)


def _figure(height: float = HEIGHT) -> tuple[Figure, Any]:
    fig = _mpl().Figure(figsize=(WIDTH, height), dpi=DPI)
    _mpl().FigureCanvasAgg(fig)  # a renderer to measure the legend with
    ax = fig.add_subplot(1, 1, 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def png(fig: Figure) -> bytes:
    """The figure as a PNG at Slack's preview size (laid out first: the figure's pixels are then the PNG's)."""
    return _png(fig)


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
    """The trend as a PNG (:func:`trend_figure`)."""
    return _png(trend_figure(series, title, current_label, previous_label, lang, currency, threshold, band))


def trend_figure(
    series: Series,
    title: str,
    current_label: str,
    previous_label: str,
    lang: str,
    currency: str,
    threshold: float | None = None,
    band: list[tuple[float, float] | None] | None = None,
) -> Figure:
    """What is known, drawn as such: a partial bucket (the day in progress, a week cut by the period) is a
    hollow point reached by a dashed segment, the last one labelled "to date"; a ratio's thin points (too
    small a denominator) are shaded, not drawn; the legend sits under the axes, never on the data.
    ``band``: the range each point was expected in (an unusual rule's), with the points outside it marked."""
    fig, ax = _figure()
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    cur = _drawn(series.current)
    if not any(v == v for v in cur):  # nothing known: say so rather than draw an empty frame
        _no_data(ax, lang, fontsize=14)
        return fig
    prev = _drawn(series.previous)[: len(cur)]
    if any(v == v for v in prev):  # markers: a value between two gaps is still seen
        ax.plot(
            range(len(prev)),
            prev,
            color=PREVIOUS,
            linestyle="--",
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label=previous_label,
        )
        edges = [i for i, v in enumerate(prev) if series.previous.is_partial(i) and v == v]
        if edges:  # its partial buckets too: hollow, so that a V at the edges reads as what it is
            _hollow(ax, edges, [prev[i] for i in edges], "o", PREVIOUS, None)
    complete = [v if not series.current.is_partial(i) else NAN for i, v in enumerate(cur)]
    ax.plot(range(len(cur)), complete, color=CURRENT, linewidth=2.4, marker="o", markersize=3, label=current_label)
    _thin(ax, series, lang, currency)
    if band:
        _band(ax, band, complete, lang)
    if threshold is not None:
        ax.axhline(
            threshold,
            color=THRESHOLD,
            linestyle=":",
            linewidth=1.6,
            label=t(
                lang,
                "chart_threshold",
                label=t(lang, "alert_threshold"),
                value=format_value(threshold, series.kpi.unit, lang, currency),
            ),
        )
    _partial(ax, series, cur, lang, currency)
    _x_ticks(ax, series, lang)
    unit = series.kpi.unit
    ax.yaxis.set_major_formatter(_mpl().FuncFormatter(lambda y, _: tick_label(y, unit, lang, currency)))
    _legend_below(ax)
    return fig


NAN = float("nan")


def _drawn(points: Points) -> list[float]:
    """The values to draw: nothing for an unknown or thin point (NaN breaks the line there); when every
    known point is thin, they are all drawn (their columns still say so): there is nothing better to show."""
    values = points.values
    sound = any(v is not None and not points.is_thin(i) for i, v in enumerate(values))
    return [NAN if v is None or (sound and points.is_thin(i)) else v for i, v in enumerate(values)]


def _no_data(ax: Any, lang: str, fontsize: int) -> None:
    ax.text(
        0.5,
        0.5,
        t(lang, "chart_no_data"),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=fontsize,
        color=PREVIOUS,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _partial(ax: Any, series: Series, cur: list[float], lang: str, currency: str) -> None:
    """Partial buckets: a dashed segment to each neighbour, a hollow point, "to date" on the last one. A
    partial point beyond what the complete ones span (a few hours of a ratio) does not stretch the scale:
    it is drawn at the edge as a hollow arrow, with its value."""
    points = series.current
    partial = [i for i, v in enumerate(cur) if points.is_partial(i) and v == v]
    if not partial:
        return
    low, high = _clip_range(ax, [i for i in range(len(cur)) if i not in partial])
    drawn = [min(max(v, low), high) if v == v and i in partial else v for i, v in enumerate(cur)]
    for i in partial:
        for j in (i - 1, i + 1):
            if 0 <= j < len(cur) and drawn[j] == drawn[j]:
                ax.plot(
                    [j, i], [drawn[j], drawn[i]], color=CURRENT, linestyle="--", linewidth=1.6, gid="partial-segment"
                )
    label: str | None = t(lang, f"chart_partial_{series.grain}")
    for marker, chosen in (
        ("o", [i for i in partial if drawn[i] == cur[i]]),
        ("^", [i for i in partial if cur[i] > high]),
        ("v", [i for i in partial if cur[i] < low]),
    ):
        if chosen:
            _hollow(ax, chosen, [drawn[i] for i in chosen], marker, CURRENT, label)
            label = None
    last = max(i for i, v in enumerate(cur) if v == v)  # the latest known point (the days to come: none)
    if partial[-1] == last:
        text = t(lang, "chart_to_date")
        if drawn[last] != cur[last]:
            text = t(lang, "chart_to_date_value", value=tick_label(cur[last], series.kpi.unit, lang, currency))
        ax.annotate(
            text,
            (last, drawn[last]),
            xytext=(-8, _label_offset(drawn, cur, last, low, high)),
            textcoords="offset points",
            ha="right",
            fontsize=9,
            color=CURRENT,
            gid="to-date",
        )


def _label_offset(drawn: list[float], cur: list[float], last: int, low: float, high: float) -> int:
    """Points above or below the ``last`` point for its "to date", on the side its dashed segment does not
    come from; inside the axes for a point clipped at an edge."""
    if cur[last] > high or cur[last] < low:
        return -14 if cur[last] > high else 8
    before = drawn[last - 1] if last > 0 else math.nan
    return -14 if before == before and before > cur[last] else 8


def _hollow(ax: Any, xs: list[int], ys: list[float], marker: str, color: str, label: str | None) -> None:
    ax.plot(
        xs,
        ys,
        linestyle="none",
        marker=marker,
        markersize=8 if color == CURRENT else 6,
        markerfacecolor="white",
        markeredgecolor=color,
        markeredgewidth=2 if color == CURRENT else 1.5,
        zorder=6 if color == CURRENT else 4,
        gid="partial-points" if color == CURRENT else "previous-partial-points",
        label=label,
    )


def _clip_range(ax: Any, complete: list[int]) -> tuple[float, float]:
    """The y range of everything drawn so far but the partial points (with a margin), fixed as the axis's;
    unbounded when there is no complete point to compare with."""
    if not complete:
        return -math.inf, math.inf
    ys = [y for line in ax.get_lines() for y in line.get_ydata() if y == y]
    ys += [y for coll in ax.collections for path in coll.get_paths() for y in path.vertices[:, 1] if y == y]
    if not ys:
        return -math.inf, math.inf
    low, high = min(ys), max(ys)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    ax.set_ylim(low - pad, high + pad)
    return low - pad * 0.5, high + pad * 0.5


def _thin(ax: Any, series: Series, lang: str, currency: str) -> None:
    """A ratio's points whose denominator was too small: a grey column where the point would have been."""
    thin = [i for i, v in enumerate(series.current.values) if series.current.is_thin(i) and v is not None]
    if not thin or series.thin_below is None or series.denominator is None:
        return
    unit = Unit.CURRENCY if series.denominator.unit == "currency" else Unit.NUMBER
    minimum = tick_label(series.thin_below, unit, lang, currency)
    label = t(lang, "chart_thin", measure=series.denominator.label(lang), minimum=minimum)
    for n, i in enumerate(thin):
        ax.axvspan(
            i - 0.4, i + 0.4, color=PREVIOUS, alpha=0.25, linewidth=0, gid="thin", label=label if n == 0 else None
        )


def _band(ax: Any, band: list[tuple[float, float] | None], cur: list[float], lang: str) -> None:
    lows = [NAN if b is None else b[0] for b in band][: len(cur)]
    highs = [NAN if b is None else b[1] for b in band][: len(cur)]
    ax.fill_between(
        range(len(lows)), lows, highs, color=BAND, alpha=BAND_ALPHA, linewidth=0, label=t(lang, "chart_expected_range")
    )
    out = [(x, v) for x, (v, b) in enumerate(zip(cur, band, strict=False)) if b is not None and not b[0] <= v <= b[1]]
    if out:
        ax.scatter(
            [x for x, _ in out], [v for _, v in out], color=THRESHOLD, s=36, zorder=5, label=t(lang, "chart_unusual")
        )


def _x_ticks(ax: Any, series: Series, lang: str) -> None:
    """About 8 ticks, counted back from the last point so that the last one is always labelled."""
    loc = babel_locale(lang)
    pattern = "MMM y" if series.grain == "month" else "d MMM"
    labels = [format_date(d, pattern, locale=loc) for d in series.current.labels]
    step = max(1, math.ceil(len(labels) / 8))
    ticks = list(range(len(labels) - 1, -1, -step))[::-1]
    ax.set_xticks(ticks, [labels[i] for i in ticks])
    ax.set_xlim(-0.5, len(labels) - 0.5)


def _legend_below(ax: Any) -> None:
    """Under the axes, in up to four columns, as many as fit the figure's width: it can never sit on the data
    or the expected range, nor run off the image."""
    handles, _ = ax.get_legend_handles_labels()
    renderer = ax.figure.canvas.get_renderer()
    for columns in range(min(4, max(1, len(handles))), 0, -1):  # as many as the figure's width holds
        legend = ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=columns, frameon=False, fontsize=9)
        if legend.get_window_extent(renderer).width <= LEGEND_WIDTH * ax.figure.bbox.width:
            return


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
    _legend_below(ax)
    return _png(fig)


def tick_label(value: float, unit: Unit, lang: str, currency: str) -> str:
    """An axis label short enough never to overlap its neighbours, without cents or trailing zeros: €1.2M,
    450 k€, €799, 12%, 2.5×."""
    loc = babel_locale(lang)
    match unit:
        case Unit.CURRENCY:  # Babel keeps every digit under a thousand: round there, no cents on an axis
            text = format_compact_currency(_rounded(value, True), currency, locale=loc, fraction_digits=1)
        case Unit.NUMBER | Unit.SCORE:
            text = format_compact_decimal(_rounded(value, False), locale=loc, fraction_digits=1)
        case Unit.PERCENT:  # 45%, 0.72%: no trailing zeros
            text = format_percent(value, _percent_tick(loc), locale=loc)
        case Unit.RATIO:
            text = format_decimal(_rounded(value, False), "#,##0.##", locale=loc) + "×"
        case _:
            raise AssertionError(unit)
    return text.replace("-", "\u2212")


@functools.cache
def _percent_tick(loc: str) -> str:
    """The locale's percent pattern ('#,##0%', '#,##0 %') with up to two decimals, none when whole."""
    head, sep, tail = Locale.parse(loc).percent_formats[None].pattern.rpartition("0")
    return f"{head}0.##{tail}" if sep else "#,##0.##%"


def _rounded(value: float, money: bool) -> float:
    """Whole under a thousand from 10 on (€799, €60; 12.5 for a count), two digits under 10 (€0.35):
    compact forms do the rest."""
    size = abs(value)
    return round(value) if size >= 100 or (money and size >= 10) else round(value, 1) if size >= 10 else round(value, 2)


def sparklines(all_series: list[tuple[str, Series, str]], lang: str, currency: str = "EUR") -> bytes:
    """One compact image for the digest (:func:`sparklines_figure`)."""
    return _png(sparklines_figure(all_series, lang, currency))


def sparklines_figure(all_series: list[tuple[str, Series, str]], lang: str, currency: str = "EUR") -> Figure:
    """A small trend per KPI (complete days only: the day in progress and thin points are left out), with
    its latest value, its first and last dates and its min and max; "No data" for a KPI without any."""
    count = max(len(all_series), 1)
    cols = 3
    rows = (count + cols - 1) // cols
    fig = _mpl().Figure(figsize=(WIDTH, 1.25 * rows + 0.2), dpi=DPI)
    for i, (name, series, latest) in enumerate(all_series):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.set_title(f"{name[:26]}  {latest}", fontsize=8, loc="left")
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        _sparkline(ax, series, lang, currency)
    return fig


def _sparkline(ax: Any, series: Series, lang: str, currency: str) -> None:
    points = series.current
    values = [NAN if points.is_partial(i) else v for i, v in enumerate(_drawn(points))]
    known = [i for i, v in enumerate(values) if v == v]
    if not known:
        _no_data(ax, lang, fontsize=9)
        return
    ax.plot(
        range(len(values)), values, color=CURRENT, linewidth=1.6, marker="o" if len(known) < 3 else None, markersize=2.5
    )
    low, high = min(values[i] for i in known), max(values[i] for i in known)
    ax.set_yticks(sorted({low, high}), [tick_label(v, series.kpi.unit, lang, currency) for v in sorted({low, high})])
    loc = babel_locale(lang)
    ends = sorted({known[0], known[-1]})
    ax.set_xticks(ends, [format_date(points.labels[i], "d MMM", locale=loc) for i in ends])
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.tick_params(labelsize=6, length=0, pad=1, colors="#57606a")
