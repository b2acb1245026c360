"""A real Kafka broker and real worker processes, for the integration and e2e tests.

The fixtures are registered once, in tests/conftest.py, so every test directory
shares one session broker.

If ``KAFKA_BOOTSTRAP_SERVERS`` is set, that cluster is used; otherwise the
session starts the project's own broker (``streams.broker``) on free loopback
ports in a temporary home and stops it at the end. Every session uses a fresh
topic prefix and consumer group, so runs never see each other's records.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams import broker
from streams.config import Settings, load_settings
from streams.kafka_clients import consumer, producer
from streams.topics import ensure_topics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def kafka_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp("wirewatch-home")
    prefix = f"t{uuid.uuid4().hex[:8]}."
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        settings = load_settings(home=home, topic_prefix=prefix)
        yield settings
        return
    port = free_port()
    settings = load_settings(
        env={k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")},
        home=home,
        broker_port=port,
        broker_controller_port=free_port(),
        topic_prefix=prefix,
        # Reuse the jar cache across sessions: it is a download, not state.
    )
    jar_home = Path(os.environ.get("WIREWATCH_JAR_HOME", Path.home() / ".cache" / "wirewatch"))
    src = broker.jars_dir(settings.replace(home=jar_home))
    broker.ensure_jars(settings.replace(home=jar_home))
    dst = broker.jars_dir(settings)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.symlink_to(src, target_is_directory=True)
    broker.up(settings)
    try:
        yield settings
    finally:
        broker.down(settings)


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment that makes a `wirewatch` subprocess use exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.update(
        {
            "WIREWATCH_BOOTSTRAP_SERVERS": settings.bootstrap,
            "WIREWATCH_TOPIC_PREFIX": settings.topic_prefix,
            "WIREWATCH_HOME": str(settings.home),
            "WIREWATCH_PARTITIONS": str(settings.partitions),
            **extra,
        }
    )
    return env


class WorkerProcess:
    """A `wirewatch worker` subprocess with its own log file."""

    def __init__(self, settings: Settings, log_path: Path, app_id: str, **env: str) -> None:
        self.settings = settings
        self.log_path = log_path
        self.web_port = free_port()
        self.env = settings_env(
            settings, WIREWATCH_APP_ID=app_id, WIREWATCH_WEB_PORT=str(self.web_port), **env
        )
        self.proc: subprocess.Popen | None = None

    def start(
        self,
        ready_timeout: float = 120.0,
        wait: bool = True,
        ready_line: bytes = b"enrich agent ready",
    ) -> WorkerProcess:
        """Spawn the worker; with ``wait``, return once its log shows ``ready_line``
        (by default: the enrich agent has loaded its NLP).

        The log is appended to across restarts; readiness is read from what this
        start wrote, not from an earlier run's lines.
        """
        if getattr(self, "_log", None) is not None:
            self._log.close()
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        if not wait:
            return self
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited ({self.proc.returncode}):\n{self.log_tail()}")
            with self.log_path.open("rb") as fh:
                fh.seek(offset)
                if ready_line in fh.read():
                    return self
            time.sleep(0.3)
        raise RuntimeError(f"worker not ready in {ready_timeout}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no commit — a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="session")
def topics_ready(kafka_settings: Settings) -> Settings:
    ensure_topics(kafka_settings)
    return kafka_settings


@pytest.fixture(scope="session")
def worker(
    topics_ready: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    proc = WorkerProcess(topics_ready, log, app_id=f"ww-{uuid.uuid4().hex[:6]}").start()
    yield proc
    proc.stop()


def produce(
    settings: Settings,
    topic_base: str,
    values: list[bytes],
    keys: list[bytes | None] | None = None,
    partition: int | None = None,
) -> None:
    """Send and flush; ``partition`` pins every message to one partition (keeps order)."""
    prod = producer(settings)
    try:
        for i, value in enumerate(values):
            prod.send(
                settings.topic(topic_base),
                value=value,
                key=keys[i] if keys else None,
                partition=partition,
            )
        prod.flush()
    finally:
        prod.close()


def collect(
    settings: Settings, topic_base: str, until: Callable[[list[dict]], bool], timeout: float = 90.0
) -> list[dict[str, Any]]:
    """Read a topic from the beginning until ``until(records)`` holds (or time out)."""
    cons = consumer(settings, settings.topic(topic_base), consumer_timeout_ms=500)
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for msg in cons:
                records.append(
                    {
                        "key": msg.key,
                        "value": orjson.loads(msg.value),
                        "partition": msg.partition,
                        "offset": msg.offset,
                        "timestamp": msg.timestamp,
                        "headers": dict(msg.headers),
                    }
                )
            if until(records):
                return records
    finally:
        cons.close()
    raise AssertionError(f"timed out after {timeout}s on {topic_base}; got {len(records)} records")


def metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        return resp.read().decode()


def metric_value(port: int, series: str) -> float:
    """The value of the first ``/metrics`` sample whose series starts with ``series``
    (a name, or a name with the start of its labels: ``name{generation="2"``); 0 if none."""
    for line in metrics_text(port).splitlines():
        name = line.split(" ", 1)[0]
        if name == series or name.startswith(series if "{" in series else series + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def metric_samples(port: int, name: str) -> list[tuple[dict[str, str], float]]:
    """Every ``/metrics`` sample named ``name``, as (labels, value), parsed by
    prometheus_client's exposition parser."""
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(metrics_text(port))
        for sample in family.samples
        if sample.name == name
    ]
