"""Webhook sink: a Slack-compatible JSON body, HMAC-SHA256 signed, with an idempotency key.

Request::

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <alert_id>:<version>       same on every retry of one version
    X-Wirewatch-Alert: <alert_id>;v=<version>
    X-Wirewatch-Timestamp: <unix seconds>
    X-Wirewatch-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

The body is what Slack's incoming webhooks accept (``text`` + ``blocks``) plus the
alert itself under ``alert`` for receivers that want the data. The signature covers
the timestamp, so a receiver can refuse replays older than a few minutes
(``verify_signature`` does both checks).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import aiohttp

from ... import __version__
from ...codecs import dumps
from ..render import alert_lines, headline
from .base import RetryPolicy, check_response, safe_target, url_secrets

SIGNATURE_HEADER = "X-Wirewatch-Signature"
TIMESTAMP_HEADER = "X-Wirewatch-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ALERT_HEADER = "X-Wirewatch-Alert"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> bool:
    """What a receiver does: constant-time compare, and refuse stale timestamps."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


def idempotency_key(alert: dict[str, Any]) -> str:
    return f"{alert['alert_id']}:{alert['version']}"


def slack_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook body (``text`` fallback + Block Kit) with the alert attached."""
    title = headline(alert)
    lines = alert_lines(alert)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}},
    ]
    links = [a for a in alert.get("articles", []) if a.get("url")][:5]
    if links:
        text = "\n".join(f"<{a['url']}|{a.get('source') or a['url']}>" for a in links)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{alert['rule_id']} · v{alert['version']} · {alert['alert_id']}",
                }
            ],
        }
    )
    return {"text": f"[{alert['severity']}] {title}", "blocks": blocks, "alert": alert}


class WebhookSink:
    name = "webhook"

    def __init__(self, url: str, secret: str | None, policy: RetryPolicy) -> None:
        self._url = url
        self._secret = secret
        self.policy = policy

    @property
    def target(self) -> str:
        return safe_target(self._url)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (*url_secrets(self._url), *((self._secret,) if self._secret else ()))

    def request(self, alert: dict[str, Any], now: float | None = None) -> tuple[bytes, dict]:
        """The exact body and headers of one attempt (a fresh timestamp each time)."""
        body = dumps(slack_payload(alert))
        timestamp = str(int(time.time() if now is None else now))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"wirewatch/{__version__}",
            IDEMPOTENCY_HEADER: idempotency_key(alert),
            ALERT_HEADER: f"{alert['alert_id']};v={alert['version']}",
            TIMESTAMP_HEADER: timestamp,
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        return body, headers

    async def attempt(self, session: aiohttp.ClientSession, alert: dict[str, Any]) -> None:
        body, headers = self.request(alert)
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s)
        async with session.post(self._url, data=body, headers=headers, timeout=timeout) as resp:
            await check_response(resp, self.secrets)
