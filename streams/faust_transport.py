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
"""

from __future__ import annotations

import logging

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

log = logging.getLogger(__name__)


class Consumer(faust_aiokafka.Consumer):
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
