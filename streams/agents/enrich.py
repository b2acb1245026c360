"""raw-articles → stories-stage (+ dead-letter): batching and routing around ``Enricher``.

The story agent (``stories.py``) then adds the story id and publishes to
articles-enriched.

NLP runs in one dedicated thread so the event loop keeps heartbeating and
fetching while spaCy works. Offsets are acknowledged only after the batch's
outputs are handed to the producer, and Faust flushes the producer before it
commits: a crash re-delivers, it never loses (at-least-once; outputs are keyed
by article id and deterministic, so a re-delivery writes the same record again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import faust

from .. import heap, metrics
from ..config import Settings
from ..faust_transport import backlog, behind, send_record, take_runs
from ..nlp.pipeline import BatchResult, Enricher, Part
from ..records import Limits, Rejection, SourceRef, dead_letter_key, dead_letter_record
from ..timeutil import now_rfc3339

log = logging.getLogger(__name__)


def build_enricher(settings: Settings) -> Enricher:
    candidates = tuple(c.strip() for c in settings.language_candidates.split(",") if c.strip())
    return Enricher(
        limits=Limits(
            settings.max_message_bytes,
            settings.max_text_chars,
            settings.nlp_batch_seconds,
            settings.nlp_chars_per_second,
            settings.nlp_chunk_seconds,
        ),
        language_candidates=candidates,
        matmul=settings.nlp_matmul,
    )


def message_input(message: faust.types.Message) -> tuple[bytes | None, SourceRef]:
    ts = message.timestamp
    return message.value, SourceRef(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=int(ts * 1000) if ts else None,
        key=message.key,
    )


def enrich_safely(
    enricher: Enricher, messages: list[tuple[bytes | None, SourceRef]], *, chunked: bool
) -> Iterator[Part]:
    """``enrich_parts`` that cannot raise: after an unexpected error, the messages not
    answered yet are retried one by one (one that fails alone is dead-lettered)."""
    answered: set[int] = set()
    try:
        for part in enricher.enrich_parts(messages, chunked=chunked):
            answered.update(pos for pos, _ in part)
            yield part
        return
    except Exception:
        log.exception("enrichment failed in a batch of %d; isolating", len(messages))
    for pos, (value, ref) in enumerate(messages):
        if pos in answered:
            continue
        try:
            one = enricher.enrich_parts([(value, ref)], chunked=False)
            outcomes = [o for part in one for _, o in part]
        except Exception as exc:
            outcomes = [
                Rejection(
                    "enrichment_failed",
                    f"{type(exc).__name__}: {exc}",
                    "enrich",
                    ref,
                    value or b"",
                )
            ]
        yield [(pos, outcome) for outcome in outcomes]


async def in_thread(executor: ThreadPoolExecutor, parts: Iterator[Part]) -> AsyncIterator[Part]:
    """Run ``parts`` to the end in ``executor``, yielding each part here as it is ready.

    The thread goes on to the next chunk at once: it never waits for the event loop,
    which may be busy with the other agents, to ask for it.
    """
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[Part | None] = asyncio.Queue()

    def run() -> None:
        try:
            for part in parts:
                loop.call_soon_threadsafe(ready.put_nowait, part)
        finally:
            loop.call_soon_threadsafe(ready.put_nowait, None)

    done = loop.run_in_executor(executor, run)
    while (part := await ready.get()) is not None:
        yield part
    await done  # re-raises what the thread raised (enrich_safely itself does not raise)


def register(app: faust.App, topics, settings: Settings) -> None:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wirewatch-nlp")
    stage_name = topics.stories_stage.get_topic_name()
    dead_letter_name = topics.dead_letter.get_topic_name()

    @app.agent(topics.raw, name="enrich")
    async def enrich(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        enricher = await loop.run_in_executor(executor, build_enricher, settings)
        frozen = await loop.run_in_executor(executor, heap.freeze_heap)
        metrics.GC_FROZEN_OBJECTS.set(frozen)
        log.info("%d objects of the loaded models kept out of garbage collection", frozen)
        log.info("enrich agent ready: languages %s", ", ".join(enricher.languages))
        trim = heap.TrimAfterBacklog()
        # Raw records arrive in runs (``faust_transport.run_topic``: what one fetch
        # returned from one partition, at most batch_size records); a batch is the runs
        # waiting when the agent is ready (``take_runs``: at most QUEUED_RUNS). Offsets
        # are acknowledged after the whole batch.
        async for batch in take_runs(stream):
            records = batch.records
            messages = [message_input(m) for m in records]
            started = loop.time()
            # Each chunk's articles are published while the next chunk runs. Small
            # chunks while less than a batch waits (spare capacity: latency first);
            # with a batch's worth or more, one chunk per language (throughput first).
            # What waits is this batch plus what is behind it in the log (high
            # watermarks): a batch can be short under a backlog (the tail of a fetch),
            # and at moderate load a record or two is often behind, which is no backlog.
            waiting = backlog(app.consumer, batch.runs)
            chunked = waiting < settings.batch_size
            parts = enrich_safely(enricher, messages, chunked=chunked)
            async for part in in_thread(executor, parts):
                await publish(BatchResult.of(part), len(messages))
            metrics.enrich_batch(records[0].topic, len(messages), loop.time() - started)
            caught_up = behind(app.consumer, batch.runs) == 0
            if trim.after_batch(backlog=not chunked, caught_up=caught_up):
                await release_heap(loop)

    async def release_heap(loop: asyncio.AbstractEventLoop) -> None:
        """In the NLP thread, which is idle now; the call itself runs without the GIL."""
        release = await loop.run_in_executor(executor, heap.release_free_heap)
        if release is not None:
            metrics.heap_released(release.seconds, release.released_bytes)
            log.info(
                "backlog worked off: %s MB of free heap returned to the OS in %.1f ms",
                "?" if release.released_bytes is None else release.released_bytes >> 20,
                release.seconds * 1000,
            )

    async def publish(result: BatchResult, batch_size: int) -> None:
        enriched_at = now_rfc3339().encode()
        for item in result.enriched:
            # The raw record's timestamp travels on: event time when published_at is absent.
            ts = item.ref.timestamp_ms / 1000 if item.ref.timestamp_ms else None
            await send_record(
                app,
                stage_name,
                item.key.encode(),
                item.story_stage_value(),
                timestamp=ts,
                headers={"wirewatch-enriched-at": enriched_at},
            )
            metrics.produced(stage_name)
        for rej in result.rejected:
            await send_record(app, dead_letter_name, dead_letter_key(rej), dead_letter_record(rej))
            metrics.dead_letter(rej.reason, dead_letter_name)
        if result.rejected:
            log.warning(
                "dead-lettered %d of %d messages (%s)",
                len(result.rejected),
                batch_size,
                ", ".join(sorted({r.reason for r in result.rejected})),
            )
