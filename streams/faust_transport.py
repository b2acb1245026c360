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
"""

from __future__ import annotations

import asyncio
import logging

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from mode import ServiceT

log = logging.getLogger(__name__)


class Consumer(faust_aiokafka.Consumer):
    async def _drain_messages(self, fetcher: ServiceT) -> None:
        """Faust's delivery loop (same offsets, gaps, commits and yields), cheaper per record.

        Only the hand-over differs: records that ``delivers_without_waiting`` are
        awaited directly instead of racing ``suspend_flow`` in ``wait_first`` (README:
        Performance has what it saves).
        """
        deliver = self.callback
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set  # type: ignore[attr-defined]
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records = self.getmany(timeout=1.0)
                await self.sleep(0)  # getmany can return at once, again and again
                if self.should_stop:
                    continue
                async for tp, message in records:
                    since_yield += 1
                    if since_yield > 100:  # let other tasks run during a long batch
                        since_yield = 0
                        await asyncio.sleep(0)
                    offset, last = message.offset, read_offset[tp]
                    if last is not None and offset < last:
                        continue  # fetched before a seek moved this partition back
                    if last and offset - last > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, last + 1, offset)  # compacted away
                    if self._commit_every is not None and self._n_acked >= self._commit_every:
                        self._n_acked = 0
                        await self.commit()
                    if delivers_without_waiting(self, tp):
                        await deliver(message)
                    else:
                        await self.wait_first(deliver(message), self.suspend_flow.wait())
                    read_offset[tp] = offset
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
