"""Two workers share the actor tables: any of them answers any question, correctly.

Per-actor questions are forwarded to the worker owning the actor's partition;
rankings are gathered from both and merged. Both workers must give the same
answers, and those answers must equal the batch recomputation.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from streams.config import Settings
from streams.tables.batch import recompute
from streams.tables.synthetic import articles
from streams.topics import ensure_topics

from .conftest import WorkerProcess
from .test_tables_flow import (
    ENV,
    SPAN_HOURS,
    MentionsTopic,
    expected_actor_counts,
    http_json,
    publish,
    start_ms,
    wait_ready,
    wait_topic_equals,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pair(
    topics_ready: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, WorkerProcess, WorkerProcess]]:
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}route.")
    ensure_topics(settings)
    tmp = tmp_path_factory.mktemp("routing")
    app_id = f"ww-route-{uuid.uuid4().hex[:6]}"
    first = WorkerProcess(settings, tmp / "a.log", app_id=app_id, **ENV).start()
    second = None
    try:
        second = WorkerProcess(settings, tmp / "b.log", app_id=app_id, **ENV).start()
        deadline = time.monotonic() + 180
        while True:  # until the group has settled: each worker owns one partition
            wait_ready(first)
            wait_ready(second)
            owned = [
                set(http_json(w.web_port, "/healthz")[1]["partitions"]) for w in (first, second)
            ]
            if all(owned) and not owned[0] & owned[1]:
                break
            assert time.monotonic() < deadline, f"partitions never split: {owned}"
            time.sleep(1)
        yield settings, first, second
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_any_worker_answers_for_any_actor_and_ranking(
    pair: tuple[Settings, WorkerProcess, WorkerProcess],
) -> None:
    settings, first, second = pair
    items = articles(seed=31, count=800, start_ms=start_ms(), hours=SPAN_HOURS, prefix="r")
    publish(settings, items)
    expected = recompute((p.record, i, p.timestamp_ms) for i, p in enumerate(items))
    topic = MentionsTopic(settings)
    try:
        wait_topic_equals(topic, expected_actor_counts(expected), first)
    finally:
        topic.close()

    actors = sorted({k[1] for k in expected if k[0] == "a"})
    for actor in actors:
        bodies = []
        for worker in (first, second):
            status, body = http_json(worker.web_port, f"/api/actors/{actor}?points=60")
            assert status == 200, (actor, body)
            bodies.append(body)
        assert bodies[0] == bodies[1], actor  # forwarded to the same owner
        for point in bodies[0]["timeline"]["1h"]:
            want = expected.get(("a", actor, "1h", point["start_ms"]), [0, 0])[0]
            assert point["count"] == want, (actor, point)

    hours = sorted({k[-1] for k in expected if k[0] == "a" and k[2] == "1h"})
    for start in hours[:: max(1, len(hours) // 6)]:
        answers = [
            http_json(w.web_port, f"/api/actors/top?window=1h&start={start}&limit=100")[1]
            for w in (first, second)
        ]
        assert answers[0]["items"] == answers[1]["items"]
        got = {i["actor"]: i["count"] for i in answers[0]["items"]}
        want = {
            k[1]: v[0]
            for k, v in expected.items()
            if k[0] == "a" and k[2] == "1h" and k[3] == start and v[0]
        }
        assert got == want, start
        pairs = [
            http_json(w.web_port, f"/api/pairs/top?window=24h&start={start}&limit=200")[1]
            for w in (first, second)
        ]
        assert pairs[0]["items"] == pairs[1]["items"]
        got_pairs = {tuple(i["actors"]): i["count"] for i in pairs[0]["items"]}
        want_pairs = {
            (k[1], k[2]): v[0]
            for k, v in expected.items()
            if k[0] == "p" and k[3] == "24h" and k[4] == start and k[1] < k[2] and v[0]
        }
        assert got_pairs == want_pairs, start

    trending = [http_json(w.web_port, "/api/trending?limit=50")[1] for w in (first, second)]
    assert trending[0] == trending[1]
    assert trending[0]["items"], "nothing trending in the last hour of the stream"
