"""Delivery sinks for alerts: a signed webhook and Prometheus Alertmanager."""

from __future__ import annotations

from typing import Any

from .alertmanager import AlertmanagerSink
from .base import DeliveryError, DeliveryFailed, RetryPolicy, Sink, deliver_with_retries
from .webhook import WebhookSink

__all__ = [
    "AlertmanagerSink",
    "DeliveryError",
    "DeliveryFailed",
    "RetryPolicy",
    "Sink",
    "WebhookSink",
    "build_sinks",
    "deliver_with_retries",
]


def build_sinks(settings: Any) -> list[Sink]:
    """The sinks the settings configure (none when no URL is set)."""
    policy = RetryPolicy(
        attempts=max(1, settings.alert_delivery_attempts),
        backoff_s=settings.alert_delivery_backoff,
        timeout_s=settings.alert_delivery_timeout,
    )
    sinks: list[Sink] = []
    if settings.alert_webhook_url:
        sinks.append(WebhookSink(settings.alert_webhook_url, settings.alert_webhook_secret, policy))
    if settings.alert_alertmanager_url:
        sinks.append(
            AlertmanagerSink(
                settings.alert_alertmanager_url, policy, settings.alert_alertmanager_resolve_after
            )
        )
    return sinks
