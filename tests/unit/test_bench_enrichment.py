"""The bench's per-phase reading of a worker's /metrics."""

from __future__ import annotations

import random

import pytest

from bench.enrichment import paced_rate, records_per_article, rss_verdict, throughput_rate

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


def _soak(rss_of, seconds: int = 1800, every: int = 2, rate: float = 10.0):
    """Samples (seconds, articles processed, RSS MB) of a soak at ``rate`` articles/s."""
    rng = random.Random(7)
    return [(t, int(t * rate), rss_of(t) + rng.uniform(-8, 8)) for t in range(0, seconds, every)]


def test_a_flat_rss_with_one_late_spike_levels_off() -> None:
    # Warm-up growth, then flat at ~1,020 MB; 16 s of samples 300 MB up while large
    # batches are in flight, late in the run. A least-squares fit tilts towards them
    # (2.6 % growth); the median of pairwise slopes does not.
    def rss(t: float) -> float:
        base = 900 + 120 * min(t, 600) / 600
        return base + (300 if 1760 <= t < 1776 else 0)

    verdict = rss_verdict(_soak(rss))
    assert verdict["levels_off"] is True, verdict
    assert verdict["fitted_growth_second_half_pct"] < 1.0


def test_rss_that_keeps_growing_with_articles_does_not_level_off() -> None:
    # ~8 % over the second half (a leak of 10 KB per article), with downward spikes.
    def rss(t: float) -> float:
        return 1000 + 0.1 * t - (200 if t % 300 == 0 else 0)

    verdict = rss_verdict(_soak(rss))
    assert verdict["levels_off"] is False, verdict
    assert 6.0 < verdict["fitted_growth_second_half_pct"] < 10.0


def test_throughput_is_timed_over_the_whole_run_when_the_workers_took_few_batches() -> None:
    # 600 articles out in two batches of 300, each published in one piece: the 10–90 %
    # window falls between them and would read ~2× the true rate.
    arrivals = [50.0] * 300 + [100.0] * 300
    rate, method = throughput_rate(arrivals, 600, [2])
    assert method == "first send to last output" and rate == 6.0
    # Many batches: outputs spread evenly, the steady window leaves out start and tail.
    even = [1.0 + k * 0.1 for k in range(600)]
    rate, method = throughput_rate(even, 600, [40])
    assert method == "10-90%" and abs(rate - 10.0) < 0.1
    # Two workers need 8 batches each; metrics unavailable means the whole run.
    assert throughput_rate(even, 600, [40, 6])[1] == "first send to last output"
    assert throughput_rate(even, 600, [None])[1] == "first send to last output"


def test_the_paced_rate_is_the_load_in_characters_not_in_articles() -> None:
    # Capacity 6 art/s on articles of 2,000 characters: 6,000 characters/s at half load.
    assert paced_rate(0.5, 6.0, 2000.0, 2000.0) == 3.0
    assert paced_rate(0.5, 6.0, 2000.0, 2500.0) == pytest.approx(2.4)  # longer: fewer
    assert paced_rate(0.5, 6.0, 2000.0, 1000.0) == 6.0
    assert paced_rate(0.5, 6.0, None, 2500.0) == 3.0  # no measure of the capacity's texts
    assert paced_rate(0.5, 0.1, 2000.0, 2000.0) == 0.2  # a floor for a stalled worker
