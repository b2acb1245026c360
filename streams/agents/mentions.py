"""articles-enriched → per-actor windowed counts → actor-mentions (thin shell).

Two agents, because Faust tables are partition-local and articles-enriched is
keyed by article id:

1. ``mentions-fanout`` reads articles-enriched and sends one contribution per
   actor to the internal topic ``mentions-stage``, *keyed by actor id* (so every
   contribution about an actor lands on the partition that owns it). Its table
   ``mention-articles`` (article id → actors last fanned out) lets a correction
   withdraw actors it no longer mentions (``streams.tables.fanout``).
2. ``mentions-count`` reads mentions-stage in batches and applies each message to
   ``MentionState`` (``streams.tables.state``): counts per actor, actor pair and
   actor × country, quotes, watermarks. Then it publishes the changed windows to
   the compacted public topic actor-mentions.

Both tables are ordinary changelog-backed Faust tables with the in-memory store:
on start or rebalance Faust replays the changelog, and ``MentionState`` is
rebuilt from it. Writes are *awaited* sends to the changelog partition of the
input message, in order — not ``table[key] = value``, whose buffered send can
still be pending when Faust commits offsets — so that after a crash the
changelog holds a prefix of the writes; ``MentionState`` relies on that to stay
exact when the input is replayed. RocksDB is deliberately not used: its local
writes can run ahead of the changelog after a crash (see README).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import faust
from aiokafka.partitioner import murmur2

from .. import codecs, metrics
from ..config import Settings
from ..tables import queries
from ..tables.fanout import fan_out
from ..tables.state import Key, MentionState, derived_dirty, split_count_key
from ..tables.windows import HOUR_MS, ONE_DAY_HOURLY, WINDOWS

log = logging.getLogger(__name__)



def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a UTF-8 key (murmur2, as Java's)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def mention_key(actor: str, window: str, start_ms: int) -> bytes:
    """Key of an actor-mentions record: ``<actor>|<window>|<start_ms>``."""
    return f"{actor}|{window}|{start_ms}".encode()


@dataclass
class Mentions:
    """What the web layer needs from the counting stage."""

    state: MentionState
    table: Any  # the Faust table backing ``state``
    settings: Settings
    ready: bool = False  # the state was rebuilt after the last recovery
    active: set[int] = field(default_factory=set)

    @property
    def changelog_topic(self) -> str:
        return self.table.changelog_topic.get_topic_name()


async def _send(app: faust.App, topic: str, key: bytes, value: Any, partition: int | None) -> None:
    """Hand one record to Faust's producer, awaited: it is queued in order before we go on.

    Straight to the producer rather than through ``Topic.send``: the same
    aiokafka producer (so Faust's flush-before-commit covers it) without the
    per-message channel machinery, which dominated the counting stage's time.
    """
    data = None if value is None else codecs.dumps(value)
    await app.producer.send(topic, key, data, partition, None, None)


async def _write(app: faust.App, table: Any, partition: int, key: Any, value: Any) -> None:
    """Mirror one write in the table's store and send it to its changelog partition."""
    if value is None:
        table.data.pop(key, None)
    else:
        table.data[key] = value
    await _send(app, table.changelog_topic.get_topic_name(), codecs.dumps(key), value, partition)


def register(app: faust.App, topics: Any, settings: Settings) -> Mentions:
    partitions = settings.partitions
    stage = topics.mentions_stage  # same partition count as the mention tables
    # orjson keys: tuples come back as tuples after recovery (Faust turns lists into tuples).
    schema = faust.Schema(key_serializer="orjson", value_serializer="orjson")
    articles = app.Table("mention-articles", default=None, partitions=partitions, schema=schema)
    counts = app.Table("mention-state", default=None, partitions=partitions, schema=schema)
    state = MentionState(
        partition_of=lambda actor: partition_for(actor, partitions),
        lateness_ms=int(settings.mentions_allowed_lateness * 1000),
        keep_ms={
            "1m": int(settings.mentions_keep_minutes * 1000),
            "1h": int(settings.mentions_keep_hours * 1000),
        },
    )
    mentions = Mentions(state=state, table=counts, settings=settings)
    article_marks: dict[int, int] = {}  # stage-1 GC only: newest event time per partition
    article_keep_ms = state.keep_max_ms + state.lateness_ms

    @counts.on_recover
    async def _rebuild() -> None:
        changelog = mentions.changelog_topic
        active = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == changelog}
        state.load(counts.data.items(), active)
        mentions.active = active
        mentions.ready = True
        log.info(
            "actor tables ready: partitions %s, %s",
            sorted(active),
            ", ".join(f"{k}={v}" for k, v in state.sizes().items()),
        )

    @app.agent(topics.enriched, name="mentions-fanout")
    async def fanout(stream: faust.StreamT) -> None:
        stage_name = stage.get_topic_name()
        async for event in stream.events():
            message = event.message
            metrics.consumed(message.topic)
            record = event.value
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            ts_ms = int(message.timestamp * 1000) if message.timestamp else None
            prev = articles.data.get(record["id"])
            out = fan_out(record, message.offset, ts_ms, prev)
            for actor, value in out.messages:
                await _send(app, stage_name, actor.encode(), value, None)
            if out.messages:
                metrics.produced(stage_name, len(out.messages))
            if out.state is not None and out.state != prev:
                # The state is written after the messages: a crash in between re-sends
                # them (same version; the counting stage ignores what it has seen).
                await _write(app, articles, message.partition, record["id"], out.state)
                t = out.state.get("t")
                if t is not None:
                    await _collect_articles(message.partition, t)

    async def _collect_articles(partition: int, t: int) -> None:
        """Forget article states far older than anything the counting stage accepts."""
        last = article_marks.get(partition)
        article_marks[partition] = t if last is None else max(last, t)
        if last is None or t // HOUR_MS <= last // HOUR_MS:
            return
        horizon = article_marks[partition] - article_keep_ms
        old = [
            k
            for k, v in list(articles.data.items())
            if isinstance(v, dict)
            and v.get("t") is not None
            and v["t"] < horizon
            and partition_for(k, partitions) == partition
        ]
        for key in old:
            await _write(app, articles, partition, key, None)

    @app.agent(stage, name="mentions-count")
    async def count(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.mentions_batch_size, within=0.25):
            dirty: set[Key] = set()
            expired: list[Key] = []
            for event in events:
                message = event.message
                applied = state.apply(message.partition, message.offset, event.value)
                for w in applied.writes:
                    await _write(app, counts, w.partition, w.key, w.value)
                dirty |= applied.dirty
                expired += applied.expired
                metrics.MENTION_MESSAGES.labels(outcome=applied.outcome).inc()
                if applied.outcome == "late":
                    metrics.LATE_MENTIONS.inc()
                    log.info(
                        "late contribution not counted: actor %s, article %s (partition %d)",
                        event.value.get("a"),
                        event.value.get("id"),
                        message.partition,
                    )
            metrics.consumed(stage.get_topic_name(), len(events))
            await _publish(dirty, expired)

    async def _send_mention(key: bytes, value: dict[str, Any] | None) -> None:
        # None is a real tombstone (no value), not the JSON "null".
        await _send(app, topics.actor_mentions.get_topic_name(), key, value, None)

    async def _publish(dirty: set[Key], expired: list[Key]) -> None:
        """Send the current value of every changed actor window to actor-mentions."""
        actor_keys = {k for k in dirty if k[0] == "a"}
        gone = {k for k in expired if k[0] == "a"}
        sent = 0
        for key in sorted(actor_keys | derived_dirty(actor_keys), key=str):
            _, sub, size, start = split_count_key(key)
            if key in gone:
                continue
            spec = WINDOWS[size]
            if spec.name not in state.keep_ms and state.count("a", sub, spec, start) == (0, 0):
                value = None  # a derived window with nothing left in it
            else:
                value = queries.window_update(state, sub[0], spec, start)
            await _send_mention(mention_key(sub[0], size, start), value)
            sent += 1
        for key in gone:
            _, sub, size, start = split_count_key(key)
            await _send_mention(mention_key(sub[0], size, start), None)
            sent += 1
            if size == "1h":  # derived windows whose every hour has now expired
                for s in ONE_DAY_HOURLY.starts(start):
                    if state.count("a", sub, ONE_DAY_HOURLY, s) == (0, 0):
                        await _send_mention(mention_key(sub[0], ONE_DAY_HOURLY.name, s), None)
                        sent += 1
        if sent:
            metrics.produced(topics.actor_mentions.get_topic_name(), sent)

    @app.timer(5.0)
    async def _gauges() -> None:
        await update_gauges(app, mentions)

    return mentions


async def update_gauges(app: faust.App, mentions: Mentions | None, lag: bool = True) -> None:
    """Consumer lag (needs a broker round trip: timer only), table sizes, watermarks."""
    consumer = app.consumer
    tps = [tp for tp in consumer.assignment() if not tp.topic.endswith("-changelog")]
    if tps and lag:
        try:
            highwaters = await consumer.highwaters(*tps)
        except Exception:  # a rebalance in progress: keep the last values
            highwaters = {}
        committed = getattr(consumer, "_committed_offset", {})
        for tp, end in highwaters.items():
            done = committed.get(tp)
            if done is None:  # nothing committed yet: only an empty partition has a known lag
                if end:
                    continue
                done = 0
            metrics.CONSUMER_LAG.labels(topic=tp.topic, partition=str(tp.partition)).set(
                max(0, end - done)
            )
    _table_gauges(app.tables.values())
    if mentions is not None:
        for kind, n in mentions.state.sizes().items():
            metrics.MENTION_STATE_KEYS.labels(kind=kind).set(n)
        for partition, mark in mentions.state.marks.items():
            metrics.MENTION_WATERMARK.labels(partition=str(partition)).set(mark["t"] / 1000)


def _table_gauges(tables: Iterable[Any]) -> None:
    for table in tables:
        try:
            metrics.TABLE_KEYS.labels(table=table.name).set(len(table.data))
        except Exception:  # a store that cannot count cheaply
            continue
