"""Faust's Kafka transport, with the repair at-least-once needs across rebalances.

After a rebalance Faust drops the records its streams had buffered and relies on
``perform_seek`` to fetch them again from each partition's committed offset. In
faust-streaming 0.15 that step has two holes, both seen here as articles that were
never enriched:

1. The stream partitions and the flow are resumed *before* the seek, so the
   consumer's drain loop may still be delivering a batch fetched from the old
   position while the seek moves the read offset back. The next stale record then
   looks like a jump over a "gap" (Faust's handling of compacted topics), the
   skipped offsets are marked as acknowledged, and the commit passes over records
   nobody processed: silent loss.
2. aiokafka's ``seek_to_committed`` leaves a partition with no committed offset yet
   where the fetcher was, past the records just dropped. They are never processed
   and the partition either stops committing for good (a stalled worker: how the
   broker-outage test once hung) or, with 1., commits past them.

Both strike when a rebalance finds records fetched but not yet committed — a second
worker joining a group with a backlog, a worker restarting. Here the seek runs with
the flow stopped, so nothing stale is delivered while offsets move, and a partition
without a committed offset goes back to where such a partition starts
(``consumer_auto_offset_reset``, "earliest" by default). Records are read again:
duplicates, never gaps; outputs are keyed and deterministic, so a re-read writes the
same records (README: Guarantees).

The consumer also delivers records more cheaply (``_drain_messages``): Faust wraps
every record's delivery in ``wait_first(callback, suspend_flow.wait())`` — four tasks
and an ``asyncio.wait`` per record — so that a rebalance can interrupt a delivery
that waits for room. When nothing can make it wait (``delivers_without_waiting``),
the delivery is awaited directly; otherwise it goes Faust's way.

And it can deliver a topic's records in *runs* (``run_topic``): the records of one
partition that one fetch returned, in order, at most ``max_records`` at a time, as a
single event whose value is the list of records. Faust's stream then pays its
per-event cost (the handler, the stream buffer, sensors, the ack) once per run
instead of once per record, which is most of what Faust costs per record (README:
Performance, "Transport"). The stream acknowledges a run as one message, at its
last offset (Faust's compiled stream iterator does so inline, past any override of
``ack``), so the consumer remembers each run's other offsets and counts them as
acknowledged once the last one is, before it works out what to commit: offsets,
gaps and commits stay Faust's own, record by record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, AppT, EventT, Message
from faust.types.tuples import ConsumerMessage
from mode import ServiceT

from . import codecs

log = logging.getLogger(__name__)


class RecordRun(ConsumerMessage):
    """Consecutive records of one partition, handed to streams as one message.

    Its value is the list of records (Faust ``ConsumerMessage``), its offset the last
    one's; once that offset is acknowledged, so are the others (``Consumer``).
    """

    def __init__(self, tp: TP, records: list[Message]) -> None:
        last = records[-1]
        super().__init__(
            tp.topic,
            tp.partition,
            last.offset,
            last.timestamp,
            last.timestamp_type,
            None,
            None,
            records,  # type: ignore[arg-type]
            None,
            0,
            sum(r.serialized_value_size or 0 for r in records),
            tp,
            generation_id=last.generation_id,
        )


def records_behind(consumer: faust_aiokafka.Consumer, message: Message) -> int:
    """Records of the message's partition already in the log after it: its backlog.

    From the partition's high watermark as of the last fetch (0 when not known yet).
    """
    highwater = consumer.highwater(message.tp)
    return max(0, highwater - message.offset - 1) if highwater is not None else 0


def behind(consumer: faust_aiokafka.Consumer, runs: Sequence[Sequence[Message]]) -> int:
    """Records in the log after these runs, per partition counted once (after the
    partition's last run here): 0 once the worker has caught up with them."""
    after: dict[TP, int] = {}
    for run in runs:
        last = run[-1]
        after[last.tp] = min(after.get(last.tp, 1 << 62), records_behind(consumer, last))
    return sum(after.values())


def backlog(consumer: faust_aiokafka.Consumer, runs: Sequence[Sequence[Message]]) -> int:
    """Records waiting to be processed: these runs' records plus those after them."""
    return sum(len(run) for run in runs) + behind(consumer, runs)


class RunSchema(faust.Schema):
    """A run's event: no key, the value is the list of records as fetched (raw bytes)."""

    def loads_key(self, app: AppT, message: Message, **_: Any) -> None:
        return None

    def loads_value(self, app: AppT, message: Message, **_: Any) -> Any:
        return message.value


# A stream buffers at most QUEUED_RUNS runs (then Faust pauses the partition), and
# ``take_runs`` holds as many more, ready for the agent's next batch.
QUEUED_RUNS = 4
_STREAM_ENDED = object()


class RunBatch(NamedTuple):
    runs: list[list[Message]]  # each run: records of one partition, in offset order
    records: list[Message]  # the runs' records, run after run


async def take_runs(stream: faust.StreamT, queued: int = QUEUED_RUNS) -> AsyncIterator[RunBatch]:
    """Batches of a ``run_topic`` stream: the runs waiting when the caller is ready.

    A batch is the first run to arrive, with no timer, plus those already waiting
    (at most ``queued`` runs, so at most ``queued`` × the topic's ``max_records``
    records). Its events are acknowledged when the caller asks for the next batch,
    not before and not if the caller fails, so a crash re-reads what was in hand.

    Faust's ``take_events`` needs a ``within`` timeout and wakes at that period even
    when nothing arrives: at 5 ms an idle worker spent 7 % of a core in it, each wake
    taking the GIL from the NLP thread. Here a task moves the stream's events into a
    queue of ``queued`` runs, so the next batch is gathered while this one is worked on.
    """
    stream.enable_acks = False  # acknowledged below, once the caller is done
    waiting: asyncio.Queue[Any] = asyncio.Queue(maxsize=queued)

    async def drain() -> None:
        try:
            async for event in stream.events():
                await waiting.put(event)
        except Exception as exc:  # raised to the caller after the events before it
            await waiting.put(exc)
        else:
            await waiting.put(_STREAM_ENDED)

    drainer = asyncio.ensure_future(drain())
    try:
        while True:
            taken = [await waiting.get()]
            while not waiting.empty():
                taken.append(waiting.get_nowait())
            events = [e for e in taken if isinstance(e, EventT)]
            if events:
                runs = [e.value for e in events]
                yield RunBatch(runs, [m for run in runs for m in run])
                for event in events:
                    await stream.ack(event)
            for item in taken[len(events) :]:
                if isinstance(item, Exception):
                    raise item
                return  # the stream ended
    finally:
        drainer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drainer


def run_topic(
    app: faust.App,
    name: str,
    *,
    max_records: int,
    partitions: int,
    replicas: int,
    queued_runs: int = QUEUED_RUNS,
) -> faust.TopicT:
    """A topic whose streams receive runs of at most ``max_records`` records.

    A stream of it yields lists of ``ConsumerMessage`` (key and value as raw bytes),
    all of one partition, in offset order. At most ``queued_runs`` runs wait in the
    stream's buffer; beyond that Faust pauses the partition, as it does for records.
    """
    runs: dict[str, int] = app.__dict__.setdefault("wirewatch_record_runs", {})
    runs[name] = max_records
    return app.topic(
        name,
        schema=RunSchema(),
        partitions=partitions,
        replicas=replicas,
        internal=False,
        maxsize=queued_runs,
    )


class Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per partition: a delivered run's last offset -> the run's other offsets.
        self._runs: defaultdict[TP, dict[int, list[int]]] = defaultdict(dict)

    async def _drain_messages(self, fetcher: ServiceT) -> None:
        """Faust's delivery loop (same offsets, gaps, commits and yields), cheaper per record.

        Records of a ``run_topic`` are collected per partition while the fetch is read
        and handed over afterwards, as runs; the others one by one, as Faust does.
        Only the hand-over differs: when ``delivers_without_waiting``, a delivery is
        awaited directly instead of racing ``suspend_flow`` in ``wait_first``.
        """
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set  # type: ignore[attr-defined]
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        max_run: dict[str, int] = self.app.__dict__.get("wirewatch_record_runs", {})
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records = self.getmany(timeout=1.0)
                await self.sleep(0)  # getmany can return at once, again and again
                if self.should_stop:
                    continue
                runs: dict[TP, list[Message]] = {}
                last_read: dict[TP, int | None] = {}
                async for tp, message in records:
                    offset = message.offset
                    last = last_read[tp] if tp in last_read else read_offset[tp]
                    if last is not None and offset < last:
                        continue  # fetched before a seek moved this partition back
                    if last and offset - last > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, last + 1, offset)  # compacted away
                    last_read[tp] = offset
                    if tp.topic in max_run:
                        runs.setdefault(tp, []).append(message)
                        continue
                    since_yield += 1
                    if since_yield > 100:  # let other tasks run during a long batch
                        since_yield = 0
                        await asyncio.sleep(0)
                    await self._hand_over(tp, message)
                    read_offset[tp] = offset
                for tp, run in runs.items():
                    size = max_run[tp.topic]
                    for start in range(0, len(run), size):
                        if not self.flow_active:
                            break  # a rebalance: the seek reads them again
                        part = run[start : start + size]
                        self._runs[tp][part[-1].offset] = [r.offset for r in part[:-1]]
                        await self._hand_over(tp, RecordRun(tp, part))
                        read_offset[tp] = part[-1].offset
                        await asyncio.sleep(0)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except (asyncio.CancelledError, *self.consumer_stopped_errors):
            if self.transport.app.should_stop:
                return
            raise
        except Exception:
            log.exception("Delivering records failed")
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _hand_over(self, tp: TP, message: Message) -> None:
        if self._commit_every is not None and self._n_acked >= self._commit_every:
            self._n_acked = 0
            await self.commit()
        if delivers_without_waiting(self, tp):
            await self.callback(message)
        else:
            await self.wait_first(self.callback(message), self.suspend_flow.wait())

    def _new_offset(self, tp: TP) -> int | None:
        """Faust's offset to commit, once the runs acknowledged at their last offset
        count as acknowledged for their other offsets too."""
        runs = self._runs.get(tp)
        if runs:
            acked, index = self._acked[tp], self._acked_index[tp]
            committed = self._committed_offset.get(tp)
            for last in [last for last in runs if committed is not None and last < committed]:
                del runs[last]  # acknowledged as stale, or dropped: read again after a seek
            for last in [last for last in runs if last in index]:
                for offset in runs.pop(last):
                    if offset not in index and (committed is None or offset >= committed):
                        index.add(offset)
                        acked.append(offset)
        return super()._new_offset(tp)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self._runs.pop(tp, None)  # as Faust drops their acks
        await super().on_partitions_revoked(revoked)

    async def perform_seek(self) -> None:
        generation = self.app.consumer_generation_id
        resume = self.flow_active
        self.stop_flow()  # the drain loop leaves the batch it was delivering
        try:
            await super().perform_seek()
            await self._rewind_uncommitted()
        finally:
            # Not if another rebalance began meanwhile: it stopped the flow for itself.
            if resume and self.app.consumer_generation_id == generation:
                self.resume_flow()

    async def _rewind_uncommitted(self) -> None:
        rewind = uncommitted_stream_partitions(self)
        if not rewind:
            return
        names = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(rewind))
        if self.app.conf.consumer_auto_offset_reset != "earliest":
            log.warning(
                "%s: no committed offset, and auto_offset_reset %r leaves them where the "
                "fetcher was: records buffered before this rebalance are skipped",
                names,
                self.app.conf.consumer_auto_offset_reset,
            )
            return
        log.info("%s: no committed offset yet, reading again from the start", names)
        earliest = await self.earliest_offsets(*rewind)
        await self.seek_wait({tp: earliest[tp] for tp in rewind})


def delivers_without_waiting(consumer: faust_aiokafka.Consumer, tp: TP) -> bool:
    """Whether handing a record of ``tp`` to its streams completes without yielding.

    Faust's handler for a partition waits only for: the app's flow control
    (suspended during a rebalance), the producer buffer above its limit, the lock
    guarding the handler map, or a full stream buffer. This checks each of them (and
    that the consumer's flow is not being suspended); with all clear, the handler
    puts the event into every stream's buffer and returns without yielding, so
    nothing can block the delivery and it needs no race against a rebalance.
    """
    app = consumer.app
    topics = app.topics
    if consumer.suspend_flow.is_set() or not app.flow_control.is_active():
        return False
    buffer = app.producer.buffer
    if buffer.size > buffer.max_messages or topics._tp_to_callback_lock.locked():
        return False
    channels = topics._tp_index.get(tp)
    return bool(channels) and not any(channel.queue.full() for channel in channels)


async def send_record(
    app: faust.App,
    topic: str,
    key: bytes | None,
    value: Any,
    *,
    partition: int | None = None,
    timestamp: float | None = None,
    headers: Mapping[str, bytes] | None = None,
) -> None:
    """Hand one record (``value`` encoded with the orjson codec) to Faust's producer.

    Awaited, so records are queued in the order they are sent. Straight to the
    producer rather than through ``Topic.send``: the same aiokafka producer, so
    Faust's flush before each commit covers it, without the per-message channel
    machinery (a future message, a pending message, sensors, callbacks), which cost
    ~55 µs per record here (README: Performance, "Transport"). A record that
    still fails after the producer's retries is logged, as ``Topic.send`` does.
    """
    data = None if value is None else codecs.dumps(value)
    delivery = await app.producer.send(topic, key, data, partition, timestamp, headers)
    delivery.add_done_callback(partial(_log_failed_delivery, topic, key))


def _log_failed_delivery(topic: str, key: bytes | None, delivery: asyncio.Future) -> None:
    if not delivery.cancelled() and delivery.exception() is not None:
        log.error("sending %r to %s failed: %r", key, topic, delivery.exception())


def uncommitted_stream_partitions(consumer: faust_aiokafka.Consumer) -> list[TP]:
    """Assigned partitions that agents read with acks and that have no committed offset."""
    committed = consumer._committed_offset  # set by perform_seek: the offset, or absent
    return [
        tp
        for tp in consumer.assignment()
        if not committed.get(tp)
        and consumer.app.topics.acks_enabled_for(tp.topic)
        and not consumer._is_changelog_tp(tp)
    ]


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
