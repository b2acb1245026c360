"""The counting stage's state machine: exact windowed counts that survive crashes.

One ``MentionState`` holds, for the stage partitions a worker owns, every
contribution (actor × article) and the counts it adds to. Applying a message
returns the table writes to make; the shell sends them, in order, to the
changelog partition of the message's partition, and mirrors them in the Faust
table. Nothing here does I/O.

Count keys (``Dim`` ``a``/``p``/``x``)::

    ("a", actor, size, start)            articles mentioning the actor
    ("p", actor, partner, size, start)   ... that also mention partner (stored both ways)
    ("x", actor, country, size, start)   ... whose topics include country (ISO alpha-3)

each ``{"n": articles, "w": mention occurrences, "o": stage offset last applied}``.
Actors are counted per 1-minute and 1-hour window, pairs and actor × country per
1-hour window; 24-hour hopping windows are sums of hours (``windows``).

Other keys: ``("k", actor, article)`` the contribution last applied,
``("m", actor)`` display metadata, ``("q", actor)`` latest quotes by the actor,
``("wm", partition)`` the partition's event-time watermark.

Why counts stay exact under at-least-once delivery:

* Duplicates and corrections: a message is applied only if its article version
  is newer than the contribution on record; a correction subtracts the old
  contribution and adds the new one.
* Crashes: the shell awaits each write in order to one changelog partition, so
  after a crash the recovered state is a *prefix* of the writes, and the input
  is replayed from the last committed offset. Every count key records the stage
  offset it last absorbed (``o``) and the contribution is written last: a
  replayed message skips keys that already include it and re-applies the rest.
  A count that drops to zero is kept as a zero (not deleted) so its ``o`` guard
  survives until the window expires.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .windows import HOUR_MS, ONE_DAY_HOURLY, ONE_HOUR, STORED, WINDOWS, WindowSpec

Key = tuple[Any, ...]
WindowId = tuple[str, str, int]  # (dim, size, start)
QUOTES_KEPT = 10


@dataclass(frozen=True, slots=True)
class Write:
    """One changelog record: ``value`` None deletes the key."""

    partition: int
    key: Key
    value: dict[str, Any] | None


@dataclass
class Applied:
    """What applying one message did."""

    outcome: str  # applied | replayed | duplicate | stale | late
    writes: list[Write] = field(default_factory=list)
    dirty: set[Key] = field(default_factory=set)  # count keys whose value may have changed
    expired: list[Key] = field(default_factory=list)  # count keys deleted by retention


def count_key(dim: str, sub: tuple[str, ...], size: str, start: int) -> Key:
    return (dim, *sub, size, start)


def split_count_key(key: Key) -> tuple[str, tuple[str, ...], str, int]:
    return key[0], tuple(key[1:-2]), key[-2], key[-1]


def contribution_keys(actor: str, contrib: Mapping[str, Any]) -> Iterator[Key]:
    """Every count key a contribution adds one article to."""
    t = contrib["t"]
    for spec in STORED:
        yield ("a", actor, spec.name, spec.latest_start(t))
    hour = ONE_HOUR.latest_start(t)
    for partner in contrib.get("p") or ():
        yield ("p", actor, partner, "1h", hour)
    for country in contrib.get("c") or ():
        yield ("x", actor, country, "1h", hour)


class MentionState:
    """Counts, contributions, quotes and watermarks of the partitions this worker owns."""

    def __init__(
        self,
        partition_of: Callable[[str], int],
        lateness_ms: int,
        keep_ms: Mapping[str, int],
    ) -> None:
        for spec in STORED:
            if keep_ms[spec.name] < lateness_ms + spec.size_ms:
                raise ValueError(
                    f"{spec.name} windows must be kept at least the allowed lateness + their size"
                )
        self.partition_of = partition_of
        self.lateness_ms = lateness_ms
        self.keep_ms = dict(keep_ms)
        self.keep_max_ms = max(self.keep_ms.values())
        self._reset()

    def _reset(self) -> None:
        self.counts: dict[WindowId, dict[tuple[str, ...], dict[str, int]]] = {}
        self.contribs: dict[tuple[str, str], dict[str, Any]] = {}
        self._contrib_hours: dict[int, set[tuple[str, str]]] = defaultdict(set)
        self.meta: dict[str, dict[str, Any]] = {}
        self.quotes: dict[str, dict[str, Any]] = {}
        self.marks: dict[int, dict[str, int]] = {}
        # Display names of actors, including partners owned by other partitions
        # (learnt from messages; not persisted, so a fallback to the id is normal).
        self.names: dict[str, str] = {}

    # ------------------------------------------------------------------ reads
    def value(self, key: Key) -> dict[str, int] | None:
        dim, sub, size, start = split_count_key(key)
        return self.counts.get((dim, size, start), {}).get(sub)

    def count(
        self, dim: str, sub: tuple[str, ...], spec: WindowSpec, start: int
    ) -> tuple[int, int]:
        """(articles, mentions) in one window, stored or derived."""
        if spec.name in self.keep_ms:
            v = self.counts.get((dim, spec.name, start), {}).get(sub)
            return (v["n"], v["w"]) if v else (0, 0)
        n = w = 0
        for hour in range(start, start + spec.size_ms, HOUR_MS):
            v = self.counts.get((dim, "1h", hour), {}).get(sub)
            if v:
                n += v["n"]
                w += v["w"]
        return n, w

    def window(self, dim: str, spec: WindowSpec, start: int) -> dict[tuple[str, ...], list[int]]:
        """Every key of one window → [articles, mentions] (derived windows summed)."""
        out: dict[tuple[str, ...], list[int]] = {}
        if spec.name in self.keep_ms:
            parts = [start]
            size = spec.name
        else:
            parts = list(range(start, start + spec.size_ms, HOUR_MS))
            size = "1h"
        for part in parts:
            for sub, v in self.counts.get((dim, size, part), {}).items():
                acc = out.setdefault(sub, [0, 0])
                acc[0] += v["n"]
                acc[1] += v["w"]
        return out

    def window_starts(self, dim: str, spec: WindowSpec) -> set[int]:
        """Starts of every window of ``spec`` that holds at least one key."""
        size = spec.name if spec.name in self.keep_ms else "1h"
        stored = {start for (d, s, start) in self.counts if d == dim and s == size}
        if spec.name in self.keep_ms:
            return stored
        return {s for hour in stored for s in spec.starts(hour)}

    def watermark(self) -> int | None:
        marks = [m["t"] for m in self.marks.values()]
        return max(marks) if marks else None

    def low_mark(self) -> int | None:
        marks = [m["lo"] for m in self.marks.values()]
        return min(marks) if marks else None

    # ------------------------------------------------------------------ apply
    def apply(self, partition: int, offset: int, msg: Mapping[str, Any]) -> Applied:
        """Apply one stage message read at ``offset`` of ``partition``."""
        actor, article, version = msg["a"], msg["id"], msg["v"]
        prev = self.contribs.get((actor, article))
        if prev is not None and prev["so"] >= offset:
            dirty = set(contribution_keys(actor, prev)) if not prev.get("gone") else set()
            if not msg.get("x"):
                dirty.update(contribution_keys(actor, msg))
            return Applied("replayed", dirty=dirty)
        if prev is not None and prev["v"] >= version:
            return Applied("duplicate" if prev["v"] == version else "stale")

        old = prev if prev is not None and not prev.get("gone") else None
        new = None if msg.get("x") else msg
        mark = self.marks.get(partition)
        if mark is not None:
            limit = mark["t"] - self.lateness_ms
            if (new is not None and new["t"] < limit) or (old is not None and old["t"] < limit):
                return Applied("late")

        result = Applied("applied")
        deltas: dict[Key, list[int]] = {}
        for contrib, sign in ((old, -1), (new, 1)):
            if contrib is None:
                continue
            for key in contribution_keys(actor, contrib):
                d = deltas.setdefault(key, [0, 0])
                d[0] += sign
                d[1] += sign * contrib["w"]
        for key, (dn, dw) in deltas.items():
            if dn == 0 and dw == 0:
                continue
            result.dirty.add(key)
            cur = self.value(key)
            if cur is not None and cur["o"] >= offset:
                continue  # this key already absorbed the message before a crash
            base = cur or {"n": 0, "w": 0}
            self._put_count(key, {"n": base["n"] + dn, "w": base["w"] + dw, "o": offset})
            result.writes.append(Write(partition, key, self.value(key)))

        if new is not None:
            self._update_meta(partition, actor, new, result)
            self.names.update(zip(new.get("p") or (), new.get("pn") or (), strict=False))
        self._update_quotes(partition, actor, article, new, result)

        if new is not None:
            self._update_mark(partition, new["t"], result)
        contrib: dict[str, Any]
        if new is not None:
            contrib = {
                "v": version,
                "so": offset,
                "t": new["t"],
                "w": new["w"],
                "p": list(new.get("p") or ()),
                "c": list(new.get("c") or ()),
            }
        else:
            t = old["t"] if old else (mark["t"] if mark else 0)
            contrib = {"v": version, "so": offset, "t": t, "gone": 1}
        self._put_contrib(actor, article, contrib)
        result.writes.append(Write(partition, ("k", actor, article), contrib))
        if mark is not None and new is not None and new["t"] // HOUR_MS > mark["t"] // HOUR_MS:
            self._expire(partition, self.marks[partition]["t"], result)
        return result

    def _update_meta(
        self, partition: int, actor: str, new: Mapping[str, Any], result: Applied
    ) -> None:
        meta = new.get("m") or {}
        cur = self.meta.get(actor)
        if cur is not None and cur["t"] > new["t"]:
            return
        value = {
            "name": meta.get("name") or actor,
            "country": meta.get("country"),
            "type": meta.get("type"),
            "t": new["t"],
        }
        self.names[actor] = value["name"]
        if value != cur:
            self.meta[actor] = value
            result.writes.append(Write(partition, ("m", actor), value))

    def _update_quotes(
        self,
        partition: int,
        actor: str,
        article: str,
        new: Mapping[str, Any] | None,
        result: Applied,
    ) -> None:
        cur = self.quotes.get(actor, {}).get("items", [])
        items = [q for q in cur if q.get("article") != article]
        if new is not None:
            items.extend(new.get("q") or ())
        items.sort(key=lambda q: (-(q.get("t") or 0), str(q.get("article")), q.get("start") or 0))
        items = items[:QUOTES_KEPT]
        if items == cur:
            return
        if items:
            self.quotes[actor] = {"items": items}
            result.writes.append(Write(partition, ("q", actor), self.quotes[actor]))
        else:
            self.quotes.pop(actor, None)
            result.writes.append(Write(partition, ("q", actor), None))

    def _update_mark(self, partition: int, t: int, result: Applied) -> None:
        mark = self.marks.get(partition)
        value = (
            {"t": t, "lo": t}
            if mark is None
            else {"t": max(mark["t"], t), "lo": min(mark["lo"], t)}
        )
        if value != mark:
            self.marks[partition] = value
            result.writes.append(Write(partition, ("wm", partition), value))

    # ----------------------------------------------------------------- expiry
    def _expire(self, partition: int, watermark: int, result: Applied) -> None:
        """Delete this partition's windows, contributions and actors past retention.

        Retention is at least the allowed lateness plus the window size, so no
        message that is not late can touch a deleted window.
        """
        for wid in list(self.counts):
            dim, size, start = wid
            if start + WINDOWS[size].size_ms + self.keep_ms[size] >= watermark:
                continue
            bucket = self.counts[wid]
            for sub in [s for s in bucket if self.partition_of(s[0]) == partition]:
                del bucket[sub]
                key = count_key(dim, sub, size, start)
                result.writes.append(Write(partition, key, None))
                result.expired.append(key)
            if not bucket:
                del self.counts[wid]
        horizon = watermark - self.keep_max_ms
        for hour in [h for h in self._contrib_hours if h + HOUR_MS < horizon]:
            keys = self._contrib_hours[hour]
            for ck in [k for k in keys if self.partition_of(k[0]) == partition]:
                keys.discard(ck)
                del self.contribs[ck]
                result.writes.append(Write(partition, ("k", *ck), None))
            if not keys:
                del self._contrib_hours[hour]
        for actor in [a for a, m in self.meta.items() if m["t"] < horizon]:
            if self.partition_of(actor) != partition:
                continue
            del self.meta[actor]
            result.writes.append(Write(partition, ("m", actor), None))
            if self.quotes.pop(actor, None) is not None:
                result.writes.append(Write(partition, ("q", actor), None))

    # ------------------------------------------------------------ bookkeeping
    def _put_count(self, key: Key, value: dict[str, int]) -> None:
        dim, sub, size, start = split_count_key(key)
        self.counts.setdefault((dim, size, start), {})[sub] = value

    def _put_contrib(self, actor: str, article: str, value: dict[str, Any]) -> None:
        ck = (actor, article)
        old = self.contribs.get(ck)
        if old is not None:
            self._contrib_hours[old["t"] - old["t"] % HOUR_MS].discard(ck)
        self.contribs[ck] = value
        self._contrib_hours[value["t"] - value["t"] % HOUR_MS].add(ck)

    def load(self, items: Iterable[tuple[Key, Any]], partitions: set[int]) -> None:
        """Replace everything with table contents, keeping only ``partitions``.

        Called after Faust's changelog recovery: the table holds active and
        standby partitions (and, with the memory store, keys of partitions this
        worker used to own), so ownership is decided from the key itself.
        """
        self._reset()
        for key, value in items:
            if not isinstance(key, tuple) or not key or value is None:
                continue
            tag = key[0]
            if tag == "wm":
                if key[1] in partitions:
                    self.marks[key[1]] = value
                continue
            if self.partition_of(key[1]) not in partitions:
                continue
            if tag in ("a", "p", "x"):
                self._put_count(key, value)
            elif tag == "k":
                self._put_contrib(key[1], key[2], value)
            elif tag == "m":
                self.meta[key[1]] = value
                self.names[key[1]] = value.get("name") or key[1]
            elif tag == "q":
                self.quotes[key[1]] = value

    def snapshot(self) -> dict[Key, Any]:
        """Every key this state would have in its table (for tests and tools)."""
        out: dict[Key, Any] = {}
        for (dim, size, start), bucket in self.counts.items():
            for sub, v in bucket.items():
                out[count_key(dim, sub, size, start)] = v
        for (actor, article), v in self.contribs.items():
            out[("k", actor, article)] = v
        out.update({("m", a): v for a, v in self.meta.items()})
        out.update({("q", a): v for a, v in self.quotes.items()})
        out.update({("wm", p): v for p, v in self.marks.items()})
        return out

    def sizes(self) -> dict[str, int]:
        """Keys held per kind (for the table-size metric)."""
        per_dim: dict[str, int] = defaultdict(int)
        for (dim, _size, _start), bucket in self.counts.items():
            per_dim[dim] += len(bucket)
        return {
            "actor_windows": per_dim["a"],
            "pair_windows": per_dim["p"],
            "country_windows": per_dim["x"],
            "contributions": len(self.contribs),
            "actors": len(self.meta),
        }


def derived_dirty(keys: Iterable[Key]) -> set[Key]:
    """Derived 24-hour window keys touched by changes to stored 1-hour keys."""
    out: set[Key] = set()
    for key in keys:
        dim, sub, size, start = split_count_key(key)
        if size == "1h":
            for s in ONE_DAY_HOURLY.starts(start):
                out.add(count_key(dim, sub, ONE_DAY_HOURLY.name, s))
    return out
