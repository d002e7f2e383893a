"""The bot's records, typed: what the state store takes and returns (instead of rows as dicts).

A rule's definition travels as one :class:`RuleSpec` from what people type (:mod:`kpi.grammar`)
to its stored row and back; a stored rule is a :class:`Rule` (its spec and its evaluation state).
A digest subscription likewise: a :class:`DigestSpec`, stored as a :class:`Digest`.
The state machine over them is :mod:`kpi.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

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


class RuleKind(str, Enum):
    THRESHOLD = "threshold"  # the KPI over its window against a line
    CHANGE = "change"  # its change from the previous window against a line
    UNUSUAL = "unusual"  # yesterday (or last week) outside the range its own history expects
    TARGET = "target"  # the period's projection misses the team's target by more than a margin


GRAINS = ("day", "week")  # what an unusual rule judges: yesterday, or last week
SENSITIVITIES = ("low", "medium", "high")  # how wide its expected range is (kpi.anomaly)


class State(str, Enum):
    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"
    NO_DATA = "no_data"
    ERROR = "error"


@dataclass(frozen=True)
class RuleSpec:
    kpi: str
    kind: RuleKind
    op: Op
    threshold: float  # KPI units (fractions for %); change and target rules: a fraction (0.2 = 20 %)
    window: str = DEFAULT_WINDOW  # unusual rules: "day" or "week"; target rules: the target's grain
    recovery: float | None = None
    min_denominator: float | None = None
    for_count: int = 1
    repeat_seconds: int = DEFAULT_REPEAT
    sensitivity: str | None = None  # unusual rules only: low | medium | high
    segment_by: str | None = None  # each value of this dimension watched on its own (a rule per value)
    segment_only: str | None = None  # a filtered rule: only this value of segment_by ('for referral')

    def breached(self, value: float) -> bool:
        return self.op.holds(value, self.threshold)

    def recovered(self, value: float) -> bool:
        """Back to normal: no longer breached, and past the recovery line when there is one."""
        if self.breached(value):
            return False
        if self.recovery is None:
            return True
        return value < self.recovery if self.op.upward else value > self.recovery


@dataclass(frozen=True)
class Rule:
    """A stored alert rule: who set it where, its definition, and where its evaluation stands."""

    id: int
    team_id: str
    channel_id: str
    spec: RuleSpec
    state: State = State.OK
    pending_count: int = 0
    incident_count: int = 0
    open_incident_id: int | None = None
    snoozed_until: datetime | None = None  # naive UTC
    last_value: float | None = None
    last_evaluated_at: datetime | None = None
    last_error: str | None = None
    version: int = 0
    created_by: str = ""
    created_at: datetime | None = None
    parent_id: int | None = None  # a segment's rule: the rule (with segment_by) it belongs to
    segment_key: str | None = None  # ... and its dimension value ('' for rows without one)
    number: int = 0  # what people type and see: per workspace, from 1; a segment's is its rule's

    @property
    def shown(self) -> int:
        """The number people type and see (``id`` is the database's own, across workspaces)."""
        return self.number or self.id

    @property
    def kpi(self) -> str:
        return self.spec.kpi

    @property
    def splits(self) -> bool:
        """A rule split by a dimension: judged through its segments' rules, not itself."""
        return self.spec.segment_by is not None and self.parent_id is None

    @classmethod
    def from_row(cls, row: Any) -> Rule:
        spec = RuleSpec(
            kpi=row["kpi"],
            kind=RuleKind(row["kind"]),
            op=Op(row["op"]),
            threshold=row["threshold"],
            window=row["window_spec"],
            recovery=row["recovery"],
            min_denominator=row["min_denominator"],
            for_count=row["for_count"],
            repeat_seconds=row["repeat_seconds"],
            sensitivity=row["sensitivity"],
            segment_by=row["segment_by"],
            segment_only=row["segment_only"],
        )
        return cls(
            id=row["id"],
            team_id=row["team_id"],
            channel_id=row["channel_id"],
            spec=spec,
            state=State(row["state"]),
            pending_count=row["pending_count"],
            incident_count=row["incident_count"],
            open_incident_id=row["open_incident_id"],
            snoozed_until=row["snoozed_until"],
            last_value=row["last_value"],
            last_evaluated_at=row["last_evaluated_at"],
            last_error=row["last_error"],
            version=row["version"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            parent_id=row["parent_id"],
            segment_key=row["segment_key"],
            number=row["number"] or 0,
        )


def spec_columns(spec: RuleSpec) -> dict[str, Any]:
    """A rule's definition as its stored columns (what :meth:`Rule.from_row` reads back)."""
    return {
        "kpi": spec.kpi,
        "kind": spec.kind.value,
        "op": spec.op.value,
        "threshold": spec.threshold,
        "window_spec": spec.window,
        "recovery": spec.recovery,
        "min_denominator": spec.min_denominator,
        "for_count": spec.for_count,
        "repeat_seconds": spec.repeat_seconds,
        "sensitivity": spec.sensitivity,
        "segment_by": spec.segment_by,
        "segment_only": spec.segment_only,
    }


@dataclass(frozen=True)
class DigestSpec:
    """When a channel's digest is posted, and with which KPIs."""

    cadence: str = "daily"  # daily | weekly
    at_time: str = "09:00"  # HH:MM, local
    weekday: int | None = None  # weekly: 0 = Monday
    timezone: str | None = None  # None: the workspace's default (resolved before it is stored)
    kpis: tuple[str, ...] = ()  # empty: every KPI
    where: str | None = None  # one value of a breakdown only: 'channel=organic' ('=organic' as typed)

    @property
    def weekly(self) -> bool:
        return self.cadence == "weekly"

    def columns(self) -> dict[str, Any]:
        """The stored columns (a daily digest has no weekday)."""
        return {
            "cadence": self.cadence,
            "weekday": self.weekday if self.weekly else None,
            "at_time": self.at_time,
            "timezone": self.timezone,
            "kpis": ",".join(self.kpis),
            "where_filter": self.where,
        }


@dataclass(frozen=True)
class Digest:
    """A channel's live digest subscription, and the last slot posted (naive UTC)."""

    id: int
    team_id: str
    channel_id: str
    spec: DigestSpec
    last_slot: datetime | None = None
    created_by: str = ""
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Digest:
        spec = DigestSpec(
            row["cadence"],
            row["at_time"],
            row["weekday"],
            row["timezone"],
            tuple(k for k in (row["kpis"] or "").split(",") if k),
            row["where_filter"],
        )
        return cls(
            row["id"], row["team_id"], row["channel_id"], spec, row["last_slot"], row["created_by"], row["created_at"]
        )
