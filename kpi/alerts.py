"""Alert rules: their definition, the observation of a KPI, and the per-rule state machine.

No Slack and no clock (``now`` is passed in). The rules and the state machine are pure;
:func:`observe_all` and :func:`movers` ask the KPI service, which queries the source. The scheduler pass
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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum

from kpi.catalog import Catalog, Unit
from kpi.compute import KpiResult, compute_many
from kpi.errors import PeriodError, Refusal, SourceError, UserInputError
from kpi.numbers import MAX_TYPED, read_number
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


class RuleError(Refusal):
    """A rule cannot be built as written; ``text(lang)`` says what is accepted (empty: show the usage)."""


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


# -- reading what people type ----------------------------------------------------------------

_DURATION = re.compile(r"^([0-9]{1,4})\s*(m|min|h|d|j|w)$")


def parse_threshold(text: str, unit: Unit, lang: str = "en", currency: str = "EUR") -> float:
    """A threshold or target in the KPI's unit, read with ``lang``'s rules (see :mod:`kpi.numbers`).

    One rule for % KPIs: a number is in percent points, with or without the sign ('12' and '12%'
    are both 12 %, '0.5' is 0.5 %). Money may carry the currency sign or code, never another one."""
    typed = read_number(text, lang)
    shown = text.strip()[:MAX_TYPED]
    match unit:
        case Unit.PERCENT:
            if typed.currency:
                raise RuleError("num_not_money", text=shown)
            return float(typed.value / 100)
        case Unit.CURRENCY:
            if typed.percent:
                raise RuleError("num_not_percent", text=shown)
            if typed.currency and typed.currency != currency.upper():
                raise RuleError("num_wrong_currency", text=shown, currency=currency.upper())
            return float(typed.value)
        case Unit.SCORE | Unit.NUMBER | Unit.RATIO:
            if typed.percent:
                raise RuleError("num_not_percent", text=shown)
            if typed.currency:
                raise RuleError("num_not_money", text=shown)
            return float(typed.value)
    raise AssertionError(unit)


def parse_change(text: str, lang: str = "en") -> float:
    """A change in percent points, with or without the sign: '20%' and '20' -> 0.2."""
    typed = read_number(text, lang)
    if typed.currency or typed.value <= 0:
        raise RuleError("rule_bad_change", text=text.strip()[:MAX_TYPED])
    return float(typed.value / 100)


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise RuleError("rule_bad_duration", text=text.strip()[:MAX_TYPED])
    n, unit = int(m.group(1)), m.group(2)
    delta = {"m": timedelta(minutes=n), "min": timedelta(minutes=n), "h": timedelta(hours=n),
             "d": timedelta(days=n), "j": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    if not timedelta(minutes=1) <= delta <= timedelta(days=365):
        raise RuleError("rule_duration_range", text=text.strip()[:MAX_TYPED])
    return delta


_SHAPE_REFERENCE = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)  # only the kind of period matters


def check_window(window: str) -> str:
    """A rule's window: rolling ('7d', '30d', '90d', any Nd) or to date ('week', 'month', 'quarter')."""
    try:
        pair = parse_period(window, _SHAPE_REFERENCE)
    except PeriodError:
        raise RuleError("rule_bad_window", text=window[:MAX_TYPED], windows=", ".join(WINDOWS)) from None
    if pair.current.kind not in (Kind.ROLLING, Kind.TO_DATE):
        raise RuleError("rule_fixed_window", text=window[:MAX_TYPED], windows=", ".join(WINDOWS))
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


def observe_all(service: KpiService, specs: dict[int, RuleSpec], now: datetime,
                expired: Callable[[], bool] = lambda: False) -> dict[int, Observation]:
    """Observe every rule; each KPI × window is computed once, in one query per window. Once ``expired()``
    says the pass's time is spent, the remaining windows are left out (their rules are not observed)."""
    by_window: dict[str, list[int]] = defaultdict(list)
    for rule_id, spec in specs.items():
        by_window[spec.window].append(rule_id)
    out: dict[int, Observation] = {}
    for window, ids in by_window.items():
        if expired():
            break
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
