"""The KPI catalog: the definitions (:mod:`kpi.model`), validated (:mod:`kpi.validation`) and compiled once.

Each KPI is compiled into a :class:`Metric`: its formula, its measures, the numerator and
denominator of a ratio, whether it adds up day by day, and the breakdowns every one of its
measures offers. Everything that needs to know what kind of number a KPI is asks its metric
(pacing, the `min` guard of alert rules, the alert's drivers), never the formula's text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import Enum
from pathlib import Path

from kpi.errors import DefinitionError, DefinitionIssue, UnknownDimension, UnknownKpi
from kpi.model import (  # noqa: F401 - the definitions' types, re-exported for the catalog's users
    LANGUAGES,
    Dimension,
    Direction,
    Explanation,
    Filter,
    Join,
    Kpi,
    Language,
    Measure,
    Text,
    Unit,
    alias_key,
    freshness_of,
    ref_of,
)
from kpi.store.expr import BinOp, Expr, Num, Ref, parse, refs, render
from kpi.store.specs import ADDITIVE, FilterSpec, JoinSpec, MeasureSpec
from kpi.validation import read, validate

__all__ = [  # the catalog, and the definitions' types its users read it with
    "BUILTIN",
    "LANGUAGES",
    "Catalog",
    "Dimension",
    "Direction",
    "Explanation",
    "Filter",
    "Join",
    "Kpi",
    "Language",
    "Measure",
    "Metric",
    "MetricKind",
    "Text",
    "Unit",
    "alias_key",
    "build",
    "compile_metric",
    "freshness_of",
    "load_catalog",
    "ref_of",
]

BUILTIN = Path(__file__).parent / "definitions" / "catalog.yml"


class MetricKind(str, Enum):
    """What kind of number a KPI is; every case is handled where it matters."""

    TOTAL = "total"  # one sum or count over the period (revenue): accumulates, a target is prorated
    RATIO = "ratio"  # a division of measures (conversion, CAC, NPS): recomputed from its parts
    LEVEL = "level"  # anything else over the period (an average, a difference): compared as a level
    CUMULATIVE = "cumulative"  # reads everything up to the period's end (LTV): a level at that date


@dataclass(frozen=True)
class Metric:
    """One KPI, compiled."""

    key: str
    formula: Expr
    kind: MetricKind
    measures: tuple[str, ...]  # every measure the formula reads, in order
    numerator: tuple[str, ...]  # a ratio's measures above its top-level division (else: all of them)
    denominator: tuple[str, ...]  # a ratio's measures under its top-level division (what `min N` guards)
    additive: bool  # every measure is a sum or a count: day values add up
    dimensions: tuple[str, ...]  # the breakdowns all its measures offer (restricted by the KPI's list)
    positive: bool = False  # never below zero (counts and sums of columns, no subtraction): a target must be > 0

    @property
    def accumulates(self) -> bool:
        """Grows through the period: a target for it is a total, prorated by the time elapsed."""
        return self.kind is MetricKind.TOTAL


def compile_metric(kpi: Kpi, measures: dict[str, Measure]) -> Metric:
    formula = parse(kpi.formula)
    names = tuple(dict.fromkeys(r.name for r in refs(formula)))
    used = [measures[n] for n in names]
    if isinstance(formula, BinOp) and formula.op == "/":
        numerator = tuple(dict.fromkeys(r.name for r in refs(formula.left)))
        denominator = tuple(dict.fromkeys(r.name for r in refs(formula.right)))
    else:
        numerator, denominator = names, ()
    if any(m.window == "to_end" for m in used):
        kind = MetricKind.CUMULATIVE
    elif isinstance(formula, Ref) and used[0].agg in ("sum", "count"):
        kind = MetricKind.TOTAL
    elif denominator:
        kind = MetricKind.RATIO
    else:
        kind = MetricKind.LEVEL
    common = [d for d in used[0].dimensions if all(d in m.dimensions for m in used)]
    if kpi.dimensions is not None:
        common = [d for d in kpi.dimensions if d in common]
    positive = _never_negative(formula) and all(
        m.agg in ("count", "count_distinct") or (m.expr is not None and _never_negative(parse(m.expr))) for m in used
    )
    return Metric(
        kpi.key,
        formula,
        kind,
        names,
        numerator,
        denominator,
        all(m.agg in ADDITIVE for m in used),
        tuple(common),
        positive,
    )


def _never_negative(expr: Expr) -> bool:
    """No subtraction, negation nor negative constant: counts, sums of columns and their ratios (a revenue, a
    rate, a cost per customer); a margin or a score (promoters − detractors) can go below zero."""
    match expr:
        case Ref():
            return True
        case Num(value=value):
            return value >= 0
        case BinOp(op="-"):
            return False
        case BinOp(left=left, right=right):
            return _never_negative(left) and _never_negative(right)
    return False


@dataclass(frozen=True)
class Catalog:
    """The validated catalog: measures, KPIs and their compiled metrics by key, and the names they answer to."""

    measures: dict[str, Measure]
    kpis: dict[str, Kpi]
    metrics: dict[str, Metric]
    specs: dict[str, MeasureSpec]
    aliases: dict[str, str]  # any name of a KPI (normalized) -> its key
    dimension_aliases: dict[str, str]  # any name of a dimension (normalized) -> its name
    unset_labels: dict[str, Text] = field(default_factory=dict)  # dimension -> what its rows without a value are
    phrases: dict[str, str] = field(default_factory=dict)  # what people say for a KPI (as written) -> its key
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # dimension -> {label (normalized): value}

    def with_values(self, known: dict[str, list[str]]) -> Catalog:
        """The catalog with values found in the data (dimension -> values) added to the declared ones, for
        the reader to recognise them in questions ("Training day", "Atlas migration")."""
        values = {name: dict(labels) for name, labels in self.values.items()}
        for name, found in known.items():
            for value in found:
                values.setdefault(name, {}).setdefault(alias_key(value), value)
        return replace(self, values=values)

    # -- lookups -----------------------------------------------------------------
    def freshness(self, table: str) -> timedelta | None:
        """How long ``table`` (``schema.table`` when it has one) may go without a new row, when a measure on it
        says so (the shortest if several do); None: learned from its own history."""
        found = [
            freshness_of(self.measures[name].freshness or "")
            for name, spec in self.specs.items()
            if self.measures[name].freshness and (f"{spec.schema}.{spec.table}" if spec.schema else spec.table) == table
        ]
        return min((f for f in found if f is not None), default=None)

    def keys(self) -> list[str]:
        return list(self.kpis)

    def resolve(self, name: str) -> Kpi:
        """The KPI named by a key or alias, in any case, with or without accents."""
        key = self.aliases.get(alias_key(name))
        if key is None:
            raise UnknownKpi(name[:64], self.suggest(name), self.keys())
        return self.kpis[key]

    def resolve_prefix(self, words: list[str]) -> tuple[str | None, list[str]]:
        """The longest leading run of words (up to six) that names a KPI: its key, and the words after it."""
        for n in range(min(len(words), 6), 0, -1):
            try:
                return self.resolve(" ".join(words[:n])).key, words[n:]
            except UnknownKpi:
                continue
        return None, words

    def suggest(self, name: str, n: int = 2) -> list[str]:
        names = difflib.get_close_matches(alias_key(name), list(self.aliases), n=n * 3, cutoff=0.6)
        seen: list[str] = []
        for alias in names:
            if self.aliases[alias] not in seen:
                seen.append(self.aliases[alias])
        return seen[:n]

    def metric(self, kpi: Kpi | str) -> Metric:
        return self.metrics[kpi if isinstance(kpi, str) else kpi.key]

    def measures_of(self, kpi: Kpi) -> list[str]:
        return list(self.metrics[kpi.key].measures)

    def dimension(self, kpi: Kpi, name: str) -> str:
        """Validate ``name`` (or one of its aliases) as a breakdown of ``kpi``; its canonical name."""
        known = list(self.metrics[kpi.key].dimensions)
        wanted = alias_key(name).replace("-", "_")
        wanted = self.dimension_aliases.get(alias_key(name), wanted)
        if wanted in known:
            return wanted
        close = difflib.get_close_matches(wanted, known, n=2, cutoff=0.5)
        raise UnknownDimension(kpi.key, name[:64], close, known)

    def dimension_ref(self, measure: str, dimension: str) -> Ref:
        return ref_of(self.measures[measure].dimensions[dimension])

    def measure_unit(self, name: str) -> Unit:
        return Unit.CURRENCY if self.measures[name].unit == "currency" else Unit.NUMBER

    def unset_label(self, dimension: str | None, lang: str) -> str | None:
        """What rows without a value of ``dimension`` are, as the definitions name them (None: not said)."""
        found = self.unset_labels.get(dimension or "")
        return found(lang) if found is not None else None

    def formula_text(self, kpi: Kpi, lang: str) -> str:
        if kpi.formula_text is not None:
            return kpi.formula_text(lang)
        return render(self.metrics[kpi.key].formula, lambda ref: self.measures[ref.name].label(lang))


# -- loading --------------------------------------------------------------------------


def load_catalog(extra: Path | None = None) -> Catalog:
    """The built-in catalog, plus the team's definitions file when given.

    A team file may add measures, KPIs and dimension aliases, or redefine a built-in one by key.
    Raises :class:`DefinitionError` listing every problem found.
    """
    files = [BUILTIN] + ([Path(extra)] if extra else [])
    measures: dict[str, tuple[str, Measure]] = {}
    kpis: dict[str, tuple[str, Kpi]] = {}
    dimensions: dict[str, tuple[str, Dimension]] = {}
    issues: list[DefinitionIssue] = []
    for path in files:
        parsed, file_issues = read(path)
        issues += file_issues
        if parsed is None:
            continue
        for key, measure in parsed.measures.items():
            measures[key] = (str(path), measure)
        for key, kpi in parsed.kpis.items():
            kpis[key] = (str(path), kpi.model_copy(update={"key": key}))
        for key, dim in parsed.dimensions.items():
            dimensions[key] = (str(path), _merged(dimensions.get(key), dim))
        for key, more in parsed.phrases.items():  # a team's words for a built-in KPI
            if key not in kpis:
                issues.append(DefinitionIssue(str(path), f"phrases.{key}", "no such KPI", "name a KPI's key"))
                continue
            file, kpi = kpis[key]
            kpis[key] = (file, kpi.model_copy(update={"phrases": (*kpi.phrases, *more)}))
    if issues:
        raise DefinitionError(issues)
    return build(measures, kpis, dimensions)


def _merged(before: tuple[str, Dimension] | None, dim: Dimension) -> Dimension:
    """A team file's dimension adds its aliases and value labels to the built-in ones."""
    if before is None:
        return dim
    old = before[1]
    values = {
        v: tuple(dict.fromkeys((*old.values.get(v, ()), *dim.values.get(v, ())))) for v in {**old.values, **dim.values}
    }
    aliases = tuple(dict.fromkeys((*old.aliases, *dim.aliases)))
    return Dimension(aliases=aliases, values=values, unset=dim.unset or old.unset)


def build(
    measures: dict[str, tuple[str, Measure]],
    kpis: dict[str, tuple[str, Kpi]],
    dimensions: dict[str, tuple[str, Dimension]] | None = None,
) -> Catalog:
    """Validate and compile a catalog; raises DefinitionError with every issue."""
    dimensions = dimensions or {}
    issues = validate(measures, kpis, dimensions)
    if issues:
        raise DefinitionError(issues)
    plain = {k: m for k, (_, m) in measures.items()}
    metrics = {key: compile_metric(k, plain) for key, (_, k) in kpis.items()}
    aliases: dict[str, str] = {}
    for key, (_, kpi) in kpis.items():
        for alias in (key, *kpi.aliases, kpi.name.en, kpi.name.fr):
            aliases.setdefault(alias_key(alias), key)
    for key in kpis:  # keys always win over another KPI's alias
        aliases[alias_key(key)] = key
    dimension_aliases = {alias_key(a): name for name, (_, d) in dimensions.items() for a in d.aliases}
    phrases = {phrase: key for key, (_, kpi) in kpis.items() for phrase in kpi.phrases}
    values = {
        name: {alias_key(label): value for value, labels in d.values.items() for label in (value, *labels)}
        for name, (_, d) in dimensions.items()
        if d.values
    }
    return Catalog(
        measures=plain,
        kpis={k: kpi for k, (_, kpi) in kpis.items()},
        metrics=metrics,
        specs={key: _spec(key, m) for key, m in plain.items()},
        aliases=aliases,
        dimension_aliases=dimension_aliases,
        phrases=phrases,
        values=values,
        unset_labels={name: d.unset for name, (_, d) in dimensions.items() if d.unset is not None},
    )


def _spec(key: str, m: Measure) -> MeasureSpec:
    schema, _, table = m.table.rpartition(".")
    joins = []
    for alias, j in m.joins.items():
        jschema, _, jtable = j.table.rpartition(".")
        joins.append(JoinSpec(alias, jtable, j.local, j.remote, jschema or None))
    return MeasureSpec(
        name=key,
        table=table,
        schema=schema or None,
        time_column=m.time,
        time_is_date=m.time_type == "date",
        agg=m.agg,
        expr=parse(m.expr) if m.expr else None,
        filters=tuple(
            FilterSpec(
                ref_of(f.column),
                f.op,
                tuple(f.value) if isinstance(f.value, list) else f.value,
                is_date=f.type == "date",
            )
            for f in m.filters
        ),
        joins=tuple(joins),
        to_end=m.window == "to_end",
        dimensions=tuple(ref_of(col) for col in m.dimensions.values()),
    )
