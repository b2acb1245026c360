"""The Faust application: topics bound to codecs, agents registered, nothing else.

``faust -A streams.app worker`` works, but ``wirewatch worker`` is the supported
entry point (it also creates missing topics first).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import faust

from . import codecs, faust_transport, heap, metrics, topics
from .config import ConfigError, Settings, load_settings
from .kafka_clients import faust_credentials
from .partitioning import KeyPartitioner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppTopics:
    """The Faust topic objects, one per declaration in ``streams.topics``."""

    raw: faust.TopicT
    stories_stage: faust.TopicT
    alerts_stage: faust.TopicT
    mentions_stage: faust.TopicT
    enriched: faust.TopicT
    alerts: faust.TopicT
    actor_mentions: faust.TopicT
    dead_letter: faust.TopicT


def _bind_topics(app: faust.App, settings: Settings) -> AppTopics:
    def bind(spec: topics.TopicSpec, value_serializer: str) -> faust.TopicT:
        return app.topic(
            spec.name(settings),
            key_type=bytes,
            value_type=bytes if value_serializer == "raw" else None,
            key_serializer="raw",
            value_serializer=value_serializer,
            partitions=spec.partitions(settings),
            replicas=settings.replication_factor,
            internal=False,
        )

    return AppTopics(
        # Delivered in runs of raw records: the enrich agent decodes and validates them
        # itself, so a malformed message becomes a dead letter instead of a codec crash.
        raw=faust_transport.run_topic(
            app,
            topics.RAW_ARTICLES.name(settings),
            max_records=settings.batch_size,
            partitions=topics.RAW_ARTICLES.partitions(settings),
            replicas=settings.replication_factor,
        ),
        stories_stage=bind(topics.STORIES_STAGE, "orjson"),
        alerts_stage=bind(topics.ALERTS_STAGE, "orjson"),
        mentions_stage=bind(topics.MENTIONS_STAGE, "orjson"),
        enriched=bind(topics.ARTICLES_ENRICHED, "orjson"),
        alerts=bind(topics.ALERTS, "orjson"),
        actor_mentions=bind(topics.ACTOR_MENTIONS, "orjson"),
        dead_letter=bind(topics.DEAD_LETTER, "orjson"),
    )


def faust_config(settings: Settings) -> dict[str, Any]:
    """The ``faust.App`` settings of a worker (the bench's pass-through agent uses them too)."""
    return {
        "broker": "kafka://" + settings.bootstrap.replace(",", ";"),
        "broker_credentials": faust_credentials(settings),
        "key_serializer": "raw",
        "value_serializer": "orjson",
        "datadir": str(settings.worker_dir),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "producer_acks": -1,
        # One request carries many records: 16 KB batches (the default) hold three 5 KB
        # articles, and per-request overhead then dominates (see README Performance).
        # They fill while the previous request is in flight, so no linger is needed.
        "producer_linger": settings.producer_linger_ms / 1000,
        "producer_max_batch_size": settings.producer_batch_bytes,
        "producer_max_request_size": settings.transport_max_bytes,
        # Kafka's default partitioning with each key's murmur2 computed once
        # (streams.partitioning): aiokafka's is pure Python, ~10 µs per keyed record.
        "producer_partitioner": KeyPartitioner(),
        "consumer_max_fetch_size": settings.transport_max_bytes,
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        "web_bind": settings.web_host,
        # NLP of one batch can take seconds; keep the group membership alive.
        "broker_max_poll_interval": 300.0,
    }


def faust_app(settings: Settings, **overrides: Any) -> faust.App:
    """A ``faust.App`` with the worker's settings and transport, no agents yet.

    The bench's pass-through agent is built on it too, so it moves records exactly
    as the worker does. ``overrides`` replace ``faust_config`` settings.
    """
    codecs.register()
    settings.worker_dir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(settings.group_id, **{**faust_config(settings), **overrides})
    app.transport = faust_transport.Transport(app.conf.broker_consumer, app)
    return app


def create_app(settings: Settings) -> faust.App:
    """The worker's app: the agents of ``settings.role`` (see ``Settings.role``)."""
    app = faust_app(settings)
    app.wirewatch_settings = settings  # type: ignore[attr-defined]
    app.wirewatch_topics = _bind_topics(app, settings)  # type: ignore[attr-defined]
    bound: AppTopics = app.wirewatch_topics  # type: ignore[attr-defined]

    from . import web
    from .agents import alerts, deliver, enrich, mentions, stories

    @app.task
    async def _event_loop_lag() -> None:
        await metrics.watch_event_loop()

    if settings.role in ("all", "enrich"):
        enrich.register(app, bound, settings)
    if settings.role == "enrich":
        web.register_enrich(app, settings)
        return app
    # What the downstream agents keep (tables, the story index, the counting state) is
    # frozen out of garbage collection once recovered, as the models are (heap.py).
    freezer = heap.FreezeWhenSettled(_frozen)
    stories.register(app, bound, settings, on_recovered=freezer.request)
    alerts.register(app, bound, settings)
    deliver.register(app, bound, settings)
    counting = mentions.register(app, bound, settings, on_recovered=freezer.request)
    web.register(app, settings, counting)
    return app


def _frozen(count: int) -> None:
    metrics.GC_FROZEN_OBJECTS.set(count)
    log.info("%d objects kept out of garbage collection after the tables' recovery", count)


EVENT_LOOPS = ("uvloop", "asyncio")


def use_event_loop(name: str) -> None:
    """Make ``name`` (one of ``EVENT_LOOPS``) the loop of every thread started from now on.

    Call it before anything creates a loop: Faust's worker and its consumer thread
    each create theirs through the policy set here.
    """
    if name not in EVENT_LOOPS:
        raise ConfigError(f"event_loop must be one of {list(EVENT_LOOPS)}, not {name!r}")
    if name == "uvloop":
        import uvloop

        policy: type[asyncio.AbstractEventLoopPolicy] = uvloop.EventLoopPolicy
    else:
        policy = asyncio.DefaultEventLoopPolicy
    # Idempotent: a new policy would forget a loop the current one has already made.
    if type(asyncio.get_event_loop_policy()) is not policy:
        asyncio.set_event_loop_policy(policy())


def run_worker(app: faust.App, loglevel: str, event_loop: str) -> None:
    """Run ``app`` as a Faust worker until it is stopped (blocks; exits the process).

    Without Faust's terminal spinner: at log levels of WARNING and above the spinner
    sets the root logger to DEBUG, so every ``log.debug`` on the message path of
    aiokafka and Faust builds a record nobody prints (~6 % of a pass-through's CPU).
    """
    from faust.worker import Worker

    use_event_loop(event_loop)
    metrics.watch_gc()
    worker = Worker(app, loglevel=loglevel, quiet=True)
    worker.spinner = None
    worker.execute_from_commandline()


def __getattr__(name: str) -> faust.App:
    """``streams.app.app`` for ``faust -A streams.app``, built on first use, not on import."""
    if name == "app":
        globals()["app"] = create_app(load_settings())
        return globals()["app"]
    raise AttributeError(name)
