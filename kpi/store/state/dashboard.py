"""The team's dashboard: pinned KPIs and targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from kpi.store.state.audit import audit_in
from kpi.store.state.base import Db, engine_of
from kpi.store.state_schema import pins, targets


def pinned(db: Db, team: str) -> list[str]:
    with engine_of(db).connect() as conn:
        return [r.kpi for r in conn.execute(select(pins.c.kpi).where(pins.c.team_id == team).order_by(pins.c.id))]


def pin(db: Db, team: str, kpi: str, user: str, now: datetime, on: bool = True) -> bool:
    """Pin (or unpin) a KPI on the team's dashboard; False when nothing changed."""
    with engine_of(db).begin() as conn:
        exists = conn.execute(select(pins.c.id).where(pins.c.team_id == team, pins.c.kpi == kpi)).first()
        if on == bool(exists):
            return False
        if on:
            conn.execute(insert(pins).values(team_id=team, kpi=kpi, pinned_by=user, pinned_at=now))
        else:
            conn.execute(delete(pins).where(pins.c.team_id == team, pins.c.kpi == kpi))
        audit_in(conn, team, None, user, "pin.add" if on else "pin.remove", kpi, None, now)
    return True


def team_targets(db: Db, team: str) -> dict[tuple[str, str], float]:
    with engine_of(db).connect() as conn:
        rows = conn.execute(select(targets).where(targets.c.team_id == team)).all()
    return {(r.kpi, r.grain): r.value for r in rows}


def set_target(db: Db, team: str, kpi: str, grain: str, value: float | None, user: str, now: datetime) -> None:
    """Set (or, with None, remove) the team's target for a KPI over a calendar grain."""
    with engine_of(db).begin() as conn:
        conn.execute(delete(targets).where(targets.c.team_id == team, targets.c.kpi == kpi, targets.c.grain == grain))
        if value is not None:
            conn.execute(
                insert(targets).values(team_id=team, kpi=kpi, grain=grain, value=value, set_by=user, set_at=now)
            )
        audit_in(
            conn,
            team,
            None,
            user,
            "target.set" if value is not None else "target.remove",
            kpi,
            {"grain": grain, "value": value},
            now,
        )
