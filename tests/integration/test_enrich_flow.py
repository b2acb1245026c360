"""raw-articles → articles-enriched / dead-letter on a real broker with a real worker."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest

from streams.demo import sample_articles
from streams.records import derive_article_id
from streams.schemas import validator
from streams.topics import ensure_topics

from .conftest import WorkerProcess, collect, metric_value, produce, settings_env

pytestmark = pytest.mark.integration


def _by_id(records: list[dict]) -> dict[str, dict]:
    return {r["value"]["id"]: r["value"] for r in records}


def test_french_sample_is_enriched_with_entities(worker, tmp_path: Path) -> None:
    """The reference story, ingested as a .txt by the real CLI, comes out enriched."""
    french = next(a for a in sample_articles() if a["id"] == "sample-afp-danang-fr")
    story = tmp_path / "da-nang.fr.txt"
    story.write_text(french["text"], encoding="utf-8")
    expected_id = derive_article_id(None, None, french["text"])

    subprocess.run(
        [sys.executable, "-m", "streams.cli", "ingest", "--quiet", str(story)],
        env=settings_env(worker.settings),
        check=True,
        timeout=60,
    )
    records = collect(worker.settings, "articles-enriched", lambda rs: expected_id in _by_id(rs))
    record = _by_id(records)[expected_id]
    keyed = [r for r in records if r["value"]["id"] == expected_id]
    assert keyed[0]["key"] == expected_id.encode()

    assert record["language"] == "fr"
    assert record["language_method"] == "detected"
    found = {(e["text"], e["label"]) for e in record["entities"]}
    assert ("Donald Trump", "PER") in found
    assert ("Vladimir Poutine", "PER") in found
    assert ("Syrie", "LOC") in found
    for ent in record["entities"]:
        assert record["text"][ent["start"] : ent["end"]] == ent["text"]
    validator("enriched-article.v1.json")(record)


def test_bad_messages_are_dead_lettered_and_the_next_article_still_flows(worker) -> None:
    tag = uuid.uuid4().hex[:8]
    good_id = f"good-{tag}"
    malformed = b'{"id": "broken-' + tag.encode() + b'", "text": '
    invalid = orjson.dumps({"id": f"noschema-{tag}", "text": ""})  # text must be non-empty
    not_utf8 = b'{"id": "x", "text": "caf\xe9"}'
    good = orjson.dumps(
        {"id": good_id, "text": "Le ministre a rencontré son homologue à Paris.", "source": "test"}
    )
    k1, k2, k3 = (f"{n}-{tag}" for n in ("k1", "k2", "k3"))
    produce(
        worker.settings,
        "raw-articles",
        [malformed, invalid, not_utf8, good],
        keys=[k1.encode(), k2.encode(), k3.encode(), good_id.encode()],
    )

    keys = {k1, k2, k3}
    dead = collect(
        worker.settings, "dead-letter", lambda rs: keys <= {r["value"]["source"]["key"] for r in rs}
    )
    mine = {
        r["value"]["source"]["key"]: r["value"] for r in dead if r["value"]["source"]["key"] in keys
    }
    assert mine[k1]["reason"] == "invalid_json"
    assert mine[k1]["original"] == {
        "encoding": "utf-8",
        "data": malformed.decode(),
        "bytes": len(malformed),
    }
    assert mine[k2]["reason"] == "schema_violation"
    assert "text" in mine[k2]["message"]
    assert mine[k2]["article_id"] == f"noschema-{tag}"
    assert mine[k3]["reason"] == "invalid_utf8"
    assert mine[k3]["original"]["encoding"] == "base64"
    for letter in mine.values():
        assert letter["source"]["topic"] == worker.settings.topic("raw-articles")
        assert isinstance(letter["source"]["partition"], int)
        assert isinstance(letter["source"]["offset"], int)
        validator("dead-letter.v1.json")(letter)

    enriched = collect(worker.settings, "articles-enriched", lambda rs: good_id in _by_id(rs))
    assert _by_id(enriched)[good_id]["language"] == "fr"
    assert worker.alive


def test_the_loaded_models_are_kept_out_of_garbage_collection(worker) -> None:
    """Once the models are loaded the worker freezes its heap, and times its collections."""
    art = f"gc-{uuid.uuid4().hex[:8]}"
    body = {"id": art, "text": "Le ministre a rencontré son homologue à Paris.", "source": "t"}
    produce(worker.settings, "raw-articles", [orjson.dumps(body)], keys=[art.encode()])
    collect(worker.settings, "articles-enriched", lambda rs: art in _by_id(rs))
    # Two loaded French and English pipelines: hundreds of thousands of objects.
    assert metric_value(worker.web_port, "wirewatch_gc_frozen_objects") > 200_000
    assert metric_value(worker.web_port, 'wirewatch_gc_pause_seconds_count{generation="0"') > 0


def test_a_worked_off_backlog_gives_its_free_heap_back(worker) -> None:
    """A burst larger than a batch, once enriched, is followed by one malloc_trim."""
    series = "wirewatch_heap_trim_seconds_count"
    before = metric_value(worker.web_port, series)
    tag = uuid.uuid4().hex[:8]
    ids = [f"trim-{tag}-{n}" for n in range(3 * worker.settings.batch_size)]
    bodies = [
        {"id": i, "text": f"Le ministre {n} a rencontré son homologue à Paris.", "source": "t"}
        for n, i in enumerate(ids)
    ]
    produce(
        worker.settings,
        "raw-articles",
        [orjson.dumps(b) for b in bodies],
        keys=[i.encode() for i in ids],
    )
    collect(worker.settings, "articles-enriched", lambda rs: set(ids) <= set(_by_id(rs)))
    deadline = time.monotonic() + 30
    while metric_value(worker.web_port, series) <= before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert metric_value(worker.web_port, series) >= before + 1
    assert worker.alive


def _without_story(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "story"}


def _stories(records: dict[str, dict]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for art_id, record in records.items():
        groups.setdefault(record["story"]["id"], set()).add(art_id)
    return {frozenset(g) for g in groups.values()}


def test_offline_enrich_gives_identical_records(topics_ready, tmp_path: Path) -> None:
    """`wirewatch enrich` and the agents run the same code: same input, same records
    (and the same stories).

    Story ids depend on every article the stream has seen, so this test gets topics
    and a worker of its own: the stream and the offline run then start equally empty.
    """
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}same.")
    ensure_topics(settings)
    articles = sample_articles()
    lines = b"".join(orjson.dumps(a) + b"\n" for a in articles)
    offline = subprocess.run(
        [sys.executable, "-m", "streams.cli", "enrich"],
        input=lines,
        capture_output=True,
        env=settings_env(settings),
        check=True,
        timeout=300,
    )
    offline_records = {r["id"]: r for r in map(orjson.loads, offline.stdout.splitlines())}
    assert set(offline_records) == {a["id"] for a in articles}

    worker = WorkerProcess(settings, tmp_path / "worker.log", app_id="ww-same").start()
    try:
        # One partition: the story stage sees the articles in input order, as offline does.
        # (Across partitions Kafka promises no order, and "first article starts the story"
        # is order-dependent by nature.)
        produce(
            settings,
            "raw-articles",
            [orjson.dumps(a) for a in articles],
            keys=[a["id"].encode() for a in articles],
            partition=0,
        )
        wanted = set(offline_records)
        streamed = _by_id(
            collect(settings, "articles-enriched", lambda rs: wanted <= set(_by_id(rs)))
        )
    finally:
        worker.stop()
    schema = validator("enriched-article.v1.json")
    for art_id, record in offline_records.items():
        schema(streamed[art_id])
        assert _without_story(streamed[art_id]) == _without_story(record), art_id
    # The same stories. Which copy founds one may differ: the stream publishes a batch's
    # cheapest articles first, offline keeps input order.
    assert _stories(streamed) == _stories(offline_records)
    # The edited second-outlet copy joined the wire story in both paths.
    assert (
        streamed["sample-lp-danang-fr"]["story"]["id"]
        == (streamed["sample-afp-danang-fr"]["story"]["id"])
    )


def test_a_restarted_worker_rebuilds_the_story_index(topics_ready, tmp_path: Path) -> None:
    """The LSH band index is kept in memory only: a restarted worker rebuilds it from
    the story-articles table it recovers, so a copy arriving after the restart still
    joins the story its original started before."""
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}restart.")
    ensure_topics(settings)
    by_id = {a["id"]: a for a in sample_articles()}
    wire, copy = by_id["sample-afp-danang-fr"], by_id["sample-lp-danang-fr"]
    worker = WorkerProcess(settings, tmp_path / "worker.log", app_id="ww-restart")

    def publish(article: dict) -> dict[str, dict]:
        produce(settings, "raw-articles", [orjson.dumps(article)], keys=[article["id"].encode()])
        return _by_id(
            collect(settings, "articles-enriched", lambda rs: article["id"] in _by_id(rs))
        )

    worker.start()
    try:
        first = publish(wire)[wire["id"]]
    finally:
        worker.stop()
    worker.start()  # same app id: story-articles comes back from its changelog
    try:
        later = publish(copy)[copy["id"]]
    finally:
        worker.stop()
    assert first["story"]["new"]
    assert not later["story"]["new"], later["story"]
    assert later["story"]["id"] == first["story"]["id"]
    assert later["story"]["matched_article"] == wire["id"]
