"""alerts → webhook / Alertmanager (+ dead-letter): delivery, apart from everything else.

A separate agent on its own topic: when a sink is slow or down, only this agent waits
(its retries are ``asyncio.sleep``s, and Faust pauses fetching just the ``alerts``
partitions whose buffer fills); enrichment and rule matching read other topics and
carry on. The sinks of one alert are tried concurrently, each with its own retry
budget; when a budget is spent the alert goes to ``dead-letter`` (stage ``deliver``)
with the sink's error — never its URL or secret.

Guarantee: at-least-once per sink, made effectively once by the idempotency key
(``alert_id:version``) receivers see, and by the ``alert-deliveries`` table
(co-partitioned with ``alerts``, both keyed by alert id) which remembers the last
version each sink has taken, so a redelivered or re-published alert is not sent again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import faust

from .. import metrics
from ..alerts.sinks import DeliveryFailed, RetryPolicy, Sink, build_sinks, deliver_with_retries
from ..codecs import dumps
from ..config import Settings
from ..faust_transport import send_record
from ..records import Rejection, SourceRef, dead_letter_record

log = logging.getLogger(__name__)


def delivery_dead_letter(
    alert_bytes: bytes, ref: SourceRef, alert: dict[str, Any] | None, failure: DeliveryFailed
) -> dict[str, Any]:
    """dead-letter.v1 record for an alert a sink would not take (original bytes kept)."""
    rejection = Rejection(
        "delivery_failed" if alert is not None else "invalid_alert",
        str(failure),
        "deliver",
        ref,
        alert_bytes,
    )
    record = dead_letter_record(rejection)
    record["delivery"] = {
        "sink": failure.sink,
        "target": failure.target,
        "attempts": failure.attempts,
        "error": failure.error,
        "alert_id": (alert or {}).get("alert_id"),
        "alert_version": (alert or {}).get("version"),
    }
    return record


async def deliver_one(
    sinks: list[Sink], session: aiohttp.ClientSession, alert: dict[str, Any], policy: RetryPolicy
) -> list[tuple[Sink, DeliveryFailed | None]]:
    """Every sink concurrently; each result is None (delivered) or its failure."""

    async def one(sink: Sink) -> DeliveryFailed | None:
        try:
            attempts = await deliver_with_retries(sink, session, alert, policy)
        except DeliveryFailed as failure:
            return failure
        except Exception as exc:  # a bug, not the sink: still a dead letter, not a crash
            log.exception("delivery to %s crashed", sink.name)
            return DeliveryFailed(sink.name, sink.target, 1, f"internal error {type(exc).__name__}")
        log.info(
            "delivered %s v%s to %s (%d attempt(s))",
            alert["alert_id"],
            alert["version"],
            sink.name,
            attempts,
        )
        return None

    results = await asyncio.gather(*(one(s) for s in sinks))
    return list(zip(sinks, results, strict=True))


def register(app: faust.App, topics: Any, settings: Settings) -> None:
    sinks = build_sinks(settings)
    if not sinks:
        log.info("alert delivery: no sink configured (alert_webhook_url, alert_alertmanager_url)")
        return
    policy = sinks[0].policy  # type: ignore[attr-defined]
    log.info("alert delivery to %s", ", ".join(f"{s.name} {s.target}" for s in sinks))
    schema = faust.Schema(key_type=str, key_serializer="orjson", value_serializer="orjson")
    delivered = app.Table(
        "alert-deliveries", default=None, partitions=settings.partitions, schema=schema
    )

    @app.agent(topics.alerts, name="deliver")
    async def deliver(stream: faust.StreamT) -> None:
        async with aiohttp.ClientSession() as session:
            async for event in stream.events():
                message = event.message
                ref = SourceRef(
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    timestamp_ms=int(message.timestamp * 1000) if message.timestamp else None,
                    key=message.key,
                )
                alert = event.value
                raw = message.value if isinstance(message.value, bytes) else dumps(alert)
                if not (
                    isinstance(alert, dict)
                    and isinstance(alert.get("alert_id"), str)
                    and isinstance(alert.get("version"), int)
                ):
                    bad = DeliveryFailed("none", "-", 0, "not an alert.v1 record")
                    await _dead_letter(topics, raw, ref, None, bad, "invalid")
                    continue
                done = dict(delivered.get(alert["alert_id"]) or {})
                due = [s for s in sinks if int(done.get(s.name, 0)) < alert["version"]]
                if not due:
                    continue  # a redelivered or re-published version: every sink has it
                for sink, failure in await deliver_one(due, session, alert, policy):
                    if failure is not None:
                        log.error(
                            "dead-lettering %s v%s: %s",
                            alert["alert_id"],
                            alert["version"],
                            failure,
                        )
                        await _dead_letter(app, topics, raw, ref, alert, failure, sink.name)
                    done[sink.name] = alert["version"]
                delivered[alert["alert_id"]] = done


async def _dead_letter(
    app: faust.App,
    topics: Any,
    raw: bytes,
    ref: SourceRef,
    alert: dict[str, Any] | None,
    failure: DeliveryFailed,
    sink_name: str,
) -> None:
    value = delivery_dead_letter(raw, ref, alert, failure)
    key = f"{ref.topic}/{ref.partition}/{ref.offset}/{sink_name}".encode()
    await send_record(app, topics.dead_letter.get_topic_name(), key, value)
    metrics.dead_letter(value["reason"], topics.dead_letter.get_topic_name())
