"""Segment rules: a rule split by a dimension, watched through one rule per value (its segments), from one
breakdown per window × dimension."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.jobs.context import JobContext, PassReport, naive
from bot.render import alerts as ra
from kpi import alerts
from kpi.catalog import Unit
from kpi.errors import KpiError
from kpi.present import breakdown_key, format_value
from kpi.rules import Observation, Rule, RuleSpec, State, Status
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot.jobs")
MAX_SEGMENTS = 50  # values of its dimension one segment rule watches at most


def segment_rules(
    ctx: JobContext, parents: list[Rule], rows: list[Rule], now: datetime, report: PassReport
) -> tuple[dict[int, Observation], list[Rule]]:
    """The observations of every segment's rule, from one breakdown per window × dimension, and the rules
    with the segments seen for the first time added (a value that appears later is watched too). A segment
    without data in this window (no rows, or below the ``min`` guard) is not told: segments come and go."""
    if not parents:
        return {}, rows
    seen = alerts.observe_segments(ctx.service, {p.id: p.spec for p in parents}, now, lambda: report.expired(ctx))
    children = {(r.parent_id, r.segment_key): r for r in rows if r.parent_id is not None}
    out: dict[int, Observation] = {}
    for parent in parents:
        found = seen.get(parent.id)
        if found is None:
            continue  # the pass's time was spent: next pass
        if isinstance(found, Observation):  # the breakdown failed: every segment hears it
            out |= {r.id: found for (p, _), r in children.items() if p == parent.id}
            continue
        if parent.spec.segment_only is not None:  # a filtered rule: its one value, watched even while absent
            found = {
                parent.spec.segment_only: found.get(
                    parent.spec.segment_only, Observation(Status.NO_DATA, detail="no rows for this value in the window")
                )
            }
        keep = _watch(ctx, parent, found, children, now)
        for (p, segment), child in children.items():
            if p != parent.id:
                continue
            obs = found.get(segment or "", Observation(Status.NO_DATA, detail="no rows for this segment in the window"))
            if (segment or "") in found and (segment or "") not in keep:
                obs = Observation(Status.NO_DATA, detail=f"not among the {MAX_SEGMENTS} largest values")
            out[child.id] = replace(obs, quiet=True) if obs.status is Status.NO_DATA else obs
    known = {r.id for r in rows}
    return out, rows + [c for c in children.values() if c.id not in known]


def _watch(
    ctx: JobContext, parent: Rule, found: dict[str, Observation], children: dict[tuple, Rule], now: datetime
) -> set[str]:
    """The values of ``parent``'s dimension it watches: the :data:`MAX_SEGMENTS` largest (by the KPI's own
    denominator, or its total), and any of its segments still firing (so that it can resolve). A segment seen
    for the first time among them gets its rule (added to ``children``); the channel is told once which values
    were left out."""
    mine = {k: r for (p, k), r in children.items() if p == parent.id}
    ranked = alerts.largest_first(ctx.service.catalog, parent.spec.kpi, found)
    keep = set(ranked[:MAX_SEGMENTS]) | {k for k, r in mine.items() if r.state is State.FIRING}
    for key in ranked[:MAX_SEGMENTS]:
        if key not in mine:
            children[(parent.id, key)] = state.create_segment(ctx.url, parent, key, naive(now))
    left = [k for k in ranked if k not in keep]
    if not left:
        return keep
    text = t(  # a dimension with thousands of values must not flood a channel
        ctx.lang,
        "rule_segments_capped",
        id=parent.shown,
        max=MAX_SEGMENTS,
        dimension=parent.spec.segment_by,
        size=alerts.size_label(ctx.service.catalog, parent.spec.kpi, ctx.lang),
        more=format_value(len(left), Unit.NUMBER, ctx.lang),
        left=", ".join(
            ra.escape(breakdown_key(k or None, ctx.lang, parent.spec.segment_by, ctx.service.catalog)) for k in left[:5]
        )
        + (", …" if len(left) > 5 else ""),
    )
    try:  # told once per version of the rule (the outbox's key)
        with state.unit_of_work(ctx.url) as uow:
            uow.add_outbox(
                f"segments-capped:{parent.id}:{parent.version}",
                parent.team_id,
                parent.channel_id,
                "chat.postMessage",
                ra.notice_message([text]),
                naive(now),
            )
    except state.Conflict:
        pass
    return keep


def inside(ctx: JobContext, spec: RuleSpec, key: str, now: datetime) -> list[Any]:
    """The change of one value of a breakdown split across the KPI's other breakdowns (filtered in SQL: one
    query each). For a filtered rule only: a rule watching each of 50 values would run 50 times as many."""
    try:
        return ctx.service.why(spec.kpi, spec.window, now, where=f"{spec.segment_by}={key}")[1]
    except KpiError as exc:
        log.info("the change of %s=%s was not split: %s", spec.segment_by, key, exc.message)
        return []
