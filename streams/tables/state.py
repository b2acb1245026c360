"""The counting stage's state machine: exact windowed counts that survive crashes.

One ``MentionState`` holds, for the stage partitions a worker owns, every
contribution (article × partition) and the counts it adds to. Applying a batch
of stage messages returns the table writes to make — each key at most once per
batch, with its final value — and the actor windows whose counts changed; the
shell sends the writes, in order, to the changelog partition of the message's
partition and mirrors them in the Faust table. Nothing here does I/O.

Table keys; values are JSON-shaped, so a value recovered from the changelog *is*
the in-memory state (no second copy)::

    ("h", actor, hour)         the actor's bucket for one event-time hour:
        {"n": articles, "w": mention occurrences, "o": stage offset last absorbed,
         "m": {minute of the hour: [n, w]},          its 1-minute windows
         "p": {partner: [n, w]},                      articles also naming partner
         "x": {country: [n, w]},                      articles about country (alpha-3)
         "meta": {"name", "country", "type", "t"}}    display data of its newest article
    ("k", article, partition)  the contribution last applied for the article's actors
                               on that partition: {"v", "so", "t", "w": {actor: w},
                               "all": [every actor of the article], "c": [countries]}
    ("q", actor)               latest quotes by the actor
    ("wm", partition)          the partition's event-time watermark {"t", "lo"}

A 1-hour window is a bucket's totals, a 1-minute window one of its minutes, and
pairs (stored under both actors, each on its own partition) and countries are
per hour; 24-hour hopping windows are sums of hours (``windows``). An actor's
display metadata is its newest bucket's. One article × one actor touches exactly
one bucket, and a batch writes each touched key once: per article, one bucket
write per actor (fewer when a batch holds several articles about an actor in the
same hour) and one contribution per partition.

Why counts stay exact under at-least-once delivery:

* Duplicates and corrections: a message is applied only if its article version
  is newer than the contribution on record; a correction subtracts the old
  contribution and adds the new one.
* Crashes: the shell awaits each write in order to one changelog partition, so
  after a crash the recovered state is a *prefix* of the writes, and the input
  is replayed from the last committed offset (committed only once a batch's
  writes are flushed). Every bucket records the stage offset it last absorbed
  (``o``), and a batch writes, per partition, buckets and quotes first, then the
  contributions, then the watermark, then deletions. A replayed message whose
  contribution is on record (``so`` ≥ its offset) changes nothing; any other is
  applied again and skips the buckets that already absorbed it. That needs a
  replayed message to be judged late or not exactly as the first time: the
  watermark is written after the contributions, so a recovered watermark is
  never ahead of a message that is applied again, and messages found on record
  restore the watermark as they go by. A bucket whose counts drop to zero is
  kept (not deleted) so its ``o`` guard survives until its hour expires.

Memory: the ``[n, w]`` pairs and a contribution's ``all``/``c`` are tuples in
memory (JSON arrays on the changelog; ``load`` converts what recovery read).
CPython stops tracking a tuple of ints, and then a dict holding only such tuples
or atoms, so the minute, partner and country maps of a bucket no longer written
to drop out of the garbage collector's walk (the bucket's own dict stays: a dict
holding dicts is always walked). Lists are always walked: as lists, ~140 per
article made every full collection of a downstream worker walk the whole
counting state, 0.1–0.5 s with the GIL held (README: Performance).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .windows import HOUR_MS, MINUTE_MS, ONE_DAY_HOURLY, STORED, WindowSpec

Key = tuple[Any, ...]
Bucket = dict[str, Any]
Window = tuple[str, int]  # (size, start) of one of an actor's windows
Pair = tuple[int, int]  # (articles, mentions): a tuple, see "Memory" above
Message = tuple[int, int, Mapping[str, Any]]  # (stage partition, stage offset, value)
QUOTES_KEPT = 10


@dataclass(frozen=True, slots=True)
class Write:
    """One changelog record: ``value`` None deletes the key."""

    partition: int
    key: Key
    value: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message: applied | replayed | duplicate | stale | late | invalid."""

    outcome: str
    actors: tuple[str, ...]  # the actors it is about (for metrics and logs)


@dataclass
class Applied:
    """What applying a batch did."""

    outcomes: list[Outcome] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    changed: dict[str, set[Window]] = field(default_factory=dict)  # counts may have changed
    expired: dict[str, set[Window]] = field(default_factory=dict)  # deleted by retention


@dataclass(slots=True)
class _Delta:
    """What one message adds to one bucket."""

    n: int = 0
    w: int = 0
    minutes: dict[str, Pair] = field(default_factory=dict)
    pairs: dict[str, Pair] = field(default_factory=dict)
    countries: dict[str, Pair] = field(default_factory=dict)

    def prune(self) -> bool:
        """Drop entries that cancel out; True when nothing is left."""
        for part in (self.minutes, self.pairs, self.countries):
            for k in [k for k, (dn, dw) in part.items() if not dn and not dw]:
                del part[k]
        return not (self.n or self.w or self.minutes or self.pairs or self.countries)


class _Pending:
    """Keys a batch touched, written once each when the batch ends."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, int], int] = {}  # (actor, hour) → partition
        self.quotes: dict[str, int] = {}
        self.contribs: dict[tuple[str, int], None] = {}  # (article, partition)
        self.marks: set[int] = set()
        self.deleted: dict[Key, int] = {}
        self.changed: defaultdict[str, set[Window]] = defaultdict(set)
        self.expired: defaultdict[str, set[Window]] = defaultdict(set)


def _bump(part: dict[str, Pair], key: str, dn: int, dw: int) -> None:
    acc = part.get(key)
    part[key] = (dn, dw) if acc is None else (acc[0] + dn, acc[1] + dw)


def _add_into(bucket: Bucket, name: str, delta: dict[str, Pair]) -> None:
    """Add a delta to one of a bucket's maps; pairs and countries at zero are dropped,
    minutes at zero kept (a published window, see ``MentionState._republish``)."""
    part = bucket[name]
    for key, (dn, dw) in delta.items():
        existed = key in part
        _bump(part, key, dn, dw)
        if existed and part[key] == (0, 0) and name != "m":
            del part[key]


def _new_bucket() -> Bucket:
    return {"n": 0, "w": 0, "o": -1, "m": {}, "p": {}, "x": {}, "meta": None}


def _minute_start(hour: int, minute: str) -> int:
    return hour + int(minute) * MINUTE_MS


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
        if keep_ms["1m"] > keep_ms["1h"]:
            raise ValueError("1-minute windows live in their hour's bucket: keep them ≤ hours")
        self.partition_of = partition_of
        self.lateness_ms = lateness_ms
        self.keep_ms = dict(keep_ms)
        self.keep_max_ms = max(self.keep_ms.values())
        self._reset()

    def _reset(self) -> None:
        self.by_actor: dict[str, dict[int, Bucket]] = {}
        self.by_hour: dict[int, dict[str, Bucket]] = {}
        self.contribs: dict[tuple[str, int], dict[str, Any]] = {}
        self._contrib_hours: defaultdict[int, set[tuple[str, int]]] = defaultdict(set)
        self.meta: dict[str, dict[str, Any]] = {}  # each actor's newest bucket's meta
        self.quotes: dict[str, dict[str, Any]] = {}
        self.marks: dict[int, dict[str, int]] = {}
        # Minutes of each partition's buckets before this instant are gone (not written:
        # derived from the watermark, so recovery drops them again).
        self._minutes_gone: dict[int, int] = {}
        self._resumed: set[int] = set()  # partitions read from since the last load
        # Display names of actors, including partners owned by other partitions
        # (learnt from messages; not persisted, so a fallback to the id is normal).
        self.names: dict[str, str] = {}

    # ------------------------------------------------------------------ reads
    def bucket(self, actor: str, hour: int) -> Bucket | None:
        hours = self.by_actor.get(actor)
        return hours.get(hour) if hours else None

    def knows(self, actor: str) -> bool:
        return actor in self.by_actor or actor in self.meta

    def count(
        self, dim: str, sub: tuple[str, ...], spec: WindowSpec, start: int
    ) -> tuple[int, int]:
        """(articles, mentions) in one window, stored or derived.

        ``dim`` is ``a`` (sub = (actor,)), ``p`` (actor, partner) or ``x`` (actor,
        country); pairs and countries have no 1-minute windows.
        """
        hours = self.by_actor.get(sub[0])
        if not hours:
            return 0, 0
        if spec.size_ms < HOUR_MS:
            if dim != "a" or start % spec.size_ms:
                return 0, 0
            b = hours.get(start - start % HOUR_MS)
            v = b["m"].get(str((start % HOUR_MS) // MINUTE_MS)) if b else None
            return (v[0], v[1]) if v else (0, 0)
        n = w = 0
        for hour in range(start, start + spec.size_ms, HOUR_MS):
            b = hours.get(hour)
            if b is None:
                continue
            if dim == "a":
                n += b["n"]
                w += b["w"]
            else:
                v = b["p" if dim == "p" else "x"].get(sub[1])
                if v:
                    n += v[0]
                    w += v[1]
        return n, w

    def hourly(self, actor: str, first: int, last: int) -> list[tuple[int, int]]:
        """(articles, mentions) of the actor per hour, from hour ``first`` to ``last``."""
        hours = self.by_actor.get(actor) or {}
        out = []
        for hour in range(first, last + 1, HOUR_MS):
            b = hours.get(hour)
            out.append((b["n"], b["w"]) if b else (0, 0))
        return out

    def window(self, dim: str, spec: WindowSpec, start: int) -> dict[tuple[str, ...], list[int]]:
        """Every key of one window → [articles, mentions] (derived windows summed)."""
        out: dict[tuple[str, ...], list[int]] = {}
        if spec.size_ms < HOUR_MS:
            if dim != "a" or start % spec.size_ms:
                return out
            minute = str((start % HOUR_MS) // MINUTE_MS)
            for actor, b in self.by_hour.get(start - start % HOUR_MS, {}).items():
                v = b["m"].get(minute)
                if v:
                    out[(actor,)] = [v[0], v[1]]
            return out
        for hour in range(start, start + spec.size_ms, HOUR_MS):
            for actor, b in self.by_hour.get(hour, {}).items():
                if dim == "a":
                    items: Iterable[tuple[tuple[str, ...], Any]] = [((actor,), (b["n"], b["w"]))]
                else:
                    part = b["p" if dim == "p" else "x"]
                    items = [((actor, k), v) for k, v in part.items()]
                for sub, (n, w) in items:
                    acc = out.get(sub)
                    if acc is None:
                        out[sub] = [n, w]
                    else:
                        acc[0] += n
                        acc[1] += w
        return out

    def count_keys(self) -> Iterator[Key]:
        """The key of every stored window, as the batch reference names it."""
        for hour, actors in self.by_hour.items():
            for actor, b in actors.items():
                yield ("a", actor, "1h", hour)
                for minute in b["m"]:
                    yield ("a", actor, "1m", _minute_start(hour, minute))
                for partner in b["p"]:
                    yield ("p", actor, partner, "1h", hour)
                for country in b["x"]:
                    yield ("x", actor, country, "1h", hour)

    def watermark(self) -> int | None:
        marks = [m["t"] for m in self.marks.values()]
        return max(marks) if marks else None

    def low_mark(self) -> int | None:
        marks = [m["lo"] for m in self.marks.values()]
        return min(marks) if marks else None

    # ------------------------------------------------------------------ apply
    def apply(self, messages: Iterable[Message]) -> Applied:
        """Apply a batch of stage messages, in the order they were read."""
        pending = _Pending()
        hours_before = {p: m["t"] // HOUR_MS for p, m in self.marks.items()}
        outcomes = []
        for p, offset, msg in messages:
            if p not in self._resumed:
                self._resumed.add(p)
                self._republish(p, offset, pending)
            outcomes.append(self._apply_one(p, offset, msg, pending))
        for p in sorted(pending.marks):
            t = self.marks[p]["t"]
            if hours_before.get(p) != t // HOUR_MS:
                self._expire(p, t - t % HOUR_MS, pending)
        return Applied(
            outcomes=outcomes,
            writes=self._writes(pending),
            changed=dict(pending.changed),
            expired=dict(pending.expired),
        )

    def _apply_one(
        self, partition: int, offset: int, msg: Mapping[str, Any], pending: _Pending
    ) -> Outcome:
        local = msg.get("a")
        if not isinstance(local, Mapping):  # not a message of this format
            return Outcome("invalid", ())
        article, version = msg["id"], msg["v"]
        ck = (article, partition)
        prev = self.contribs.get(ck)
        new = msg if local else None
        old = prev if prev is not None and not prev.get("gone") else None
        about = tuple(local) if local else tuple(old["w"]) if old else ()
        if prev is not None and prev["so"] >= offset:
            # On record: its effects are in the table (and its windows are republished,
            # see _republish). Restore the watermark it contributed to.
            mark = self.marks.get(partition)
            if new is not None and (mark is None or new["t"] >= mark["t"] - self.lateness_ms):
                self._update_mark(partition, new["t"], pending)
            return Outcome("replayed", about)
        if prev is not None and prev["v"] >= version:
            return Outcome("duplicate" if prev["v"] == version else "stale", about)

        mark = self.marks.get(partition)
        if mark is not None:
            limit = mark["t"] - self.lateness_ms
            if (new is not None and new["t"] < limit) or (old is not None and old["t"] < limit):
                return Outcome("late", about)

        record: dict[str, Any]
        if new is not None:
            record = {
                "v": version,
                "so": offset,
                "t": new["t"],
                "w": {actor: facts["w"] for actor, facts in local.items()},
                "all": tuple(new.get("all") or ()),
                "c": tuple(new.get("c") or ()),
            }
        else:
            t = old["t"] if old else (mark["t"] if mark else 0)
            record = {"v": version, "so": offset, "t": t, "gone": 1}

        deltas: dict[tuple[str, int], _Delta] = {}
        for contrib, sign in ((old, -1), (record if new is not None else None, 1)):
            if contrib is not None:
                _contribution_deltas(contrib, sign, deltas)
        metas: dict[str, dict[str, Any]] = {}
        if new is not None:
            for actor, facts in local.items():
                metas[actor] = self._update_meta(actor, new["t"], facts.get("m") or {})
            self.names.update(zip(new.get("all") or (), new.get("n") or (), strict=False))
        new_hour = new["t"] - new["t"] % HOUR_MS if new is not None else None
        for (actor, hour), delta in deltas.items():
            empty = delta.prune()
            meta = metas.get(actor) if hour == new_hour else None
            bucket = self.bucket(actor, hour)
            if meta is not None and bucket is not None:
                cur = bucket["meta"]
                if cur is not None and (cur["t"] > meta["t"] or cur == meta):
                    meta = None
            if empty and meta is None:
                continue
            if not empty:
                changed = pending.changed[actor]
                if delta.n or delta.w:
                    changed.add(("1h", hour))
                changed.update(("1m", _minute_start(hour, m)) for m in delta.minutes)
            if bucket is not None and bucket["o"] >= offset:
                continue  # this bucket already absorbed the message before a crash
            if bucket is None:
                bucket = self._add_bucket(actor, hour)
            bucket["n"] += delta.n
            bucket["w"] += delta.w
            _add_into(bucket, "m", delta.minutes)
            _add_into(bucket, "p", delta.pairs)
            _add_into(bucket, "x", delta.countries)
            if meta is not None:
                bucket["meta"] = meta
            bucket["o"] = offset
            pending.buckets[(actor, hour)] = partition

        for actor in dict.fromkeys([*(old["w"] if old else ()), *local]):
            items = (local.get(actor) or {}).get("q") or () if actor in local else None
            if self._update_quotes(actor, article, items):
                pending.quotes[actor] = partition
        if new is not None:
            self._update_mark(partition, new["t"], pending)
        self._put_contrib(ck, record)
        pending.contribs[ck] = None
        return Outcome("applied", about)

    def _republish(self, partition: int, offset: int, pending: _Pending) -> None:
        """Mark changed every window of the partition's buckets changed at or after ``offset``.

        Called with the first offset read from a partition after a (re)load — the
        committed offset, where the replay starts. Records of actor-mentions are
        flushed before offsets are committed, so only the input from there on can
        have changed windows whose records a crash lost; those buckets absorbed
        it (``o`` ≥ ``offset``), and a minute that dropped to zero is kept in its
        bucket so that it is found too. Input not absorbed is applied again, and
        publishes its windows then.
        """
        for actor, hours in self.by_actor.items():
            if self.partition_of(actor) != partition:
                continue
            for hour, b in hours.items():
                if b["o"] >= offset:
                    changed = pending.changed[actor]
                    changed.add(("1h", hour))
                    changed.update(("1m", _minute_start(hour, m)) for m in b["m"])

    def _update_meta(self, actor: str, t: int, meta: Mapping[str, Any]) -> dict[str, Any]:
        """The display data of this article's actor; the actor's own if no newer one is known."""
        value = {
            "name": meta.get("name") or actor,
            "country": meta.get("country"),
            "type": meta.get("type"),
            "t": t,
        }
        cur = self.meta.get(actor)
        if cur is None or cur["t"] <= t:
            self.meta[actor] = value
            self.names[actor] = value["name"]
        return value

    def _update_quotes(
        self, actor: str, article: str, new: Iterable[dict[str, Any]] | None
    ) -> bool:
        """Replace the article's quotes by the actor with ``new``; True when they changed."""
        cur = self.quotes.get(actor, {}).get("items", [])
        items = [q for q in cur if q.get("article") != article]
        items.extend(new or ())
        items.sort(key=lambda q: (-(q.get("t") or 0), str(q.get("article")), q.get("start") or 0))
        items = items[:QUOTES_KEPT]
        if items == cur:
            return False
        if items:
            self.quotes[actor] = {"items": items}
        else:
            self.quotes.pop(actor, None)
        return True

    def _update_mark(self, partition: int, t: int, pending: _Pending) -> None:
        mark = self.marks.get(partition)
        if mark is None:
            value = {"t": t, "lo": t}
        elif mark["lo"] <= t <= mark["t"]:
            return
        else:
            value = {"t": max(mark["t"], t), "lo": min(mark["lo"], t)}
        self.marks[partition] = value
        pending.marks.add(partition)

    def _writes(self, pending: _Pending) -> list[Write]:
        """The batch's writes: buckets and quotes, contributions, watermarks, deletions."""
        deleted = pending.deleted
        out: list[Write] = []
        for (actor, hour), p in pending.buckets.items():
            key = ("h", actor, hour)
            if key not in deleted:
                out.append(Write(p, key, self.by_actor[actor][hour]))
        for actor, p in pending.quotes.items():
            if ("q", actor) not in deleted:
                out.append(Write(p, ("q", actor), self.quotes.get(actor)))
        for article, p in pending.contribs:
            key = ("k", article, p)
            if key not in deleted:
                out.append(Write(p, key, self.contribs[(article, p)]))
        out += [Write(p, ("wm", p), self.marks[p]) for p in sorted(pending.marks)]
        out += [Write(p, key, None) for key, p in deleted.items()]
        return out

    # ----------------------------------------------------------------- expiry
    def _expire(self, partition: int, now: int, pending: _Pending) -> None:
        """Delete this partition's windows, contributions and actors past retention at ``now``.

        ``now`` is the watermark's hour, so what is kept depends on the watermark
        alone, not on how the input was cut into batches. Retention is at least the
        allowed lateness plus the window size, so no message that is not late can
        touch a deleted window.
        """
        keep_hours = self.keep_ms["1h"]
        emptied: set[str] = set()
        for hour in sorted(h for h in self.by_hour if h + HOUR_MS + keep_hours < now):
            actors = self.by_hour[hour]
            for actor in [a for a in actors if self.partition_of(a) == partition]:
                bucket = actors.pop(actor)
                hours = self.by_actor[actor]
                del hours[hour]
                if not hours:
                    del self.by_actor[actor]
                    emptied.add(actor)
                pending.deleted[("h", actor, hour)] = partition
                gone = pending.expired[actor]
                gone.add(("1h", hour))
                gone.update(("1m", _minute_start(hour, m)) for m in bucket["m"])
            if not actors:
                del self.by_hour[hour]
        self._drop_minutes(partition, now, pending.expired)
        horizon = now - self.keep_max_ms
        for hour in [h for h in self._contrib_hours if h + HOUR_MS < horizon]:
            keys = self._contrib_hours[hour]
            for ck in [k for k in keys if k[1] == partition]:
                keys.discard(ck)
                del self.contribs[ck]
                pending.deleted[("k", *ck)] = partition
            if not keys:
                del self._contrib_hours[hour]
        for actor in emptied:
            self.meta.pop(actor, None)
            if self.quotes.pop(actor, None) is not None:
                pending.deleted[("q", actor)] = partition
        for actor in {a for a in pending.expired if a in self.by_actor} - emptied:
            self._refresh_meta(actor)

    def _drop_minutes(
        self, partition: int, now: int, expired: defaultdict[str, set[Window]] | None
    ) -> None:
        """Forget the partition's 1-minute windows past retention (in memory only)."""
        limit = now - MINUTE_MS - self.keep_ms["1m"]  # a minute starting before this is gone
        since = self._minutes_gone.get(partition)
        for hour, actors in self.by_hour.items():
            if hour >= limit or (since is not None and hour + HOUR_MS <= since):
                continue
            for actor, b in actors.items():
                if not b["m"] or self.partition_of(actor) != partition:
                    continue
                for m in [m for m in b["m"] if _minute_start(hour, m) < limit]:
                    del b["m"][m]
                    if expired is not None:
                        expired[actor].add(("1m", _minute_start(hour, m)))
        self._minutes_gone[partition] = limit if since is None else max(since, limit)

    def _refresh_meta(self, actor: str) -> None:
        hours = self.by_actor.get(actor) or {}
        metas = [b["meta"] for b in hours.values() if b["meta"] is not None]
        if metas:
            newest = max(metas, key=lambda m: m["t"])
            self.meta[actor] = newest
            self.names[actor] = newest.get("name") or actor

    # ------------------------------------------------------------ bookkeeping
    def _add_bucket(self, actor: str, hour: int, bucket: Bucket | None = None) -> Bucket:
        bucket = _new_bucket() if bucket is None else bucket
        self.by_actor.setdefault(actor, {})[hour] = bucket
        self.by_hour.setdefault(hour, {})[actor] = bucket
        return bucket

    def _put_contrib(self, ck: tuple[str, int], value: dict[str, Any]) -> None:
        old = self.contribs.get(ck)
        if old is not None:
            self._contrib_hours[old["t"] - old["t"] % HOUR_MS].discard(ck)
        self.contribs[ck] = value
        self._contrib_hours[value["t"] - value["t"] % HOUR_MS].add(ck)

    def load(self, items: Iterable[tuple[Key, Any]], partitions: set[int]) -> None:
        """Replace everything with table contents, keeping only ``partitions``.

        Called after Faust's changelog recovery: the table holds active and
        standby partitions (and, with the memory store, keys of partitions this
        worker used to own), so ownership is decided from the key itself. The
        values become the state in place, their JSON arrays made tuples (Memory).
        """
        self._reset()
        for key, value in items:
            if not isinstance(key, tuple) or len(key) < 2 or not isinstance(value, dict):
                continue
            tag = key[0]
            if tag == "wm":
                if key[1] in partitions:
                    self.marks[key[1]] = value
            elif tag == "k" and len(key) == 3:
                if key[2] in partitions:
                    for name in ("all", "c"):
                        if isinstance(value.get(name), list):
                            value[name] = tuple(value[name])
                    self._put_contrib((key[1], key[2]), value)
            elif tag == "h" and len(key) == 3:
                if self.partition_of(key[1]) in partitions:
                    for name in ("m", "p", "x"):
                        part = value.get(name) or {}
                        value[name] = {k: (v[0], v[1]) for k, v in part.items()}
                    self._add_bucket(key[1], key[2], value)
            elif tag == "q" and self.partition_of(key[1]) in partitions:
                self.quotes[key[1]] = value
        for actor in self.by_actor:
            self._refresh_meta(actor)
        for p, mark in self.marks.items():
            self._drop_minutes(p, mark["t"] - mark["t"] % HOUR_MS, None)

    def snapshot(self) -> dict[Key, Any]:
        """Every key this state would have in its table (for tests and tools)."""
        out: dict[Key, Any] = {}
        for actor, hours in self.by_actor.items():
            for hour, b in hours.items():
                out[("h", actor, hour)] = b
        for (article, p), v in self.contribs.items():
            out[("k", article, p)] = v
        out.update({("q", a): v for a, v in self.quotes.items()})
        out.update({("wm", p): v for p, v in self.marks.items()})
        return out

    def sizes(self) -> dict[str, int]:
        """Windows and records held per kind (for the table-size metric)."""
        sizes = dict.fromkeys(("actor_windows", "pair_windows", "country_windows"), 0)
        for hours in self.by_actor.values():
            for b in hours.values():
                sizes["actor_windows"] += 1 + len(b["m"])
                sizes["pair_windows"] += len(b["p"])
                sizes["country_windows"] += len(b["x"])
        return {
            **sizes,
            "buckets": sum(len(h) for h in self.by_actor.values()),
            "contributions": len(self.contribs),
            "actors": len(self.by_actor),
        }


def _contribution_deltas(
    contrib: Mapping[str, Any], sign: int, deltas: dict[tuple[str, int], _Delta]
) -> None:
    """Add ``sign`` × one contribution to the per-bucket deltas."""
    t = contrib["t"]
    hour = t - t % HOUR_MS
    minute = str((t % HOUR_MS) // MINUTE_MS)
    every = contrib.get("all") or ()
    countries = contrib.get("c") or ()
    for actor, w in contrib["w"].items():
        d = deltas.get((actor, hour))
        if d is None:
            d = deltas[(actor, hour)] = _Delta()
        dw = sign * w
        d.n += sign
        d.w += dw
        _bump(d.minutes, minute, sign, dw)
        for partner in every:
            if partner != actor:
                _bump(d.pairs, partner, sign, dw)
        for country in countries:
            _bump(d.countries, country, sign, dw)


def day_windows(hours: Iterable[int]) -> set[int]:
    """Starts of the derived 24-hour windows that include any of the stored ``hours``."""
    return {s for hour in hours for s in ONE_DAY_HOURLY.starts(hour)}
