from kpi.catalog import Unit
from kpi.present import format_delta, format_value
from kpi.texts import messages


def test_every_language_has_every_text():
    assert set(messages("en")) == set(messages("fr"))


def test_number_formats_follow_the_language():
    assert format_value(1234.5, Unit.CURRENCY, "en") == "€1,234.50"
    assert format_value(1234.5, Unit.CURRENCY, "fr") == "1\u202f234,50\u00a0€"
    assert format_value(0.125, Unit.PERCENT, "en") == "12.5%"
    assert format_value(0.125, Unit.PERCENT, "fr") == "12,5\u00a0%"
    assert format_value(0.0058, Unit.PERCENT, "en") == "0.58%"
    assert format_value(-12.34, Unit.SCORE, "en") == "−12.3"  # the minus sign, as in every change the bot prints
    assert format_value(5.376, Unit.RATIO, "fr") == "5,38×"
    assert format_value(None, Unit.NUMBER, "en") == "—"
    assert format_value(99, Unit.CURRENCY, "en", "USD") == "$99.00"
    assert format_delta(-0.014, Unit.PERCENT, "en") == "−1.4 pts"
    assert format_delta(7.31, Unit.CURRENCY, "fr") == "+7,31\u00a0€"
