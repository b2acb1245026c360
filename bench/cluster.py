"""The broker a benchmark runs on, and the topics it creates and removes.

A benchmark must never disturb a developer's broker on 9092 or another run's topics,
so unless a cluster is named (``KAFKA_BOOTSTRAP_SERVERS``) it starts the project's own
broker on free loopback ports in a temporary home — reusing the Maven jar cache like
the integration tests do — and every run uses topic names and consumer groups of its
own (``b<run id>-…``), deleted at the end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams import broker
from streams.config import Settings
from streams.kafka_clients import admin_client

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jar_home() -> Path:
    return Path(os.environ.get("WIREWATCH_JAR_HOME", Path.home() / ".cache" / "wirewatch"))


@dataclass(frozen=True)
class Cluster:
    settings: Settings  # home: a temporary folder for worker state
    broker_pid: int | None  # the local broker's JVM, when we can see it (its CPU time)
    started: bool  # True when this run started (and will stop) the broker


@contextlib.contextmanager
def bench_cluster(settings: Settings, start_broker: bool) -> Iterator[Cluster]:
    """Yield a reachable cluster, starting (and then stopping) a private broker.

    With ``start_broker`` false the settings' own cluster is used as it is (the
    integration tests' session broker, or ``KAFKA_BOOTSTRAP_SERVERS``).
    """
    home = Path(tempfile.mkdtemp(prefix="wirewatch-bench-"))
    try:
        if not start_broker:
            yield Cluster(settings.replace(home=home), _broker_pid(settings), False)
            return
        own = settings.replace(
            bootstrap_servers=None,
            home=home,
            broker_port=free_port(),
            broker_controller_port=free_port(),
            broker_sasl_port=None,
        )
        cache = own.replace(home=jar_home())
        broker.ensure_jars(cache)
        dst = broker.jars_dir(own)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(broker.jars_dir(cache), target_is_directory=True)
        state = broker.up(own)
        try:
            yield Cluster(own, state.pid, True)
        finally:
            broker.down(own)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _broker_pid(settings: Settings) -> int | None:
    if not settings.manages_broker:
        return None
    state = broker.read_state(settings)
    return state.pid if state else None


def create_topics(settings: Settings, names: dict[str, int]) -> None:
    """Create plain topics (name → partitions) that no Wirewatch declaration covers."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = admin_client(settings)
    try:
        topics = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=settings.replication_factor,
                topic_configs={"max.message.bytes": str(settings.transport_max_bytes)},
            )
            for name, partitions in names.items()
        ]
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(topics)
    finally:
        admin.close()


def delete_topics(settings: Settings, prefix: str) -> int:
    """Delete every topic whose name starts with ``prefix`` (this run's); return how many."""
    admin = admin_client(settings)
    try:
        names = [t for t in admin.list_topics() if t.startswith(prefix)]
        if names:
            admin.delete_topics(names)
        return len(names)
    except Exception as exc:  # cleanup must not hide the results
        log.warning("could not delete the benchmark's topics: %s", exc)
        return 0
    finally:
        admin.close()


def group_members(settings: Settings, group: str) -> tuple[str, int]:
    """(state, member count) of a consumer group, e.g. ("Stable", 2).

    kafka-python 3 has ``describe_groups`` (dicts); 2.x ``describe_consumer_groups``.
    """
    admin = admin_client(settings)
    try:
        if hasattr(admin, "describe_groups"):
            info: Any = admin.describe_groups([group])[group]
            return str(info.get("group_state")), len(info.get("members") or [])
        info = admin.describe_consumer_groups([group])[0]
        return str(info.state), len(info.members)
    finally:
        admin.close()
