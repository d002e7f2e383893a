"""Alert rules and digests as a test sets them up (as an admin, at T0)."""

from __future__ import annotations

from datetime import datetime

from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from kpi.store.state.records import DigestSpec
from tests.support.clock import T0

CAC_ABOVE_300 = RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d")


def add_rule(url, spec=CAC_ABOVE_300, channel="C1", team="T1") -> int:
    return state.create_rule(url, team, channel, spec, "UADMIN", T0.replace(tzinfo=None))


def subscribe(url, at="09:00", tz="Europe/Paris", cadence="daily", weekday=None, kpis="", since=None, channel="C1"):
    since = since or datetime(2026, 10, 30, 12, 0)
    spec = DigestSpec(cadence, at, weekday, tz, tuple(k for k in kpis.split(",") if k))
    return state.subscribe_digest(url, "T1", channel, spec, "UADMIN", since)
