"""KPI definitions: frozen declarative data, loaded from YAML and validated.

A definitions file has two mappings, ``measures`` and ``kpis`` (see
``kpi/definitions/catalog.yml``, the built-in catalog, for the format). Loading
parses the structure with pydantic, then :func:`validate` checks the meaning
(formulas, references, dimensions, aliases) and returns a list of issues, each
naming the file, the object and the fix. A file with any issue is refused.
"""

from __future__ import annotations

import math

import difflib
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kpi.errors import DefinitionError, DefinitionIssue, UnknownDimension, UnknownKpi
from kpi.periods import normalize
from kpi.store.aggregate import ADDITIVE, FilterSpec, JoinSpec, MeasureSpec
from kpi.store.expr import Expr, ExprError, Ref, parse, refs, render

BUILTIN = Path(__file__).parent / "definitions" / "catalog.yml"
Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_TABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$")


class Unit(str, Enum):
    PERCENT = "%"
    CURRENCY = "currency"
    SCORE = "score"
    NUMBER = "number"
    RATIO = "ratio"


class Direction(str, Enum):
    UP = "up"      # higher is better
    DOWN = "down"  # lower is better


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    en: str = Field(min_length=1, max_length=2000)
    fr: str = Field(min_length=1, max_length=2000)

    def __call__(self, lang: Language) -> str:
        return getattr(self, lang)


class Join(_Frozen):
    table: str
    on: dict[str, str] = Field(min_length=1, max_length=1)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        # YAML 1.1 reads an unquoted `on:` key as the boolean True.
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @property
    def local(self) -> str:
        return next(iter(self.on))

    @property
    def remote(self) -> str:
        return next(iter(self.on.values()))


class Filter(_Frozen):
    column: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null", "before_end"]
    value: str | int | float | bool | list[str | int | float | bool] | None = None
    type: Literal["timestamp", "date"] = "timestamp"

    @field_validator("value")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        """YAML reads 1e309 as infinity: a filter on it would match nothing, silently."""
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not (math.isfinite(v) and abs(v) <= 1e15):
                raise ValueError(f"{v} is not a usable number (finite, at most 1e15)")
        return value


class Measure(_Frozen):
    label: Text
    table: str
    time: str
    time_type: Literal["timestamp", "date"] = "timestamp"
    agg: Literal["count", "sum", "avg", "min", "max", "count_distinct"]
    expr: str | None = None
    filters: tuple[Filter, ...] = ()
    joins: dict[str, Join] = Field(default_factory=dict)
    dimensions: dict[str, str] = Field(default_factory=dict)
    window: Literal["period", "to_end"] = "period"

    @property
    def additive(self) -> bool:
        return self.agg in ADDITIVE


class Explanation(_Frozen):
    meaning: Text
    reading: Text
    drivers: Text


class Kpi(_Frozen):
    key: str = ""
    name: Text
    aliases: tuple[str, ...] = ()
    formula: str
    formula_text: Text | None = None
    unit: Unit
    direction: Direction
    description: Text
    explanation: Explanation
    dimensions: tuple[str, ...] | None = None  # restrict the breakdowns offered


class DefinitionsFile(_Frozen):
    measures: dict[str, Measure] = Field(default_factory=dict)
    kpis: dict[str, Kpi] = Field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    """The validated catalog: measures and KPIs by key, plus derived lookups."""

    measures: dict[str, Measure]
    kpis: dict[str, Kpi]
    formulas: dict[str, Expr]
    specs: dict[str, MeasureSpec]
    dimensions: dict[str, tuple[str, ...]]
    aliases: dict[str, str]

    # -- lookups -----------------------------------------------------------------
    def keys(self) -> list[str]:
        return list(self.kpis)

    def resolve(self, name: str) -> Kpi:
        """The KPI named by a key or alias, in any case, with or without accents."""
        key = self.aliases.get(_alias_key(name))
        if key is None:
            raise UnknownKpi(name[:64], self.suggest(name), self.keys())
        return self.kpis[key]

    def suggest(self, name: str, n: int = 2) -> list[str]:
        names = difflib.get_close_matches(_alias_key(name), list(self.aliases), n=n * 3, cutoff=0.6)
        seen: list[str] = []
        for alias in names:
            if self.aliases[alias] not in seen:
                seen.append(self.aliases[alias])
        return seen[:n]

    def measures_of(self, kpi: Kpi) -> list[str]:
        return [r.name for r in refs(self.formulas[kpi.key])]

    def dimension(self, kpi: Kpi, name: str) -> str:
        """Validate ``name`` as a breakdown of ``kpi`` and return its canonical form."""
        known = list(self.dimensions[kpi.key])
        wanted = normalize(name).replace("-", "_")
        french = {"canal": "channel", "produit": "product", "categorie": "category", "projet": "project"}
        wanted = french.get(wanted, wanted)
        if wanted in known:
            return wanted
        close = difflib.get_close_matches(wanted, known, n=2, cutoff=0.5)
        raise UnknownDimension(kpi.key, name[:64], close, known)

    def dimension_ref(self, measure: str, dimension: str) -> Ref:
        return _ref(self.measures[measure].dimensions[dimension])

    def formula_text(self, kpi: Kpi, lang: Language) -> str:
        if kpi.formula_text is not None:
            return kpi.formula_text(lang)
        return render(self.formulas[kpi.key], lambda ref: self.measures[ref.name].label(lang))


def _alias_key(name: str) -> str:
    return normalize(name).replace("_", "-").replace("'", "-")


def _ref(text: str) -> Ref:
    alias, _, name = text.rpartition(".")
    return Ref(name, alias or None)


# -- loading --------------------------------------------------------------------------


def load_catalog(extra: Path | None = None) -> Catalog:
    """The built-in catalog, plus the team's definitions file when given.

    A team file may add measures and KPIs, or redefine a built-in one by key.
    Raises :class:`DefinitionError` listing every problem found.
    """
    files = [BUILTIN] + ([Path(extra)] if extra else [])
    measures: dict[str, tuple[str, Measure]] = {}
    kpis: dict[str, tuple[str, Kpi]] = {}
    issues: list[DefinitionIssue] = []
    for path in files:
        parsed, file_issues = _read(path)
        issues += file_issues
        if parsed is None:
            continue
        for key, measure in parsed.measures.items():
            measures[key] = (str(path), measure)
        for key, kpi in parsed.kpis.items():
            kpis[key] = (str(path), kpi.model_copy(update={"key": key}))
    if issues:
        raise DefinitionError(issues)
    return build(measures, kpis)


def _read(path: Path) -> tuple[DefinitionsFile | None, list[DefinitionIssue]]:
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [DefinitionIssue(name, "file", "does not exist", "set KPI_DEFINITIONS to an existing YAML file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [DefinitionIssue(name, "file", f"cannot be read ({exc})", "check the path and its permissions")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        return None, [DefinitionIssue(name, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                                      "fix the YAML syntax")]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None, [DefinitionIssue(name, "file", "must be a mapping with 'measures' and 'kpis'",
                                      "start the file with 'measures:' and 'kpis:'")]
    try:
        return DefinitionsFile.model_validate(raw), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            obj = ".".join(loc[:2]) if loc and loc[0] in ("measures", "kpis") else ".".join(loc) or "file"
            field_ = ".".join(loc[2:])
            problem = f"{field_ + ': ' if field_ else ''}{err['msg']}"
            issues.append(DefinitionIssue(name, obj, problem, _fix_for(err)))
        return None, issues


def _fix_for(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "remove this field or check its spelling"
    if kind == "missing":
        return "add this field"
    if kind in ("literal_error", "enum"):
        return f"use one of {err.get('ctx', {}).get('expected', 'the accepted values')}"
    return "see kpi/definitions/catalog.yml for the format"


def build(measures: dict[str, tuple[str, Measure]], kpis: dict[str, tuple[str, Kpi]]) -> Catalog:
    """Validate and assemble a catalog; raises DefinitionError with every issue."""
    issues = validate(measures, kpis)
    if issues:
        raise DefinitionError(issues)
    formulas = {key: parse(k.formula) for key, (_, k) in kpis.items()}
    specs = {key: _spec(key, m) for key, (_, m) in measures.items()}
    dimensions: dict[str, tuple[str, ...]] = {}
    for key, (_, kpi) in kpis.items():
        used = [measures[r.name][1] for r in refs(formulas[key])]
        common = [d for d in used[0].dimensions if all(d in m.dimensions for m in used)]
        if kpi.dimensions is not None:
            common = [d for d in kpi.dimensions if d in common]
        dimensions[key] = tuple(common)
    aliases: dict[str, str] = {}
    for key, (_, kpi) in kpis.items():
        for alias in (key, *kpi.aliases, kpi.name.en, kpi.name.fr):
            aliases.setdefault(_alias_key(alias), key)
    for key in kpis:  # keys always win over another KPI's alias
        aliases[_alias_key(key)] = key
    return Catalog(
        measures={k: m for k, (_, m) in measures.items()},
        kpis={k: kpi for k, (_, kpi) in kpis.items()},
        formulas=formulas,
        specs=specs,
        dimensions=dimensions,
        aliases=aliases,
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
            FilterSpec(_ref(f.column), f.op, tuple(f.value) if isinstance(f.value, list) else f.value,
                       is_date=f.type == "date")
            for f in m.filters
        ),
        joins=tuple(joins),
        to_end=m.window == "to_end",
        dimensions=tuple(_ref(col) for col in m.dimensions.values()),
    )


# -- validation ---------------------------------------------------------------------


def validate(measures: dict[str, tuple[str, Measure]], kpis: dict[str, tuple[str, Kpi]]) -> list[DefinitionIssue]:
    """Every semantic problem in the definitions, each naming the object and the fix."""
    issues: list[DefinitionIssue] = []
    for key, (file, m) in measures.items():
        issues += _validate_measure(file, key, m)
    seen_alias: dict[str, str] = {}
    for key, (file, kpi) in kpis.items():
        issues += _validate_kpi(file, key, kpi, measures)
        for alias in kpi.aliases:
            norm = _alias_key(alias)
            other = seen_alias.get(norm)
            if other and other != key:
                issues.append(DefinitionIssue(file, f"kpis.{key}", f"alias '{alias}' is already used by '{other}'",
                                              "remove it from one of the two KPIs"))
            seen_alias[norm] = key
    return issues


def _validate_measure(file: str, key: str, m: Measure) -> list[DefinitionIssue]:
    obj = f"measures.{key}"
    out: list[DefinitionIssue] = []

    def bad(problem: str, fix: str) -> None:
        out.append(DefinitionIssue(file, obj, problem, fix))

    if not _KEY.match(key):
        bad(f"'{key}' is not a valid measure name", "use lower-case letters, digits and underscores")
    if not _TABLE.match(m.table):
        bad(f"table '{m.table}' is not a plain table name", "write table or schema.table")
    if not _IDENT.match(m.time):
        bad(f"time column '{m.time}' is not a plain column name", "name one column of the table")
    for alias, j in m.joins.items():
        if not _IDENT.match(alias) or not _TABLE.match(j.table):
            bad(f"join '{alias}' has an invalid alias or table name", "use plain names")
        for col in (j.local, j.remote):
            if not _IDENT.match(col):
                bad(f"join '{alias}' column '{col}' is not a plain column name", "write on: {local_column: remote_column}")

    def check_ref(ref: Ref, what: str) -> None:
        if not _IDENT.match(ref.name):
            bad(f"{what} '{ref.dotted}' is not a plain column name", "write column or join_alias.column")
        elif ref.alias is not None and ref.alias not in m.joins:
            close = difflib.get_close_matches(ref.alias, list(m.joins), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            bad(f"{what} '{ref.dotted}' uses join '{ref.alias}' which is not declared{hint}",
                f"declare it under joins, e.g. joins: {{{ref.alias}: {{table: ..., on: {{local_id: id}}}}}}")

    if m.agg in ("sum", "avg", "min", "max", "count_distinct") and not m.expr:
        bad(f"agg '{m.agg}' needs an expr", "add expr: the column (or column arithmetic) to aggregate")
    if m.expr:
        try:
            for ref in refs(parse(m.expr)):
                check_ref(ref, "expr column")
        except ExprError as exc:
            bad(f"expr: {exc}", "use column names, numbers, + - * / and parentheses")
    for f in m.filters:
        check_ref(_ref(f.column), "filter column")
        if f.op in ("in", "not in") and not (isinstance(f.value, list) and f.value):
            bad(f"filter on '{f.column}' with op '{f.op}' needs a non-empty list value", "write value: [a, b]")
        elif f.op in ("is null", "is not null", "before_end") and f.value is not None:
            bad(f"filter on '{f.column}' with op '{f.op}' takes no value", "remove value")
        elif f.op in ("=", "!=", "<", "<=", ">", ">=") and (f.value is None or isinstance(f.value, list)):
            bad(f"filter on '{f.column}' with op '{f.op}' needs a single value", "write value: x")
    for dim, col in m.dimensions.items():
        if not _KEY.match(dim):
            bad(f"dimension name '{dim}' is not valid", "use lower-case letters, digits and underscores")
        check_ref(_ref(col), f"dimension '{dim}' column")
    return out


def _validate_kpi(file: str, key: str, kpi: Kpi, measures: dict[str, tuple[str, Measure]]) -> list[DefinitionIssue]:
    obj = f"kpis.{key}"
    out: list[DefinitionIssue] = []
    if not _KEY.match(key):
        out.append(DefinitionIssue(file, obj, f"'{key}' is not a valid KPI key",
                                   "use lower-case letters, digits and underscores"))
    try:
        formula = parse(kpi.formula)
    except ExprError as exc:
        return out + [DefinitionIssue(file, obj, f"formula: {exc}",
                                      "write a formula over measure names with + - * / and parentheses")]
    used = []
    for ref in refs(formula):
        if ref.alias is not None or ref.name not in measures:
            close = difflib.get_close_matches(ref.dotted, list(measures), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"define it under measures (known: {', '.join(sorted(measures))})"
            out.append(DefinitionIssue(file, obj, f"formula uses unknown measure '{ref.dotted}'", hint))
        else:
            used.append(measures[ref.name][1])
    if not refs(formula):
        out.append(DefinitionIssue(file, obj, "formula uses no measure", "reference at least one measure"))
    if kpi.dimensions is not None and used:
        for dim in kpi.dimensions:
            missing = [r.name for r in refs(formula) if r.name in measures and dim not in measures[r.name][1].dimensions]
            if missing:
                out.append(DefinitionIssue(file, obj, f"dimension '{dim}' is not offered by measure(s) {', '.join(missing)}",
                                           f"add '{dim}' to those measures' dimensions or remove it here"))
    for alias in kpi.aliases:
        if not alias.strip() or len(alias) > 64:
            out.append(DefinitionIssue(file, obj, f"alias '{alias[:64]}' is empty or too long", "use a short word"))
    return out
