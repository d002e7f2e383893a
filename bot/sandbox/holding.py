"""The fake Slack's held calls: a call kept waiting, unanswered and unprocessed, as if stuck before reaching
Slack, then let go on or forgotten (to test what the app does meanwhile)."""

from __future__ import annotations

import threading


class Holding:
    """Mixed into :class:`bot.sandbox.local_slack.LocalSlack` (which provides the lock ``_cond``)."""

    _cond: threading.Condition
    _hold: dict | None = None  # see hold()

    def hold(self, name: str, after: int = 0) -> None:
        """Let ``after`` calls to ``name`` through, then keep the next ones waiting, unanswered and
        unprocessed (as if stuck before reaching Slack), until :meth:`release`."""
        with self._cond:
            self._hold = {"name": name, "left": after, "held": 0, "released": False, "drop": False}

    def wait_until_held(self, timeout: float = 30.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._hold and self._hold["held"]), timeout=timeout):
                raise TimeoutError("no call was held")

    def release(self, drop: bool) -> None:
        """Let held calls go on (``drop=False``) or forget them: they never reached Slack (``drop=True``)."""
        with self._cond:
            if self._hold:
                self._hold.update(released=True, drop=drop)
            self._cond.notify_all()

    def _held(self, name: str) -> bool:
        """Blocks a call that is to be held; True when it must then be dropped unprocessed."""
        with self._cond:
            hold = self._hold
            if not hold or hold["released"] or hold["name"] != name:
                return False
            if hold["left"] > 0:
                hold["left"] -= 1
                return False
            hold["held"] += 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: hold["released"])
            return hold["drop"]
