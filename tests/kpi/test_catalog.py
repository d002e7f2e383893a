import textwrap
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, Table, Text

from kpi.catalog import Direction, Unit, load_catalog
from kpi.compute import compute
from kpi.errors import DefinitionError
from kpi.periods import parse_period
from kpi.store.engines import get_engine

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


def write(tmp_path, text):
    path = tmp_path / "team.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_builtin_catalog_has_the_seed_kpis():
    catalog = load_catalog()
    assert catalog.keys() == [
        "conversion_rate",
        "visitor_conversion",
        "cac",
        "revenue",
        "nps",
        "ltv",
        "project_margin",
        "utilization",
        "ltv_cac",
    ]
    assert catalog.kpis["cac"].direction is Direction.DOWN
    assert catalog.kpis["revenue"].unit is Unit.CURRENCY
    assert catalog.metrics["revenue"].dimensions == ("product", "category", "channel")
    assert catalog.metrics["conversion_rate"].dimensions == ("channel",)
    assert catalog.metrics["project_margin"].dimensions == ("project",)
    for kpi in catalog.kpis.values():  # every KPI is explained in both languages
        for lang in ("en", "fr"):
            assert kpi.explanation.meaning(lang) and kpi.explanation.reading(lang) and kpi.explanation.drivers(lang)
            assert catalog.formula_text(kpi, lang)
    assert catalog.formula_text(catalog.kpis["project_margin"], "en") == "(invoiced − cost of time spent) ÷ invoiced"


def test_definitions_are_frozen():
    kpi = load_catalog().kpis["cac"]
    with pytest.raises(ValidationError, match="frozen"):
        kpi.formula = "1"  # type: ignore[misc]


TEAM = """
measures:
  orders:
    label: {en: orders, fr: commandes}
    table: shop_orders
    time: placed_at
    agg: count
    filters:
      - {column: state, op: "!=", value: cancelled}
    dimensions: {country: country}
  order_value:
    label: {en: order value, fr: valeur des commandes}
    table: shop_orders
    time: placed_at
    agg: sum
    expr: total - discount
    dimensions: {country: country}
kpis:
  average_basket:
    name: {en: Average basket, fr: Panier moyen}
    aliases: [panier, basket]
    formula: order_value / orders
    unit: currency
    direction: up
    description: {en: Average order value., fr: Valeur moyenne d'une commande.}
    explanation:
      meaning: {en: What a customer spends per order., fr: Ce qu'un client dépense par commande.}
      reading: {en: Higher is better., fr: "Plus c'est haut, mieux c'est."}
      drivers: {en: Prices and bundles., fr: Prix et offres groupées.}
"""


def test_team_definitions_over_their_own_table(tmp_path, db_url):
    catalog = load_catalog(write(tmp_path, TEAM))
    assert catalog.resolve("panier").key == "average_basket"
    assert "revenue" in catalog.kpis  # the built-in catalog is still there
    meta = MetaData()
    orders = Table(
        "shop_orders",
        meta,
        Column("id", Integer, primary_key=True),
        Column("placed_at", DateTime),
        Column("state", Text),
        Column("country", Text),
        Column("total", Numeric(10, 2)),
        Column("discount", Numeric(10, 2)),
    )
    engine = get_engine(db_url)
    meta.drop_all(engine)
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(
                orders.insert(),
                [
                    {
                        "id": 1,
                        "placed_at": datetime(2026, 10, 2),
                        "state": "paid",
                        "country": "FR",
                        "total": 100,
                        "discount": 10,
                    },
                    {
                        "id": 2,
                        "placed_at": datetime(2026, 10, 3),
                        "state": "paid",
                        "country": "DE",
                        "total": 50,
                        "discount": 0,
                    },
                    {
                        "id": 3,
                        "placed_at": datetime(2026, 10, 4),
                        "state": "cancelled",
                        "country": "FR",
                        "total": 999,
                        "discount": 0,
                    },
                ],
            )
        result = compute(catalog, engine, "basket", parse_period("2026-10", NOW))
        # value counts every order (1089 - 10) but orders excludes the cancelled one: (90 + 50 + 999) / 2
        assert result.value == pytest.approx((90 + 50 + 999) / 2)
        by_country = compute(catalog, engine, "basket", parse_period("2026-10", NOW), by="country")
        assert {r.key: r.value for r in by_country.breakdown} == {"FR": pytest.approx(1089 / 1), "DE": 50.0}
    finally:
        meta.drop_all(engine)


def issues_of(tmp_path, text):
    with pytest.raises(DefinitionError) as info:
        load_catalog(write(tmp_path, text))
    return info.value.issues


def test_malformed_definitions_name_the_file_the_object_and_the_fix(tmp_path):
    issues = issues_of(
        tmp_path,
        """
    measures:
      m1:
        label: {en: one, fr: un}
        table: t
        time: at
        agg: sum
      m2:
        label: {en: two, fr: deux}
        table: t
        time: at
        agg: count
        dimensions: {region: geo.region}
        filters:
          - {column: kind, op: in, value: x}
    kpis:
      broken:
        name: {en: Broken, fr: Cassé}
        formula: m1 / m3
        unit: "%"
        direction: up
        description: {en: d, fr: d}
        explanation:
          meaning: {en: m, fr: m}
          reading: {en: r, fr: r}
          drivers: {en: d, fr: d}
    """,
    )
    text = "\n".join(str(i) for i in issues)
    assert all(i.file.endswith("team.yml") for i in issues)
    assert "measures.m1: agg 'sum' needs an expr" in text
    assert "measures.m2: dimension 'region' column 'geo.region' uses join 'geo' which is not declared" in text
    assert "measures.m2: filter on 'kind' with op 'in' needs a non-empty list value" in text
    assert "kpis.broken: formula uses unknown measure 'm3'. Fix: did you mean 'm" in text
    assert all(i.fix for i in issues)


def test_structural_errors_are_reported_with_their_place(tmp_path):
    issues = issues_of(
        tmp_path,
        """
    kpis:
      x:
        name: {en: X, fr: X}
        formula: leads
        unit: percent
        direction: sideways
        colour: blue
        description: {en: d, fr: d}
        explanation:
          meaning: {en: m, fr: m}
          reading: {en: r, fr: r}
    """,
    )
    text = "\n".join(str(i) for i in issues)
    assert "kpis.x: unit" in text
    assert "kpis.x: direction" in text
    assert "kpis.x: colour: Extra inputs are not permitted. Fix: remove this field" in text
    assert "kpis.x: explanation.drivers: Field required. Fix: add this field" in text


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('x')",
        "leads.__class__",
        "leads if 1 else 2",
        "'a'",
        "leads ** 2",
        "",
        "leads; drop",
        "leads * 1e309",
        "leads / 1" + "0" * 400,
    ],
)  # infinite or huge: refused
def test_formulas_accept_arithmetic_only(tmp_path, formula):
    issues = issues_of(
        tmp_path,
        f"""
    kpis:
      x:
        name: {{en: X, fr: X}}
        formula: "{formula}"
        unit: number
        direction: up
        description: {{en: d, fr: d}}
        explanation:
          meaning: {{en: m, fr: m}}
          reading: {{en: r, fr: r}}
          drivers: {{en: d, fr: d}}
    """,
    )
    assert any(i.obj == "kpis.x" for i in issues)


def test_invalid_yaml_and_missing_file(tmp_path):
    issues = issues_of(tmp_path, "measures: [unclosed\n")
    assert "not valid YAML" in issues[0].problem and issues[0].obj.startswith("line")
    with pytest.raises(DefinitionError) as info:
        load_catalog(tmp_path / "nope.yml")
    assert "does not exist" in str(info.value)


def test_alias_used_twice_is_refused(tmp_path):
    issues = issues_of(tmp_path, TEAM.replace("aliases: [panier, basket]", "aliases: [panier, ca]"))
    assert any("alias 'ca' is already used by 'revenue'" in str(i) for i in issues)


def test_a_filter_on_an_infinite_number_is_refused(tmp_path):
    """`value: 1.0e+309` is infinity in YAML: the measure would silently count nothing, for ever."""
    issues = issues_of(
        tmp_path, TEAM.replace("filters:\n", "filters:\n      - {column: total, op: '<', value: 1.0e+309}\n", 1)
    )
    assert any("1e309" in str(i) or "inf is not a usable number" in str(i) for i in issues), issues


@pytest.mark.parametrize(
    ("formula", "said"),
    [
        ("sales_amount / 1e-400", "the number 1e-400 in 'sales_amount / 1e-400' is too small: it reads as 0"),
        ("sales_amount / 0", "it divides by 0, which is always 0"),
        ("sales_amount / (1-1)", "it divides by 1 − 1, which is always 0"),
        ("sales_amount / (2 * 0.0)", "it divides by 2 × 0, which is always 0"),
        ("sales_amount * (1 - 1)", "sales_amount × (1 − 1) is always 0"),
        ("0 * sales_amount + 0 * sales_amount", "0 × sales_amount is always 0"),
        ("sales_amount * 1e15", "its constants multiply every value by 1e+15"),
        ("sales_amount * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15", "by 1e+150"),
        ("sales_amount" + " * 1e15" * 25, "multiply every value by inf: a value of 1 would be beyond 1e15"),
        ("(sales_amount * 1e10) / (new_customers * 1e-10)", "multiply every value by 1e+20"),
        ("sales_amount / 1e-300", "multiply every value by 1e+300"),
        ("sales_amount * 1e-16", "every value would show as 0"),
    ],
)
def test_constants_that_make_a_kpi_always_zero_infinite_or_empty_are_refused_with_the_fix(tmp_path, formula, said):
    """Accepted, such a KPI would say "is zero" or "no data" for ever; refused at load, naming the KPI."""
    issues = issues_of(
        tmp_path,
        f"""
    kpis:
      x:
        name: {{en: X, fr: X}}
        formula: "{formula}"
        unit: currency
        direction: up
        description: {{en: d, fr: d}}
        explanation:
          meaning: {{en: m, fr: m}}
          reading: {{en: r, fr: r}}
          drivers: {{en: d, fr: d}}
    """,
    )
    [issue] = [i for i in issues if i.obj == "kpis.x"]
    assert said in issue.problem, issue
    if "too small" not in said:
        assert issue.problem.startswith(f"formula '{formula[:60]}' can never give a usable value: ")
        assert "correct the constant" in issue.fix and "divide by a measure" in issue.fix


@pytest.mark.parametrize("expr", ["total * 0", "total / (3 - 3)", "total * 1e15 * 1e15", "(total - discount) / 1e-16"])
def test_a_measure_whose_constants_make_every_row_zero_or_unusable_is_refused(tmp_path, expr):
    issues = issues_of(tmp_path, TEAM.replace("expr: total - discount", f'expr: "{expr}"'))
    [issue] = [i for i in issues if i.obj == "measures.order_value"]
    assert issue.problem.startswith(f"expr '{expr}' can never give a usable value") and "correct the constant" in (
        issue.fix
    )


@pytest.mark.parametrize(
    "formula",
    ["sales_amount / 100", "sales_amount / 1e6", "100 * (invoiced - time_cost) / invoiced", "sales_amount - 0"],
)
def test_usual_constants_are_accepted(tmp_path, formula):
    """Cents to euros, micros to units, a percentage: scales well inside what the bot counts."""
    text = f"""
    kpis:
      x:
        name: {{en: X, fr: X}}
        formula: "{formula}"
        unit: currency
        direction: up
        description: {{en: d, fr: d}}
        explanation:
          meaning: {{en: m, fr: m}}
          reading: {{en: r, fr: r}}
          drivers: {{en: d, fr: d}}
    """
    assert load_catalog(write(tmp_path, text)).metric("x").formula is not None
