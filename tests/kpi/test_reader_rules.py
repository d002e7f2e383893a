"""The question reader's rules (kpi.grammar.questions, names, comparisons) and the catalog entries they read
(KPI ``phrases:``, dimension ``values:``): one test per rule, named after it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kpi.catalog import load_catalog
from kpi.errors import DefinitionError
from kpi.grammar.names import content
from kpi.grammar.questions import Reader

DATA = {"product": ["Training day", "Sensor kit", "Pro plan"], "project": ["Atlas migration"]}
CATALOG = load_catalog().with_values(DATA)
READER = Reader(CATALOG)


def read(text: str):
    return READER.read(text)


# -- KPI phrases ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "said, kpi",
    [
        ("cost per acquisition last month", "cac"),
        ("CPA", "cac"),
        ("how much did it cost us to win a new customer", "cac"),
        ("win rate", "conversion_rate"),
        ("lead to deal conversion", "conversion_rate"),
        ("taux de transfo", "conversion_rate"),
        ("top line", "revenue"),
        ("turnover", "revenue"),
        ("how likely are customers to recommend us", "nps"),
        ("billable share of hours", "utilization"),
    ],
)
def test_a_kpi_is_read_from_the_phrases_its_catalog_entry_declares(said, kpi):
    assert read(said).kpi == kpi


def test_filler_words_may_come_inside_a_phrase():
    assert read("how many of our leads turned into won deals").kpi == "conversion_rate"


def test_every_catalog_phrase_keeps_a_word_of_its_own():
    """A phrase made only of filler and 'customer' would name its KPI in any question about customers."""
    for phrase, key in CATALOG.phrases.items():
        words = content(phrase)
        assert words and set(words) - {"customer", "client"}, (phrase, key)


def test_the_same_kpi_said_twice_is_read_once():
    reading = read("how busy were our consultants last month (billable share of hours)")
    assert (reading.kpi, reading.unknown) == ("utilization", ())


def test_a_team_file_adds_phrases_and_value_labels(tmp_path: Path):
    team = tmp_path / "team.yml"
    team.write_text("kpis: {}\ndimensions:\n  channel:\n    values: {paid_search: [bing]}\n", encoding="utf-8")
    catalog = load_catalog(team)
    assert catalog.values["channel"]["bing"] == "paid_search"
    assert catalog.values["channel"]["google-ads"] == "paid_search"  # the built-in labels stay
    assert catalog.dimension_aliases["canal"] == "channel"


def test_a_label_naming_two_values_is_refused(tmp_path: Path):
    team = tmp_path / "team.yml"
    team.write_text("dimensions:\n  channel:\n    values: {organic: [search], paid_search: [search]}\n")
    with pytest.raises(DefinitionError, match="search"):
        load_catalog(team)


def test_a_phrase_of_two_kpis_is_refused(tmp_path: Path):
    team = tmp_path / "team.yml"
    built = load_catalog().kpis["nps"].model_dump(mode="json", exclude={"key"})
    built["phrases"] = ["top line"]  # revenue's
    team.write_text(yaml.safe_dump({"kpis": {"nps": built}}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match="top line"):
        load_catalog(team)


# -- values as people type them -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "said, where",
    [
        ("cac paid search", "channel=paid_search"),  # no preposition
        ("le cac de paid search", "channel=paid_search"),
        ("Google Ads CAC", "channel=paid_search"),  # a label of the catalog
        ("CA logiciel", "category=Software"),  # a translation
        ("ltv des clients social", "channel=social"),
        ("revenue from referrals", "channel=referral"),  # plural
        ("revenue for training days", "product=Training day"),
        ("revenue for trainnig day", "product=Training day"),  # one typo
        ("revenue for the SENSOR KIT", "product=Sensor kit"),  # any case
        ("NPS des clients venus par paid search", "channel=paid_search"),  # "par" + a value is a filter
        ("le CA pour le canal referral", "channel=referral"),  # the dimension's name before its value
    ],
)
def test_a_value_is_an_n_gram_of_the_question_confirmed_by_the_catalog_or_the_data(said, where):
    reading = read(said)
    assert (reading.where, reading.by, reading.unknown) == (where, None, ())


def test_a_value_that_exists_beats_a_period_word():
    reading = read("how did Training day sell")
    assert (reading.kpi, reading.period, reading.where) == ("revenue", None, "product=Training day")


def test_a_value_that_exists_beats_a_kpi_typo():
    assert Reader(load_catalog().with_values({"product": ["Sales kit"]})).read("revenue Sales kit").where == (
        "product=Sales kit"
    )


def test_an_unknown_value_is_left_for_the_data_to_refuse():
    assert read("cac for tiktok last month").where == "=tiktok"  # the service refuses: no such channel
    reading = read("tiktok cac last month")
    assert (reading.where, reading.guessed) == ("=tiktok", True)


def test_customers_next_to_no_value_are_not_filler():
    assert read("revenue per customer").by == "customer"  # refused with the breakdowns there are


# -- comparisons -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "said",
    [
        "revenue in October compared to the same month last year",
        "cac this month vs last year",
        "ventes Pro plan semaine dernière vs même semaine l'an dernier",
        "CA du trimestre dernier vs le même trimestre de l'année dernière",
        "cac ce mois vs N-1",
    ],
)
def test_a_year_earlier_comparison_is_read_whatever_its_words(said):
    assert read(said).yoy is True


@pytest.mark.parametrize(
    "said, period",
    [
        ("conversion rate last week vs the week before", "last-week"),
        ("taux de transfo du mois dernier comparé au mois d'avant", "last-month"),
        ("revenue vs last month", None),
        ("revenue today vs yesterday", "today"),
        ("revenue last quarter vs the previous period", "last-quarter"),
    ],
)
def test_the_usual_comparison_named_is_kept_as_it_is(said, period):
    reading = read(said)
    assert (reading.period, reading.yoy, reading.unhonoured) == (period, False, ())


@pytest.mark.parametrize(
    "said", ["revenue this month vs march", "revenue last week vs the month before", "revenue 30d vs last month"]
)
def test_a_comparison_understood_but_not_made_is_kept_to_be_refused(said):
    assert read(said).unhonoured


@pytest.mark.parametrize("said", ["revenue Q1 2026 vs Q1 2025", "CA T1 vs T1 de l'an dernier", "cac 2026 vs 2025"])
def test_the_same_period_a_year_earlier_named_after_vs_is_the_year_earlier_comparison(said):
    reading = read(said)
    assert (reading.yoy, reading.unhonoured) == (True, ())


def test_a_period_then_last_year_is_that_period_a_year_earlier():
    assert read("revenue this month last year").period == "month-1y"
    assert read("ca le mois dernier l'an dernier").period == "last-month-1y"


# -- no silent misreading -------------------------------------------------------------------------------


def test_small_talk_is_not_revenue():
    assert read("ça va ?").kpi is None
    assert read("combien ça nous coûte d'acquérir un client").kpi == "cac"  # "ça" is never CA


def test_a_number_is_never_guessed_as_a_value():
    assert read("revenue zork 12").where is None


def test_a_typo_is_never_read_as_filler():
    """A word one typo away from filler would vanish: "vendu" (sold) is not "venu" (came)."""
    assert read("combien on a vendu le mois dernier").kpi == "revenue"


def test_est_ce_que_asks_a_question_not_a_definition():
    assert read("est-ce que les consultants sont bien occupés").kind == "ask"
    assert read("qu'est-ce que le NPS").kind == "explain"


def test_a_dimension_s_name_alone_after_a_preposition_is_a_breakdown():
    reading = read("marge sur les projets")
    assert (reading.kpi, reading.by, reading.where) == ("project_margin", "project", None)


@pytest.mark.parametrize("said", ["revenue october vs september", "CA T3 vs T2", "revenue 2026-10 vs 2026-09"])
def test_a_period_named_after_vs_that_may_be_the_one_before_is_left_to_the_clock(said):
    from datetime import datetime, timezone

    from kpi.periods import parse_period

    period = read(said).period
    assert period is not None and "~" in period
    now = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
    alone = period.split("~")[0]
    assert parse_period(period, now) == parse_period(alone, now)  # it is: the usual comparison


def test_the_clock_refuses_a_named_period_that_is_not_the_one_before():
    from datetime import datetime, timezone

    from kpi.errors import Refusal
    from kpi.periods import parse_period

    with pytest.raises(Refusal, match="compare"):  # January 2026 is not just after December 2026
        parse_period(read("revenue january vs december").period or "", datetime(2026, 12, 4, tzinfo=timezone.utc))


def test_a_typo_is_never_read_as_a_word_that_is_dropped():
    """ "search" is one typo from "each", an article: read as it, the word would vanish and the answer be
    confident about less than was asked."""
    assert read("revenue from search").where == "=search"  # left for the data to refuse


def test_a_follow_up_s_comparison_is_read_against_the_question_it_follows():
    from kpi.grammar.follow import follow

    previous = read("revenue last week")
    assert follow(previous, read("and vs the week before?")).period == "last-week"  # the usual one: kept
    assert follow(previous, read("vs the month before")).unhonoured == ("vs the month before",)
    assert follow(read("revenue october"), read("vs september?")).period == "october~september"


def test_a_team_file_adds_phrases_to_a_built_in_kpi(tmp_path: Path):
    team = tmp_path / "team.yml"
    team.write_text("phrases:\n  cac: [cost per signup]\n", encoding="utf-8")
    catalog = load_catalog(team)
    assert catalog.phrases["cost per signup"] == "cac" and catalog.phrases["cost per acquisition"] == "cac"
    assert Reader(catalog).read("cost per signup last month").kpi == "cac"
    team.write_text("phrases:\n  zork: [cost per signup]\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="no such KPI"):
        load_catalog(team)


@pytest.mark.parametrize(
    "said, period",
    [
        ("revenue MoM", None),
        ("revenue this week WoW", "week"),
        ("revenue last 7 days vs the previous 7 days", "7d"),
        ("CA des 30 derniers jours vs les 30 jours précédents", "30d"),
    ],
)
def test_the_usual_comparison_said_as_over_or_as_the_window_before(said, period):
    reading = read(said)
    assert (reading.period, reading.yoy, reading.unhonoured) == (period, False, ())


def test_a_window_before_of_another_length_is_refused():
    assert read("revenue last 30 days vs the previous 60 days").unhonoured == ("vs the previous 60 days",)


def test_two_letters_swapped_are_a_typo_of_any_word():
    assert read("waht's teh cac for last mnoth").period == "last-month"


def test_a_typo_needs_to_be_close_to_mean_something_else():
    """ "gimme" is 0.8 like "gamme" (a name of the category breakdown): not close enough to read a breakdown."""
    assert read("yo bot gimme the revenue for q3").by is None


@pytest.mark.parametrize("said, by", [("revenue per team", "team"), ("CA par équipe", "equipe")])
def test_a_breakdown_word_that_is_filler_elsewhere_is_still_a_breakdown_asked(said, by):
    """ "per team" is never dropped: the breakdown is kept, and the answer refuses it with the ones there are."""
    assert read(said).by == by


def test_same_for_last_year_is_the_period_followed_a_year_earlier():
    from kpi.grammar.follow import follow

    previous = read("cac last month by channel")
    reply = follow(previous, read("same for last year"))
    assert (reply.period, reply.by) == ("last-month-1y", "channel")  # not all of last year
    assert follow(previous, read("pareil pour l'année dernière")).period == "last-month-1y"
    assert follow(previous, read("and last year?")).period == "last-year"  # a period of its own


def test_client_right_after_a_kpi_is_part_of_its_name_not_a_value():
    assert read("coût de conquête client").unknown == () and read("coût de conquête client").kpi == "cac"
    assert read("revenue customers").where == "=customers"  # not dropped: left for the data to refuse
