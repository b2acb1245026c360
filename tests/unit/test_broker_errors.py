"""`wirewatch broker` fails with one clear line when a prerequisite is missing."""

import socket
from pathlib import Path

import pytest

from streams import broker
from streams.config import load_settings


def _settings(tmp_path: Path, port: int = 19999):
    return load_settings(env={}, home=tmp_path, broker_port=port, broker_controller_port=port + 1)


def test_port_taken_is_reported(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(broker.BrokerError, match=f"port {port} .* already taken"):
            broker.up(_settings(tmp_path, port))


def test_missing_java_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(broker.BrokerError, match="java not found"):
        broker.up(_settings(tmp_path))


def test_missing_maven_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(broker.BrokerError, match="mvn not found"):
        broker.ensure_jars(_settings(tmp_path))


def test_external_cluster_starts_nothing(tmp_path: Path):
    s = load_settings(env={"KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092"}, home=tmp_path)
    with pytest.raises(broker.BrokerError, match="starts no broker"):
        broker.up(s)


def test_down_without_a_broker_is_a_no_op(tmp_path: Path):
    assert broker.down(_settings(tmp_path)) is False
