"""Prometheus Alertmanager sink: POST ``/api/v2/alerts``.

Alertmanager identifies an alert by its label set, so the labels are the alert's
``labels`` (fixed when it first fired: rule, severity, actors, topic) plus
``alertname`` and ``alert_id`` — every version of a Wirewatch alert updates the same
Alertmanager alert. Annotations carry what changes: titles, the quote and its speaker,
sources and links. ``endsAt`` is set ``resolve_after`` ahead, so an alert that stops
being updated resolves by itself.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import aiohttp

from ... import __version__
from ...codecs import dumps
from ...timeutil import to_rfc3339
from ..render import english_title, headline, quote_text, sources_text, speakers_text
from .base import RetryPolicy, check_response, safe_target, url_secrets

API_PATH = "/api/v2/alerts"


def alertmanager_alert(
    alert: dict[str, Any], resolve_after_s: float, now: float | None = None
) -> dict[str, Any]:
    """One postable alert (Alertmanager's ``postableAlert``) for a Wirewatch alert."""
    now = time.time() if now is None else now
    labels = {
        "alertname": alert["rule_id"],
        **{k: str(v) for k, v in (alert.get("labels") or {}).items()},
        "alert_id": alert["alert_id"],
        "source": "wirewatch",
    }
    if alert.get("story_id"):
        labels["story_id"] = alert["story_id"]
    annotations = {
        "title": (alert.get("title") or {}).get("en") or headline(alert),
        "summary": headline(alert),
        "quote": quote_text(alert, limit=1000),
        "speaker": speakers_text(alert),
        "sources": sources_text(alert),
        "links": "\n".join((alert.get("urls") or [])[:10]),
        "version": str(alert["version"]),
        "first_seen": alert.get("first_seen") or "",
        "last_seen": alert.get("last_seen") or "",
    }
    language = alert.get("language")
    if language and language != "en" and (alert.get("title") or {}).get(language):
        annotations[f"title_{language}"] = alert["title"][language]
    if english_title(alert) is None:
        annotations.pop("summary")
    posted: dict[str, Any] = {
        "labels": {k: v for k, v in labels.items() if v},
        "annotations": {k: v for k, v in annotations.items() if v},
        "startsAt": to_rfc3339(datetime.fromtimestamp(now, UTC)),
        "endsAt": to_rfc3339(datetime.fromtimestamp(now + resolve_after_s, UTC)),
    }
    urls = alert.get("urls") or []
    if urls and urls[0].startswith(("http://", "https://")):
        posted["generatorURL"] = urls[0]
    return posted


class AlertmanagerSink:
    name = "alertmanager"

    def __init__(self, base_url: str, policy: RetryPolicy, resolve_after_s: float) -> None:
        self._url = base_url.rstrip("/") + API_PATH
        self._base = base_url
        self.policy = policy
        self.resolve_after_s = resolve_after_s

    @property
    def target(self) -> str:
        return safe_target(self._base)

    @property
    def secrets(self) -> tuple[str, ...]:
        return url_secrets(self._base) if "@" in self._base else ()

    async def attempt(self, session: aiohttp.ClientSession, alert: dict[str, Any]) -> None:
        body = dumps([alertmanager_alert(alert, self.resolve_after_s)])
        headers = {"Content-Type": "application/json", "User-Agent": f"wirewatch/{__version__}"}
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s)
        async with session.post(self._url, data=body, headers=headers, timeout=timeout) as resp:
            await check_response(resp, self.secrets)
