"""articles-enriched → per-actor windowed counts → actor-mentions (thin shell).

Two agents, because Faust tables are partition-local and articles-enriched is
keyed by article id:

1. ``mentions-fanout`` reads articles-enriched and sends the internal topic
   ``mentions-stage`` one message per partition the article's actors live on
   (an actor's partition is murmur2 of its id), holding the facts about those
   actors. Its table ``mention-articles`` (article id → actors last fanned out)
   lets a correction withdraw actors it no longer mentions
   (``streams.tables.fanout``).
2. ``mentions-count`` reads mentions-stage in batches and applies each batch to
   ``MentionState`` (``streams.tables.state``): per actor and hour one bucket of
   counts (minutes, hour, pairs, countries), per article and partition one
   contribution, quotes, watermarks. It writes every key the batch changed once,
   then publishes each changed window once to the compacted public topic
   actor-mentions.

Both tables are ordinary changelog-backed Faust tables with the in-memory store:
on start or rebalance Faust replays the changelog, and ``MentionState`` is
rebuilt from it. Writes are *awaited* sends to the changelog partition of the
input message, in the order ``MentionState`` gives them — not ``table[key] =
value``, whose buffered send can still be pending when Faust commits offsets —
so that after a crash the changelog holds a prefix of the writes;
``MentionState`` relies on that to stay exact when the input is replayed.
RocksDB is deliberately not used: its local writes can run ahead of the
changelog after a crash (see README).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import faust

from .. import codecs, metrics
from ..config import Settings
from ..faust_transport import send_record
from ..partitioning import partition_for
from ..tables import queries
from ..tables.fanout import fan_out
from ..tables.state import MentionState
from ..tables.windows import HOUR_MS
from .turns import Turns

log = logging.getLogger(__name__)

BATCH_TURN_SECONDS = 0.05  # the longest the counting batch holds the loop at a time (README)


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


async def _write(app: faust.App, table: Any, partition: int, key: Any, value: Any) -> None:
    """Mirror one write in the table's store and send it to its changelog partition."""
    if value is None:
        table.data.pop(key, None)
    else:
        table.data[key] = value
    await send_record(
        app, table.changelog_topic.get_topic_name(), codecs.dumps(key), value, partition=partition
    )


def register(
    app: faust.App,
    topics: Any,
    settings: Settings,
    on_recovered: Callable[[], None] | None = None,
) -> Mentions:
    """The fan-out and counting agents and their tables; ``on_recovered`` is called once
    the counting state is loaded after each recovery."""
    partitions = settings.partitions
    stage = topics.mentions_stage  # same partition count as the mention tables
    # orjson keys: tuples come back as tuples after recovery (Faust turns lists into tuples).
    schema = faust.Schema(key_serializer="orjson", value_serializer="orjson")
    articles = app.Table("mention-articles", default=None, partitions=partitions, schema=schema)
    # Not "mention-state": that table held the earlier one-key-per-window layout.
    counts = app.Table("mention-counts", default=None, partitions=partitions, schema=schema)

    def partition_of(actor: str) -> int:
        return partition_for(actor, partitions)

    state = MentionState(
        partition_of=partition_of,
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
        if on_recovered is not None:
            on_recovered()

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
            out = fan_out(record, message.offset, ts_ms, prev, partition_of)
            key = record["id"].encode()
            for partition, value in out.messages:
                await send_record(app, stage_name, key, value, partition=partition)
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
        stage_name = stage.get_topic_name()
        mentions_topic = topics.actor_mentions.get_topic_name()
        async for events in stream.take_events(
            settings.mentions_batch_size, settings.mentions_batch_within
        ):
            # A batch is ~0.1–0.4 s of work that never waits: done in turns, so the
            # story hop and the alerts on this loop are not held behind it (turns.py).
            turns = Turns(BATCH_TURN_SECONDS)
            applied = state.apply(
                (event.message.partition, event.message.offset, event.value) for event in events
            )
            for w in applied.writes:
                await _write(app, counts, w.partition, w.key, w.value)
                await turns.take()
            metrics.consumed(stage_name, len(events))
            _report(events, applied.outcomes)
            # After the writes: a crash before the offsets are committed replays the
            # batch, and replayed messages mark their windows changed again.
            published = 0
            for actor in sorted(applied.changed.keys() | applied.expired.keys()):
                await turns.take()
                if partition_of(actor) not in mentions.active:
                    # Revoked by a rebalance during this batch: the state no longer holds
                    # the actor, and its new owner replays the batch's messages.
                    continue
                records = queries.updates(
                    state,
                    {actor: applied.changed[actor]} if actor in applied.changed else {},
                    {actor: applied.expired[actor]} if actor in applied.expired else {},
                )
                for key, value in records:
                    # None is a real tombstone (no value), not the JSON "null".
                    await send_record(app, mentions_topic, key.encode(), value)
                published += len(records)
            if published:
                metrics.produced(mentions_topic, published)

    @app.timer(5.0)
    async def _gauges() -> None:
        await update_gauges(app, mentions)

    return mentions


def _report(events: list[Any], outcomes: list[Any]) -> None:
    """Count each stage message's outcome; log late and foreign ones."""
    for event, outcome in zip(events, outcomes, strict=True):
        metrics.MENTION_MESSAGES.labels(outcome=outcome.outcome).inc(len(outcome.actors) or 1)
        if outcome.outcome == "late":
            metrics.LATE_MENTIONS.inc(len(outcome.actors) or 1)
            log.info(
                "late contribution not counted: actors %s, article %s (partition %d)",
                ", ".join(outcome.actors),
                event.value.get("id"),
                event.message.partition,
            )
        elif outcome.outcome == "invalid":  # e.g. left by an earlier version
            log.warning("stage message of another format ignored: %r", event.value)


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
