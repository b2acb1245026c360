"""Actor tables on a real broker with real workers: every window equals a batch recomputation.

Synthetic enriched articles (out of order, on window edges, duplicated,
corrected, some without published_at) are produced to articles-enriched. Then
every actor window on the public actor-mentions topic (latest record per key),
and every pair and actor × country window through the query API, must equal
``streams.tables.batch.recompute`` of the same input. The worker is then
restarted (state must come back from the changelogs), and killed with SIGKILL
in the middle of a replay (counts must still be exact).
"""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.config import Settings
from streams.kafka_clients import consumer, producer
from streams.tables.batch import recompute
from streams.tables.synthetic import COUNTRIES, Published, articles
from streams.tables.windows import DAY_MS, HOUR_MS
from streams.topics import ensure_topics

from .conftest import WorkerProcess, metric_value

pytestmark = pytest.mark.integration

LATENESS_S = 48 * 3600  # the synthetic stream spans 30 hours: nothing in it is late
SPAN_HOURS = 30
ENV = {
    "WIREWATCH_MENTIONS_ALLOWED_LATENESS": str(LATENESS_S),
    "WIREWATCH_MENTIONS_KEEP_MINUTES": str(3 * 86400),
}


def start_ms() -> int:
    """Recent event times (topics' time-based retention would drop records from 2017)."""
    now = int(time.time() * 1000)
    return now - now % HOUR_MS - (SPAN_HOURS + 10) * HOUR_MS


# ------------------------------------------------------------------------ helpers
def http_json(port: int, path: str, timeout: float = 30.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"null")


def wait_ready(worker: WorkerProcess, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = http_json(worker.web_port, "/healthz", timeout=5)
            if status == 200 and body["tables_ready"] and body["live_feed_ready"]:
                return
        except OSError:
            pass
        assert worker.alive, worker.log_tail()
        time.sleep(0.5)
    raise AssertionError(f"worker tables not ready:\n{worker.log_tail()}")


def publish(settings: Settings, items: list[Published]) -> None:
    prod = producer(settings)
    try:
        for item in items:
            prod.send(
                settings.topic("articles-enriched"),
                key=item.record["id"].encode(),
                value=orjson.dumps(item.record),
                timestamp_ms=item.timestamp_ms,
            )
        prod.flush()
    finally:
        prod.close()


class MentionsTopic:
    """The latest value of every actor-mentions key, read incrementally."""

    def __init__(self, settings: Settings) -> None:
        self.consumer = consumer(
            settings, settings.topic("actor-mentions"), consumer_timeout_ms=500
        )
        self.latest: dict[bytes, dict[str, Any] | None] = {}

    def poll(self) -> None:
        for msg in self.consumer:
            self.latest[msg.key] = orjson.loads(msg.value) if msg.value is not None else None

    def counts(self) -> dict[tuple, list[int]]:
        out = {}
        for value in self.latest.values():
            if value and value["count"]:
                key = ("a", value["actor"], value["window"], value["start_ms"])
                out[key] = [value["count"], value["mentions"]]
        return out

    def close(self) -> None:
        self.consumer.close()


def expected_actor_counts(expected: dict) -> dict:
    return {k: v for k, v in expected.items() if k[0] == "a" and v[0]}


def diff(got: dict, want: dict, limit: int = 8) -> str:
    keys = sorted(set(got) | set(want), key=str)
    bad = [(k, got.get(k), want.get(k)) for k in keys if got.get(k) != want.get(k)]
    lines = [f"{len(bad)} differing windows (got, want):"]
    lines += [f"  {k}: {g} != {w}" for k, g, w in bad[:limit]]
    return "\n".join(lines)


def wait_topic_equals(topic: MentionsTopic, want: dict, worker: WorkerProcess, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topic.poll()
        if topic.counts() == want:
            return
        assert worker.alive, worker.log_tail()
    raise AssertionError("actor-mentions never matched the batch: " + diff(topic.counts(), want))


def check_api_windows(port: int, expected: dict) -> int:
    """Every pair and actor × country window through the API equals the batch. Returns checks.

    Every 1-hour and 24-hour window from a day before the data to an hour after it
    is asked for, so a window the stream has and the batch has not fails too.
    """
    hours = sorted({k[-1] for k in expected if k[0] == "a" and k[-2] == "1h"})
    starts = range(hours[0] - DAY_MS, hours[-1] + 2 * HOUR_MS, HOUR_MS)
    checks = 0
    for size in ("1h", "24h"):
        for start in starts:
            status, body = http_json(port, f"/api/pairs/top?window={size}&start={start}&limit=500")
            assert status == 200, body
            got = {tuple(item["actors"]): item["count"] for item in body["items"]}
            want = {
                (k[1], k[2]): v[0]
                for k, v in expected.items()
                if k[0] == "p" and k[-2] == size and k[-1] == start and k[1] < k[2] and v[0]
            }
            assert got == want, f"pairs {size} {start}: " + diff(got, want)
            checks += 1
            for country in COUNTRIES:
                path = f"/api/actors/top?window={size}&start={start}&country={country}&limit=500"
                status, body = http_json(port, path)
                assert status == 200, body
                got = {item["actor"]: item["count"] for item in body["items"]}
                want = {
                    k[1]: v[0]
                    for k, v in expected.items()
                    if k[0] == "x" and k[2] == country and k[-2] == size and k[-1] == start and v[0]
                }
                assert got == want, f"country {country} {size} {start}: " + diff(got, want)
                checks += 1
    return checks


# ------------------------------------------------------------------------ fixtures
class Run:
    """One isolated deployment: topics with their own prefix, one app id, its input so far."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.settings = settings
        self.tmp = tmp
        self.app_id = f"ww-tables-{uuid.uuid4().hex[:6]}"
        self.published: list[Published] = []
        self.worker: WorkerProcess | None = None
        self.topic = MentionsTopic(settings)

    def start(self) -> WorkerProcess:
        log = self.tmp / f"worker-{len(list(self.tmp.glob('worker-*')))}.log"
        self.worker = WorkerProcess(self.settings, log, app_id=self.app_id, **ENV).start()
        wait_ready(self.worker)
        return self.worker

    def publish(self, items: list[Published]) -> None:
        publish(self.settings, items)
        self.published += items

    def expected(self) -> dict:
        return recompute((p.record, i, p.timestamp_ms) for i, p in enumerate(self.published))


@pytest.fixture(scope="module")
def run(topics_ready: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}tables.")
    ensure_topics(settings)
    r = Run(settings, tmp_path_factory.mktemp("tables"))
    r.start()
    yield r
    if r.worker:
        r.worker.stop()
    r.topic.close()


# ------------------------------------------------------------------------ tests
def test_replay_every_window_equals_batch_recomputation(run: Run) -> None:
    items = articles(seed=7, count=3000, start_ms=start_ms(), hours=SPAN_HOURS, prefix="a")
    assert sum(1 for p in items if p.record["published_at"] is None) > 100
    run.publish(items)
    expected = run.expected()
    want = expected_actor_counts(expected)
    assert {k[2] for k in want} == {"1m", "1h", "24h"} and len(want) > 3000
    wait_topic_equals(run.topic, want, run.worker)
    assert check_api_windows(run.worker.web_port, expected) > 500

    # The API agrees with the topic for one actor's windows too.
    top = want and max(want, key=lambda k: (k[2] == "1h", want[k][0]))
    status, body = http_json(run.worker.web_port, f"/api/actors/top?window=1h&start={top[3]}")
    assert status == 200
    assert {i["actor"]: i["count"] for i in body["items"]}[top[1]] == want[top][0]


def test_state_survives_a_restart(run: Run) -> None:
    """Stop the worker, start a new one: new articles add to the recovered counts."""
    run.worker.stop()
    run.start()
    status, health = http_json(run.worker.web_port, "/healthz")
    assert status == 200 and health["watermark"] is not None  # recovered before any new input
    base = start_ms()
    more = articles(seed=8, count=600, start_ms=base, hours=SPAN_HOURS, prefix="b")
    # Corrections of articles published before the restart: other actors, same time.
    corrections = [
        Published({**p.record, "actors": p.record["actors"][:1]}, p.timestamp_ms)
        for p in run.published[:300]
        if len(p.record["actors"]) > 1
    ]
    run.publish(more + corrections)
    expected = run.expected()
    wait_topic_equals(run.topic, expected_actor_counts(expected), run.worker)
    check_api_windows(run.worker.web_port, expected)


def test_late_events_are_counted_in_a_metric_not_in_windows(run: Run) -> None:
    port = run.worker.web_port
    before = metric_value(port, "wirewatch_late_mentions_total")
    newest = max(p.timestamp_ms for p in run.published)
    too_old = newest - LATENESS_S * 1000 - 2 * HOUR_MS
    record = articles(seed=9, count=1, start_ms=too_old, hours=1, prefix="late")[0].record
    record["actors"] = [{"id": "late-check", "name": "Late Check", "mentions": [{}]}]
    publish(run.settings, [Published(record, too_old)])
    deadline = time.monotonic() + 60
    while metric_value(port, "wirewatch_late_mentions_total") < before + 1:
        assert time.monotonic() < deadline, "late contribution never reported"
        time.sleep(0.5)
    run.topic.poll()
    assert not [k for k in run.topic.latest if k.startswith(b"late-check|")]
    assert http_json(port, "/api/actors/late-check")[0] == 404


def test_counts_stay_exact_when_the_worker_is_killed_mid_stream(
    topics_ready: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SIGKILL while the counting stage works: replayed input must not double count."""
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}kill.")
    ensure_topics(settings)
    r = Run(settings, tmp_path_factory.mktemp("tables-kill"))
    try:
        r.start()
        items = articles(seed=21, count=2500, start_ms=start_ms(), hours=SPAN_HOURS, prefix="k")
        r.publish(items)
        # Kill once output has started to flow, well before the input is consumed.
        deadline = time.monotonic() + 120
        while len(r.topic.latest) < 200:
            assert time.monotonic() < deadline, r.worker.log_tail()
            r.topic.poll()
        os.kill(r.worker.proc.pid, signal.SIGKILL)
        r.worker.proc.wait(30)
        r.worker.stop()
        r.start()
        wait_topic_equals(r.topic, expected_actor_counts(r.expected()), r.worker, timeout=420)
        check_api_windows(r.worker.web_port, r.expected())
    finally:
        if r.worker:
            r.worker.stop()
        r.topic.close()


def test_window_sizes_cover_a_day_of_hops() -> None:
    """Sanity of the test data itself: 24-hour windows hop every hour across the span."""
    expected = recompute(
        (p.record, i, p.timestamp_ms)
        for i, p in enumerate(articles(seed=7, count=300, start_ms=0, hours=SPAN_HOURS))
    )
    starts = {k[-1] for k in expected if k[0] == "a" and k[2] == "24h"}
    assert len(starts) >= SPAN_HOURS and all(s % HOUR_MS == 0 for s in starts)
    assert max(starts) - min(starts) >= DAY_MS
