"""The period grammar people use (kpi.grammar.dates, kpi.grammar.phrases.period_at, kpi.periods): one test per
rule, each read from words and resolved against a frozen ``now`` (Friday 2026-12-04, UTC)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.errors import PeriodError
from kpi.grammar.phrases import period_at, tokens
from kpi.periods import parse_period

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
UTC = ZoneInfo("UTC")


def days(said: str, now: datetime = NOW) -> tuple[date, date]:
    """The first and last day of what ``said`` reads as (the whole phrase must be read)."""
    words = [w for w in tokens(said) if not (len(w) == 1 and w.isalpha() and w != "a")]
    while words[0] in ("the", "le", "du", "on"):  # the reader reads these as filler
        words = words[1:]
    hit = period_at(words, 0)
    assert hit is not None and hit[1] == len(words), f"{said!r} read as {hit}"
    pair = parse_period(hit[0], now, UTC)
    last = pair.current.end.date() if pair.current.end.time() != datetime.min.time() else None
    return pair.current.start.date(), (last or date.fromordinal(pair.current.end.date().toordinal() - 1))


@pytest.mark.parametrize(
    "said", ["November 3", "nov 3rd", "3 nov", "le 3 novembre", "3 novembre", "the 3rd of November"]
)
def test_a_day_is_its_month_and_number_in_either_order(said):
    assert days(said) == (date(2026, 11, 3), date(2026, 11, 3))


def test_a_day_without_a_year_is_the_latest_one_up_to_today():
    assert days("december 25") == (date(2025, 12, 25), date(2025, 12, 25))
    assert days("3 novembre 2025") == (date(2025, 11, 3), date(2025, 11, 3))


def test_1er_and_1st_are_the_first_day():
    assert days("le 1er juillet") == (date(2026, 7, 1), date(2026, 7, 1))
    assert days("July 1st") == (date(2026, 7, 1), date(2026, 7, 1))


@pytest.mark.parametrize("said", ["on monday", "lundi", "last monday", "lundi dernier"])
def test_a_weekday_is_the_latest_one_before_today(said):
    assert days(said) == (date(2026, 11, 30), date(2026, 11, 30))


def test_the_day_before_yesterday():
    assert days("avant-hier".replace("-", " ")) == days("the day before yesterday") == (date(2026, 12, 2),) * 2


@pytest.mark.parametrize("said", ["last December", "décembre dernier"])
def test_last_and_a_month_is_the_latest_one_ended(said):
    assert days(said) == (date(2025, 12, 1), date(2025, 12, 31))


def test_an_ordinal_quarter_with_its_year():
    assert days("deuxième trimestre 2025") == (date(2025, 4, 1), date(2025, 6, 30))


def test_named_days_are_the_latest_ones():
    assert days("black friday") == (date(2026, 11, 27), date(2026, 11, 27))
    assert days("cyber monday") == (date(2026, 11, 30), date(2026, 11, 30))


@pytest.mark.parametrize("said", ["from July to November", "de juillet à novembre", "between July and November"])
def test_a_range_of_months_runs_from_the_first_s_start_to_the_last_s_end(said):
    assert days(said) == (date(2026, 7, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    "said",
    ["between 1 and 15 September", "entre le 1er et le 15 septembre", "du 1er au 15 septembre", "Sep 1 - Sep 15"],
)
def test_a_bare_day_number_takes_the_month_of_the_other_end(said):
    assert days(said) == (date(2026, 9, 1), date(2026, 9, 15))


def test_a_range_of_iso_dates_is_read_whole():
    assert days("from 2026-11-01 to 2026-11-15") == (date(2026, 11, 1), date(2026, 11, 15))


def test_a_range_across_new_year_starts_the_year_before():
    assert days("from December to March", datetime(2027, 4, 2, tzinfo=timezone.utc)) == (
        date(2026, 12, 1),
        date(2027, 3, 31),
    )


@pytest.mark.parametrize("said", ["since July 1st", "depuis le 1er juillet"])
def test_since_a_day_runs_up_to_today(said):
    assert days(said) == (date(2026, 7, 1), date(2026, 12, 4))


def test_since_the_start_of_this_year_is_the_year_to_date():
    pair = parse_period(period_at(["since", "january"], 0)[0], NOW, UTC)  # type: ignore[index]
    assert pair == parse_period("year", NOW, UTC)


@pytest.mark.parametrize(
    "said, last",
    [
        ("the first two weeks of November", 14),
        ("the first week of November", 7),
        ("la première quinzaine de novembre", 15),
        ("the first half of November", 15),
    ],
)
def test_the_first_weeks_or_fortnight_of_a_month(said, last):
    assert days(said) == (date(2026, 11, 1), date(2026, 11, last))


@pytest.mark.parametrize("said", ["the first 10 days of November", "les 10 premiers jours de novembre"])
def test_the_first_n_days_of_a_month(said):
    assert days(said.removeprefix("les ")) == (date(2026, 11, 1), date(2026, 11, 10))


@pytest.mark.parametrize(
    "said", ["since the beginning of July", "depuis début juillet", "from the start of July until today"]
)
def test_the_beginning_of_a_period_is_its_first_day(said):
    assert days(said) == (date(2026, 7, 1), date(2026, 12, 4))


def test_the_year_and_its_number():
    assert days("l'année 2025") == (date(2025, 1, 1), date(2025, 12, 31))


def test_the_second_fortnight_runs_to_the_month_s_end():
    assert days("la deuxième quinzaine de novembre") == (date(2026, 11, 16), date(2026, 11, 30))


@pytest.mark.parametrize("said", ["H1", "S1", "premier semestre", "the first half"])
def test_a_half_year_is_a_range_of_six_months(said):
    assert days(said) == (date(2026, 1, 1), date(2026, 6, 30))


def test_a_half_year_with_its_year():
    assert days("H2 2025") == (date(2025, 7, 1), date(2025, 12, 31))


@pytest.mark.parametrize("said", ["the week of Nov 16", "semaine du 16 novembre"])
def test_the_week_of_a_day_is_its_iso_week(said):
    assert days(said) == (date(2026, 11, 16), date(2026, 11, 22))


@pytest.mark.parametrize("said", ["the month of September", "du mois de septembre", "le mois de septembre"])
def test_the_month_of_a_month_is_that_month(said):
    assert days(said) == (date(2026, 9, 1), date(2026, 9, 30))


@pytest.mark.parametrize(
    "said, n",
    [("the past 3 days", 3), ("last two weeks", 14), ("les 3 derniers mois", 90), ("les deux dernières semaines", 14)],
)
def test_the_last_n_days_weeks_or_months_are_rolling_days(said, n):
    words = [w for w in tokens(said) if w not in ("the", "l")]
    assert period_at(words, 0) == (f"{n}d", len(words))


def test_twelve_months_are_a_year_of_days():
    assert period_at(["last", "12", "months"], 0) == ("365d", 3)


def test_a_period_to_date_is_the_current_one_so_far():
    words = ["t4", "a", "date"]
    assert parse_period(period_at(words, 0)[0], NOW, UTC) == parse_period("quarter", NOW, UTC)  # type: ignore[index]
    past = parse_period("q3-to-date", NOW, UTC)  # a past quarter "to date" is the whole quarter
    assert past == parse_period("q3", NOW, UTC)


def test_a_period_a_year_earlier_keeps_its_comparison_a_year_earlier():
    pair = parse_period("last-month-1y", NOW, UTC)
    assert (pair.current.start.date(), pair.previous.start.date()) == (date(2025, 11, 1), date(2025, 10, 1))


def test_spoken_forms_that_do_not_read_are_refused():
    with pytest.raises(PeriodError):
        parse_period("--02-30", NOW, UTC)
    with pytest.raises(PeriodError):
        parse_period("monday..zork", NOW, UTC)


def test_a_numeric_date_is_day_first_in_french_and_refused_when_ambiguous_in_english():
    from kpi.grammar.dates import numeric_date

    assert numeric_date("03/11", "fr") == "--11-03"
    assert numeric_date("3/11/2026", "fr") == "2026-11-03"
    assert numeric_date("11/23", "en") == "--11-23" and numeric_date("23/11", "en") == "--11-23"
    assert numeric_date("03/04", "en") is None  # March 4 or April 3: never guessed
    assert numeric_date("13/13", "fr") is None


@pytest.mark.parametrize("said", ["sur un an glissant", "rolling 12 months", "12 mois glissants"])
def test_a_rolling_year_is_365_days_not_a_year_earlier_comparison(said):
    words = [w for w in tokens(said)]
    assert period_at(words, 0) == ("365d", len(words))


def test_depuis_n_days_is_the_last_n_days():
    assert period_at(["depuis", "30", "jours"], 0) == ("30d", 3)


@pytest.mark.parametrize("said", ["from July", "à partir de juillet", "starting July 1"])
def test_from_a_day_without_an_end_runs_up_to_today(said):
    assert days(said) == (date(2026, 7, 1), date(2026, 12, 4))
