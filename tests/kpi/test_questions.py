"""The free-text reader (kpi.grammar.questions) on its own: month names and quarters as periods, one spelling
per period, follow-ups that change only what they say; and the conversations kept for them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kpi.catalog import load_catalog
from kpi.grammar.follow import follow
from kpi.grammar.questions import Reader, Reading, tokens
from kpi.periods import canonical, parse_period
from kpi.store import state

READER = Reader(load_catalog())
NOV = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
FEB = datetime(2026, 2, 10, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, now, first",
    [
        ("september", NOV, date(2026, 9, 1)),
        ("septembre", FEB, date(2025, 9, 1)),
        ("nov", NOV, date(2026, 11, 1)),
        ("q3", NOV, date(2026, 7, 1)),
        ("t4", FEB, date(2025, 10, 1)),
        ("w43", NOV, date(2026, 10, 19)),
        ("w50", FEB, date(2025, 12, 8)),
    ],
)
def test_a_month_quarter_or_week_alone_is_the_latest_one_begun(text, now, first):
    assert parse_period(text, now).current.first_day() == first


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mois dernier", "last-month"),
        ("Septembre", "september"),
        ("t3", "q3"),
        ("30j", "30d"),
        ("mtd", "month"),
        ("2026-q3", "2026-Q3"),
        ("2026w5", "2026-W05"),
        ("mois-dernier vs année dernière", "last-month yoy"),
        ("2026-10", "2026-10"),
    ],
)
def test_one_spelling_per_period(text, expected):
    assert canonical(text) == expected


def test_words_split_on_apostrophes_and_keep_values_and_periods():
    assert tokens("Quel est l'état du CA d’octobre ?") == ["quel", "est", "l", "etat", "du", "ca", "d", "octobre"]
    assert tokens("<@UKPIBOT> cac channel = paid_search last-month") == ["cac", "channel=paid_search", "last-month"]


def test_a_follow_up_changes_only_what_it_says():
    before = Reading(kind="ask", kpi="cac", period="last-month", where="channel=organic", yoy=True)
    assert follow(before, READER.read("and by channel?")) == Reading(
        kind="ask", kpi="cac", period="last-month", by="channel", yoy=True
    )
    inside = follow(before, READER.read("and by category?"))
    assert (inside.by, inside.where) == ("category", "channel=organic")  # a breakdown inside the value
    moved = follow(before, READER.read("et en septembre ?"))
    assert (moved.period, moved.where, moved.yoy) == ("september", "channel=organic", True)  # still vs a year earlier
    assert follow(before, READER.read("overall")).where is None
    assert follow(before, READER.read("what about revenue")).kpi == "revenue"
    assert follow(before, READER.read("as a chart")).chart is True


def test_chatter_reads_as_nothing():
    for text in ("thanks!", "ok great", "merci beaucoup", "👍"):
        reading = READER.read(text)
        assert not reading.found and reading.kpi is None, text


def test_a_thread_s_question_is_kept_30_days(db_url):
    now = datetime(2026, 11, 25, 10)
    state.remember(db_url, "T1", "C1", ["1.1", "1.2"], {"k": "cac", "p": "month"}, now)
    state.remember(db_url, "T1", "C1", ["1.1"], {"k": "nps", "p": "month"}, now + timedelta(minutes=1))
    assert state.asked(db_url, "T1", "C1", "1.1", now) == {"k": "nps", "p": "month"}
    assert state.asked(db_url, "T1", "C1", "1.2", now) == {"k": "cac", "p": "month"}
    assert state.asked(db_url, "T2", "C1", "1.1", now) is None  # another workspace
    assert state.asked(db_url, "T1", "C1", "1.2", now + timedelta(days=31)) is None
