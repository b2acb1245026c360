"""A real Prometheus scrapes a real worker, and the metrics come back through its HTTP API.

Prometheus runs from the Debian package (``.ci/run`` installs it) on a free
loopback port with a temporary copy of ``deploy/prometheus/`` pointed at the
worker; the test skips when the binary is absent on a developer's machine.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from .conftest import WorkerProcess, free_port, produce

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")


def _get(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return orjson.loads(resp.read())


@pytest.fixture
def prometheus(worker: WorkerProcess, tmp_path: Path) -> Iterator[str]:
    if PROMETHEUS is None:
        pytest.skip(
            "prometheus is not installed (Debian package `prometheus`; .ci/run installs it)"
        )
    config = (REPO / "deploy/prometheus/prometheus.yml").read_text()
    config = config.replace("scrape_interval: 15s", "scrape_interval: 1s")
    config = config.replace('"127.0.0.1:6066"', f'"127.0.0.1:{worker.web_port}"')
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(REPO / "deploy/prometheus/wirewatch-rules.yml", tmp_path)
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def query(base: str, expr: str) -> list[dict[str, Any]]:
    body = _get(base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_shipped_prometheus_config_and_rules_are_valid() -> None:
    if PROMTOOL is None:
        pytest.skip("promtool is not installed (Debian package `prometheus`)")
    deploy = REPO / "deploy/prometheus"
    subprocess.run([PROMTOOL, "check", "config", str(deploy / "prometheus.yml")], check=True)
    subprocess.run([PROMTOOL, "check", "rules", str(deploy / "wirewatch-rules.yml")], check=True)


def test_prometheus_scrapes_the_worker_and_answers_queries(
    worker: WorkerProcess, prometheus: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    article = {"id": f"metrics-{tag}", "text": "Le ministre a parlé à Paris.", "source": "test"}
    produce(worker.settings, "raw-articles", [orjson.dumps(article)], keys=[article["id"].encode()])
    produce(worker.settings, "raw-articles", [b"{not json"], keys=[f"bad-{tag}".encode()])
    raw_topic = worker.settings.topic("raw-articles")

    deadline = time.monotonic() + 120
    while True:
        up = query(prometheus, 'up{job="wirewatch"}')
        consumed = query(prometheus, f'wirewatch_articles_in_total{{topic="{raw_topic}"}}')
        dead = query(prometheus, 'wirewatch_dead_letters_total{reason="invalid_json"}')
        latency = query(prometheus, "wirewatch_raw_to_enriched_seconds_count")
        lag = query(prometheus, "wirewatch_consumer_lag")  # set by a 5 s timer after commits
        if (
            up
            and consumed
            and dead
            and latency
            and lag
            and float(consumed[0]["value"][1]) >= 2
            and float(latency[0]["value"][1]) >= 1
        ):
            break
        assert time.monotonic() < deadline, f"up={up} consumed={consumed} dead={dead}"
        time.sleep(1)
    assert up[0]["value"][1] == "1"
    assert float(dead[0]["value"][1]) >= 1
    # Histograms and gauges are there too, ready for the Grafana dashboard's queries.
    assert query(prometheus, "wirewatch_enrich_batch_seconds_bucket")
    assert query(prometheus, "wirewatch_table_keys")
    rules = _get(prometheus + "/api/v1/rules")["data"]["groups"]
    assert {r["name"] for g in rules for r in g["rules"]} >= {"WirewatchWorkerDown"}


def test_every_grafana_query_is_valid_promql_on_real_metrics(
    worker: WorkerProcess, prometheus: str
) -> None:
    """The shipped dashboard's queries parse and name only metrics the worker exposes."""
    dashboard = orjson.loads((REPO / "deploy/grafana/wirewatch-dashboard.json").read_bytes())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 15
    for expr in exprs:
        body = _get(
            prometheus
            + "/api/v1/query?"
            + urllib.parse.urlencode({"query": expr.replace("$__rate_interval", "1m")})
        )
        assert body["status"] == "success", (expr, body)
