"""Honest answers (issue 25): a number is shown only where the data backs it.

A table over every built-in KPI × {the current month by name, the current ISO week, a future period, a
period before the first row, a year earlier without data, a stale table}, in English and French; then the
examples of the issue through the real app and the fake Slack, on a year of demo data ending Dec 4, 2026.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from bot.jobs.digests import digest_payload
from bot.render.answers import answer
from bot.slack.listeners.home import dashboard
from kpi import demo
from kpi.catalog import load_catalog
from kpi.compute import Cover, pct_change
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.service import KpiService
from kpi.store import facts, state
from kpi.store.engines import get_engine
from kpi.store.migrations import upgrade
from kpi.store.schema import FACT_TABLES
from tests.bot.conftest import Server, make_settings
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)  # a Friday
LATER = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)  # four days without a row: daily tables are stale
KPIS = list(load_catalog(None).kpis)
STALE_KPIS = set(KPIS) - {"project_margin", "utilization"}  # project time comes on weekdays: 3 days is usual

WORDS = {
    "en": {
        "month_by_name": ("december", NOW, [r"December 2026 to date \(Dec 1–4, 2026\)", r"\(Nov 1–4, 2026\)"]),
        "iso_week": ("2026-W49", NOW, [r"week 49, 2026 to date \(Nov 30–Dec 4, 2026\)", r"\(Nov 23–27, 2026\)"]),
        "future": ("2027", NOW, [r"No value yet: this period is in the future\."]),
        "before_first_row": ("2026-06", NOW, [r"No .+ data before (Aug|Sep) \d{1,2}, 2026\.\n"]),
        "yoy_without_history": (
            "last-month yoy",
            NOW,
            [r"No .+ data before (Aug|Sep) \d{1,2}, 2026: nothing to compare a year earlier\."],
        ),
        "stale_table": ("week", LATER, [r"⚠ \w+ has had no new rows since Dec 4 \(usually (daily|every 2 days)\)"]),
    },
    "fr": {
        "month_by_name": ("décembre", NOW, [r"décembre 2026 à date \(1–4 déc\. 2026\)", r"\(1–4 nov\. 2026\)"]),
        "iso_week": ("2026-W49", NOW, [r"semaine 49 2026 à date \(30 nov\.–4 déc\. 2026\)", r"\(23–27 nov\. 2026\)"]),
        "future": ("2027", NOW, [r"Pas encore de valeur : cette période est dans le futur\."]),
        "before_first_row": ("2026-06", NOW, [r"Aucune donnée pour « .+ » avant le \d{1,2} (août|sept\.) 2026\.\n"]),
        "yoy_without_history": (
            "mois-dernier vs année dernière",
            NOW,
            [r"Aucune donnée pour « .+ » avant le \d{1,2} (août|sept\.) 2026 : rien à comparer un an plus tôt\."],
        ),
        "stale_table": (
            "semaine",
            LATER,
            [r"⚠ \w+ n'a pas reçu de nouvelles lignes depuis le 4 déc\. \(d'habitude (chaque jour|tous les 2 jours)\)"],
        ),
    },
}


def plain(text: str) -> str:
    """Babel's thin and non-breaking spaces as plain ones (or none around an interval's dash)."""
    return text.replace("\u2009", "").replace("\u202f", " ").replace("\xa0", " ")


def fields(message: dict) -> tuple[str, str, str]:
    """The value line, the previous field and the change field of an answer."""
    [section] = [b for b in message["blocks"] if b["type"] == "section" and b.get("fields")]
    previous, change = (f["text"].split("\n", 1)[1] for f in section["fields"])
    return plain(section["text"]["text"]), plain(previous), plain(change)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    """120 days of demo data up to NOW (its first rows in August 2026)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('honest') / 'demo.db'}"
    upgrade(url)
    facts.replace_all(url, demo.generate(NOW, days=120))
    return url


@pytest.fixture(scope="module", params=["en", "fr"])
def service(request, demo_url) -> KpiService:
    from kpi.config import Settings

    settings = Settings(
        _env_file=None,
        database_url=demo_url,
        source_database_url=demo_url,
        kpi_timezone="UTC",
        kpi_language=request.param,
        kpi_rollups=False,
    )
    return KpiService.from_settings(settings)


@pytest.mark.parametrize("case", list(WORDS["en"]))
@pytest.mark.parametrize("kpi", KPIS)
def test_every_kpi_says_what_its_data_backs(service, kpi, case):
    lang = service.language
    period, now, patterns = WORDS[lang][case]
    result = service.ask(kpi, period, now)
    message = answer(result, service.catalog, lang, "EUR", period)
    body = plain(texts(message))
    value, previous, change = fields(message)
    for pattern in patterns if case != "stale_table" or kpi in STALE_KPIS else []:
        assert re.search(pattern, body), f"{kpi} {case}: {pattern!r} not in\n{body}"
    if case in ("month_by_name", "iso_week"):  # to date, against the same elapsed span
        assert result.current.end == now and result.current.is_to_date
        assert result.previous.end - result.previous.start == result.current.end - result.current.start
    if case in ("future", "before_first_row"):  # no value, no comparison: never a €0.00 or a −100 %
        assert value.startswith("*—*") and change == "—" and result.value is None
        assert result.cover is (Cover.FUTURE if case == "future" else Cover.NONE)
    if case == "yoy_without_history":
        assert previous.startswith("—") and change == "—" and result.change_pct is None
    if case == "stale_table":
        stale = kpi in STALE_KPIS
        assert bool(result.stale) is stale
        if stale:  # said, and no value: nothing arrived in the week (never a €0.00 or a −100 % 🔴)
            assert value.startswith("*—*") and change == "—" and result.cover is Cover.AFTER
            assert "🔴" not in body and "🟢" not in body
            assert not re.search(r"\b(worse|better|moins bien|mieux)\b", change)


def test_a_percentage_needs_a_comparable_base():
    assert pct_change(110.0, 100.0) == pytest.approx(0.1)
    assert pct_change(-90.0, -100.0) == pytest.approx(0.1)  # a loss that shrinks: +10 %
    assert pct_change(5.0, None) is None  # no base
    assert pct_change(5.0, 0.0) is None  # from nothing: not "+∞ %"
    assert pct_change(100.0, -5.0) is None and pct_change(-5.0, 100.0) is None  # the other sign


# -- the examples, through the real app and the fake Slack ------------------------------------


@pytest.fixture(scope="module")
def year_url(tmp_path_factory) -> str:
    """A year of demo data up to NOW, as `make demo` made it: the first rows on Dec 4, 2025."""
    url = f"sqlite:///{tmp_path_factory.mktemp('honest_year') / 'demo.db'}"
    upgrade(url)
    facts.replace_all(url, demo.generate(NOW, days=365))
    return url


@pytest.fixture
def app(year_url, slack):
    running = Server(make_settings(year_url, slack), slack, clock=lambda: NOW)
    yield running
    running.stop()


def ask(app: Server, text: str) -> tuple[str, str, str, str]:
    message = app.command(text).json()
    return (plain(texts(message)), *fields(message))


def test_month_yoy_against_a_year_earlier_partly_covered_has_no_percentage(app):
    body, value, previous, change = ask(app, "revenue month yoy")
    assert "December 2026 to date (Dec 1–4, 2026)" in value
    assert previous.endswith("(Dec 1–4, 2025, from Dec 4, 2025 (first data))")
    assert change == "—" and "%" not in change
    assert "The revenue data begins on Dec 4, 2025, inside a period compared: no change is computed." in body


def test_last_month_vs_last_year_before_the_first_row_says_so(app):
    body, _, previous, change = ask(app, "revenue last-month vs last year")
    assert "No revenue data before Dec 4, 2025: nothing to compare a year earlier." in body
    assert previous == "— (Nov 1–30, 2025)" and change == "—" and "€0.00" not in body


def test_ytd_against_a_year_mostly_without_data_has_no_percentage(app):
    body, value, previous, change = ask(app, "revenue ytd")
    assert "2026 to date (Jan 1–Dec 4, 2026)" in value
    assert "from Dec 4, 2025 (first data)" in previous and change == "—" and "%" not in body.split("Formula")[0]


def test_a_future_year_has_no_value_and_no_verdict(app):
    body, value, previous, change = ask(app, "revenue 2027")
    assert value.startswith("*—*") and change == "—" and previous.startswith("—")
    assert "No value yet: this period is in the future." in body
    assert "€0.00" not in body and "−100.0%" not in body and "worse" not in body


def test_a_month_before_the_first_row_is_no_value(app):
    body, value, _, change = ask(app, "what was revenue in october 2025?")
    assert "October 2025" in value and value.startswith("*—*") and change == "—"
    assert "No revenue data before Dec 4, 2025." in body and "€0.00" not in body and "unchanged" not in body


@pytest.mark.parametrize(
    "question, current, previous",
    [
        ("revenue december", "December 2026 to date (Dec 1–4, 2026)", "(Nov 1–4, 2026)"),
        ("revenue 2026-12", "December 2026 to date (Dec 1–4, 2026)", "(Nov 1–4, 2026)"),
        ("revenue 2026-W49", "week 49, 2026 to date (Nov 30–Dec 4, 2026)", "(Nov 23–27, 2026)"),
        ("revenue 2026-11-20..2026-12-04", "Nov 20–Dec 4, 2026 to date", "(Nov 5–19, 2026)"),
    ],
)
def test_a_period_containing_now_is_compared_to_date(app, question, current, previous):
    _, value, prev, _ = ask(app, question)
    assert current in value and prev.endswith(previous)


def test_december_and_month_say_the_same_thing(app):
    assert ask(app, "revenue december")[1:] == ask(app, "revenue month")[1:]


def test_a_stale_table_is_said_and_not_judged(year_url, slack):
    with get_engine(year_url).begin() as conn:  # sales stopped on Dec 2 at noon
        conn.execute(delete(FACT_TABLES["sales"]).where(FACT_TABLES["sales"].c.sold_at >= datetime(2026, 12, 2, 12)))
    running = Server(make_settings(year_url, slack), slack, clock=lambda: NOW)
    try:
        body, _, _, change = ask(running, "revenue week")
        assert "⚠ sales has had no new rows since Dec 2 (usually daily)" in body
        assert "🔴" not in body and "worse" not in body and change.endswith("▼ not judged: stale data")
        ctx = JobContext.from_settings(make_settings(year_url, slack))
        digest, _ = digest_payload(ctx, None, NOW, "T1", "C1")
        assert "⚠ sales has had no new rows since Dec 2 (usually daily)" in texts(digest)
        home = json.dumps(dashboard(running.app.deps, "T123", "week"), ensure_ascii=False)
        assert "⚠ sales has had no new rows since Dec 2 (usually daily)" in home
        [revenue] = [line for line in home.split('"') if line.startswith("*Revenue*")]
        assert "▼" in revenue and "🔴" not in revenue  # the drop is shown, not judged
        body, value, _, change = ask(running, "revenue today")  # nothing arrived today: no value at all
        assert value.startswith("*—*") and change == "—" and "€0.00" not in body
        assert "⚠ sales has had no new rows since Dec 2 (usually daily)" in body
    finally:
        running.stop()
        facts.replace_all(year_url, demo.generate(NOW, days=365))


def test_a_period_the_data_begins_inside_says_from_when(app):
    body, value, previous, change = ask(app, "revenue 2025")
    assert value.startswith("*€") and "2025 (Jan 1–Dec 31, 2025), from Dec 4, 2025 (first data)" in value
    assert previous.startswith("—") and change == "—"  # 2024: no data at all
    assert "No revenue data before Dec 4, 2025: nothing to compare a year earlier." in body  # 2024 is both


def test_the_first_month_of_data_has_nothing_before_it_to_compare_with(app):
    body, value, previous, change = ask(app, "revenue 2025-12")
    assert "December 2025 (Dec 1–31, 2025), from Dec 4, 2025 (first data)" in value
    assert previous == "— (Nov 1–30, 2025)" and change == "—"
    assert "No revenue data before Dec 4, 2025: nothing to compare with the period before." in body


def test_a_change_rule_against_a_year_the_data_barely_covers_does_not_fire(year_url, slack):
    """Today the year-earlier month to date holds a few hours of data: "+77,629.6 %" must not fire a rule."""
    ctx = JobContext.from_settings(make_settings(year_url, slack))
    rise = add_rule(ctx.url, RuleSpec("revenue", RuleKind.CHANGE, Op.GE, 0.2, "month yoy"))
    try:
        at = NOW.replace(hour=23)  # the year-earlier month to date: 13 hours of Dec 4, 2025, the first data
        assert run_pass(ctx, at).events == {"no_data": 1}
        assert state.rule(ctx.url, "T1", rise).state == "no_data"
        assert not any("Revenue rises" in texts(p.payload) for p in posts(slack))
    finally:
        state.remove_rule(ctx.url, "T1", rise, "UADMIN", NOW.replace(tzinfo=None))


def test_in_french_through_the_app(year_url, slack):
    running = Server(make_settings(year_url, slack, kpi_language="fr"), slack, clock=lambda: NOW)
    try:
        body, _, previous, change = ask(running, "ca mois-dernier vs année dernière")
        said = "Aucune donnée pour « Chiffre d'affaires » avant le 4 déc. 2025 : rien à comparer un an plus tôt."
        assert said in body
        assert previous.startswith("—") and change == "—"
        _, value, previous, _ = ask(running, "ca décembre")
        assert "décembre 2026 à date (1–4 déc. 2026)" in value and previous.endswith("(1–4 nov. 2026)")
        body, value, _, change = ask(running, "ca 2027")
        assert value.startswith("*—*") and change == "—"
        assert "Pas encore de valeur : cette période est dans le futur." in body
    finally:
        running.stop()


def test_why_of_a_change_the_data_does_not_back_says_so(app):
    body = plain(texts(app.command("why revenue month yoy").json()))
    assert "The revenue data begins on Dec 4, 2025, inside a period compared: no change is computed." in body
    assert "explains" not in body and "not a total nor a ratio of totals" not in body


def test_the_list_says_which_values_the_data_covers_only_in_part(app):
    body = plain(texts(app.command("list 2025-12").json()))
    assert "*Revenue* (`revenue`)\n€" in body and "(from Dec 4, 2025 (first data))" in body
    assert "▲" not in body and "▼" not in body  # nothing to compare a first month with
