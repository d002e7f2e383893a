"""Charts: rendered without a display, the right size, data matching the engine, posted with files_upload_v2."""

import struct
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.jobs.clock import run_pass
from bot.render import charts
from kpi.catalog import Unit
from kpi.compute import compute
from kpi.periods import parse_period
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.series import Points, Series, series
from kpi.service import KpiService
from kpi.spans import Grain, calendar_pair, range_pair
from tests.bot.conftest import make_settings
from tests.support.messages import texts
from tests.support.rules import add_rule, subscribe

PNG = b"\x89PNG\r\n\x1a\n"
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


def size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG
    return struct.unpack(">II", png[16:24])


@pytest.fixture
def service(data, slack):
    return KpiService.from_settings(make_settings(data, slack))


def test_series_add_up_to_the_engine_values(service):
    pair = parse_period("2026-10", NOW, ZoneInfo("UTC"))
    revenue = series(service, service.resolve("revenue"), pair)
    assert revenue.grain == "day" and len(revenue.current.values) == 31 and len(revenue.previous.values) == 30
    assert sum(revenue.current.values) == pytest.approx(400) and sum(revenue.previous.values) == pytest.approx(80)
    assert revenue.current.values[14] == 100 and revenue.current.values[24] == 250  # Oct 15 and Oct 25
    ltv = series(service, service.resolve("ltv"), pair)
    assert ltv.current.values[-1] == pytest.approx(compute(service.catalog, service.source, "ltv", pair).value)
    cac = series(service, service.resolve("cac"), pair)  # 2 days of 31 with a customer: loose dots by day
    assert cac.grain == "week" and cac.current.labels[0] == date(2026, 9, 28)
    assert cac.current.values == [None, None, pytest.approx(0.0), pytest.approx(0.0), None]  # Oct 15, Oct 25
    assert cac.current.partial == [True, False, False, False, True]  # Oct 1-4 and Oct 26-31: cut by October


def test_long_periods_are_drawn_by_week(service):
    year = series(service, service.resolve("revenue"), parse_period("2026", NOW, ZoneInfo("UTC")))
    assert year.grain == "week"
    assert sum(v for v in year.current.values if v) == pytest.approx(400 + 80 + 20 + 1000)


def test_trend_and_breakdown_render_at_slack_preview_size(service):
    pair = parse_period("2026-10", NOW, ZoneInfo("UTC"))
    png = charts.trend(series(service, service.resolve("cac"), pair), "CAC", "Oct", "Sep", "en", "EUR", 300.0)
    assert size(png) == (880, 400) and len(png) > 4_000
    result = compute(service.catalog, service.source, "revenue", pair, "product")
    bars = charts.breakdown(result, "Revenue by product", "Oct", "Sep", "fr", "EUR")
    assert size(bars)[0] == 880


def test_charts_render_without_a_display():
    code = (
        "import os; os.environ.pop('DISPLAY', None); import bot.render.charts, matplotlib; "
        "print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().lower() == "agg", out.stderr


def test_chart_command_posts_a_png_in_the_channel(server, slack):
    message = server.command("cac 2026-10 chart", channel="C555").json()
    assert "Drawing the chart of Customer acquisition cost" in texts(message)
    calls = slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    complete = [c for c in calls if c.name == "files.completeUploadExternal"][0]
    assert complete.payload["channel_id"] == "C555"
    assert (
        "Customer acquisition cost, October 2026, compared with September 2026" in complete.payload["initial_comment"]
    )
    [file_id] = slack.uploads
    assert size(slack.uploads[file_id]) == (880, 400)


def test_show_chart_button_on_answers(server, slack):
    message = server.command("revenue 2026-10 by category").json()
    button = [
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "kpi_chart"
    ][0]
    server.action("kpi_chart", button["value"], user="U77")
    slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    [png] = slack.uploads.values()
    assert png[:8] == PNG
    from kpi.store import state

    [entry] = state.audit_entries(server.settings.database_url, "T123")
    assert (entry["user_id"], entry["action"]) == ("U77", "chart.post")


def test_bad_chart_requests_change_nothing(server, slack):
    assert "cannot be broken down" in texts(server.command("nps month by product chart").json())
    assert "is not a period" in texts(server.command("nps 2026-13 chart").json())
    assert slack.uploads == {}


# -- what is known: partial buckets, calendar buckets, thin ratios, axes, legend, sparklines --------------------

BLUE = (0x1F / 255, 0x6F / 255, 0xEB / 255)


def pixels(png: bytes):
    import io

    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def at(image, ax, x: float, y: float, right: int = 0, up: int = 0):
    """The RGB of the PNG's pixel where the data point (x, y) was drawn (or ``right``/``up`` pixels off)."""
    px, py = ax.transData.transform((x, y))
    return tuple(image[round(image.shape[0] - py) - up, round(px) + right][:3])


def near(rgb, colour, tolerance=0.12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, colour, strict=True))


def thirty_days(service, key: str, values: list[float | None], partial_last: bool = True, **more) -> Series:
    labels = [date(2026, 10, 27) + timedelta(days=i) for i in range(len(values))]
    partial = [False] * (len(values) - 1) + [partial_last]
    return Series(
        service.resolve(key), "day", Points(labels, values, partial, more.pop("thin", [])), Points([], []), **more
    )


def test_the_day_in_progress_is_a_hollow_point_reached_by_a_dashed_segment_and_labelled_to_date(service):
    values = [100.0 + 10 * (i % 3) for i in range(29)] + [105.0]  # today: a few hours, same level as the rest
    fig = charts.trend_figure(thirty_days(service, "revenue", values), "Revenue", "30 days", "before", "en", "EUR")
    image = pixels(charts.png(fig))
    ax = fig.axes[0]
    assert near(at(image, ax, 29, 105.0), (1, 1, 1), 0.05)  # hollow: white inside the last point
    assert near(at(image, ax, 28, values[28]), BLUE)  # a complete day: a filled blue point
    ring = [at(image, ax, 29, 105.0, right, up) for right, up in ((6, 0), (-6, 0), (0, 6), (0, -6))]
    assert sum(near(rgb, BLUE) for rgb in ring) >= 3  # its edge, 6 px from the centre: a blue ring
    dashed = [near(at(image, ax, 28 + f / 40, values[28] + (105.0 - values[28]) * f / 40), BLUE) for f in range(8, 33)]
    solid = [
        near(at(image, ax, 26 + f / 40, values[26] + (values[27] - values[26]) * f / 40), BLUE) for f in range(8, 33)
    ]
    assert all(solid) and 0.2 < sum(dashed) / len(dashed) < 0.9  # gaps in the last segment only
    [label] = [c for c in ax.texts if c.get_gid() == "to-date"]
    assert label.get_text() == "to date"
    assert [line.get_label() for line in ax.get_lines() if line.get_gid() == "partial-points"] == [
        "Day in progress (to date)"
    ]


def test_a_partial_spike_does_not_stretch_the_scale_and_says_its_value(service):
    values = [150.0 + 20 * (i % 4) for i in range(29)] + [799.24]  # CAC on a few hours: one customer
    fig = charts.trend_figure(thirty_days(service, "cac", values), "CAC", "30 days", "before", "fr", "EUR")
    charts.png(fig)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 300
    [label] = [c for c in ax.texts if c.get_gid() == "to-date"]
    assert label.get_text().replace("\u202f", " ").replace("\xa0", " ") == "à date : 799 €"
    [arrow] = [line for line in ax.get_lines() if line.get_gid() == "partial-points"]
    assert arrow.get_marker() == "^" and arrow.get_ydata()[0] < 300


def test_series_mark_today_partial_and_leave_the_future_out(service):
    now = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
    whole_month = calendar_pair(date(2026, 11, 1), Grain.MONTH, ZoneInfo("UTC"))
    november = series(service, service.resolve("revenue"), whole_month, now=now)
    assert november.grain == "day" and len(november.current.values) == 30
    assert november.current.values[1] == 1000 and november.current.values[24] == 0  # Nov 2; today, so far
    assert november.current.values[25:] == [None] * 5  # Nov 26-30: not known yet, not zero
    assert [i for i, p in enumerate(november.current.partial) if p] == [24]
    assert not any(november.previous.partial)  # October is over


def test_weekly_buckets_are_calendar_weeks_with_their_cut_edges_marked(service):
    ninety = series(service, service.resolve("revenue"), parse_period("90d", NOW, ZoneInfo("UTC")), now=NOW)
    labels, partial = ninety.current.labels, ninety.current.partial
    assert ninety.grain == "week" and all(d.weekday() == 0 for d in labels)
    assert labels[0] == date(2026, 8, 24) and labels[-1] == date(2026, 11, 23)  # Aug 28 (Fri) .. Nov 25 (Wed)
    assert partial[0] and partial[-1] and not any(partial[1:-1])
    assert sum(v or 0 for v in ninety.current.values) == pytest.approx(400 + 80 + 1000)


def test_long_ranges_are_drawn_by_calendar_month(service):
    pair = range_pair(date(2025, 9, 15), date(2026, 11, 24), ZoneInfo("UTC"))
    months = series(
        service, service.resolve("revenue"), pair, with_previous=False, now=NOW, first_data=date(2025, 9, 1)
    )
    assert months.grain == "month" and months.current.labels[0] == date(2025, 9, 1)
    assert months.current.labels[-1] == date(2026, 11, 1) and len(months.current.labels) == 15
    assert months.current.partial == [True] + [False] * 13 + [True]  # from Sep 15; to Nov 24
    assert months.current.values[11:] == [20, 80, 400, 1000]  # Aug, Sep, Oct, Nov 2026
    assert sum(months.current.values) == 1500


def test_a_kpi_known_once_a_month_is_drawn_by_month_not_as_loose_weekly_dots(service):
    pair = range_pair(date(2026, 8, 1), date(2026, 10, 31), ZoneInfo("UTC"))  # invoices on Sep 30, Oct 1, Oct 31
    margin = series(service, service.resolve("project_margin"), pair, now=NOW)
    assert margin.grain == "month" and margin.current.labels == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    assert margin.current.values[0] is None and margin.current.values[2] == pytest.approx((1500 - 920) / 1500)


def test_a_previous_period_of_isolated_values_is_still_drawn(service):
    labels = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    current = Points(labels, [0.31, 0.24, 0.44], [False, False, True])
    previous = Points(labels, [None, 0.26, None])  # one value between two gaps: a line alone draws nothing
    drawn = Series(service.resolve("project_margin"), "month", current, previous)
    fig = charts.trend_figure(drawn, "Project profitability", "90 d", "before", "en", "EUR")
    charts.png(fig)
    [line] = [line for line in fig.axes[0].get_lines() if line.get_label() == "before"]
    assert line.get_marker() == "o" and line.get_markersize() > 0
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Sep 2026", "Oct 2026", "Nov 2026"]


def test_money_axes_have_compact_ticks_without_cents_in_english_and_french():
    def label(value: float, lang: str) -> str:
        return charts.tick_label(value, Unit.CURRENCY, lang, "EUR").replace("\xa0", " ").replace("\u202f", " ")

    assert [label(v, "en") for v in (400_000, 1_500_000, 799.24, 150, -2500)] == [
        "€400K",
        "€1.5M",
        "€799",
        "€150",
        "\u2212€2.5K",
    ]
    assert [label(v, "fr") for v in (400_000, 1_500_000, 799.24)] == ["400 k €", "1,5 M €", "799 €"]


def test_the_legend_sits_under_the_axes_and_the_last_day_is_labelled(service):
    values = [1000.0 * (1 + i % 5) for i in range(30)]
    band = [(500.0, 6000.0)] * 30  # the expected range covers the whole plot: nowhere inside is free
    fig = charts.trend_figure(
        thirty_days(service, "revenue", values), "Revenue", "30 d", "before", "en", "EUR", 2500.0, band
    )
    charts.png(fig)
    ax = fig.axes[0]
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.y1 < axes.y0  # wholly below the plotting area
    long = charts.trend_figure(
        thirty_days(service, "revenue", values),
        "CA",
        "du mardi 27 octobre au mercredi 25 novembre 2026",
        "les 30 jours d'avant",
        "fr",
        "EUR",
        2500.0,
        band,
    )
    charts.png(long)
    assert long.axes[0].get_legend().get_window_extent().x1 <= 880  # long French labels: in two rows, all seen
    assert {"Expected range", "Line crossed: €2,500.00"} <= {t.get_text() for t in ax.get_legend().get_texts()}
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[-1] == "25 Nov" and len(ticks) <= 9
    assert all("." not in t.get_text() for t in ax.get_yticklabels()) and "€5K" in [
        t.get_text() for t in ax.get_yticklabels()
    ]


def test_ratio_points_on_too_small_a_denominator_are_shaded_not_drawn_as_spikes(service):
    values = [0.02 + 0.001 * (i % 3) for i in range(29)] + [0.021]
    values[12] = 1.6  # 160%: 8 customers out of 5 visitors that day
    thin = [i == 12 for i in range(30)]
    drawn = thirty_days(
        service,
        "visitor_conversion",
        values,
        partial_last=False,
        thin=thin,
        thin_below=40.0,
        denominator=service.catalog.measures["visitors"],
    )
    fig = charts.trend_figure(drawn, "Visitor conversion", "30 d", "before", "en", "EUR")
    charts.png(fig)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 0.1
    [shade] = [p for p in ax.patches if p.get_gid() == "thin"]
    assert shade.get_x() < 12 < shade.get_x() + shade.get_width()
    assert "Too few visitors (under 40)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_rule_min_makes_the_series_points_under_it_thin(service):
    pair = parse_period("2026-10", NOW, ZoneInfo("UTC"))  # NPS: 2 responses on Oct 3-4, 3 on Oct 5-7
    nps = series(service, service.resolve("nps"), pair, min_denominator=3)
    assert nps.grain == "week" and nps.thin_below == 3 and nps.denominator is not None
    assert nps.current.thin[:2] == [True, False] and nps.current.values[1] == pytest.approx(100 * (1 - 1) / 3)


def test_sparklines_carry_dates_and_range_and_say_no_data(service):
    cac = thirty_days(service, "cac", [100.0 + i for i in range(29)] + [900.0])
    empty = thirty_days(service, "project_margin", [None] * 30)
    fig = charts.sparklines_figure([("CAC", cac, "€128"), ("Project profitability", empty, "—")], "en", "EUR")
    charts.png(fig)
    drawn, nothing = fig.axes
    assert [t.get_text() for t in drawn.get_xticklabels()] == ["27 Oct", "24 Nov"]  # today (partial) left out
    assert [t.get_text() for t in drawn.get_yticklabels()] == ["€100", "€128"]
    assert [t.get_text() for t in nothing.texts] == ["No data"] and not nothing.get_lines()
    fr = charts.sparklines_figure([("Rentabilité", empty, "—")], "fr", "EUR")
    assert [t.get_text() for t in fr.axes[0].texts] == ["Pas de données"]


def test_buckets_before_the_first_data_have_no_value_and_the_one_it_begins_in_is_partial(service):
    pair = parse_period("90d", NOW, ZoneInfo("UTC"))  # the 90 days before: May 29 .. Aug 27
    drawn = series(service, service.resolve("revenue"), pair, now=NOW, first_data=date(2026, 6, 10))
    known = zip(drawn.previous.values, drawn.previous.partial, strict=True)
    before = dict(zip(drawn.previous.labels, known, strict=True))
    assert before[date(2026, 5, 25)] == (None, False) and before[date(2026, 6, 1)] == (None, False)  # not €0
    assert before[date(2026, 6, 8)] == (0.0, True)  # from Wed Jun 10 only
    assert before[date(2026, 6, 15)] == (0.0, False)


def test_percent_and_ratio_axes_have_no_trailing_zeros():
    def label(value: float, unit: Unit, lang: str) -> str:
        return charts.tick_label(value, unit, lang, "EUR").replace("\xa0", " ").replace("\u202f", " ")

    assert [label(v, Unit.PERCENT, "en") for v in (0.45, 0.0072, 1.6)] == ["45%", "0.72%", "160%"]
    assert label(0.45, Unit.PERCENT, "fr") == "45 %"
    assert [label(v, Unit.RATIO, "en") for v in (2.5, 12.5, 20)] == ["2.5×", "12.5×", "20×"]
    assert label(2.5, Unit.RATIO, "fr") == "2,5×"


# -- the same, through the app and the jobs --------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch):
    """The figures the app and the jobs draw (charts.trend_figure / sparklines_figure), with what they drew."""
    seen: list[tuple[object, tuple]] = []
    for name in ("trend_figure", "sparklines_figure"):
        original = getattr(charts, name)

        def record(*args, _original=original, **kwargs):
            fig = _original(*args, **kwargs)
            seen.append((fig, args))
            return fig

        monkeypatch.setattr(charts, name, record)
    return seen


def test_a_chart_of_the_month_in_progress_leaves_the_days_to_come_empty(server, slack, drawn):
    server.command("revenue 2026-11 chart", channel="C555")
    slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    [(fig, args)] = drawn
    november = args[0]
    values = november.current.values  # November to date, or the whole of it: Nov 26-30 not known yet, not €0
    assert values[1] == 1000 and values[24] == 0 and all(v is None for v in values[25:])
    assert [i for i, p in enumerate(november.current.partial) if p] == [24]  # Nov 25, 10:30: to date
    [label] = [t for t in fig.axes[0].texts if t.get_gid() == "to-date"]
    assert label.get_text() == "to date"


def test_a_chart_in_a_channel_with_a_min_guard_shades_the_points_under_it(server, slack, drawn):
    spec = RuleSpec("conversion_rate", RuleKind.THRESHOLD, Op.LT, 0.9, "30d", min_denominator=2)
    add_rule(server.settings.database_url, spec, channel="C555", team="T123")
    server.command("conversion 2026-10 chart", channel="C555")
    slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    [(fig, args)] = drawn
    conversion = args[0]
    assert conversion.thin_below == 2  # the rule's min, not the chart's own guess
    assert conversion.grain == "week"  # leads on 4 days of 31: by week
    assert conversion.current.thin[:4] == [True, True, False, True]  # one lead a week; none the week of Oct 12
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Too few leads (under 2)" in legend


def test_the_digest_image_dates_each_sparkline_and_says_no_data(ctx, slack, drawn):
    subscribe(ctx.url, at="10:00", tz="UTC", kpis="revenue,nps")
    assert run_pass(ctx, datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)).digests == 1
    [(fig, args)] = drawn
    panels = {ax.get_title(loc="left").split("  ")[0]: ax for ax in fig.axes}
    revenue, nps = panels["Revenue"], panels["Net Promoter Score"]
    assert [t.get_text() for t in revenue.get_xticklabels()] == ["27 Oct", "24 Nov"]  # not today (partial)
    assert [t.get_text() for t in revenue.get_yticklabels()] == ["€0", "€1K"]
    assert [t.get_text() for t in nps.texts] == ["No data"]  # no response since Oct 7


def test_a_year_before_the_first_row_is_no_data_not_zero(service):
    year = calendar_pair(date(2026, 1, 1), Grain.YEAR, ZoneInfo("UTC"))  # sales begin on Aug 1, 2026
    revenue = series(service, service.resolve("revenue"), year, now=NOW)
    assert revenue.grain == "week" and all(v is None for v in revenue.previous.values)  # 2025: nothing, not €0
    known = zip(revenue.current.values, revenue.current.partial, strict=True)
    weeks = dict(zip(revenue.current.labels, known, strict=True))
    assert weeks[date(2026, 7, 20)] == (None, False)
    assert weeks[date(2026, 7, 27)] == (20, True)  # Aug 1-2 only: from the first row
    assert weeks[date(2026, 8, 3)] == (0, False)
