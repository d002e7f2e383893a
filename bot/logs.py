"""Logging for the app: one format, and no secret ever written (tokens, signing secret)."""

from __future__ import annotations

import logging
import re

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
        record.msg = self.scrub(message)
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
