"""The user-facing commands against the real broker: demo, tail."""

import base64
import subprocess
import sys

import orjson
import pytest
from kafka.admin import NewTopic

from streams.demo import sample_articles
from streams.kafka_clients import admin_client

from .conftest import free_port, produce, settings_env

pytestmark = pytest.mark.integration


def test_demo_ingests_the_sample_stream_and_prints_enriched_records(topics_ready, tmp_path):
    """`make demo` runs `wirewatch demo`; here against the session's broker, own app id."""
    env = settings_env(
        topics_ready,
        WIREWATCH_APP_ID="ww-demo-test",
        WIREWATCH_HOME=str(tmp_path),
        WIREWATCH_WEB_PORT=str(free_port()),
    )
    n = len(sample_articles())
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "demo", "--count", str(n)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert out.count("✓ enriched") >= n
    assert "sample-afp-danang-fr  [fr]" in out
    assert "Vladimir Poutine (PER)" in out
    assert "using the configured cluster" in out  # it started no broker of its own


def test_tail_prints_json_lines(topics_ready):
    """Full topic names work too; a topic of its own keeps other tests' topics clean."""
    marker = {"id": "tail-probe", "text": "probe"}
    name = topics_ready.topic("tail-probe")
    admin = admin_client(topics_ready)
    admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    admin.close()
    produce(topics_ready, "tail-probe", [orjson.dumps(marker), b"not json \xff"])
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "tail", name, "--timeout", "5"],
        capture_output=True,
        text=True,
        env=settings_env(topics_ready),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [orjson.loads(line) for line in proc.stdout.strip().splitlines()]
    assert lines[0] == marker
    assert lines[1] == {"base64": base64.b64encode(b"not json \xff").decode()}
