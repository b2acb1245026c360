"""Window arithmetic in event time (epoch milliseconds), with no I/O.

Faust's own windowed tables are not used: ``.delta()`` ignores
``relative_to_field`` (faust-streaming#428), ``expires`` shorter than ``size``
misbehaves (#118), and window data is neither expired nor kept reliably with
RocksDB across recovery (#385, #412). Windows here are plain keys
``(..., size, start)`` in an ordinary changelog-backed table, and everything
about them is this module's integer arithmetic, testable without Kafka.

Two sizes are *stored* (tumbling 1 minute, tumbling 1 hour). The 24-hour window
hopping every hour is *derived*: a window ``[s, s + 24h)`` with ``s`` on an hour
boundary is exactly the union of 24 stored hourly windows, so its count is their
sum — no 24-fold write amplification and no second copy that could disagree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A window family: ``size`` long, a new one every ``step`` (tumbling: step == size)."""

    name: str  # "1m" | "1h" | "24h": what the API and the public topic call it
    size_ms: int
    step_ms: int
    baseline: int  # how many earlier non-overlapping windows make its spike baseline

    def __post_init__(self) -> None:
        if self.size_ms <= 0 or self.step_ms <= 0 or self.size_ms % self.step_ms:
            raise ValueError(f"window {self.name}: size must be a positive multiple of step")

    @property
    def tumbling(self) -> bool:
        return self.size_ms == self.step_ms

    def starts(self, t_ms: int) -> range:
        """Starts of every window of this family that contains ``t_ms`` (start <= t < end)."""
        last = t_ms - t_ms % self.step_ms  # Python's % floors, so negatives work too
        first = last - self.size_ms + self.step_ms
        return range(first, last + 1, self.step_ms)

    def latest_start(self, t_ms: int) -> int:
        """Start of the most recent window containing ``t_ms``."""
        return t_ms - t_ms % self.step_ms

    def current_start(self, t_ms: int) -> int:
        """Start of the window containing ``t_ms`` that ends first: "the last 24 hours" at ``t_ms``.

        Equal to ``latest_start`` for tumbling windows.
        """
        return self.latest_start(t_ms) - self.size_ms + self.step_ms

    def end(self, start_ms: int) -> int:
        return start_ms + self.size_ms

    def previous_starts(self, start_ms: int, count: int) -> list[int]:
        """Starts of the ``count`` non-overlapping windows right before this one, newest first."""
        return [start_ms - k * self.size_ms for k in range(1, count + 1)]


ONE_MINUTE = WindowSpec("1m", MINUTE_MS, MINUTE_MS, baseline=60)
ONE_HOUR = WindowSpec("1h", HOUR_MS, HOUR_MS, baseline=24)
ONE_DAY_HOURLY = WindowSpec("24h", DAY_MS, HOUR_MS, baseline=7)

WINDOWS: dict[str, WindowSpec] = {w.name: w for w in (ONE_MINUTE, ONE_HOUR, ONE_DAY_HOURLY)}
#: Window families that are stored as table keys; the others are sums of ONE_HOUR.
STORED: tuple[WindowSpec, ...] = (ONE_MINUTE, ONE_HOUR)


def hourly_parts(spec: WindowSpec, start_ms: int) -> Iterator[int]:
    """Starts of the stored 1-hour windows whose union is window ``start_ms`` of ``spec``."""
    if spec.size_ms % HOUR_MS or start_ms % HOUR_MS:
        raise ValueError(f"{spec.name} window at {start_ms} is not made of whole hours")
    return iter(range(start_ms, start_ms + spec.size_ms, HOUR_MS))


def derived_starts_touching(hour_start_ms: int, spec: WindowSpec = ONE_DAY_HOURLY) -> range:
    """Starts of the derived windows that include the stored hour ``hour_start_ms``."""
    return spec.starts(hour_start_ms)


def parse_window(name: str) -> WindowSpec:
    try:
        return WINDOWS[name]
    except KeyError:
        raise ValueError(f"unknown window {name!r}; use one of {', '.join(WINDOWS)}") from None


@functools.lru_cache(maxsize=1 << 14)
def iso(t_ms: int) -> str:
    """RFC 3339 UTC with milliseconds, as every timestamp Wirewatch writes.

    Cached: the counting stage formats the same window edges in record after record.
    """
    moment = datetime.fromtimestamp(t_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
