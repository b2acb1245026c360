"""The bench's per-phase reading of a worker's /metrics."""

from __future__ import annotations

from bench.enrichment import records_per_article

OUT = "wirewatch_articles_out_total"


def test_records_per_article_are_deltas_by_topic_without_prefix() -> None:
    before = {OUT: {'{topic="b1-w1.actor-mentions"}': 100.0, '{topic="b1-w1.alerts"}': 3.0}}
    after = {
        OUT: {
            '{topic="b1-w1.actor-mentions"}': 500.0,
            '{topic="b1-w1.alerts"}': 5.0,
            '{topic="b1-w1.mentions-stage"}': 40.0,  # first produced during the phase
        },
        "wirewatch_articles_in_total": {'{topic="b1-w1.raw-articles"}': 20.0},
    }
    assert records_per_article(before, after, 20) == {
        "actor-mentions": 20.0,
        "alerts": 0.1,
        "mentions-stage": 2.0,
    }


def test_records_per_article_without_articles_or_metrics_is_empty() -> None:
    assert records_per_article({}, {OUT: {'{topic="x"}': 1.0}}, 0) == {}
    assert records_per_article({}, {}, 10) == {}
