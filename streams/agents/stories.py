"""stories-stage → articles-enriched: give each article its story id, then publish it.

Near-duplicate search must see every article, so this stage reads a one-partition
internal topic and keeps the indexed articles (signature, story, version) in a
changelog-backed Faust table on that partition (state survives restarts; a
standby worker can take over). The LSH band index over them is derived, kept in
memory and rebuilt from the table whenever Faust finishes a recovery, before the
partition resumes. The work per article is a MinHash comparison, well under a
millisecond, so one partition is not the bottleneck; the NLP before it scales
with raw-articles' partitions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import faust

from .. import metrics
from ..config import Settings
from ..faust_transport import send_record
from ..nlp.clustering import (
    BandIndex,
    assign_story,
    decode_signature,
    expired,
    forget,
    with_story,
)

log = logging.getLogger(__name__)


def register(
    app: faust.App,
    topics,
    settings: Settings,
    on_recovered: Callable[[], None] | None = None,
) -> None:
    """The stories agent and its table; ``on_recovered`` is called once the band index
    is rebuilt after each recovery."""
    enriched_name = topics.enriched.get_topic_name()

    def table(name: str) -> faust.Table:
        # orjson keys: str keys come back as str after changelog recovery (raw gives bytes).
        schema = faust.Schema(key_type=str, key_serializer="orjson", value_serializer="orjson")
        return app.Table(name, default=None, partitions=1, schema=schema)

    articles = table("story-articles")
    # Not a table: the bands are derived from the articles (the former "story-buckets"
    # table wrote 32 changelog records per article; its topic is no longer read).
    index = BandIndex()

    @articles.on_recover
    async def _rebuild_index() -> None:
        started = time.perf_counter()
        # Streams are paused until this returns; a thread keeps the loop (web server,
        # other agents' timers) serving while a large window is indexed again.
        n = await asyncio.to_thread(index.rebuild, list(articles.data.items()))
        log.info(
            "story index ready: %d article(s) indexed in %.0f ms",
            n,
            (time.perf_counter() - started) * 1000,
        )
        if on_recovered is not None:
            on_recovered()

    @app.agent(topics.stories_stage, name="stories")
    async def stories(stream: faust.StreamT) -> None:
        watermark = 0  # newest event time seen: the index forgets what the window left behind
        since_sweep = 0
        async for event in stream.events():
            value = event.value
            record = value["record"]
            watermark = max(watermark, value["t"] or 0)
            since_sweep += 1
            if since_sweep >= settings.story_sweep_every:
                # Here, inside the stream: a table delete needs the current event. Each
                # delete is a changelog tombstone in Faust's producer buffer, and past 100
                # buffered records Faust holds every delivery until it drains: so short,
                # frequent sweeps, each forgetting no more articles than arrived since.
                since_sweep = 0
                gone = expired(articles, watermark, limit=settings.story_sweep_every)
                for article_id in gone:
                    forget(article_id, articles, index)
                if gone:
                    log.debug("story index: forgot %d article(s) outside the window", len(gone))
            assignment = assign_story(
                record["id"],
                decode_signature(value["sig"]),
                value["h"],
                value["t"],
                articles,
                index,
            )
            record = with_story(record, assignment)
            message = event.message
            await send_record(
                app,
                enriched_name,
                record["id"].encode(),
                record,
                timestamp=message.timestamp or None,
                headers=dict(message.headers or {}),
            )
            metrics.consumed(message.topic)
            metrics.enriched_published(enriched_name, message.timestamp)
