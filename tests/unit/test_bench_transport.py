"""The transport bench's pieces that need no broker: progress files and steady rates."""

from __future__ import annotations

from pathlib import Path

from bench.passthrough import Progress
from bench.transport import read_progress, steady_rate


def test_consume_only_progress_reaches_the_bench_with_the_final_count(tmp_path: Path):
    path = tmp_path / "consumed.progress"
    assert read_progress(path) == 0  # the child has not started yet
    progress = Progress(str(path), total=100)
    for _ in range(10):  # all within one throttle interval…
        progress.add(10)
    # …yet the last count is always written, so the bench sees the run finish.
    assert read_progress(path) == 100
    assert path.read_text().split() == ["10", "100"]


def test_steady_rate_leaves_out_start_and_tail():
    # 10 s of start-up at 10 msg/s, then 1,000 msg/s: the rate between 10 % and 90 %.
    series = [(float(t), 10 * t) for t in range(11)]
    series += [(10.0 + t / 10, 100 + 100 * t) for t in range(1, 20)]
    assert abs(steady_rate(series, 2000) - 1000) < 1
