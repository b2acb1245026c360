"""``wirewatch enrich``: the streaming code path without Kafka."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, islice

from . import codecs
from .agents.enrich import build_enricher, enrich_safely
from .config import Settings
from .nlp.clustering import BandIndex, assign_story, with_story
from .nlp.pipeline import BatchResult
from .records import SourceRef, dead_letter_record


def enrich_stream(
    settings: Settings, lines: Iterable[bytes], batch_size: int = 32, origin: str = "stdin"
) -> Iterator[tuple[str, str]]:
    """Yield ("out", enriched JSON) and ("err", dead-letter JSON) lines in input order."""
    enricher = build_enricher(settings)
    story_articles: dict = {}  # the same story index as the stream, in memory
    story_index = BandIndex()
    numbered = enumerate(lines, 1)
    while batch := list(islice(numbered, batch_size)):
        messages = [(line, SourceRef(topic=origin, offset=n)) for n, line in batch]
        parts = enrich_safely(enricher, messages, chunked=False)
        result = BatchResult.of(chain.from_iterable(parts))
        for item in result.enriched:
            assignment = assign_story(
                item.key,
                item.signature,
                item.digest,
                item.event_time_ms,
                story_articles,
                story_index,
            )
            yield "out", codecs.dumps(with_story(item.record, assignment)).decode()
        for rej in result.rejected:
            yield "err", codecs.dumps(dead_letter_record(rej)).decode()
