"""Kafka security settings pass through: a worker authenticates to a SASL listener."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import orjson
import pytest

from streams import broker
from streams.config import KafkaSecurity
from streams.topics import ensure_topics

from .conftest import WorkerProcess, collect, free_port, produce, settings_env

pytestmark = pytest.mark.integration

PASSWORD = "alice-Secret-7f3a"


@pytest.fixture(scope="module")
def sasl_broker(kafka_settings, tmp_path_factory):
    """A second local broker with a SASL_PLAINTEXT listener (PLAIN + SCRAM users)."""
    if not kafka_settings.manages_broker:
        pytest.skip("an external cluster is configured; the SASL broker is a local one")
    home = tmp_path_factory.mktemp("sasl-home")
    (home / "kafka-jars").mkdir()
    (home / "kafka-jars" / broker.KAFKA_VERSION).symlink_to(broker.jars_dir(kafka_settings))
    settings = kafka_settings.replace(
        home=home,
        broker_port=free_port(),
        broker_controller_port=free_port(),
        broker_sasl_port=free_port(),
        broker_sasl_users=f"alice:{PASSWORD},bob:bob-pw",
    )
    broker.up(settings)
    yield settings
    broker.down(settings)


def _client(sasl_broker, password: str, mechanism: str = "PLAIN"):
    return sasl_broker.replace(
        bootstrap_servers=f"127.0.0.1:{sasl_broker.broker_sasl_port}",
        topic_prefix=f"sasl{uuid.uuid4().hex[:6]}.",
        security=KafkaSecurity(
            protocol="SASL_PLAINTEXT",
            sasl_mechanism=mechanism,
            sasl_username="alice",
            sasl_password=password,
        ),
    )


def _security_env(settings) -> dict[str, str]:
    sec = settings.security
    return {
        "WIREWATCH_SECURITY_PROTOCOL": sec.protocol,
        "WIREWATCH_SECURITY_SASL_MECHANISM": sec.sasl_mechanism,
        "WIREWATCH_SECURITY_SASL_USERNAME": sec.sasl_username,
        "WIREWATCH_SECURITY_SASL_PASSWORD": sec.sasl_password,
    }


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_worker_authenticates_and_enriches(sasl_broker, tmp_path: Path, mechanism):
    settings = _client(sasl_broker, PASSWORD, mechanism)
    ensure_topics(settings)
    worker = WorkerProcess(
        settings, tmp_path / "worker.log", app_id=f"ww-sasl-{mechanism}", **_security_env(settings)
    ).start()
    try:
        produce(
            settings,
            "raw-articles",
            [orjson.dumps({"id": "sasl-1", "text": "Le président a parlé à Paris."})],
        )
        records = collect(
            settings, "articles-enriched", lambda rs: any(r["value"]["id"] == "sasl-1" for r in rs)
        )
    finally:
        worker.stop()
    assert records[0]["value"]["language"] == "fr"
    assert PASSWORD not in worker.log_path.read_text()


def test_wrong_password_fails_fast_with_a_clear_message(sasl_broker):
    settings = _client(sasl_broker, "not-the-password")
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=settings_env(settings, **_security_env(settings)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    last_line = output.strip().splitlines()[-1]
    assert last_line.startswith("Error: cannot use Kafka at 127.0.0.1:")
    assert "'alice'" in last_line and "SASL PLAIN" in last_line
    assert "not-the-password" not in output
