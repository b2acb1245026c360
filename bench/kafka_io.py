"""The benchmark's own Kafka side: send articles, timestamp every output that comes back.

One asyncio loop in the bench process both produces and consumes, so "produced at"
and "arrived at" are read from the same clock (``time.perf_counter``). Enriched
records are recognised by their key (the article id) without parsing the value, so
the collector stays cheap next to the workers it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.helpers import create_ssl_context

from streams.config import Settings
from streams.partitioning import KeyPartitioner

log = logging.getLogger(__name__)


def aiokafka_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection keyword arguments for aiokafka clients, security included."""
    sec = settings.security
    kw: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap.split(","),
        "security_protocol": sec.protocol,
    }
    if sec.uses_ssl:
        kw["ssl_context"] = create_ssl_context(
            cafile=sec.ssl_cafile,
            certfile=sec.ssl_certfile,
            keyfile=sec.ssl_keyfile,
            password=sec.ssl_key_password,
        )
    if sec.uses_sasl:
        kw.update(
            sasl_mechanism=sec.sasl_mechanism,
            sasl_plain_username=sec.sasl_username,
            sasl_plain_password=sec.sasl_password,
        )
    return kw


def product_producer(settings: Settings, **extra: Any) -> AIOKafkaProducer:
    """A producer configured like the worker's (acks=all, same linger, batch and request
    size, partitioner)."""
    kw = {
        "acks": "all",
        "partitioner": KeyPartitioner(),
        "linger_ms": settings.producer_linger_ms,
        "max_batch_size": settings.producer_batch_bytes,
        "max_request_size": settings.transport_max_bytes,
    }
    return AIOKafkaProducer(**aiokafka_kwargs(settings), **{**kw, **extra})


def phase_of(article_id: str) -> str:
    """Benchmark ids look like ``b<run>.<phase>.<index>``."""
    parts = article_id.split(".")
    return parts[1] if len(parts) >= 3 else "?"


@dataclass
class AlertSeen:
    at: float
    alert_id: str
    version: int
    article_ids: list[str]


@dataclass
class Outputs:
    """What came back, with arrival times (perf_counter seconds)."""

    enriched: dict[str, float] = field(default_factory=dict)
    # Wall clock, for the split at the enrich stage: when the record arrived here, and
    # when the enrich agent handed it on (its ``wirewatch-enriched-at`` header).
    enriched_wall: dict[str, float] = field(default_factory=dict)
    staged_wall: dict[str, float] = field(default_factory=dict)
    dead: dict[str, float] = field(default_factory=dict)
    alerts: list[AlertSeen] = field(default_factory=list)
    done_by_phase: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0


class Session:
    """A producer to raw-articles and a collector of the outputs, for one group of workers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.raw_topic = settings.topic("raw-articles")
        self.sent: dict[str, float] = {}
        self.sent_wall: dict[str, float] = {}
        self.out = Outputs()
        self.progress = asyncio.Event()
        # Phases too long to remember per article (the soak): counted, not stored.
        self.count_only_phases: set[str] = set()
        self.on_arrival: Callable[[str, float], None] | None = None
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None
        self._names = {
            settings.topic("articles-enriched"): "enriched",
            settings.topic("alerts"): "alerts",
            settings.topic("dead-letter"): "dead",
        }

    async def __aenter__(self) -> Session:
        self._producer = product_producer(self.settings)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            *self._names,
            **aiokafka_kwargs(self.settings),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_bytes=self.settings.transport_max_bytes,
            max_partition_fetch_bytes=self.settings.transport_max_bytes,
            fetch_max_wait_ms=100,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._collect())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer:
            await self._consumer.stop()
        if self._producer:
            await self._producer.stop()

    async def send(self, article: dict[str, Any]) -> None:
        assert self._producer is not None
        value = orjson.dumps(article)
        key = article["id"].encode()
        if phase_of(article["id"]) not in self.count_only_phases:
            self.sent[article["id"]] = time.perf_counter()
            self.sent_wall[article["id"]] = time.time()
        await self._producer.send(self.raw_topic, value=value, key=key)

    async def flush(self) -> None:
        assert self._producer is not None
        await self._producer.flush()

    def done(self, article_id: str) -> bool:
        return article_id in self.out.enriched or article_id in self.out.dead

    async def _collect(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            now, wall = time.perf_counter(), time.time()
            for tp, messages in batches.items():
                kind = self._names[tp.topic]
                for msg in messages:
                    self._record(kind, msg, now, wall)
            if batches:
                self.progress.set()

    def _record(self, kind: str, msg: Any, now: float, wall: float) -> None:
        out = self.out
        if kind == "enriched":
            article_id = (msg.key or b"").decode()
            phase = phase_of(article_id)
            if self.on_arrival:
                self.on_arrival(phase, now)
            if phase in self.count_only_phases:
                out.done_by_phase[phase] += 1
                return
            if article_id in out.enriched:
                out.duplicates += 1
                return
            out.enriched[article_id] = now
            out.enriched_wall[article_id] = wall
            if (staged := _staged_at(msg.headers)) is not None:
                out.staged_wall[article_id] = staged
            out.done_by_phase[phase] += 1
        elif kind == "dead":
            value = orjson.loads(msg.value)
            article_id = value.get("article_id") or (value.get("source") or {}).get("key") or ""
            if article_id not in out.dead:
                if self.on_arrival:
                    self.on_arrival(phase_of(article_id), now)
                out.dead[article_id] = now
                out.done_by_phase[phase_of(article_id)] += 1
                log.warning("dead letter for %s: %s", article_id, value.get("reason"))
        else:
            value = orjson.loads(msg.value)
            out.alerts.append(
                AlertSeen(
                    now,
                    str(value.get("alert_id")),
                    int(value.get("version") or 0),
                    [str(a) for a in value.get("article_ids") or []],
                )
            )

    async def wait_for(self, ids: list[str], idle_timeout: float, on_progress=None) -> None:
        """Wait until every id came out (enriched or dead-lettered).

        Fails when nothing new arrives for ``idle_timeout`` seconds: a stalled worker is
        a finding to report, not something to wait out.
        """
        pending = [i for i in ids if not self.done(i)]
        last_change = time.monotonic()
        while pending:
            self.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait(), 1.0)
            before = len(pending)
            pending = [i for i in pending if not self.done(i)]
            if on_progress:
                on_progress(len(ids) - len(pending))
            if len(pending) < before:
                last_change = time.monotonic()
            elif time.monotonic() - last_change > idle_timeout:
                raise TimeoutError(
                    f"{len(pending)} of {len(ids)} articles did not come out within "
                    f"{idle_timeout:.0f}s of the last output"
                )


def _staged_at(headers: Any) -> float | None:
    """The enrich agent's ``wirewatch-enriched-at`` header, as epoch seconds."""
    for name, value in headers or ():
        if name == "wirewatch-enriched-at":
            try:
                return datetime.fromisoformat(value.decode()).timestamp()
            except (ValueError, UnicodeDecodeError):
                return None
    return None


async def end_offsets_total(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> int:
    offsets = await consumer.end_offsets(partitions)
    return int(sum(offsets.values()))
