"""A slow Slack, for the fake one (:mod:`bot.sandbox.local_slack`): how long it waits before answering."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Latency:
    """Seconds the fake Slack's server waits before it answers a call: ``delay`` for every one, or one
    method's (``delays["chat.update"]``), or every response URL's (``delays["response_url"]``)."""

    delay: float = 0.0
    delays: dict[str, float] = field(default_factory=dict)

    def wait(self, kind: str, name: str) -> None:
        """Called in the server's handler thread: the answer itself comes late, as from a slow Slack."""
        seconds = self.delays.get(name, self.delays.get(kind, self.delay))
        if seconds > 0:
            time.sleep(seconds)
