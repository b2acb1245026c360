"""The NLP tier and the downstream tier as separate workers, on a real broker.

``wirewatch worker --role enrich`` reads raw-articles in a consumer group of its own
and writes stories-stage and dead-letter; ``--role downstream`` does the rest. Split
this way, the records on every public topic are those of a single worker.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from bench.cluster import group_members
from streams.demo import sample_articles
from streams.schemas import validator
from streams.topics import ensure_topics

from .conftest import WorkerProcess, collect, metric_samples, metric_value, produce

pytestmark = pytest.mark.integration


def _mention_records(port: int) -> float:
    return sum(
        value
        for labels, value in metric_samples(port, "wirewatch_articles_out_total")
        if labels.get("topic", "").endswith("actor-mentions")
    )


def _healthz(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
        return json.loads(resp.read())


def test_an_enrich_tier_and_a_downstream_tier_publish_what_one_worker_does(
    topics_ready, tmp_path: Path
) -> None:
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}split.")
    ensure_topics(settings)
    app_id = "ww-split"
    downstream = WorkerProcess(
        settings, tmp_path / "downstream.log", app_id=app_id, WIREWATCH_ROLE="downstream"
    )
    enrich = WorkerProcess(
        settings, tmp_path / "enrich.log", app_id=app_id, WIREWATCH_ROLE="enrich"
    )
    downstream.start(ready_line=b"story index ready")
    try:
        enrich.start()
        articles = sample_articles()
        bad = b'{"id": "split-bad", "text": 42}'
        produce(
            settings,
            "raw-articles",
            [orjson.dumps(a) for a in articles] + [bad],
            keys=[a["id"].encode() for a in articles] + [b"split-bad"],
        )
        wanted = {a["id"] for a in articles}
        enriched = {
            r["value"]["id"]: r["value"]
            for r in collect(
                settings,
                "articles-enriched",
                lambda rs: wanted <= {r["value"]["id"] for r in rs},
            )
        }
        schema = validator("enriched-article.v1.json")
        for record in enriched.values():
            schema(record)
            assert record["story"]["id"]  # the downstream tier's story agent saw it
        assert (
            enriched["sample-lp-danang-fr"]["story"]["id"]
            == enriched["sample-afp-danang-fr"]["story"]["id"]
        )
        # The enrich tier dead-letters bad input itself.
        letters = collect(
            settings,
            "dead-letter",
            lambda rs: any(r["value"]["source"].get("key") == "split-bad" for r in rs),
        )
        letter = next(r["value"] for r in letters if r["value"]["source"].get("key") == "split-bad")
        assert letter["stage"] == "validate"
        # The counting stage, downstream, counted the articles' actors and published them.
        deadline = time.monotonic() + 60
        while _mention_records(downstream.web_port) == 0 and time.monotonic() < deadline:
            time.sleep(1)
        assert _mention_records(downstream.web_port) > 0
        assert _mention_records(enrich.web_port) == 0

        # Each tier is where it should be: the NLP in its own group, the tables downstream.
        assert group_members(settings, f"{app_id}-enrich") == ("Stable", 1)
        assert group_members(settings, app_id) == ("Stable", 1)
        health = _healthz(enrich.web_port)
        assert health["role"] == "enrich"
        assert sorted(health["partitions"]) == list(range(settings.partitions))
        assert _healthz(downstream.web_port)["tables_ready"] is True
        assert metric_value(enrich.web_port, "wirewatch_enrich_batch_size_count") >= 1
        assert metric_value(downstream.web_port, "wirewatch_enrich_batch_size_count") == 0
        # Each tier froze what it keeps: the models, and the recovered tables.
        assert metric_value(enrich.web_port, "wirewatch_gc_frozen_objects") > 100_000
        assert metric_value(downstream.web_port, "wirewatch_gc_frozen_objects") > 10_000
        # Both probe their event loop (the bench's stall counts read it).
        for tier in (enrich, downstream):
            assert metric_value(tier.web_port, "wirewatch_event_loop_lag_seconds_count") > 10
        assert enrich.alive and downstream.alive
    finally:
        enrich.stop()
        downstream.stop()
