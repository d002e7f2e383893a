"""Alert rules: their windows, their refusals, and their state machine (the records :class:`RuleSpec`
and :class:`Rule` are the state store's, :mod:`kpi.store.state.records`).

Pure: no Slack, no database, no clock (``now`` is passed in). The scheduler pass
(``bot/jobs/alerts.py``) observes every rule (:mod:`kpi.alerts`), steps its state machine
here and persists the result together with the notifications to send, in one transaction.
What people type is read by :mod:`kpi.grammar`.

States, as trusted alerting systems do it::

    ok ──breach──▶ pending ──(for_count breaches in a row)──▶ firing ──recovered──▶ ok
     ▲                │ no breach                                 │   (posts "resolved")
     └────────────────┘                                           └─ still firing after `repeat`: re-post
    no_data / error: states of their own, reported once, never a breach nor a recovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum

from kpi.anomaly import Judgement
from kpi.compute import KpiResult
from kpi.errors import PeriodError, Refusal
from kpi.numbers import MAX_TYPED
from kpi.pacing import Miss, Standing
from kpi.periods import parse_period
from kpi.spans import Kind
from kpi.store.state.records import (
    DEFAULT_REPEAT,
    DEFAULT_WINDOW,
    GRAINS,
    SENSITIVITIES,
    Op,
    Rule,
    RuleKind,
    RuleSpec,
    State,
)

__all__ = [  # the records are the store's (kpi.store.state.records); the rules' users find them here
    "DEFAULT_REPEAT",
    "DEFAULT_WINDOW",
    "GRAINS",
    "SENSITIVITIES",
    "WINDOWS",
    "Event",
    "Observation",
    "Op",
    "Rule",
    "RuleError",
    "RuleKind",
    "RuleSpec",
    "RuleState",
    "State",
    "Status",
    "Step",
    "check_window",
    "step",
    "target_margins",
]

WINDOWS = ("7d", "30d", "90d", "week", "month", "quarter")


class Event(str, Enum):
    FIRING = "firing"  # a new incident: post an alert
    REPEAT = "repeat"  # still firing after `repeat`: post again
    RESOLVED = "resolved"  # back to normal: reply in thread, update the alert
    NO_DATA = "no_data"  # reported once when entering the state
    ERROR = "error"  # reported once when entering the state


class RuleError(Refusal):
    """A rule cannot be built as written; ``text(lang)`` says what is accepted (empty: show the usage)."""


_SHAPE_REFERENCE = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)  # only the kind of period matters


def check_window(window: str) -> str:
    """A rule's window: rolling ('7d', '30d', '90d', any Nd) or to date ('week', 'month', 'quarter')."""
    try:
        pair = parse_period(window, _SHAPE_REFERENCE, cut=False)  # a fixed period is not a window
    except PeriodError:
        raise RuleError("rule_bad_window", text=window[:MAX_TYPED], windows=", ".join(WINDOWS)) from None
    if pair.current.kind not in (Kind.ROLLING, Kind.TO_DATE):
        raise RuleError("rule_fixed_window", text=window[:MAX_TYPED], windows=", ".join(WINDOWS))
    return window.lower()


# -- what the machine is fed ------------------------------------------------------------------


class Status(str, Enum):
    VALUE = "value"
    NO_DATA = "no_data"
    ERROR = "error"


@dataclass(frozen=True)
class Observation:
    status: Status
    value: float | None = None  # what the rule compares (the KPI, or its change)
    detail: str = ""  # why there is no value
    result: KpiResult | None = None
    judgement: Judgement | None = None  # unusual rules: the day (or week) and its expected range
    miss: Miss | None = None  # target rules: the period's projection against the target
    quiet: bool = False  # no data told otherwise (a stale table's notice), or not worth telling
    # (a segment without rows this window): no notice of its own
    ended: bool = False  # target rules: the period of an open miss is over; ``result``/``miss`` are its whole

    def breaches(self, spec: RuleSpec) -> bool:
        """Outside the expected range (unusual rules); heading for a miss with time left to act (target
        rules); else past the rule's line."""
        match spec.kind:
            case RuleKind.UNUSUAL:
                return self.judgement is not None and self.judgement.unusual
            case RuleKind.TARGET:
                return (
                    not self.ended
                    and self.miss is not None
                    and self.miss.standing is Standing.OFF_TRACK
                    and not self.miss.late
                )
            case RuleKind.THRESHOLD | RuleKind.CHANGE:
                assert self.value is not None
                return spec.breached(self.value)
        raise AssertionError(spec.kind)

    def held(self, spec: RuleSpec) -> bool:
        """A target rule off track in the last tenth of its period: no new warning (no time left to act), and
        not 'ok' either (the digest and Home say 'off track' that day): pending, without an alert."""
        return (
            spec.kind is RuleKind.TARGET
            and not self.ended
            and self.miss is not None
            and self.miss.standing is Standing.OFF_TRACK
            and self.miss.late
        )

    def recovers(self, spec: RuleSpec) -> bool:
        """Back to normal. A target rule recovers when back on pace, or when its period is over (it is told
        how the period ended, and the new one starts fresh); in the last days of a period, a miss stays open
        (and fires no new one)."""
        match spec.kind:
            case RuleKind.UNUSUAL:
                return not self.breaches(spec)
            case RuleKind.TARGET:
                return self.ended or self.miss is None or self.miss.standing is not Standing.OFF_TRACK
            case RuleKind.THRESHOLD | RuleKind.CHANGE:
                assert self.value is not None
                return spec.recovered(self.value)
        raise AssertionError(spec.kind)


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
    if current.incident_open:
        if obs.recovers(spec):
            return Step(
                RuleState(State.OK, 0, False, current.last_notified_at, False, current.snoozed_until), (Event.RESOLVED,)
            )
        firing = replace(current, state=State.FIRING)
        due = current.last_notified_at is None or now - current.last_notified_at >= timedelta(
            seconds=spec.repeat_seconds
        )
        if due and not snoozed and not current.acked:
            return Step(replace(firing, last_notified_at=now), (Event.REPEAT,))
        return Step(firing)
    if obs.held(spec):
        return Step(replace(current, state=State.PENDING))
    if not obs.breaches(spec):
        return Step(replace(current, state=State.OK, pending_count=0))
    count = current.pending_count + 1
    if count >= spec.for_count and not snoozed:
        return Step(RuleState(State.FIRING, count, True, now, False, current.snoozed_until), (Event.FIRING,))
    return Step(replace(current, state=State.PENDING, pending_count=count))


def target_margins(rules: list[Rule], grain: str) -> dict[str, float]:
    """The margin of the team's target rules by KPI for ``grain`` (the smallest when several): the digest and
    Home judge a target as the rule does."""
    out: dict[str, float] = {}
    for row in rules:
        if row.spec.kind is RuleKind.TARGET and row.spec.window == grain:
            out[row.kpi] = min(out.get(row.kpi, row.spec.threshold), row.spec.threshold)
    return out
