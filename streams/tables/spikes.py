"""Spike scores: how unusual an actor's current count is against its own past.

Statistic: a variance-stabilised Poisson z-score,

    z = 2 * (sqrt(c + 3/8) - sqrt(b + 3/8)) / sqrt(1 + 1/K)

where ``c`` is the count in the current window, ``b`` the mean count of the ``K``
preceding windows of the same size (missing windows count as 0), and the
Anscombe transform ``2*sqrt(x + 3/8)`` makes a Poisson count's variance ≈ 1
whatever its mean. ``1/K`` is the variance of the baseline's own estimate.

Why this and not the obvious alternatives:

* mean/standard-deviation z-scores divide by 0 for an actor seen at a steady
  rate or not at all, and explode on sparse series;
* median/MAD is 0 for the mostly-zero series most actors have;
* ratios (c / b) rank an obscure name going from 0 to 2 mentions above a head
  of state going from 50 to 120.

Mention counts are counts of independent-ish events, so a Poisson model is the
natural null; after the transform the score reads like a z-score on the same
scale for every actor: 0 → 2 mentions scores ≈ 1.8, 50 → 120 scores ≈ 7.6.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ANSCOMBE = 3 / 8


def spike_score(current: float, baseline: Sequence[float]) -> float:
    """The score of ``current`` against the counts of the ``baseline`` windows."""
    k = len(baseline)
    if k == 0:
        raise ValueError("a spike score needs at least one baseline window")
    mean = sum(baseline) / k
    z = 2 * (math.sqrt(current + ANSCOMBE) - math.sqrt(mean + ANSCOMBE))
    return z / math.sqrt(1 + 1 / k)


def baseline_mean(baseline: Sequence[float]) -> float:
    return sum(baseline) / len(baseline) if baseline else 0.0


def enough_history(observed: int, wanted: int) -> bool:
    """A baseline is trusted once at least a quarter of its windows lie in observed time.

    Right after a start (or for a fresh deployment) every actor would otherwise
    look like it spikes against a baseline of zeros that were never observed.
    """
    return observed >= max(1, wanted // 4)
