"""The live side of the API: recent alerts and statements, and Server-Sent Events.

Every worker reads the public topics alerts, articles-enriched and
actor-mentions itself — all partitions, no consumer group, from the end (after
reading back the last ``live_backfill`` records of each partition of the first
two) — so whichever worker a browser is connected to sees every alert,
statement and count update, and ``/api/alerts/recent`` and
``/api/statements/recent`` need no routing. Nothing here is state to recover:
the topics are the state.

actor-mentions is read only while a browser is subscribed: its records only feed
the ``counts`` events, and there are 50–90 of them per article, parsed on the
event loop of every worker (each reads all partitions).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

from .. import metrics
from ..config import Settings
from ..kafka_clients import _ssl_context
from ..tables.fanout import event_time_ms

log = logging.getLogger(__name__)

ALERTS_KEPT = 200
STATEMENTS_KEPT = 500
RAW_TS_KEPT = 50_000
PENDING_KEPT = 1_000
CLIENT_QUEUE = 1000
COUNT_FLUSH_S = 1.0
LIVE_WINDOWS = ("1m", "1h")  # count updates pushed to browsers (24h ones are 24 times as many)


def aiokafka_security(settings: Settings) -> dict[str, Any]:
    """aiokafka client keyword arguments for the configured security settings."""
    sec = settings.security
    kw: dict[str, Any] = {"security_protocol": sec.protocol}
    if sec.uses_ssl:
        kw["ssl_context"] = _ssl_context(sec)
    if sec.uses_sasl:
        kw.update(
            sasl_mechanism=sec.sasl_mechanism,
            sasl_plain_username=sec.sasl_username,
            sasl_plain_password=sec.sasl_password,
        )
    return kw


def statements_of(record: Mapping[str, Any], t_ms: int | None) -> list[dict[str, Any]]:
    """Attributed quotes of an enriched record, ready for display (speakers named)."""
    names = {
        a.get("id"): a.get("name")
        for a in record.get("actors") or ()
        if isinstance(a, Mapping) and isinstance(a.get("id"), str)
    }
    out = []
    for quote in record.get("quotes") or ():
        if not isinstance(quote, Mapping) or not isinstance(quote.get("text"), str):
            continue
        speakers = [s for s in quote.get("speakers") or () if isinstance(s, str)]
        if not speakers:
            continue
        cue = quote.get("cue")
        out.append(
            {
                "id": f"{record.get('id')}#{quote.get('start')}",
                "article": record.get("id"),
                "text": quote["text"],
                "direct": bool(quote.get("direct")),
                "cue": cue.get("lemma") if isinstance(cue, Mapping) else None,
                "speakers": [{"id": s, "name": names.get(s) or s} for s in speakers],
                "source": record.get("source"),
                "url": record.get("url"),
                "title": record.get("title"),
                "language": record.get("language"),
                "published_at": record.get("published_at"),
                "t": t_ms,
            }
        )
    return out


def sse_frame(event: str, data: bytes) -> bytes:
    """One Server-Sent Event (data is single-line JSON, so one ``data:`` line)."""
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


class LiveFeed:
    """Recent alerts/statements and the fan-out of live events to SSE clients."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.alerts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.statements: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.raw_ts: OrderedDict[str, int] = OrderedDict()
        self.pending_latency: OrderedDict[str, int] = OrderedDict()  # article → alert timestamp
        self.clients: set[asyncio.Queue[bytes | None]] = set()
        self.pending_counts: dict[bytes, bytes] = {}
        self.reading_counts = False  # actor-mentions partitions fetched (not paused)
        self.ready = False
        self.topics = {
            "alerts": settings.topic("alerts"),
            "enriched": settings.topic("articles-enriched"),
            "mentions": settings.topic("actor-mentions"),
        }

    # ------------------------------------------------------------------ reading
    def recent_alerts(self, limit: int) -> list[dict[str, Any]]:
        return list(reversed(self.alerts.values()))[:limit]

    def recent_statements(self, limit: int, actor: str | None = None) -> list[dict[str, Any]]:
        items = self.statements.values()
        if actor:
            items = [s for s in items if any(sp["id"] == actor for sp in s["speakers"])]
        ranked = sorted(items, key=lambda s: -(s.get("t") or 0))
        return ranked[:limit]

    # ------------------------------------------------------------------ clients
    def subscribe(self) -> asyncio.Queue[bytes | None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(CLIENT_QUEUE)
        self.clients.add(queue)
        metrics.SSE_CLIENTS.set(len(self.clients))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes | None]) -> None:
        self.clients.discard(queue)
        metrics.SSE_CLIENTS.set(len(self.clients))

    def broadcast(self, event: str, data: bytes) -> None:
        frame = sse_frame(event, data)
        for queue in list(self.clients):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:  # a client that stopped reading: drop it, it reconnects
                self.unsubscribe(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)

    # ------------------------------------------------------------------ records
    def on_alert(self, value: bytes | None, message: Any, live: bool) -> None:
        if value is None:
            return
        try:
            alert = orjson.loads(value)
        except orjson.JSONDecodeError:
            return
        if not isinstance(alert, dict) or not isinstance(alert.get("alert_id"), str):
            return
        known = self.alerts.get(alert["alert_id"])
        if known is not None and (known.get("version") or 0) > (alert.get("version") or 0):
            return
        self.alerts.pop(alert["alert_id"], None)
        self.alerts[alert["alert_id"]] = alert
        while len(self.alerts) > ALERTS_KEPT:
            self.alerts.popitem(last=False)
        if live:
            self.broadcast("alert", orjson.dumps(alert))
            self._alert_latency(alert, message)

    def _alert_latency(self, alert: Mapping[str, Any], message: Any) -> None:
        """raw→alert latency, observed once: by the worker owning the alert's partition.

        The alert's newest article is usually already known here (its enriched record
        came first); when this consumer happened to fetch the alert first, the
        observation waits for the article (``pending_latency``).
        """
        ids = alert.get("article_ids") or []
        if not ids or not message.timestamp:
            return
        # The alerts topic may have no consumer in the group (no sink configured), so
        # "owner" is the worker holding the same partition of articles-enriched.
        enriched = self.topics["enriched"]
        owned = {tp.partition for tp in self.app.consumer.assignment() if tp.topic == enriched}
        if message.partition not in owned:
            return
        raw = self.raw_ts.get(ids[-1])
        if raw is None:
            self.pending_latency[ids[-1]] = message.timestamp
            while len(self.pending_latency) > PENDING_KEPT:
                self.pending_latency.popitem(last=False)
            return
        metrics.RAW_TO_ALERT_SECONDS.observe(max(0.0, (message.timestamp - raw) / 1000))

    def on_enriched(self, value: bytes | None, message: Any, live: bool) -> None:
        if value is None:
            return
        try:
            record = orjson.loads(value)
        except orjson.JSONDecodeError:
            return
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            return
        article = record["id"]
        if message.timestamp:
            alerted = self.pending_latency.pop(article, None)
            if alerted is not None:
                metrics.RAW_TO_ALERT_SECONDS.observe(max(0.0, (alerted - message.timestamp) / 1000))
            self.raw_ts[article] = message.timestamp
            self.raw_ts.move_to_end(article)
            while len(self.raw_ts) > RAW_TS_KEPT:
                self.raw_ts.popitem(last=False)
        fresh = statements_of(record, event_time_ms(record, message.timestamp))
        stale = [k for k, s in self.statements.items() if s["article"] == article]
        for key in stale:  # a correction replaces the article's statements
            del self.statements[key]
        for statement in fresh:
            self.statements[statement["id"]] = statement
            if live:
                self.broadcast("statement", orjson.dumps(statement))
        while len(self.statements) > STATEMENTS_KEPT:
            self.statements.popitem(last=False)

    def on_mention(self, value: bytes | None, message: Any) -> None:
        if value is None or value == b"null" or message.key is None:
            return
        if message.key.split(b"|")[1:2] and message.key.split(b"|")[1].decode() in LIVE_WINDOWS:
            self.pending_counts[message.key] = value

    def flush_counts(self) -> None:
        if not self.pending_counts:
            return
        batch = b"[" + b",".join(self.pending_counts.values()) + b"]"
        self.pending_counts.clear()
        self.broadcast("counts", batch)

    # ------------------------------------------------------------------ the loop
    async def run(self) -> None:
        """Read the three topics until cancelled (the worker stops)."""
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.bootstrap.split(","),
            group_id=None,
            enable_auto_commit=False,
            client_id="wirewatch-live",
            max_partition_fetch_bytes=self.settings.max_message_bytes * 2 + 65536,
            fetch_max_bytes=self.settings.max_message_bytes * 4,
            **aiokafka_security(self.settings),
        )
        await consumer.start()
        try:
            # ``consumer.topics()`` does not refresh the metadata partitions_for_topic reads.
            cluster = await consumer._client.fetch_all_metadata()
            tps = [
                TopicPartition(name, p)
                for name in self.topics.values()
                for p in sorted(cluster.partitions_for_topic(name) or ())
            ]
            missing = [n for n in self.topics.values() if not cluster.partitions_for_topic(n)]
            if missing:
                raise RuntimeError(f"topics not found: {', '.join(missing)}")
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            begins = await consumer.beginning_offsets(tps)
            for tp in tps:
                if tp.topic == self.topics["mentions"]:
                    consumer.seek(tp, ends[tp])
                else:
                    consumer.seek(tp, max(begins[tp], ends[tp] - self.settings.live_backfill))
            self.reading_counts = True
            mentions = [tp for tp in tps if tp.topic == self.topics["mentions"]]
            self.ready = True
            log.info("live feed reading %s", ", ".join(self.topics.values()))
            last_flush = time.monotonic()
            while True:
                await self.follow_watchers(consumer, mentions)
                batch = await consumer.getmany(timeout_ms=250, max_records=1000)
                for tp, messages in batch.items():
                    for message in messages:
                        live = message.offset >= ends.get(tp, 0)
                        if tp.topic == self.topics["alerts"]:
                            self.on_alert(message.value, message, live)
                        elif tp.topic == self.topics["enriched"]:
                            self.on_enriched(message.value, message, live)
                        else:
                            self.on_mention(message.value, message)
                if time.monotonic() - last_flush >= COUNT_FLUSH_S:
                    self.flush_counts()
                    last_flush = time.monotonic()
        finally:
            self.ready = False
            await consumer.stop()

    async def follow_watchers(self, consumer: Any, mentions: list[Any]) -> None:
        """Fetch actor-mentions while a browser is subscribed, from its end on; pause
        those partitions when the last one leaves (checked before every fetch)."""
        watching = bool(self.clients)
        if watching == self.reading_counts:
            return
        if watching:
            await consumer.seek_to_end(*mentions)
            consumer.resume(*mentions)
        else:
            consumer.pause(*mentions)
            self.pending_counts.clear()
        self.reading_counts = watching

    async def run_forever(self) -> None:
        """``run``, restarted after errors (a broker restart); clients closed on stop."""
        try:
            while True:
                try:
                    await self.run()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("live feed failed; retrying in 5 s")
                    await asyncio.sleep(5)
        finally:
            self.close_clients()

    def close_clients(self) -> None:
        """End every open SSE response (their browsers reconnect to another worker)."""
        for queue in list(self.clients):
            self.unsubscribe(queue)
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
