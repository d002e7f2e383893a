"""Sign a request body exactly as Slack does (v0 HMAC-SHA256 over "v0:timestamp:body")."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier


def signed_headers(
    secret: str, body: str, timestamp: int | None = None, content_type: str = "application/x-www-form-urlencoded"
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body) or ""
    return {"content-type": content_type, "x-slack-request-timestamp": str(timestamp), "x-slack-signature": signature}
