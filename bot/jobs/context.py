"""What every job is given: the settings, the KPI service, the Slack clients, and injectable time.

The context is built once by the process that runs the jobs (``JobContext.from_settings``) and
passed to each job as an argument (APScheduler's ``args=[ctx]``): no job reads a global.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.jobs.delivery import Report
from bot.workspaces import TeamClients
from kpi.config import Settings
from kpi.service import KpiService

HEARTBEAT = "scheduler"


@dataclass
class JobContext:
    settings: Settings
    service: KpiService
    clients: TeamClients
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    sleep: Callable[[float], None] = time.sleep  # injected by tests: nothing ever really waits there
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))  # the real clock, not a pass's

    @classmethod
    def from_settings(cls, settings: Settings, service: KpiService | None = None) -> JobContext:
        return cls(settings, service or KpiService.from_settings(settings), TeamClients(settings, time.monotonic))

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def lang(self) -> str:
        return self.settings.kpi_language


@dataclass
class PassReport:
    rules: int = 0
    events: Counter = field(default_factory=Counter)
    conflicts: int = 0
    digests: int = 0
    delivery: Report | None = None
    rollup: Any = None
    skipped: int = 0  # rules and digests left for the next pass when KPI_PASS_BUDGET ran out
    deadline: float = float("inf")  # on ctx.monotonic()

    def expired(self, ctx: JobContext) -> bool:
        return ctx.monotonic() > self.deadline


def naive(moment: datetime) -> datetime:
    """Naive UTC, as stored."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
