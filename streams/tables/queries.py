"""Answers to the API's questions, computed from a ``MentionState`` (no I/O).

Every function answers for the partitions the state holds; ``merge_*`` combine
the answers of several workers (scatter-gather for global rankings).

"Now" is event time: the watermark (the latest event time seen), so a replay of
old articles shows the news of its own day, not an empty present.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import accumulate
from typing import Any

from .spikes import baseline_mean, spike_score
from .state import MentionState, Window, day_windows
from .windows import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    ONE_DAY_HOURLY,
    ONE_HOUR,
    ONE_MINUTE,
    WINDOWS,
    WindowSpec,
    iso,
)

SPARKLINE_HOURS = 24

# ``MentionState.count``'s signature: (dim, sub, spec, start) -> (articles, mentions).
Counter = Callable[[str, tuple[str, ...], WindowSpec, int], tuple[int, int]]


def default_start(spec: WindowSpec, now_ms: int) -> int:
    """The window of ``spec`` containing ``now_ms`` that ends first (the last 24 h, this hour)."""
    return spec.current_start(now_ms)


def _observed_since(state: MentionState, actor: str) -> int | None:
    mark = state.marks.get(state.partition_of(actor))
    return mark["lo"] if mark else None


def spike(
    state: MentionState,
    dim: str,
    sub: tuple[str, ...],
    spec: WindowSpec,
    start: int,
    current: int,
    count: Counter | None = None,
) -> dict[str, Any]:
    """Spike of one window against the ``spec.baseline`` windows before it.

    Only baseline windows that start after the partition's first observed event
    count (a window before anything was observed is not evidence of silence).
    """
    count = count or state.count
    lo = _observed_since(state, sub[0])
    starts = spec.previous_starts(start, spec.baseline)
    if lo is not None:
        first = lo - lo % spec.step_ms
        starts = [s for s in starts if s >= first]
    counts = [count(dim, sub, spec, s)[0] for s in starts]
    return {
        "spike_score": round(spike_score(current, counts), 4) if counts else None,
        "baseline": round(baseline_mean(counts), 4),
        "baseline_windows": len(counts),
    }


def actor_row(
    state: MentionState,
    actor: str,
    spec: WindowSpec,
    start: int,
    n: int,
    w: int,
    count: Counter | None = None,
) -> dict[str, Any]:
    meta = state.meta.get(actor) or {}
    return {
        "actor": actor,
        "name": meta.get("name") or state_name(state, actor),
        "country": meta.get("country"),
        "type": meta.get("type"),
        "window": spec.name,
        "start": iso(start),
        "end": iso(spec.end(start)),
        "start_ms": start,
        "end_ms": spec.end(start),
        "count": n,
        "mentions": w,
        **spike(state, "a", (actor,), spec, start, n, count),
    }


def state_name(state: MentionState, actor: str) -> str:
    meta = state.meta.get(actor)
    if meta and meta.get("name"):
        return meta["name"]
    return state.names.get(actor) or actor


def window_update(
    state: MentionState, actor: str, spec: WindowSpec, start: int, count: Counter | None = None
) -> dict[str, Any]:
    """The ``actor-mention.v1`` record for one window (see schemas/actor-mention.v1.json)."""
    n, w = (count or state.count)("a", (actor,), spec, start)
    row = actor_row(state, actor, spec, start, n, w, count)
    mark = state.marks.get(state.partition_of(actor))
    watermark = mark["t"] if mark else None
    row["watermark"] = iso(watermark) if watermark is not None else None
    row["final"] = bool(watermark is not None and spec.end(start) + state.lateness_ms <= watermark)
    return row


class DaySums:
    """``MentionState.count`` with an actor's 24-hour windows read from prefix sums.

    One changed hour changes 24 derived 24-hour windows, each a sum of 24 hours and
    compared with 7 earlier such sums for its spike: ~5,000 bucket reads through
    ``state.count``, ~200 here. Valid while the state does not change (one batch).
    """

    def __init__(self, state: MentionState) -> None:
        self.state = state
        self._sums: dict[str, tuple[int, list[int], list[int]]] = {}

    def prepare(self, actor: str, first_ms: int, end_ms: int) -> None:
        """Prefix sums of the actor's hours in ``[first_ms, end_ms)`` (hour-aligned)."""
        hours = self.state.hourly(actor, first_ms, end_ms - HOUR_MS)
        n = list(accumulate((h[0] for h in hours), initial=0))
        w = list(accumulate((h[1] for h in hours), initial=0))
        self._sums[actor] = (first_ms, n, w)

    def __call__(
        self, dim: str, sub: tuple[str, ...], spec: WindowSpec, start: int
    ) -> tuple[int, int]:
        sums = self._sums.get(sub[0]) if dim == "a" and spec is ONE_DAY_HOURLY else None
        if sums is not None:
            first, n, w = sums
            i, rest = divmod(start - first, HOUR_MS)
            j = i + spec.size_ms // HOUR_MS
            if not rest and i >= 0 and j < len(n):
                return n[j] - n[i], w[j] - w[i]
        return self.state.count(dim, sub, spec, start)


def mention_key(actor: str, window: str, start_ms: int) -> str:
    """Key of an actor-mentions record: ``<actor>|<window>|<start_ms>``."""
    return f"{actor}|{window}|{start_ms}"


def updates(
    state: MentionState,
    changed: Mapping[str, set[Window]],
    expired: Mapping[str, set[Window]],
) -> list[tuple[str, dict[str, Any] | None]]:
    """The actor-mentions records for one batch: each changed window once, then tombstones.

    A changed 1-hour window changes the 24 derived 24-hour windows that include
    it; a derived window with nothing left in it, or that left retention, gets a
    tombstone (None), as does a stored window that left retention.
    """
    out: list[tuple[str, dict[str, Any] | None]] = []
    count = DaySums(state)
    for actor in sorted(changed):
        gone = expired.get(actor, set())
        windows = set(changed[actor])
        days = day_windows(h for w, h in windows if w == "1h")
        windows.update((ONE_DAY_HOURLY.name, s) for s in days)
        if days:
            count.prepare(actor, min(days) - ONE_DAY_HOURLY.baseline * DAY_MS, max(days) + DAY_MS)
        for size, start in sorted(windows):
            if (size, start) in gone:
                continue
            spec = WINDOWS[size]
            value: dict[str, Any] | None
            if spec.name not in state.keep_ms and count("a", (actor,), spec, start) == (0, 0):
                value = None  # a derived window with nothing left in it
            else:
                value = window_update(state, actor, spec, start, count)
            out.append((mention_key(actor, size, start), value))
    for actor in sorted(expired):
        for size, start in sorted(expired[actor]):
            out.append((mention_key(actor, size, start), None))
            if size == "1h":  # derived windows whose every hour has now expired
                for s in ONE_DAY_HOURLY.starts(start):
                    if state.count("a", (actor,), ONE_DAY_HOURLY, s) == (0, 0):
                        out.append((mention_key(actor, ONE_DAY_HOURLY.name, s), None))
    return out


def top_actors(
    state: MentionState,
    spec: WindowSpec,
    start: int,
    limit: int,
    country: str | None = None,
) -> list[dict[str, Any]]:
    """Actors with the most articles in one window (optionally: articles about ``country``)."""
    if country is None:
        counts = {sub[0]: nw for sub, nw in state.window("a", spec, start).items()}
    else:
        counts = {
            sub[0]: nw for sub, nw in state.window("x", spec, start).items() if sub[1] == country
        }
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:limit]
    rows = []
    for actor, (n, w) in ranked:
        if n <= 0:
            continue
        row = actor_row(state, actor, spec, start, n, w)
        if country is not None:
            row["topic_country"] = country
            row.update(spike(state, "x", (actor, country), spec, start, n))
        rows.append(row)
    return rows


def top_pairs(
    state: MentionState, spec: WindowSpec, start: int, limit: int
) -> list[dict[str, Any]]:
    """Directed pair rows, enough of them that merging workers' answers gives the top ``limit``.

    A pair's count is the number of articles mentioning both; the merged rows have no
    ``mentions`` (each direction carries its own actor's mentions, which do not add up
    to a property of the pair).

    Each co-mention is stored on both actors' partitions, with equal counts; a
    worker returns its top ``2 * limit`` directed pairs, and ``merge_pairs`` folds
    (a, b) and (b, a) into one row carrying both names.
    """
    window = state.window("p", spec, start)
    ranked = sorted(window.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    rows = []
    for (actor, partner), (n, w) in ranked[: 2 * limit]:
        if n <= 0:
            continue
        rows.append(
            {
                "actors": [actor, partner],
                "names": {actor: state_name(state, actor), partner: state_name(state, partner)},
                "count": n,
                "mentions": w,
            }
        )
    return rows


def merge_pairs(
    rows: Iterable[Mapping[str, Any]], spec: WindowSpec, start: int, limit: int
) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        a, b = row["actors"]
        key = (a, b) if a < b else (b, a)
        cur = merged.get(key)
        names = dict(row.get("names") or {})
        if cur is None:
            merged[key] = {"actors": list(key), "names": names, "count": row["count"]}
        else:
            for actor, name in names.items():  # prefer a real name over the id fallback
                if cur["names"].get(actor) in (None, actor):
                    cur["names"][actor] = name
            cur["count"] = max(cur["count"], row["count"])
    ranked = sorted(merged.values(), key=lambda r: (-r["count"], r["actors"]))[:limit]
    for row in ranked:
        row["names"] = [row["names"].get(a, a) for a in row["actors"]]
        row.update(window=spec.name, start=iso(start), end=iso(spec.end(start)), start_ms=start)
    return ranked


def merge_top(rows: Iterable[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Combine top lists from workers holding disjoint actors."""
    ranked = sorted(rows, key=lambda r: (-r["count"], -r["mentions"], r["actor"]))
    return [dict(r) for r in ranked[:limit]]


def trending(
    state: MentionState, now_ms: int, limit: int, min_count: int = 1
) -> list[dict[str, Any]]:
    """Actors whose last 60 minutes stand out most against their own previous 24 hours.

    Current = articles in the sliding hour ending with the watermark's minute
    (from 1-minute windows, so a spike shows within a minute instead of waiting
    for an hour to close); baseline = the 24 whole hours before that sliding
    hour's first hour.
    """
    end = ONE_MINUTE.latest_start(now_ms) + MINUTE_MS
    begin = end - HOUR_MS
    current: dict[str, list[int]] = {}
    for minute in range(begin, end, MINUTE_MS):
        for sub, nw in state.window("a", ONE_MINUTE, minute).items():
            acc = current.setdefault(sub[0], [0, 0])
            acc[0] += nw[0]
            acc[1] += nw[1]
    first_hour = ONE_HOUR.latest_start(begin)
    rows = []
    for actor, (n, w) in current.items():
        if n < min_count:
            continue
        lo = _observed_since(state, actor)
        hours = ONE_HOUR.previous_starts(first_hour, ONE_HOUR.baseline)
        if lo is not None:
            hours = [h for h in hours if h >= lo - lo % HOUR_MS]
        baseline = [state.count("a", (actor,), ONE_HOUR, h)[0] for h in hours]
        meta = state.meta.get(actor) or {}
        rows.append(
            {
                "actor": actor,
                "name": meta.get("name") or actor,
                "country": meta.get("country"),
                "type": meta.get("type"),
                "count": n,
                "mentions": w,
                "since": iso(begin),
                "until": iso(end),
                "spike_score": round(spike_score(n, baseline), 4) if baseline else None,
                "baseline": round(baseline_mean(baseline), 4),
                "baseline_windows": len(baseline),
                "sparkline": sparkline(state, actor, now_ms),
            }
        )
    return merge_trending(rows, limit)


def merge_trending(rows: Iterable[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Highest spike first; actors without enough history rank after, by count."""

    def order(r: Mapping[str, Any]) -> tuple[int, float, int, str]:
        score = r.get("spike_score")
        return (0 if score is not None else 1, -(score or 0.0), -r["count"], r["actor"])

    return [dict(r) for r in sorted(rows, key=order)[:limit]]


def sparkline(
    state: MentionState, actor: str, now_ms: int, hours: int = SPARKLINE_HOURS
) -> list[int]:
    """Articles per hour over the last ``hours`` hours, oldest first, ending with this hour."""
    last = ONE_HOUR.latest_start(now_ms)
    return [
        state.count("a", (actor,), ONE_HOUR, last - k * HOUR_MS)[0]
        for k in range(hours - 1, -1, -1)
    ]


def timeline(
    state: MentionState, actor: str, spec: WindowSpec, now_ms: int, points: int
) -> list[dict[str, Any]]:
    """Counts of the ``points`` most recent windows of ``spec``, oldest first."""
    last = spec.latest_start(now_ms)
    out = []
    for k in range(points - 1, -1, -1):
        start = last - k * spec.step_ms
        n, w = state.count("a", (actor,), spec, start)
        out.append({"start": iso(start), "start_ms": start, "count": n, "mentions": w})
    return out


def actor_detail(
    state: MentionState, actor: str, now_ms: int, points: int = 48, limit: int = 10
) -> dict[str, Any] | None:
    """Everything the API says about one actor (None when this state never saw it)."""
    if not state.knows(actor):
        return None
    meta = state.meta.get(actor) or {}
    windows: dict[str, Any] = {}
    for spec in WINDOWS.values():
        start = default_start(spec, now_ms)
        n, w = state.count("a", (actor,), spec, start)
        windows[spec.name] = actor_row(state, actor, spec, start, n, w)
    day = WINDOWS["24h"]
    day_start = default_start(day, now_ms)
    partners = sorted(
        (
            (sub[1], nw)
            for sub, nw in state.window("p", day, day_start).items()
            if sub[0] == actor and nw[0] > 0
        ),
        key=lambda kv: (-kv[1][0], kv[0]),
    )[:limit]
    countries = sorted(
        (
            (sub[1], nw)
            for sub, nw in state.window("x", day, day_start).items()
            if sub[0] == actor and nw[0] > 0
        ),
        key=lambda kv: (-kv[1][0], kv[0]),
    )[:limit]
    return {
        "actor": actor,
        "name": meta.get("name") or actor,
        "country": meta.get("country"),
        "type": meta.get("type"),
        "last_seen": iso(meta["t"]) if "t" in meta else None,
        "watermark": iso(now_ms),
        "windows": windows,
        "timeline": {
            "1h": timeline(state, actor, ONE_HOUR, now_ms, points),
            "1m": timeline(state, actor, ONE_MINUTE, now_ms, 60),
        },
        "partners": [
            {"actor": p, "name": state_name(state, p), "count": nw[0], "mentions": nw[1]}
            for p, nw in partners
        ],
        "countries": [{"code": c, "count": nw[0], "mentions": nw[1]} for c, nw in countries],
        "quotes": list((state.quotes.get(actor) or {}).get("items", [])),
    }


def pick_now(watermarks: Sequence[int | None]) -> int | None:
    known = [w for w in watermarks if w is not None]
    return max(known) if known else None
