"""Time for tests: a fixed instant, and a clock that only moves when slept on."""

from __future__ import annotations

from datetime import datetime, timezone

# 30 days ending here: Oct 1 12:00 -> Oct 31 12:00. Fixture data: spend 1000, 2 new customers -> CAC €500;
# the 30 days before: spend 90, 1 customer -> €90.
T0 = datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc)


class FakeTime:
    """Stands in for time.sleep/time.monotonic in delivery: waiting only moves this clock."""

    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now
