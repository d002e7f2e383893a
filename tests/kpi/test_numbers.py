"""Numbers as people type them: each one with the value it means, or the refusal it gets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.catalog import Unit
from kpi.grammar import parse_change, parse_threshold
from kpi.numbers import NumberError, read_number
from kpi.present import format_value
from kpi.rules import RuleError

D = Decimal

# (language, typed, expected value, percent sign, currency) or (language, typed, refusal key)
TYPED = [
    # English: commas group thousands, a dot marks decimals
    ("en", "150", D(150), False, None),
    ("en", "€1,500", D(1500), False, "EUR"),
    ("en", "1,500€", D(1500), False, "EUR"),
    ("en", "€1,500,000", D(1500000), False, "EUR"),
    ("en", "€ 1,500", D(1500), False, "EUR"),
    ("en", "1,500.50", D("1500.50"), False, None),
    ("en", "1500.5", D("1500.5"), False, None),
    ("en", "0.125", D("0.125"), False, None),
    ("en", ".5", D("0.5"), False, None),
    ("en", "1.5k", D(1500), False, None),
    ("en", "1.5K", D(1500), False, None),
    ("en", "2M", D(2000000), False, None),
    ("en", "€1.2M", D(1200000), False, "EUR"),
    ("en", "12%", D(12), True, None),
    ("en", "12 %", D(12), True, None),
    ("en", "12.5%", D("12.5"), True, None),
    ("en", "-5", D(-5), False, None),
    ("en", "−8.29", D("-8.29"), False, None),  # the minus sign the bot itself prints
    ("en", "-€1,500", D(-1500), False, "EUR"),
    ("en", "€-1,500", D(-1500), False, "EUR"),
    ("en", "+3", D(3), False, None),
    ("en", "$2,000", D(2000), False, "USD"),
    ("en", "1500 EUR", D(1500), False, "EUR"),
    ("en", "1 500", D(1500), False, None),  # a space between thousands reads in any language
    ("en", "1,5", "num_bad_format"),  # a decimal comma is French: write 1.5
    ("en", "1.500", "num_ambiguous"),  # 1.5 or 1,500?
    ("en", "12.345", "num_ambiguous"),
    ("en", "1,50", "num_bad_format"),
    ("en", "1.500,50", "num_bad_format"),
    ("en", "1,5000", "num_bad_format"),
    ("en", "lots", "num_not_number"),
    ("en", "", "num_not_number"),
    ("en", "1e5", "num_not_number"),
    ("en", "1e309", "num_not_number"),
    ("en", "nan", "num_not_number"),
    ("en", "inf", "num_not_number"),
    ("en", "²", "num_not_number"),  # a superscript is not a digit here
    ("en", "١٢", "num_not_number"),  # nor are other scripts' digits
    ("en", "--5", "num_not_number"),
    ("en", "€€5", "num_not_number"),
    ("en", "12%%", "num_not_number"),
    ("en", "5kk", "num_not_number"),
    ("en", "9" * 17, "num_out_of_range"),
    ("en", "2000000000M", "num_out_of_range"),
    ("en", "1" * 41, "num_not_number"),
    # French: a space (any kind) groups thousands, a comma marks decimals
    ("fr", "1 500 €", D(1500), False, "EUR"),
    ("fr", "1\u202f500\u00a0€", D(1500), False, "EUR"),
    ("fr", "1\u00a0500", D(1500), False, None),
    ("fr", "1 500 000 €", D(1500000), False, "EUR"),
    ("fr", "1 500,50 €", D("1500.50"), False, "EUR"),
    ("fr", "1500,5", D("1500.5"), False, None),
    ("fr", "1,5", D("1.5"), False, None),
    ("fr", "0,125", D("0.125"), False, None),
    ("fr", "1.5", D("1.5"), False, None),  # a dot decimal cannot mean anything else
    ("fr", "1,5k", D(1500), False, None),
    ("fr", "1,5 k€", D(1500), False, "EUR"),
    ("fr", "2 M€", D(2000000), False, "EUR"),
    ("fr", "12 %", D(12), True, None),
    ("fr", "12,5 %", D("12.5"), True, None),
    ("fr", "−3,5", D("-3.5"), False, None),
    ("fr", "150 EUR", D(150), False, "EUR"),
    ("fr", "1,500", "num_ambiguous"),  # 1,5 or 1 500?
    ("fr", "1.500", "num_ambiguous"),
    ("fr", "€1,500", "num_ambiguous"),
    ("fr", "1,500,000", "num_bad_format"),
    ("fr", "1 500.50", "num_bad_format"),
    ("fr", "1 50", "num_bad_format"),
    ("fr", "beaucoup", "num_not_number"),
]


@pytest.mark.parametrize("case", TYPED, ids=[f"{c[0]}:{c[1][:20]}" for c in TYPED])
def test_typed_numbers(case):
    lang, typed = case[0], case[1]
    if len(case) == 3:
        with pytest.raises(NumberError) as refused:
            read_number(typed, lang)
        assert refused.value.key == case[2]
        assert refused.value.text(lang)  # a message in the user's language
    else:
        got = read_number(typed, lang)
        assert (got.value, got.percent, got.currency) == case[2:]


def test_the_table_is_large_and_covers_both_languages():
    assert len(TYPED) >= 40
    assert {c[0] for c in TYPED} == {"en", "fr"}
    assert sum(len(c) == 3 for c in TYPED) >= 15


def test_ambiguous_numbers_show_both_ways_to_write_them():
    with pytest.raises(NumberError) as en:
        read_number("1.500", "en")
    assert en.value.text("en") == "*1.500* could mean 1.5 or 1,500: write `1.5` or `1,500`."
    with pytest.raises(NumberError) as fr:
        read_number("1,500", "fr")
    assert fr.value.text("fr") == "*1,500* peut vouloir dire 1,5 ou 1\u202f500 : écrivez `1,5` ou `1\u202f500`."
    with pytest.raises(NumberError) as comma:
        read_number("1,5", "en")
    assert "`1,500.5`" in comma.value.text("en")


@pytest.mark.parametrize(
    "typed, unit, lang, expected",
    [
        ("€1,500", Unit.CURRENCY, "en", 1500.0),
        ("1 500 €", Unit.CURRENCY, "fr", 1500.0),
        ("1.5k", Unit.CURRENCY, "en", 1500.0),
        ("12", Unit.PERCENT, "en", 0.12),  # a bare number is in percent points for a % KPI
        ("12%", Unit.PERCENT, "en", 0.12),
        ("1", Unit.PERCENT, "en", 0.01),  # not 100 %
        ("1.5", Unit.PERCENT, "en", 0.015),
        ("0.5", Unit.PERCENT, "en", 0.005),
        ("12,5 %", Unit.PERCENT, "fr", 0.125),
        ("-20", Unit.SCORE, "en", -20.0),
        ("3", Unit.RATIO, "en", 3.0),
    ],
)
def test_thresholds_in_the_kpi_unit(typed, unit, lang, expected):
    assert parse_threshold(typed, unit, lang, "EUR") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "typed, unit, key",
    [
        ("12%", Unit.CURRENCY, "num_not_percent"),
        ("$1,500", Unit.CURRENCY, "num_wrong_currency"),
        ("€5", Unit.PERCENT, "num_not_money"),
        ("€5", Unit.SCORE, "num_not_money"),
        ("5%", Unit.NUMBER, "num_not_percent"),
    ],
)
def test_thresholds_refused_for_the_unit(typed, unit, key):
    with pytest.raises(RuleError) as refused:
        parse_threshold(typed, unit, "en", "EUR")
    assert refused.value.key == key


def test_changes_are_in_percent_points():
    assert parse_change("20%") == pytest.approx(0.2)
    assert parse_change("20") == pytest.approx(0.2)
    assert parse_change("0.5") == pytest.approx(0.005)
    assert parse_change("12,5 %", "fr") == pytest.approx(0.125)
    for bad in ("0", "-5", "€20"):
        with pytest.raises(RuleError):
            parse_change(bad)


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["en", "fr"]),
)
def test_what_the_bot_prints_reads_back_as_the_same_amount(amount, lang):
    """Round trip: a money amount formatted by the bot (€1,500.00, 1 500,00 €, −€3.10) reads back exactly."""
    shown = format_value(float(amount), Unit.CURRENCY, lang, "EUR")
    assert read_number(shown, lang).value == amount
