"""The bench's Markdown says which corpus it measured."""

from __future__ import annotations

from bench.report import _corpus_line


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
