"""Observing alert rules: each rule's KPI computed over its window, and what moved it.

These functions ask the KPI service, which queries the source (through the rollups when they
cover the window). The rule itself and its state machine are in :mod:`kpi.rules`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kpi.anomaly import MIN_HISTORY, Sensitivity, judge
from kpi.catalog import Catalog
from kpi.compute import KpiResult, compute_many, segment_of
from kpi.coverage import qualify
from kpi.errors import SourceError, UserInputError
from kpi.pacing import miss, target_allowed
from kpi.rules import Observation, RuleKind, RuleSpec, Status
from kpi.series import Recent, last_complete, recent
from kpi.service import KpiService
from kpi.why import Why, decompose


def observe(spec: RuleSpec, result: KpiResult, catalog: Catalog) -> Observation:
    if spec.min_denominator is not None:
        for name in catalog.metrics[spec.kpi].denominator:
            seen = result.measures.get(name)
            if seen is None or seen < spec.min_denominator:
                label = catalog.measures[name].label.en
                return Observation(
                    Status.NO_DATA,
                    detail=f"only {seen or 0:g} {label}, fewer than {spec.min_denominator:g}",
                    result=result,
                )
    match spec.kind:
        case RuleKind.THRESHOLD:
            if result.value is None:
                return Observation(Status.NO_DATA, detail="no value in the window", result=result)
            return Observation(Status.VALUE, result.value, result=result)
        case RuleKind.CHANGE:
            if result.value is None or result.change_pct is None:
                return Observation(Status.NO_DATA, detail="nothing to compare with", result=result)
            return Observation(Status.VALUE, result.change_pct, result=result)
    raise AssertionError(spec.kind)


def observe_all(
    service: KpiService,
    specs: dict[int, RuleSpec],
    now: datetime,
    expired: Callable[[], bool] = lambda: False,
    targets: dict[int, float | None] | None = None,
) -> dict[int, Observation]:
    """Observe every rule; each KPI × window is computed once, in one query per window (unusual rules:
    each KPI's recent days once, whatever their sensitivities; target rules: their period to date, against
    ``targets``, the target of each rule's team). Once ``expired()`` says the pass's time is spent, the
    remaining windows are left out (their rules are not observed)."""
    out = observe_unusual(service, {i: s for i, s in specs.items() if s.kind is RuleKind.UNUSUAL}, now, expired)
    by_window: dict[str, list[int]] = defaultdict(list)
    for rule_id, spec in specs.items():
        if spec.kind is not RuleKind.UNUSUAL:
            by_window[spec.window].append(rule_id)
    for window, ids in by_window.items():
        if expired():
            break
        keys = list(dict.fromkeys(specs[i].kpi for i in ids))
        try:
            kpis = [service.catalog.kpis[k] for k in keys if k in service.catalog.kpis]
            computed = compute_many(
                service.catalog, service.source, kpis, service.period(window, now), rollups=service.rollups
            )
            results = {r.kpi.key: r for r in qualify(service, computed, now)}
        except SourceError as exc:
            for i in ids:
                out[i] = Observation(Status.ERROR, detail=exc.message)
            continue
        except UserInputError as exc:
            for i in ids:
                out[i] = Observation(Status.ERROR, detail=exc.message)
            continue
        for i in ids:
            result = results.get(specs[i].kpi)
            if result is None:
                out[i] = Observation(Status.ERROR, detail=f"KPI '{specs[i].kpi}' is no longer defined")
            elif specs[i].kind is RuleKind.TARGET:
                out[i] = on_target(specs[i], result, (targets or {}).get(i), service.catalog, now)
            else:
                out[i] = observe(specs[i], result, service.catalog)
    return out


def on_target(spec: RuleSpec, result: KpiResult, target: float | None, catalog: Catalog, now: datetime) -> Observation:
    """A target rule: where the period to date is heading against the team's target for it."""
    if target is None:
        return Observation(
            Status.NO_DATA,
            detail=f"no {spec.window}ly target is set: /kpi target {spec.kpi} VALUE {spec.window}",
            result=result,
        )
    if not target_allowed(catalog, spec.kpi, target):
        return Observation(
            Status.NO_DATA,
            detail=f"a target of {target:g} can't be met by a KPI that is never below zero: "
            f"/kpi target {spec.kpi} VALUE {spec.window} with a positive VALUE",
            result=result,
        )
    found = miss(catalog, result, target, now, spec.threshold)
    if found is None:
        return Observation(Status.NO_DATA, detail="no value in the period yet", result=result)
    return Observation(Status.VALUE, found.pace.projected, result=result, miss=found)


def period_ended(spec: RuleSpec, closed: KpiResult, target: float, catalog: Catalog) -> Observation:
    """A target rule whose miss was open when its period ended: how the whole period ended against the target
    (it resolves the miss; the new period is judged afresh, never on its first hours)."""
    end = closed.current.end
    found = miss(catalog, closed, target, end, spec.threshold)
    return Observation(Status.VALUE, closed.value, result=closed, miss=found, ended=True)


def observe_segments(
    service: KpiService, specs: dict[int, RuleSpec], now: datetime, expired: Callable[[], bool] = lambda: False
) -> dict[int, dict[str, Observation] | Observation]:
    """Segment rules: each value of the rule's dimension observed on its own (keyed by the value, '' for rows
    without one), from one breakdown per window × dimension; an Observation instead when it failed."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rule_id, spec in specs.items():
        groups[(spec.window, spec.segment_by or "")].append(rule_id)
    out: dict[int, dict[str, Observation] | Observation] = {}
    for (window, by), ids in groups.items():
        if expired():
            break
        keys = sorted({specs[i].kpi for i in ids})
        try:
            kpis = [service.catalog.kpis[k] for k in keys if k in service.catalog.kpis]
            computed = compute_many(
                service.catalog, service.source, kpis, service.period(window, now), by, service.rollups
            )
            results = {r.kpi.key: r for r in qualify(service, computed, now)}
        except (SourceError, UserInputError) as exc:
            out |= {i: Observation(Status.ERROR, detail=exc.message) for i in ids}
            continue
        for i in ids:
            result = results.get(specs[i].kpi)
            if result is None:
                out[i] = Observation(Status.ERROR, detail=f"KPI '{specs[i].kpi}' is no longer defined")
                continue
            out[i] = {
                ("" if row.key is None else row.key): observe(specs[i], segment_of(result, row), service.catalog)
                for row in result.breakdown
            }
    return out


def largest_first(catalog: Catalog, kpi: str, found: dict[str, Observation]) -> list[str]:
    """The values of a segment rule's dimension, largest first: by the KPI's denominator (new customers for
    CAC: where most of it is), else by its own measures (a total's value); ties by name."""
    metric = catalog.metrics.get(kpi)
    names = (metric.denominator or metric.numerator) if metric else ()

    def size(obs: Observation) -> float:
        measures = obs.result.measures if obs.result is not None else {}
        return math.fsum(abs(measures.get(n) or 0.0) for n in names)

    sizes = {key: size(obs) for key, obs in found.items()}
    return sorted(found, key=lambda k: (-sizes[k], k))


def size_label(catalog: Catalog, kpi: str, lang: str) -> str:
    """What :func:`largest_first` ranks by, as said: 'new customers', 'sales'."""
    metric = catalog.metrics.get(kpi)
    names = (metric.denominator or metric.numerator) if metric else ()
    return ", ".join(catalog.measures[n].label(lang) for n in names)


def observe_unusual(
    service: KpiService, specs: dict[int, RuleSpec], now: datetime, expired: Callable[[], bool] = lambda: False
) -> dict[int, Observation]:
    """Unusual rules: yesterday (or last week) against the range the KPI's own history expects."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rule_id, spec in specs.items():
        groups[(spec.kpi, spec.window)].append(rule_id)
    today = now.astimezone(service.tz).date()
    out: dict[int, Observation] = {}
    for (key, grain), ids in groups.items():
        if expired():
            break
        kpi = service.catalog.kpis.get(key)
        if kpi is None:
            out |= {i: Observation(Status.ERROR, detail=f"KPI '{key}' is no longer defined") for i in ids}
            continue
        try:
            seen = recent(service, kpi, grain, last_complete(grain, today))
        except (SourceError, UserInputError) as exc:
            out |= {i: Observation(Status.ERROR, detail=exc.message) for i in ids}
            continue
        for i in ids:
            out[i] = judged(specs[i], seen, service.catalog)
    return out


def judged(spec: RuleSpec, seen: Recent, catalog: Catalog) -> Observation:
    """One unusual rule's observation of its KPI's recent days."""
    if spec.min_denominator is not None:
        for name in catalog.metrics[spec.kpi].denominator:
            if seen.measures.get(name, 0.0) < spec.min_denominator:
                label = catalog.measures[name].label.en
                return Observation(
                    Status.NO_DATA,
                    detail=f"only {seen.measures.get(name, 0.0):g} {label}, fewer than {spec.min_denominator:g}",
                )
    verdict = judge(seen.values, seen.last, Sensitivity(spec.sensitivity or "medium"))
    if verdict.value is None:
        return Observation(Status.NO_DATA, detail="no value for the day judged", judgement=verdict)
    if not verdict.judged:
        known = "weeks" if spec.window == "week" else "same weekdays"
        return Observation(
            Status.NO_DATA,
            detail=f"{verdict.history} past {known} known, {MIN_HISTORY} needed for an expected range",
            judgement=verdict,
        )
    return Observation(Status.VALUE, verdict.value, judgement=verdict)


# -- what moved it --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mover:
    key: str | None
    measure: str
    current: float
    previous: float


def movers(
    service: KpiService, wanted: set[tuple[str, str]], now: datetime, top: int = 3
) -> dict[tuple[str, str], tuple[str | None, list[Mover], list[Why]]]:
    """For each (KPI, window): the dimension values whose measures moved most (e.g. the channel whose
    spend jumped, by its first breakdown), and its change split across the values of each breakdown
    (:mod:`kpi.why`). One query per window × breakdown, however many rules fire."""
    out: dict[tuple[str, str], tuple[str | None, list[Mover], list[Why]]] = {}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kpi, window in wanted:
        dims = service.catalog.metrics[kpi].dimensions if kpi in service.catalog.metrics else ()
        out[(kpi, window)] = (dims[0] if dims else None, [], [])
        for by in dims:
            groups[(window, by)].append(kpi)
    for (window, by), keys in groups.items():
        kpis = [service.catalog.kpis[k] for k in sorted(keys)]
        try:
            results = compute_many(
                service.catalog, service.source, kpis, service.period(window, now), by, service.rollups
            )
        except SourceError:
            results = []
        for result in results:
            first, found, whys = out[(result.kpi.key, window)]
            if by == first:
                found = _top(result, top)
            why = decompose(service.catalog, result)
            out[(result.kpi.key, window)] = (first, found, whys + ([why] if why is not None else []))
    return out


def _top(result: KpiResult, top: int) -> list[Mover]:
    found: list[Mover] = []
    for row in result.breakdown:
        for name, cur in row.measures.items():
            prev = row.previous_measures.get(name)
            if cur is not None and prev is not None and cur != prev:
                found.append(Mover(row.key, name, cur, prev))
    found.sort(
        key=lambda m: (
            abs(m.current - m.previous)
            / max(abs(m.previous), abs(m.current), 1e-9)
            * math.log1p(abs(m.current - m.previous))
        ),
        reverse=True,
    )
    return found[:top]
