"""The bench's Markdown says which corpus it measured; its figures say against what."""

from __future__ import annotations

import math

from bench.enrichment import summed_samples
from bench.report import (
    _batched,
    _ceilings,
    _corpus_line,
    _downstream,
    _pair,
    _per_article,
    _soak_each,
)
from bench.run import figures


def _result(bases: int, origins: list[str]) -> dict:
    corpus = {
        "articles": 600,
        "seed": 7,
        "bases": bases,
        "base_origins": origins,
        "languages": {"en": 287, "fr": 313},
        "chars": {"p10": 629, "p50": 1627, "p90": 4253, "max": 12154},
    }
    return {"corpus": corpus, "config": {"batch_size": 32}}


def test_the_corpus_line_names_its_bases_so_runs_on_different_corpora_are_told_apart() -> None:
    full = _corpus_line(_result(42, ["gigaword", "sample-stream", "shared"]))
    small = _corpus_line(_result(10, ["sample-stream"]))
    assert "from 42 bases (gigaword, sample-stream, shared)" in full
    assert "from 10 bases (sample-stream)" in small


def _reading(per_s: float, per_cpu_s: float, batched: float | None = None) -> dict:
    out = {"bare_pipe": {"articles_per_s": per_s, "articles_per_cpu_s": per_cpu_s}}
    if batched is not None:
        out["bare_pipe_agent_batches"] = {
            "articles_per_s": batched,
            "articles_per_cpu_s": batched + 0.5,
        }
    return out


def _run(around: dict | None) -> dict:
    workers: dict = {"throughput_1": {"articles_per_s": 8.0, "articles_per_cpu_s": 8.4}}
    if around is not None:
        workers["ceiling_around"] = around
    return {
        "ceiling": {"start": _reading(7.0, 7.2), "end": _reading(11.0, 11.0)},
        "workers": workers,
    }


def test_efficiency_divides_by_the_ceiling_read_around_the_workers_phase() -> None:
    result = _run({"before": _reading(8.5, 8.6), "after": _reading(9.5, 9.4)})
    f = figures(result)
    assert f["spacy_ceiling_used"] == "around"
    assert math.isclose(f["spacy_articles_per_s"], 9.0)
    assert math.isclose(f["enrichment_efficiency"], 8.0 / 9.0)
    assert math.isclose(f["enrichment_efficiency_cpu"], 8.4 / 9.0)
    assert math.isclose(f["spacy_around_drift"], 8.5 / 9.5)
    assert math.isclose(f["spacy_drift"], 7.0 / 11.0)  # the run's ends stay reported

    cell = _ceilings(result["ceiling"], result["workers"])
    assert "right before the phase 8.5" in cell and "right after 9.5" in cell
    assert "run start 7.0, end 11.0" in cell


def test_without_readings_around_the_phase_the_runs_ends_are_used() -> None:
    f = figures(_run(None))
    assert f["spacy_ceiling_used"] == "start_end"
    assert math.isclose(f["enrichment_efficiency"], 8.0 / 9.0)  # mean of 7 and 11
    assert f["spacy_around_drift"] is None
    assert _ceilings(_run(None)["ceiling"], {}) == "run start 7.0, end 11.0"


def test_the_strict_efficiency_divides_by_nlp_pipe_in_the_agents_batches_around_the_phase() -> None:
    result = _run({"before": _reading(8.5, 8.6, 9.6), "after": _reading(9.5, 9.4, 10.4)})
    result["ceiling"]["start"] = _reading(7.0, 7.2, 12.0)  # far from the phase: not used
    f = figures(result)
    assert math.isclose(f["spacy_agent_batches_articles_per_s"], 10.0)
    assert math.isclose(f["enrichment_efficiency_agent_batches"], 8.0 / 10.0)
    assert math.isclose(f["enrichment_efficiency_agent_batches_cpu"], 8.4 / 10.5)
    assert math.isclose(f["enrichment_efficiency"], 8.0 / 9.0)  # the headline is unchanged
    assert _batched(result["ceiling"], result["workers"]) == (
        "right before the phase 9.6, right after 10.4"
    )


def test_without_batched_readings_around_the_phase_the_start_one_is_used() -> None:
    result = _run({"before": _reading(8.5, 8.6), "after": _reading(9.5, 9.4)})
    result["ceiling"]["start"] = _reading(7.0, 7.2, 12.0)
    f = figures(result)
    assert math.isclose(f["enrichment_efficiency_agent_batches"], 8.0 / 12.0)
    assert _batched(result["ceiling"], result["workers"]) == "at the run's start 12.0"
    assert figures(_run(None))["enrichment_efficiency_agent_batches"] is None


def test_scaling_is_also_given_with_each_phase_against_the_ceiling_read_around_it() -> None:
    around = {
        "before": _reading(8.0, 8.0),
        "after": _reading(10.0, 10.0),
        "before_2": _reading(11.0, 11.0),
        "after_2": _reading(13.0, 13.0),
    }
    result = _run(around)
    result["workers"]["throughput_2"] = {"articles_per_s": 15.0, "articles_per_cpu_s": 8.0}
    f = figures(result)
    assert math.isclose(f["scaling_2_workers"], 15.0 / 8.0)  # the raw ratio stays the headline
    # The machine read 12 around the 2-worker phase and 9 around the 1-worker one.
    assert math.isclose(f["scaling_2_workers_drift_corrected"], (15.0 / 12.0) / (8.0 / 9.0))
    assert math.isclose(f["spacy_around_2_drift"], 11.0 / 13.0)
    assert _pair(around, "before_2", "after_2") == "11.0 → 13.0"

    del around["before_2"], around["after_2"]  # no readings around the 2-worker phase
    f = figures(result)
    assert f["scaling_2_workers_drift_corrected"] is None
    assert f["spacy_around_2_drift"] is None
    assert _pair(around, "before_2", "after_2") == "n/a → n/a"


def test_records_per_article_come_from_the_downstream_worker_when_there_is_one() -> None:
    before_split = {
        "throughput_1": {
            "per_worker": {"worker-1": {"records_out_per_article": {"actor-mentions": 51.8}}}
        }
    }
    assert _per_article(before_split, "actor-mentions") == 51.8
    assert _downstream(before_split) == ""
    split = {
        "throughput_1": {
            "per_worker": {"worker-1": {"records_out_per_article": {"stories-stage": 1.0}}},
            "downstream": {
                "name": "downstream-1",
                "cpu_share": 0.163,
                "records_out_per_article": {"actor-mentions": 40.2, "articles-enriched": 1.0},
            },
        }
    }
    assert _per_article(split, "actor-mentions") == 40.2
    assert _per_article(split, "stories-stage") == 1.0  # the enrich worker's own
    assert _downstream(split) == "downstream worker 0.16 of the phase's CPU; "


def test_the_soaks_rss_adds_the_workers_up_at_the_instants_both_were_read() -> None:
    enrich = [(0.0, 0, 800.0), (2.0, 10, 810.0), (4.0, 20, 812.0)]
    downstream = [(2.0, 10, 200.0), (4.0, 20, 205.0), (6.0, 30, 206.0)]
    assert summed_samples([enrich, downstream]) == [(2.0, 10, 1010.0), (4.0, 20, 1017.0)]
    assert summed_samples([enrich]) == enrich
    assert summed_samples([]) == []
    soak = {
        "soak": {
            "rss_by_worker": {
                "worker-soak": {"rss_start_mb": 800.0, "rss_end_mb": 812.0, "verdict": "levels off"}
            }
        }
    }
    assert _soak_each(soak) == "; worker-soak 800 → 812 MB (levels off)"
    assert _soak_each({}) == ""
