"""Checking definitions: every problem found, each naming the file, the object and the fix.

:func:`read` turns a YAML file into a :class:`~kpi.model.DefinitionsFile` (or its structural
issues); :func:`validate` checks what the fields mean together (formulas, references, joins,
dimensions, aliases). The catalog refuses a file with any issue (:class:`~kpi.errors.DefinitionError`).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kpi.errors import DefinitionIssue
from kpi.model import DefinitionsFile, Dimension, Kpi, Measure, alias_key, ref_of
from kpi.store.expr import ExprError, Ref, degenerate, parse, refs

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_TABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$")


# The fix for constants that make a value always zero, infinite or empty (kpi.store.expr.degenerate)
CONSTANT_FIX = (
    "correct the constant (e.g. / 100 to turn cents into euros, / 1e6 for micros) or remove it; "
    "to divide by something that can be zero, divide by a measure: a period where it is 0 then says so"
)


def read(path: Path) -> tuple[DefinitionsFile | None, list[DefinitionIssue]]:
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
        return None, [
            DefinitionIssue(name, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})", "fix the YAML syntax")
        ]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None, [
            DefinitionIssue(
                name,
                "file",
                "must be a mapping with 'measures' and 'kpis'",
                "start the file with 'measures:' and 'kpis:'",
            )
        ]
    try:
        return DefinitionsFile.model_validate(raw), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            obj = ".".join(loc[:2]) if loc and loc[0] in ("measures", "kpis") else ".".join(loc) or "file"
            field_ = ".".join(loc[2:])
            problem = f"{field_ + ': ' if field_ else ''}{err['msg']}"
            issues.append(DefinitionIssue(name, obj, problem, _fix_for(dict(err))))
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


def validate(
    measures: dict[str, tuple[str, Measure]],
    kpis: dict[str, tuple[str, Kpi]],
    dimensions: dict[str, tuple[str, Dimension]] | None = None,
) -> list[DefinitionIssue]:
    """Every semantic problem in the definitions, each naming the object and the fix."""
    issues: list[DefinitionIssue] = _validate_dimensions(dimensions or {}, measures)
    for key, (file, m) in measures.items():
        issues += _validate_measure(file, key, m)
    seen_alias: dict[str, str] = {}
    for key, (file, kpi) in kpis.items():
        issues += _validate_kpi(file, key, kpi, measures)
        for kind, alias in [("alias", a) for a in kpi.aliases] + [("phrase", p) for p in kpi.phrases]:
            norm = alias_key(alias)
            other = seen_alias.get(norm)
            if other and other != key:
                issues.append(
                    DefinitionIssue(
                        file,
                        f"kpis.{key}",
                        f"{kind} '{alias}' is already used by '{other}'",
                        "remove it from one of the two KPIs",
                    )
                )
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
                bad(
                    f"join '{alias}' column '{col}' is not a plain column name",
                    "write on: {local_column: remote_column}",
                )

    def checkref_of(ref: Ref, what: str) -> None:
        if not _IDENT.match(ref.name):
            bad(f"{what} '{ref.dotted}' is not a plain column name", "write column or join_alias.column")
        elif ref.alias is not None and ref.alias not in m.joins:
            close = difflib.get_close_matches(ref.alias, list(m.joins), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            bad(
                f"{what} '{ref.dotted}' uses join '{ref.alias}' which is not declared{hint}",
                f"declare it under joins, e.g. joins: {{{ref.alias}: {{table: ..., on: {{local_id: id}}}}}}",
            )

    if m.agg in ("sum", "avg", "min", "max", "count_distinct") and not m.expr:
        bad(f"agg '{m.agg}' needs an expr", "add expr: the column (or column arithmetic) to aggregate")
    if m.expr:
        try:
            expr = parse(m.expr)
            for ref in refs(expr):
                checkref_of(ref, "expr column")
            if (why := degenerate(expr)) is not None:
                bad(f"expr '{m.expr[:60]}' can never give a usable value: {why}", CONSTANT_FIX)
        except ExprError as exc:
            bad(f"expr: {exc}", "use column names, numbers, + - * / and parentheses")
    for f in m.filters:
        checkref_of(ref_of(f.column), "filter column")
        if f.op in ("in", "not in") and not (isinstance(f.value, list) and f.value):
            bad(f"filter on '{f.column}' with op '{f.op}' needs a non-empty list value", "write value: [a, b]")
        elif f.op in ("is null", "is not null", "before_end") and f.value is not None:
            bad(f"filter on '{f.column}' with op '{f.op}' takes no value", "remove value")
        elif f.op in ("=", "!=", "<", "<=", ">", ">=") and (f.value is None or isinstance(f.value, list)):
            bad(f"filter on '{f.column}' with op '{f.op}' needs a single value", "write value: x")
    for dim, col in m.dimensions.items():
        if not _KEY.match(dim):
            bad(f"dimension name '{dim}' is not valid", "use lower-case letters, digits and underscores")
        checkref_of(ref_of(col), f"dimension '{dim}' column")
    return out


def _validate_kpi(file: str, key: str, kpi: Kpi, measures: dict[str, tuple[str, Measure]]) -> list[DefinitionIssue]:
    obj = f"kpis.{key}"
    out: list[DefinitionIssue] = []
    if not _KEY.match(key):
        out.append(
            DefinitionIssue(
                file, obj, f"'{key}' is not a valid KPI key", "use lower-case letters, digits and underscores"
            )
        )
    try:
        formula = parse(kpi.formula)
    except ExprError as exc:
        return out + [
            DefinitionIssue(
                file, obj, f"formula: {exc}", "write a formula over measure names with + - * / and parentheses"
            )
        ]
    if (why := degenerate(formula)) is not None:
        out.append(
            DefinitionIssue(
                file, obj, f"formula '{kpi.formula[:60]}' can never give a usable value: {why}", CONSTANT_FIX
            )
        )
    used = []
    for ref in refs(formula):
        if ref.alias is not None or ref.name not in measures:
            close = difflib.get_close_matches(ref.dotted, list(measures), n=1, cutoff=0.5)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"define it under measures (known: {', '.join(sorted(measures))})"
            )
            out.append(DefinitionIssue(file, obj, f"formula uses unknown measure '{ref.dotted}'", hint))
        else:
            used.append(measures[ref.name][1])
    if not refs(formula):
        out.append(DefinitionIssue(file, obj, "formula uses no measure", "reference at least one measure"))
    if kpi.dimensions is not None and used:
        for dim in kpi.dimensions:
            missing = [
                r.name for r in refs(formula) if r.name in measures and dim not in measures[r.name][1].dimensions
            ]
            if missing:
                out.append(
                    DefinitionIssue(
                        file,
                        obj,
                        f"dimension '{dim}' is not offered by measure(s) {', '.join(missing)}",
                        f"add '{dim}' to those measures' dimensions or remove it here",
                    )
                )
    for alias in kpi.aliases:
        if not alias.strip() or len(alias) > 64:
            out.append(DefinitionIssue(file, obj, f"alias '{alias[:64]}' is empty or too long", "use a short word"))
    for phrase in kpi.phrases:
        if not phrase.strip() or len(phrase) > 64:
            out.append(DefinitionIssue(file, obj, f"phrase '{phrase[:64]}' is empty or too long", "use a few words"))
    return out


def _validate_dimensions(
    dimensions: dict[str, tuple[str, Dimension]], measures: dict[str, tuple[str, Measure]]
) -> list[DefinitionIssue]:
    offered = {d for _, m in measures.values() for d in m.dimensions}
    out: list[DefinitionIssue] = []
    taken: dict[str, str] = {alias_key(d): d for d in offered}
    for name, (file, dim) in dimensions.items():
        obj = f"dimensions.{name}"
        if name not in offered:
            close = difflib.get_close_matches(name, sorted(offered), n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"name a measure's dimension ({', '.join(sorted(offered))})"
            )
            out.append(DefinitionIssue(file, obj, f"no measure offers the dimension '{name}'", hint))
        for alias in dim.aliases:
            if not alias.strip() or len(alias) > 64:
                out.append(DefinitionIssue(file, obj, f"alias '{alias[:64]}' is empty or too long", "use a short word"))
                continue
            other = taken.setdefault(alias_key(alias), name)
            if other != name:
                out.append(
                    DefinitionIssue(
                        file,
                        obj,
                        f"alias '{alias}' is already the name of '{other}'",
                        "remove it from one of the two dimensions",
                    )
                )
        out += _validate_values(file, obj, dim)
    return out


def _validate_values(file: str, obj: str, dim: Dimension) -> list[DefinitionIssue]:
    """A dimension's value labels: short, and each naming one value only."""
    out: list[DefinitionIssue] = []
    labels: dict[str, str] = {}
    for value, names in dim.values.items():
        for label in (value, *names):
            if not str(label).strip() or len(str(label)) > 64:
                out.append(
                    DefinitionIssue(
                        file, obj, f"value label '{str(label)[:64]}' is empty or too long", "use a few words"
                    )
                )
                continue
            other = labels.setdefault(alias_key(str(label)), value)
            if other != value:
                out.append(
                    DefinitionIssue(
                        file, obj, f"label '{label}' names both '{other}' and '{value}'", "keep it on one value only"
                    )
                )
    return out
