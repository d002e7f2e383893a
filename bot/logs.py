"""Logging for the app: one format, and no secret ever written (tokens, signing secret)."""

from __future__ import annotations

import logging
import re
import threading
import time

TOKEN = re.compile(r"\b(xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Rewrites every record so that Slack tokens and the configured secrets never reach a handler."""

    def __init__(self, secrets: list[str] = ()):  # type: ignore[assignment]
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def scrub(self, text: str) -> str:
        text = TOKEN.sub(REDACTED, text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        # one record, one line: a newline in a message (from a request, a name…) can't forge another line
        record.msg = self.scrub(message).replace("\r", "\\r").replace("\n", "\\n")
        record.args = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


def configure(level: str = "INFO", secrets: list[str] = ()) -> RedactSecrets:  # type: ignore[assignment]
    """Root logging with redaction on every handler; the Slack SDK never logs at DEBUG."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactSecrets(list(secrets))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    for name in ("slack_sdk", "slack_bolt"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
    return redact


class Rejections:
    """Requests refused before any listener (bad signature, replay, malformed): one short WARNING line
    each, at most ``limit`` a minute; beyond that they are counted and said in one line per minute.
    Nothing of the request itself (body, response_url) is ever written."""

    def __init__(self, limit: int = 10, window: float = 60.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.log = logging.getLogger("bot.security")
        self._lock = threading.Lock()
        self._start = clock()
        self._count = 0
        self._dropped = 0

    def note(self, what: str) -> None:
        with self._lock:
            now = self.clock()
            if now - self._start >= self.window:
                if self._dropped:
                    self.log.warning("%d more requests refused in the last %g s", self._dropped, self.window)
                self._start, self._count, self._dropped = now, 0, 0
            if self._count >= self.limit:
                self._dropped += 1
                return
            self._count += 1
        self.log.warning("%s", what[:120])


rejections = Rejections()
