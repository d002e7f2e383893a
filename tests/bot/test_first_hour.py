"""The traps of a newcomer's first hour, each reproduced: the words and numbers they read must be right."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.jobs.digests import firing_now
from bot.render import charts
from bot.sandbox.console import Console
from kpi.catalog import Unit
from kpi.compute import BreakdownRow, KpiResult
from kpi.present import format_value
from kpi.rules import Rule, State
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0
from tests.support.messages import texts
from tests.support.rules import CAC_ABOVE_300

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def en(data, slack):
    running = Server(make_settings(data, slack), slack, clock=lambda: T0)
    yield running
    running.stop()


def said(server, text: str) -> str:
    return texts(server.command(text).json())


def test_help_tells_about_pins_targets_the_home_tab_and_numbers(en):
    help_text = said(en, "help")
    assert "`/kpi pin KPI`" in help_text and "*Home* tab" in help_text and "`/kpi target KPI VALUE" in help_text
    assert "for a % KPI a number is in percent (`12` = 12 %)" in help_text


def test_a_range_is_said_once(en):
    answer = said(en, "cac 2026-10-01..2026-10-15")
    span = "Oct 1\u2009–\u200915, 2026"
    assert span in answer and f"{span} ({span})" not in answer


def test_a_mistyped_period_gets_a_suggestion(en):
    answer = said(en, "cac lastmonth")
    assert "I didn't understand *lastmonth* in your question. The closest readings:" in answer
    assert "Customer acquisition cost · last-month" in answer  # a button that asks it


def test_a_future_period_says_so(en):
    answer = said(en, "cac 2027")
    assert "No value yet: this period is in the future." in answer and "is zero" not in answer


def test_a_breakdown_with_an_empty_group_explains_its_dash():
    result = KpiResult(
        kpi=_kpi("ltv_cac"),
        current=None,
        previous=None,
        value=5.0,
        previous_value=4.0,
        reason=None,
        previous_reason=None,
        measures={},
        previous_measures={},
        by="channel",
        breakdown=(
            BreakdownRow("organic", 41.5, 38.0, {"new_customers": 3.0}),
            BreakdownRow(None, None, None, {"new_customers": 0.0, "acquisition_spend": 10.0}),
        ),
    )
    from bot.render.answers import breakdown_table
    from kpi.catalog import load_catalog

    text = breakdown_table(result, "en", "EUR", load_catalog(None))
    assert "no channel (sales team spend)" in text
    assert "_no channel (sales team spend)_: No value: «new customers» is zero in this period." in text


def _kpi(key):
    from kpi.catalog import load_catalog

    return load_catalog(None).kpis[key]


def test_a_snoozed_rule_is_not_firing_now():
    now = T0
    row = Rule(1, "T1", "C1", CAC_ABOVE_300, State.FIRING, snoozed_until=(now + timedelta(days=1)).replace(tzinfo=None))
    assert not firing_now(row, now)
    assert firing_now(replace(row, snoozed_until=(now - timedelta(minutes=1)).replace(tzinfo=None)), now)
    assert firing_now(replace(row, snoozed_until=None), now)
    assert not firing_now(replace(row, state=State.OK, snoozed_until=None), now)


def test_negative_numbers_use_the_minus_sign_everywhere():
    assert format_value(-0.0829, Unit.PERCENT, "en") == "−8.29%"
    assert format_value(-1500, Unit.CURRENCY, "en") == "−€1,500.00"
    assert format_value(-12, Unit.SCORE, "fr") == "−12,0"


def test_money_tick_labels_are_short_and_dollar_names_draw():
    labels = [charts.tick_label(x, Unit.CURRENCY, "en", "EUR") for x in (0, 250_000, 500_000, 1_250_000)]
    assert labels == ["€0", "€250K", "€500K", "€1.2M"]
    result = KpiResult(
        kpi=_kpi("revenue"),
        current=None,
        previous=None,
        value=3.0,
        previous_value=2.0,
        reason=None,
        previous_reason=None,
        measures={},
        previous_measures={},
        by="product",
        breakdown=(
            BreakdownRow("Price $10 # $20", 1_716_318.95, 1_500_000.0),
            BreakdownRow("$x^2$", 584_068.50, 500_000.0),
        ),
    )
    png = charts.breakdown(result, "Revenue by product", "Oct", "Sep", "en", "EUR")
    assert Image.open(io.BytesIO(png)).size[0] == 880


def test_the_console_says_which_command_replaces_each_form(data, slack):
    console = Console(make_settings(data, slack))
    try:
        assert "type it instead, e.g. /kpi digest daily 09:00" in console.run_line("/kpi digest")
        assert "e.g. /kpi alert cac > 150 30d" in console.run_line("/kpi alert")
    finally:
        console.close()


def test_charts_and_local_databases_are_ignored_and_cleaned():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert {"kpi-charts/", "*.db", "*.db-wal", "*.db-shm"} <= set(ignored)
    clean = re.search(r"^clean:\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "kpi-charts" in clean and "demo.db*" in clean


def test_the_readme_documents_the_json_shape_with_by():
    readme = (ROOT / "README.md").read_text()
    assert '"by"' in readme.split("`compute --json` prints one object")[1].split("\n\n")[0]


def test_the_readme_console_samples_show_the_buttons_the_console_prints(data, slack):
    console = Console(make_settings(data, slack))
    try:
        answer = console.run_line("/kpi cac 2026-10")
    finally:
        console.close()
    [buttons] = [line.strip() for line in answer.splitlines() if line.strip().startswith("[Share")]
    assert buttons == "[Share in channel] [Show chart] [Why?] [Explain]"
    readme = (ROOT / "README.md").read_text()
    samples = [line.strip() for line in readme.splitlines() if line.strip().startswith("[Share")]
    assert samples and all(line == buttons for line in samples)
