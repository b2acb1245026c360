"""The bench's Markdown says which corpus it measured; its figures say against what."""

from __future__ import annotations

import math

from bench.report import _ceilings, _corpus_line
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


def _reading(per_s: float, per_cpu_s: float) -> dict:
    return {"bare_pipe": {"articles_per_s": per_s, "articles_per_cpu_s": per_cpu_s}}


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
