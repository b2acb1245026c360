"""`wirewatch broker up | status | down` as a user runs it (a second broker, own ports)."""

import subprocess
import sys

import pytest

from streams import broker

from .conftest import free_port

pytestmark = pytest.mark.integration


def _cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "broker", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_up_status_down_roundtrip(kafka_settings, tmp_path):
    import os

    if not kafka_settings.manages_broker:
        pytest.skip("an external cluster is configured")
    port = free_port()
    home = tmp_path / "home"
    (home / "kafka-jars").mkdir(parents=True)
    (home / "kafka-jars" / broker.KAFKA_VERSION).symlink_to(broker.jars_dir(kafka_settings))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WIREWATCH_") and k != "KAFKA_BOOTSTRAP_SERVERS"
    }
    env.update(
        WIREWATCH_HOME=str(home),
        WIREWATCH_BROKER_PORT=str(port),
        WIREWATCH_BROKER_CONTROLLER_PORT=str(free_port()),
    )

    up = _cli(env, "up")
    assert up.returncode == 0, up.stderr
    assert f"127.0.0.1:{port}" in up.stdout
    try:
        status = _cli(env, "status")
        assert status.returncode == 0
        assert "answers_metadata: True" in status.stdout
        again = _cli(env, "up")  # idempotent: same pid
        assert (
            again.stdout.split("pid ")[1].split(")")[0] == up.stdout.split("pid ")[1].split(")")[0]
        )
    finally:
        down = _cli(env, "down")
    assert down.returncode == 0 and "broker stopped" in down.stdout
    assert _cli(env, "status").returncode == 1


def test_a_broker_that_cannot_start_reports_its_log(kafka_settings, tmp_path):
    if not kafka_settings.manages_broker:
        pytest.skip("an external cluster is configured")
    settings = kafka_settings.replace(
        home=tmp_path,
        broker_port=free_port(),
        broker_controller_port=free_port(),
        broker_heap="1k",  # the JVM refuses such a heap and exits at once
    )
    (tmp_path / "kafka-jars").mkdir()
    (tmp_path / "kafka-jars" / broker.KAFKA_VERSION).symlink_to(broker.jars_dir(kafka_settings))
    with pytest.raises(broker.BrokerError, match=r"exited with code \d+ during start-up: .*heap"):
        broker.up(settings)
