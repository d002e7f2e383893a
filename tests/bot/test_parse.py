import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import parse as p
from kpi.catalog import load_catalog

CATALOG = load_catalog()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", p.Help()),
        ("help", p.Help()),
        ("aide", p.Help()),
        ("list", p.ListKpis("month")),
        ("liste 30d", p.ListKpis("30d")),
        ("cac month", p.Ask("cac", "month")),
        ("cac", p.Ask("cac", "month")),
        ("revenue last-month by category", p.Ask("revenue", "last-month", "category")),
        ("nps 2026-Q3", p.Ask("nps", "2026-Q3")),
        ("conversion_rate 30d by channel", p.Ask("conversion_rate", "30d", "channel")),
        ("by channel conversion_rate", p.Ask("conversion_rate", by="channel")),  # read as free text
        ("revenue by category last-month", p.Ask("revenue", "last-month", "category")),
        ("taux de transformation 30j par canal", p.Ask("conversion_rate", "30d", "channel")),
        ("Chiffre d'affaires mois-dernier par produit", p.Ask("revenue", "last-month", "product")),
        ("CA last month", p.Ask("revenue", "last-month")),
        ("share cac 2026-10", p.Ask("cac", "2026-10", share=True)),
        ("partager marge trimestre", p.Ask("project_margin", "quarter", share=True)),
        ("explain nps", p.Explain("nps")),
        ("expliquer valeur vie client", p.Explain("ltv")),
        ("explain", p.MissingKpi()),
        ("share", p.MissingKpi("share")),
        ("cac month extra", p.Ask("cac", where="=extra", guessed=True)),  # a value the data must confirm
        ("cac month zork blah blah", p.Unclear("zork blah blah", (p.Ask("cac"),))),
        ("list everything", p.ListKpis("month")),
        ("list zork", p.Unclear("zork", no_kpi=True)),
        ("x" * 501, p.TooLong(501)),
    ],
)
def test_parse(text, expected):
    got = p.parse(text, CATALOG)
    if isinstance(expected, type):
        assert isinstance(got, expected)
    else:
        assert got == expected


def test_unknown_kpi_carries_suggestions():
    got = p.parse("revnu", CATALOG)
    assert got == p.Ask("revenue")  # one typo away from a name: read as it (the answer says how it was read)
    got = p.parse("reve", CATALOG)
    assert isinstance(got, p.BadKpi) and got.error.suggestions[0] == "revenue"


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=600))
def test_any_text_parses_to_a_command_or_a_clear_error(text):
    got = p.parse(text, CATALOG)
    assert isinstance(got, typing.get_args(p.Command) + typing.get_args(p.ParseError))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "alert",
                "digest",
                "cac",
                ">",
                "<",
                "12%",
                "€5",
                "drops",
                "30d",
                "for",
                "2",
                "recover",
                "min",
                "repeat",
                "1d",
                "remove",
                "snooze",
                "weekly",
                "mon",
                "09:00",
                "Europe/Paris",
                "x",
                "-1",
                "",
                "∞",
                "1e309",
                "nan",
                "%",
            ]
        ),
        max_size=8,
    )
)
def test_alert_and_digest_commands_never_raise(words):
    got = p.parse(" ".join(words), CATALOG)
    assert isinstance(got, typing.get_args(p.Command) + typing.get_args(p.ParseError))
