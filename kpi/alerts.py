"""Alert rules: their definition, the observation of a KPI, and the per-rule state machine.

Pure: no database, no Slack, no clock (``now`` is passed in). The scheduler pass
(``bot/jobs.py``) observes every rule, steps its state machine and persists the
result together with the notifications to send, in one transaction.

States, as trusted alerting systems do it::

    ok ──breach──▶ pending ──(for_count breaches in a row)──▶ firing ──recovered──▶ ok
     ▲                │ no breach                                 │   (posts "resolved")
     └────────────────┘                                           └─ still firing after `repeat`: re-post
    no_data / error: states of their own, reported once, never a breach nor a recovery.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum

from kpi.catalog import Catalog, Unit
from kpi.compute import KpiResult, compute_many
from kpi.errors import PeriodError, SourceError, UserInputError
from kpi.periods import Kind, parse_period
from kpi.service import KpiService
from kpi.store.expr import BinOp, refs

WINDOWS = ("7d", "30d", "90d", "week", "month", "quarter")
DEFAULT_WINDOW = "30d"
DEFAULT_REPEAT = 24 * 3600


class Op(str, Enum):
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="

    def holds(self, value: float, threshold: float) -> bool:
        match self:
            case Op.GT:
                return value > threshold
            case Op.LT:
                return value < threshold
            case Op.GE:
                return value >= threshold
            case Op.LE:
                return value <= threshold
        raise AssertionError(self)

    @property
    def upward(self) -> bool:
        """True when the rule fires on high values."""
        return self in (Op.GT, Op.GE)


OP_WORDS = {
    ">": Op.GT, "<": Op.LT, ">=": Op.GE, "<=": Op.LE, "=>": Op.GE, "=<": Op.LE,
    "above": Op.GT, "over": Op.GT, "au-dessus": Op.GT, "dessus": Op.GT, "sup": Op.GT,
    "below": Op.LT, "under": Op.LT, "en-dessous": Op.LT, "dessous": Op.LT, "sous": Op.LT, "inf": Op.LT,
}
CHANGE_WORDS = {"drops": False, "falls": False, "baisse": False, "chute": False,
                "rises": True, "jumps": True, "hausse": True, "monte": True}


class RuleKind(str, Enum):
    THRESHOLD = "threshold"
    CHANGE = "change"


class State(str, Enum):
    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"
    NO_DATA = "no_data"
    ERROR = "error"


class Event(str, Enum):
    FIRING = "firing"      # a new incident: post an alert
    REPEAT = "repeat"      # still firing after `repeat`: post again
    RESOLVED = "resolved"  # back to normal: reply in thread, update the alert
    NO_DATA = "no_data"    # reported once when entering the state
    ERROR = "error"        # reported once when entering the state


class RuleError(UserInputError):
    """A rule cannot be built as written; the message says what is accepted."""


@dataclass(frozen=True)
class RuleSpec:
    kpi: str
    kind: RuleKind
    op: Op
    threshold: float                 # KPI units (fractions for %); change rules: a fraction (0.2 = 20 %)
    window: str = DEFAULT_WINDOW
    recovery: float | None = None
    min_denominator: float | None = None
    for_count: int = 1
    repeat_seconds: int = DEFAULT_REPEAT

    def breached(self, value: float) -> bool:
        return self.op.holds(value, self.threshold)

    def recovered(self, value: float) -> bool:
        """Back to normal: no longer breached, and past the recovery line when there is one."""
        if self.breached(value):
            return False
        if self.recovery is None:
            return True
        return value < self.recovery if self.op.upward else value > self.recovery


# -- parsing numbers people type ---------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_DURATION = re.compile(r"^(\d{1,4})\s*(m|min|h|d|j|w)$")


def parse_number(text: str) -> tuple[float, bool]:
    """A number as typed: '12%', '€150', '150€', '1 234,50', '1.5k', '2M'. Returns (value, had_percent)."""
    raw = text.strip()
    cleaned = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("_", "")
    percent = cleaned.endswith("%")
    cleaned = cleaned.rstrip("%")
    cleaned = re.sub(r"^[€$£]|[€$£]$|(?i:eur|usd|gbp)$", "", cleaned)
    scale = 1.0
    if cleaned[-1:].lower() == "k":
        scale, cleaned = 1e3, cleaned[:-1]
    elif cleaned[-1:] == "M":
        scale, cleaned = 1e6, cleaned[:-1]
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # 1,234.50
    if not _NUMBER.match(cleaned):
        raise RuleError(f"'{raw[:32]}' is not a number (examples: 150, 12%, €1,500, 1.5k)")
    value = float(cleaned.replace(",", ".")) * scale
    if not math.isfinite(value) or abs(value) > 1e15:
        raise RuleError(f"'{raw[:32]}' is out of range")
    return value, percent


def parse_threshold(text: str, unit: Unit) -> float:
    """A threshold in the KPI's unit. For % KPIs '12%', '12' and '0.12' all mean 12 %."""
    value, percent = parse_number(text)
    match unit:
        case Unit.PERCENT:
            return value / 100 if percent or abs(value) > 1 else value
        case Unit.CURRENCY | Unit.SCORE | Unit.NUMBER | Unit.RATIO:
            if percent:
                raise RuleError(f"'{text[:32]}' is a percentage, but this KPI is not one")
            return value
    raise AssertionError(unit)


def parse_change(text: str) -> float:
    """'20%' or '20' -> 0.2."""
    value, percent = parse_number(text)
    fraction = value / 100 if percent or abs(value) >= 1 else value
    if fraction <= 0:
        raise RuleError("a change must be a positive percentage, e.g. 20%")
    return fraction


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise RuleError(f"'{text[:32]}' is not a duration (examples: 30m, 12h, 1d, 1w)")
    n, unit = int(m.group(1)), m.group(2)
    delta = {"m": timedelta(minutes=n), "min": timedelta(minutes=n), "h": timedelta(hours=n),
             "d": timedelta(days=n), "j": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    if not timedelta(minutes=1) <= delta <= timedelta(days=365):
        raise RuleError(f"'{text[:32]}' must be between 1 minute and 1 year")
    return delta


_SHAPE_REFERENCE = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)  # only the kind of period matters


def check_window(window: str) -> str:
    """A rule's window: rolling ('7d', '30d', '90d', any Nd) or to date ('week', 'month', 'quarter')."""
    try:
        pair = parse_period(window, _SHAPE_REFERENCE)
    except PeriodError:
        raise RuleError(f"'{window[:32]}' is not a window; use one of {', '.join(WINDOWS)}") from None
    if pair.current.kind not in (Kind.ROLLING, Kind.TO_DATE):
        raise RuleError(f"'{window[:32]}' is a fixed period; a rule watches a moving window: {', '.join(WINDOWS)}")
    return window.lower()


# -- observing -------------------------------------------------------------------------------


class Status(str, Enum):
    VALUE = "value"
    NO_DATA = "no_data"
    ERROR = "error"


@dataclass(frozen=True)
class Observation:
    status: Status
    value: float | None = None     # what the rule compares (the KPI, or its change)
    detail: str = ""               # why there is no value
    result: KpiResult | None = None


def denominators(catalog: Catalog, kpi_key: str) -> list[str]:
    """Measures under the KPI's top-level division (what a minimum sample size applies to)."""
    formula = catalog.formulas[kpi_key]
    return [r.name for r in refs(formula.right)] if isinstance(formula, BinOp) and formula.op == "/" else []


def observe(spec: RuleSpec, result: KpiResult, catalog: Catalog) -> Observation:
    if spec.min_denominator is not None:
        for name in denominators(catalog, spec.kpi):
            seen = result.measures.get(name)
            if seen is None or seen < spec.min_denominator:
                label = catalog.measures[name].label.en
                return Observation(Status.NO_DATA, detail=f"only {seen or 0:g} {label}, fewer than "
                                   f"{spec.min_denominator:g}", result=result)
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


def observe_all(service: KpiService, specs: dict[int, RuleSpec], now: datetime) -> dict[int, Observation]:
    """Observe every rule; each KPI × window is computed once, in one query per window."""
    by_window: dict[str, list[int]] = defaultdict(list)
    for rule_id, spec in specs.items():
        by_window[spec.window].append(rule_id)
    out: dict[int, Observation] = {}
    for window, ids in by_window.items():
        keys = list(dict.fromkeys(specs[i].kpi for i in ids))
        try:
            kpis = [service.catalog.kpis[k] for k in keys if k in service.catalog.kpis]
            results = {r.kpi.key: r for r in compute_many(service.catalog, service.source, kpis,
                                                          service.period(window, now), rollups=service.rollups)}
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
            out[i] = (observe(specs[i], result, service.catalog) if result is not None
                      else Observation(Status.ERROR, detail=f"KPI '{specs[i].kpi}' is no longer defined"))
    return out


# -- the state machine ----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleState:
    state: State = State.OK
    pending_count: int = 0
    incident_open: bool = False
    last_notified_at: datetime | None = None
    acked: bool = False
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class Step:
    state: RuleState
    events: tuple[Event, ...] = field(default=())


def step(spec: RuleSpec, current: RuleState, obs: Observation, now: datetime) -> Step:
    """One evaluation of one rule. Snoozing holds back new alerts and repeats, never a resolution."""
    snoozed = current.snoozed_until is not None and now < current.snoozed_until
    match obs.status:
        case Status.ERROR:
            if current.state is State.ERROR:
                return Step(current)
            return Step(replace(current, state=State.ERROR), (Event.ERROR,))
        case Status.NO_DATA:
            if current.state is State.NO_DATA:
                return Step(current)
            return Step(replace(current, state=State.NO_DATA), (Event.NO_DATA,))
        case Status.VALUE:
            pass
        case _:
            raise AssertionError(obs.status)
    value = obs.value
    assert value is not None
    if current.incident_open:
        if spec.recovered(value):
            return Step(RuleState(State.OK, 0, False, current.last_notified_at, False, current.snoozed_until),
                        (Event.RESOLVED,))
        firing = replace(current, state=State.FIRING)
        due = (current.last_notified_at is None
               or now - current.last_notified_at >= timedelta(seconds=spec.repeat_seconds))
        if due and not snoozed and not current.acked:
            return Step(replace(firing, last_notified_at=now), (Event.REPEAT,))
        return Step(firing)
    if not spec.breached(value):
        return Step(replace(current, state=State.OK, pending_count=0))
    count = current.pending_count + 1
    if count >= spec.for_count and not snoozed:
        return Step(RuleState(State.FIRING, count, True, now, False, current.snoozed_until), (Event.FIRING,))
    return Step(replace(current, state=State.PENDING, pending_count=count))


# -- what moved it --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mover:
    key: str | None
    measure: str
    current: float
    previous: float


def movers(service: KpiService, wanted: set[tuple[str, str]], now: datetime,
           top: int = 3) -> dict[tuple[str, str], tuple[str | None, list[Mover]]]:
    """For each (KPI, window), the dimension values whose measures moved most (e.g. the channel whose
    spend jumped). One query per window × dimension, however many rules fire."""
    out: dict[tuple[str, str], tuple[str | None, list[Mover]]] = {}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kpi, window in wanted:
        dims = service.catalog.dimensions.get(kpi, ())
        if dims:
            groups[(window, dims[0])].append(kpi)
        else:
            out[(kpi, window)] = (None, [])
    for (window, by), keys in groups.items():
        kpis = [service.catalog.kpis[k] for k in sorted(keys)]
        try:
            results = compute_many(service.catalog, service.source, kpis, service.period(window, now), by,
                                   service.rollups)
        except SourceError:
            results = []
        for kpi in kpis:
            out[(kpi.key, window)] = (by, [])
        for result in results:
            out[(result.kpi.key, window)] = (by, _top(result, top))
    return out


def _top(result: KpiResult, top: int) -> list[Mover]:
    found: list[Mover] = []
    for row in result.breakdown:
        for name, cur in row.measures.items():
            prev = row.previous_measures.get(name)
            if cur is not None and prev is not None and cur != prev:
                found.append(Mover(row.key, name, cur, prev))
    found.sort(key=lambda m: abs(m.current - m.previous) / max(abs(m.previous), abs(m.current), 1e-9)
               * math.log1p(abs(m.current - m.previous)), reverse=True)
    return found[:top]
