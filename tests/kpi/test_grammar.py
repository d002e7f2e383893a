"""One grammar: a rule typed in `/kpi alert …` and the same rule picked in the form are the same RuleSpec."""

import pytest

from kpi import grammar
from kpi.catalog import load_catalog
from kpi.errors import UnknownKpi
from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store.state.records import DigestSpec

CATALOG = load_catalog()


@pytest.mark.parametrize(
    "kpi, op, threshold, window, for_, repeat, lang",
    [
        ("cac", ">", "€1,500", "30d", "2", "12h", "en"),
        ("cac", "<", "1 500 €", "7d", "1", "24h", "fr"),
        ("conversion_rate", "<", "12%", "month", "3", "1w", "en"),
        ("conversion_rate", ">=", "12,5", "week", "1", "6h", "fr"),
        ("revenue", "drops", "20%", "90d", "1", "1h", "en"),
        ("revenue", "rises", "15", "quarter", "4", "24h", "fr"),
    ],
)
def test_the_command_and_the_form_build_the_same_rule(kpi, op, threshold, window, for_, repeat, lang):
    typed = grammar.rule_from_words(
        kpi, [op, *threshold.split(), window, "for", for_, "repeat", repeat], CATALOG, lang, "EUR"
    )
    picked = grammar.rule_from_fields(
        {"kpi": kpi, "op": op, "threshold": threshold, "window": window, "for": for_, "repeat": repeat},
        CATALOG,
        lang,
        "EUR",
    )
    assert typed == picked
    assert typed.kind is (RuleKind.CHANGE if op in ("drops", "rises") else RuleKind.THRESHOLD)


def test_the_form_names_the_field_it_refuses():
    base = {"kpi": "cac", "op": ">", "threshold": "300", "window": "30d", "for": "1", "repeat": "24h"}
    assert grammar.rule_from_fields(base, CATALOG) == RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d")
    for field, value, key in [
        ("kpi", "nope", "err_missing_kpi"),
        ("threshold", "1.500", "num_ambiguous"),
        ("window", "2026-10", "rule_fixed_window"),
        ("for", "0", "rule_bad_for"),
        ("repeat", "5y", "rule_bad_duration"),
    ]:
        with pytest.raises(grammar.FieldRefusal) as refused:
            grammar.rule_from_fields({**base, field: value}, CATALOG)
        assert list(refused.value.errors) == [field]
        assert refused.value.errors[field].key == key, (field, refused.value.errors[field].key)


def test_digests_typed_and_picked_are_the_same():
    typed = grammar.digest_from_words(["hebdo", "lundi", "8h30", "Europe/Paris", "revenue", "cac"], CATALOG)
    picked = grammar.digest_from_fields(
        {"cadence": "weekly", "weekday": "mon", "time": "08:30", "timezone": "Europe/Paris", "kpis": "revenue,cac"},
        CATALOG,
    )
    assert typed == picked == DigestSpec("weekly", "08:30", 0, "Europe/Paris", ("revenue", "cac"))
    with pytest.raises(UnknownKpi):
        grammar.digest_from_words(["daily", "nope"], CATALOG)
    with pytest.raises(grammar.FieldRefusal) as refused:
        grammar.digest_from_fields({"cadence": "weekly", "time": "25:00", "timezone": "Mars/Olympus"}, CATALOG)
    assert set(refused.value.errors) == {"time", "timezone", "weekday"}  # every field at once, as the form shows


def test_one_table_of_weekdays():
    assert [grammar.DAY_WORDS[d] for d in grammar.WEEKDAYS] == list(range(7))
    assert grammar.weekday("Lundi.") == 0 and grammar.weekday("dimanche") == 6
