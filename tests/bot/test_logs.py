import io
import logging

from bot.logs import RedactSecrets, configure


def test_tokens_and_secrets_never_reach_a_handler():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["my-signing-secret-123"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("token %s and %s", "xoxb-123-456-abcdef", "xapp-1-A0-99-zz")
        logger.info("user token xoxp-9-8-7 and secret my-signing-secret-123")
        try:
            raise RuntimeError("failed with xoxb-999-888-secret and my-signing-secret-123")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "xoxb-" not in out and "xapp-" not in out and "xoxp-" not in out and "my-signing-secret-123" not in out
    assert out.count("[redacted]") >= 6
    assert "RuntimeError" in out and "Traceback" in out  # the traceback itself is kept


def test_configure_keeps_the_slack_sdk_out_of_debug():
    configure("DEBUG", [])
    try:
        assert logging.getLogger("slack_sdk").getEffectiveLevel() >= logging.INFO
    finally:
        logging.getLogger().setLevel(logging.WARNING)
