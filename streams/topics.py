"""Every Kafka topic Wirewatch reads or writes, declared once.

Names get ``Settings.topic_prefix``; the partition count is ``Settings.partitions``
unless a topic pins its own. ``ensure_topics`` creates whatever is missing.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from .config import Settings
from .kafka_clients import admin_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    base: str
    key: str  # what the record key is
    schema: str | None  # file under schemas/ describing the value
    description: str
    compacted: bool = False
    retention_ms: int | None = None
    fixed_partitions: int | None = None  # ignore Settings.partitions (e.g. a global stage)
    internal: bool = False  # an implementation detail between two agents, not an interface

    def partitions(self, settings: Settings) -> int:
        return self.fixed_partitions or settings.partitions

    def name(self, settings: Settings) -> str:
        return settings.topic(self.base)

    def configs(self, settings: Settings) -> dict[str, str]:
        cfg = {"max.message.bytes": str(settings.transport_max_bytes)}
        if self.compacted:
            cfg["cleanup.policy"] = "compact"
        if self.retention_ms is not None:
            cfg["retention.ms"] = str(self.retention_ms)
        return cfg


RAW_ARTICLES = TopicSpec(
    "raw-articles",
    "article id (or none)",
    "raw-article.v1.json",
    "Articles as published by sources; bytes are validated by the enrich agent.",
)
ARTICLES_ENRICHED = TopicSpec(
    "articles-enriched",
    "article id",
    "enriched-article.v1.json",
    "One record per article (and per correction) with everything Wirewatch found.",
)
ALERTS = TopicSpec(
    "alerts",
    "alert id",
    "alert.v1.json",
    "Alerts fired or updated by the rule engine.",
)
ACTOR_MENTIONS = TopicSpec(
    "actor-mentions",
    "actor id + window",
    "actor-mention.v1.json",
    "Windowed actor-mention counts for dashboards that do not call the API.",
    compacted=True,
)
DEAD_LETTER = TopicSpec(
    "dead-letter",
    "source topic/partition/offset",
    "dead-letter.v1.json",
    "Anything Wirewatch could not process, with the original bytes and a reason.",
)

STORIES_STAGE = TopicSpec(
    "stories-stage",
    "article id",
    None,
    "Internal: enriched articles with their MinHash, on one partition so one story "
    "index sees every article.",
    fixed_partitions=1,
    internal=True,
    retention_ms=3 * 24 * 3600 * 1000,
)

ALERTS_STAGE = TopicSpec(
    "alerts-stage",
    "alert id",
    None,
    "Internal: rule matches re-keyed by alert id, so each alert's state lives on one "
    "partition of the alert-state table.",
    internal=True,
    retention_ms=3 * 24 * 3600 * 1000,
)

MENTIONS_STAGE = TopicSpec(
    "mentions-stage",
    "actor id",
    None,
    "Internal: one record per (article, actor) keyed by actor id, so each actor's "
    "windows live on one partition of the mention tables.",
    internal=True,
    retention_ms=7 * 24 * 3600 * 1000,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    RAW_ARTICLES,
    STORIES_STAGE,
    ALERTS_STAGE,
    MENTIONS_STAGE,
    ARTICLES_ENRICHED,
    ALERTS,
    ACTOR_MENTIONS,
    DEAD_LETTER,
)


def ensure_topics(settings: Settings, specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[str]:
    """Create missing topics; return the names that were created."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name(settings),
                num_partitions=spec.partitions(settings),
                replication_factor=settings.replication_factor,
                topic_configs=spec.configs(settings),
            )
            for spec in specs
            if spec.name(settings) not in existing
        ]
        if not wanted:
            return []
        with contextlib.suppress(TopicAlreadyExistsError):  # another process raced us
            admin.create_topics(wanted, validate_only=False)
        created = [t.name for t in wanted]
        log.info("created topics: %s", ", ".join(created))
        return created
    finally:
        admin.close()
