"""The bench's per-phase reading of a worker's /metrics."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from bench.enrichment import (
    loop_stalls,
    paced_rate,
    records_per_article,
    rss_verdict,
    settle,
    throughput_rate,
)
from bench.procs import BenchError, parse_metrics
from streams import metrics

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


def test_loop_stalls_count_the_probes_late_wakes_during_the_phase() -> None:
    registry = CollectorRegistry()
    lag = Histogram(
        "wirewatch_event_loop_lag_seconds",
        "as the worker's",
        buckets=metrics.LOOP_LAG_BUCKETS,
        registry=registry,
    )
    lag.observe(0.4)  # before the phase: not counted
    before = parse_metrics(generate_latest(registry).decode())
    for seconds in (0.001, 0.002, 0.03, 0.12, 0.3, 0.7):
        lag.observe(seconds)
    after = parse_metrics(generate_latest(registry).decode())
    assert loop_stalls(before, after) == {"wakes": 6, "over_100ms": 3, "over_250ms": 2}
    assert loop_stalls({}, {}) is None  # a worker without the probe


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


class _Worker:
    """What ``settle`` reads of a worker: its pid and whether it is still alive."""

    pid = 4242

    def __init__(self, exited_after: int | None = None) -> None:
        self.checks = 0
        self.exited_after = exited_after

    def check_alive(self) -> None:
        self.checks += 1
        if self.exited_after is not None and self.checks > self.exited_after:
            raise BenchError("worker-1 exited with code 1")


def _cpu_clock(per_window: list[float]) -> Iterator[float]:
    """Cumulative CPU seconds read twice per window: busy ``per_window[k]`` in window k."""
    total = 0.0
    for used in per_window:
        yield total
        total += used
        yield total


def test_settling_waits_until_the_worker_falls_idle() -> None:
    window = 0.01
    clock = _cpu_clock([w * window for w in (1.0, 0.8, 0.3, 0.05, 1.0)])
    worker = _Worker()
    out = asyncio.run(
        settle(worker, 5.0, window_s=window, idle_cores=0.1, cpu=lambda pid: next(clock))
    )
    assert out["idle"] is True
    assert out["cpu_cores"] == pytest.approx(0.05)
    assert worker.checks == 4  # stopped at the first idle window, not after it


def test_settling_gives_up_at_its_limit_and_says_the_worker_was_busy() -> None:
    window = 0.01
    clock = _cpu_clock([0.9 * window] * 1000)
    out = asyncio.run(settle(_Worker(), 0.05, window_s=window, cpu=lambda pid: next(clock)))
    assert out["idle"] is False
    assert out["cpu_cores"] == pytest.approx(0.9)
    assert 0.05 <= out["seconds"] < 1.0


def test_settling_stops_when_the_worker_dies() -> None:
    clock = _cpu_clock([0.01] * 1000)
    with pytest.raises(BenchError):
        asyncio.run(
            settle(_Worker(exited_after=2), 5.0, window_s=0.01, cpu=lambda pid: next(clock))
        )
