"""What people type in Slack means what they meant: amounts, percentages, targets, in English and French.

Each test goes through the real app over HTTP and checks both what is stored and what the person reads.
"""

from __future__ import annotations

import pytest

from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0
from tests.support.messages import texts


def _server(data, slack, **overrides):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack, **overrides), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    slack.reset()
    return running


@pytest.fixture
def en(data, slack):
    running = _server(data, slack)
    yield running
    running.stop()


@pytest.fixture
def fr(data, slack):
    running = _server(data, slack, kpi_language="fr")
    yield running
    running.stop()


def said(server, text: str) -> str:
    return texts(server.command(text, user="UADMIN").json())


@pytest.mark.parametrize(
    "typed, threshold, echoed",
    [
        ("alert revenue below €1,500 7d", 1500.0, "Threshold: €1,500.00."),
        ("alert revenue below €1,500,000 7d", 1_500_000.0, "Threshold: €1,500,000.00."),
        ("alert revenue below 1.5k 7d", 1500.0, "Threshold: €1,500.00."),
        ("alert conversion_rate < 1 7d", 0.01, "Threshold: 1.00%."),  # a bare number is in percent points
        ("alert conversion_rate < 1.5 7d", 0.015, "Threshold: 1.50%."),
        ("alert conversion_rate < 12% 7d", 0.12, "Threshold: 12.0%."),
    ],
)
def test_rules_store_and_echo_the_number_meant(en, data, typed, threshold, echoed):
    answer = said(en, typed)
    assert echoed in answer
    [rule] = state.rules(data)
    assert rule.spec.threshold == pytest.approx(threshold, rel=1e-12)


def test_french_amounts_with_spaces_and_the_euro_after(fr, data):
    answer = said(fr, "alert ca en-dessous 1 500 € 7j")
    assert "Seuil : 1\u202f500,00\u00a0€." in answer
    assert "quand *Chiffre d'affaires* est en dessous de 1\u202f500,00\u00a0€" in answer
    [rule] = state.rules(data)
    assert rule.spec.threshold == 1500.0


def test_ambiguous_numbers_are_refused_with_both_readings_and_nothing_is_created(en, fr, data):
    answer = said(en, "alert revenue below 1.500 7d")
    assert "*1.500* could mean 1.5 or 1,500: write `1.5` or `1,500`." in answer
    answer = said(fr, "alert ca en-dessous 1,500 € 7j")
    assert "peut vouloir dire 1,5 ou 1\u202f500" in answer
    assert "Impossible de créer cette règle" in answer  # refused in the user's language
    assert state.rules(data) == []


def test_targets_echo_the_value_and_say_when_they_are_a_level(en, fr, data):
    assert (
        "Target for *Customer lifetime value* set to €1,200.00: a level, compared with the value of each month"
        in said(en, "target ltv €1,200 month")
    )
    assert "Target for *Revenue* set to €1,500,000.00 per month:" in said(en, "target revenue €1.5M month")
    assert "fixé à 1\u202f500,00\u00a0€ par trimestre" in said(fr, "target ca 1 500 € trimestre")
    assert state.team_targets(data, "T123") == {
        ("ltv", "month"): 1200.0,
        ("revenue", "month"): 1_500_000.0,
        ("revenue", "quarter"): 1500.0,
    }


def test_the_same_rule_twice_is_created_once(en, data):
    first = said(en, "alert cac > 300 30d")
    assert "created" in first
    again = said(en, "alert cac > 300 30d")
    assert "This channel already has the same rule" in again
    assert len(state.rules(data)) == 1
    assert "created" in said(en, "alert cac > 300 7d")  # another window is another rule
    assert len(state.rules(data)) == 2


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("alert snooze 1 forever", "That rule can't be snoozed: *forever* is not a duration"),
        ("alert snooze", "Write `/kpi alert snooze ID [DURATION]`"),
        ("alert remove x", "Write `/kpi alert remove ID`"),
        ("alert remove ²", "Write `/kpi alert remove ID`"),
        ("share", "Which KPI? For example `/kpi share cac`."),
        ("explain", "Which KPI? For example `/kpi explain cac`."),
        ("alert cac > 300 30d for ²", "`for` takes a count of breaches in a row from 1 to 100, not *²*."),
        ("alert revenue > 12% 7d", "*12%* is a percentage, but this KPI is not one."),
        ("alert revenue > $1,500 7d", "*$1,500* is not in EUR, the currency of these KPIs."),
    ],
)
def test_refusals_say_what_was_wrong(en, data, typed, expected):
    assert expected in said(en, typed)
    assert state.rules(data) == []
