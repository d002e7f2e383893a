"""Charts: rendered without a display, the right size, data matching the engine, posted with files_upload_v2."""

import struct
import subprocess
import sys
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.render import charts
from kpi.compute import compute
from kpi.periods import parse_period
from kpi.series import series
from kpi.service import KpiService
from tests.bot.conftest import make_settings
from tests.support.messages import texts

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
