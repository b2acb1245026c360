"""``wirewatch bench`` runs end to end on a tiny input against the session broker.

This checks that the benchmark works and reports every figure — never how fast
anything was: machines are shared, so a timing or a ratio threshold here would
only measure the neighbours. The numbers themselves belong in bench/results/.
"""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from bench.run import REQUIRED_FIGURES, BenchOptions, run_bench
from streams.config import Settings

pytestmark = pytest.mark.integration


def test_bench_reports_every_figure(kafka_settings: Settings, tmp_path: Path) -> None:
    opts = BenchOptions.quick(
        out=tmp_path / "bench",
        progress=False,
        articles=12,
        transport_messages=600,
        latency_seconds=3.0,
        soak_seconds=5.0,
        warmup=4,
    )
    _, out = run_bench(kafka_settings, opts, start_broker=False)

    result = orjson.loads((out / "results.json").read_bytes())
    figures = result["figures"]
    for name in REQUIRED_FIGURES:
        value = figures.get(name)
        assert isinstance(value, int | float), f"{name} missing: {value!r}"
        assert math.isfinite(value) and value > 0, f"{name} = {value!r}"
    # produce → alert is a figure too, but "unavailable" is a valid answer.
    assert figures["latency_alert_p99_ms"] is None or figures["latency_alert_p99_ms"] > 0
    assert result["errors"] == []

    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["cpu_model"] and machine["python"]
    assert machine["packages"]["spacy"] and machine["packages"]["faust-streaming"]
    assert result["corpus"]["articles"] == 12 and result["corpus"]["chars"]["max"] > 0
    assert set(result["corpus"]["languages"]) <= {"fr", "en"}
    assert result["pipelines"]  # which pipes the ceiling (and the workers) ran
    # The efficiency divides by bare nlp.pipe read right before and after worker-1's phase
    # (the strict one by nlp.pipe in the agent's batches, read there too); scaling is
    # also given against the readings around each throughput phase.
    around = result["workers"]["ceiling_around"]
    assert set(around) == {"before", "after", "before_2", "after_2"}, around
    assert all("bare_pipe_agent_batches" in around[k] for k in ("before", "after"))
    assert figures["spacy_ceiling_used"] == "around"
    for name in (
        "spacy_around_drift",
        "spacy_around_2_drift",
        "enrichment_efficiency_agent_batches",
        "scaling_2_workers_drift_corrected",
    ):
        assert figures[name] > 0, name
    # Phases in order: the 2-worker phase right after worker-1's, the soak last on a
    # fresh worker; each group's downstream worker starts before its enrich workers, and
    # the pair and their downstream worker settle before the reading after them.
    steps = list(result["workers"]["step_seconds"])
    assert steps.index("start downstream-1") < steps.index("start worker-1")
    assert steps.index("stop worker-1") < steps.index("throughput 2 workers")
    assert steps.index("ceiling after 2") < steps.index("start soak worker") < steps.index("soak")
    assert steps.index("start downstream-soak") < steps.index("start soak worker")
    assert len(result["workers"]["throughput_2"]["settled"]) == 3
    soak_samples = {name for _, name, *_ in result["workers"]["rss_samples"]}
    assert {"worker-soak", "downstream-soak"} <= soak_samples
    soak = result["workers"]["soak"]
    assert set(soak["rss_by_worker"]) == {"worker-soak", "downstream-soak"}
    # The soak's RSS is the two workers' added up.
    each = soak["rss_by_worker"]
    assert soak["rss"]["rss_start_mb"] == pytest.approx(
        sum(v["rss_start_mb"] for v in each.values()), abs=0.5
    )
    # Records per article by topic, from each worker's own counters: worker-1 (role
    # enrich) hands one record per article to the downstream worker, which publishes one
    # enriched record per article and the counts.
    tp1 = result["workers"]["throughput_1"]
    per_article = tp1["per_worker"]["worker-1"]["records_out_per_article"]
    assert abs(per_article["stories-stage"] - 1.0) < 0.2, per_article
    assert "articles-enriched" not in per_article
    down = tp1["downstream"]
    assert down["name"] == "downstream-1" and 0 < down["cpu_share"] < 1
    assert abs(down["records_out_per_article"]["articles-enriched"] - 1.0) < 0.2, down
    # (The counts of a 12-article phase may still sit in the counting stage's 5-s batch;
    # the warm-up's are out, so the topic is known.)
    assert down["records_out_per_article"]["actor-mentions"] >= 0

    # The latency phase splits each article's time at the enrich stage, and starts once
    # worker-1 fell idle after the throughput phase (or says it gave up).
    latency = result["workers"]["latency"]
    settled = latency["settled"]
    assert settled["seconds"] >= 2.0 and settled["cpu_cores"] is not None
    assert set(settled["workers"]) == {"worker-1", "downstream-1"}
    for each_settled in settled["workers"].values():
        assert each_settled["idle"] == (each_settled["cpu_cores"] < 0.1)
    assert settled["idle"] == all(e["idle"] for e in settled["workers"].values())
    assert latency["produce_to_stage"]["count"] == latency["produce_to_enriched"]["count"]
    assert latency["produce_to_stage"]["p50_ms"] <= latency["produce_to_enriched"]["p99_ms"]
    assert latency["stage_to_enriched"]["count"] == latency["produce_to_enriched"]["count"]
    slowest = latency["slowest"]
    assert slowest and slowest[0]["ms"] == max(s["ms"] for s in slowest)
    assert all(s["chars"] > 0 for s in slowest)

    table = (out / "results.md").read_text()
    assert "Enrichment efficiency" in table and "Soak" in table
    assert "right before the phase" in table and "run start" in table
    assert "Enrichment efficiency, strict" in table and "around the 2-worker one" in table
    assert "story hop" in table and "slowest: " in table and "of settling (" in table
    assert "downstream worker" in table and "downstream-soak" in table
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (out / "plot.png").stat().st_size > 0
