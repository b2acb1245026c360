"""The actor tables' pure core: windows, fan-out, the counting state machine, spikes, queries.

The central property: whatever the order, duplication, correction and crash
history of the input, every window count equals a batch recomputation.
"""

from __future__ import annotations

import gc
import random
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams import codecs
from streams.tables import queries
from streams.tables.batch import recompute
from streams.tables.fanout import event_time_ms, fan_out
from streams.tables.spikes import spike_score
from streams.tables.state import MentionState
from streams.tables.windows import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    ONE_DAY_HOURLY,
    ONE_HOUR,
    ONE_MINUTE,
    WINDOWS,
    iso,
)

PARTITIONS = 3
T0 = 1_510_392_600_000  # 2017-11-11T09:30:00Z
LATENESS = 48 * HOUR_MS
KEEP = {"1m": 30 * DAY_MS, "1h": 30 * DAY_MS}


def partition_of(actor: str) -> int:
    return zlib.crc32(actor.encode()) % PARTITIONS


def new_state(lateness: int = LATENESS, keep: dict[str, int] | None = None) -> MentionState:
    return MentionState(partition_of, lateness, keep or KEEP)


# ---------------------------------------------------------------------------- windows
def test_tumbling_window_contains_its_start_not_its_end() -> None:
    assert list(ONE_MINUTE.starts(120_000)) == [120_000]
    assert list(ONE_MINUTE.starts(179_999)) == [120_000]
    assert list(ONE_HOUR.starts(-1)) == [-HOUR_MS]


def test_hopping_day_window_has_24_starts_on_hours() -> None:
    t = 5 * HOUR_MS + 17
    starts = list(ONE_DAY_HOURLY.starts(t))
    assert len(starts) == 24
    assert starts[-1] == 5 * HOUR_MS and starts[0] == 5 * HOUR_MS - 23 * HOUR_MS
    assert all(s <= t < s + DAY_MS for s in starts)
    assert ONE_DAY_HOURLY.latest_start(t) == 5 * HOUR_MS
    assert ONE_DAY_HOURLY.current_start(t) == 5 * HOUR_MS - 23 * HOUR_MS


def test_iso_is_rfc3339_utc_millis() -> None:
    assert iso(T0) == "2017-11-11T09:30:00.000Z"


# ---------------------------------------------------------------------------- fan-out
def article(aid: str, actors: list[str], t: int | None = T0, **extra: Any) -> dict[str, Any]:
    return {
        "id": aid,
        "published_at": iso(t) if t is not None else None,
        "actors": [
            {
                "id": a,
                "name": a.title(),
                "country": None,
                "type": "person",
                "mentions": [{}] * (i + 1),
            }
            for i, a in enumerate(actors)
        ],
        "topics": {"countries": [{"code": c} for c in extra.pop("countries", [])], "themes": []},
        **extra,
    }


def test_event_time_prefers_published_at_then_record_timestamp() -> None:
    assert event_time_ms({"published_at": "2017-11-11T09:30:00Z"}, 5) == T0
    assert event_time_ms({"published_at": None}, 5) == 5
    assert event_time_ms({"published_at": "yesterday"}, 7) == 7


def test_fan_out_one_message_per_partition_with_every_actor_and_countries() -> None:
    out = fan_out(article("x", ["a", "b", "c"], countries=["SYR"]), 3, None, None, partition_of)
    by_partition = dict(out.messages)
    assert [p for p, _ in out.messages] == sorted({partition_of(a) for a in "abc"}) == [0, 2]
    assert set(by_partition[0]["a"]) == {"a", "c"} and set(by_partition[2]["a"]) == {"b"}
    for msg in by_partition.values():
        assert msg["all"] == ["a", "b", "c"] and msg["n"] == ["A", "B", "C"]
        assert msg["c"] == ["SYR"] and msg["t"] == T0 and msg["v"] == 3
    assert by_partition[2]["a"]["b"]["w"] == 2 and by_partition[0]["a"]["c"]["w"] == 3
    assert by_partition[0]["a"]["a"]["m"] == {"name": "A", "country": None, "type": "person"}
    assert out.state == {"v": 3, "actors": ["a", "b", "c"], "prev": [], "t": T0}


def test_correction_retracts_partitions_it_no_longer_touches_and_replay_repeats_it() -> None:
    def local(out: Any) -> dict[int, set[str]]:
        return {p: set(m["a"]) for p, m in out.messages}

    first = fan_out(article("x", ["a", "b"]), 1, None, None, partition_of)
    corrected = fan_out(article("x", ["b", "c"]), 5, None, first.state, partition_of)
    assert local(corrected) == {0: {"c"}, 2: {"b"}}  # a's partition: c replaces a
    dropped = fan_out(article("x", ["b"]), 7, None, corrected.state, partition_of)
    assert local(dropped) == {0: set(), 2: {"b"}}  # a retraction: no actors left there
    assert dict(dropped.messages)[0] == {"id": "x", "v": 7, "a": {}}
    replay = fan_out(article("x", ["b"]), 7, None, dropped.state, partition_of)
    assert replay.messages == dropped.messages
    gone = fan_out(article("x", [], t=None), 9, None, dropped.state, partition_of)
    assert local(gone) == {2: set()}
    stale = fan_out(article("x", ["a"]), 1, None, corrected.state, partition_of)
    assert stale.skipped == "stale"


def test_quotes_are_attributed_to_each_speaker() -> None:
    rec = article("x", ["a", "b"], quotes=[{"text": "Nous", "speakers": ["a", "b"], "start": 4}])
    facts = {
        a: f
        for _, m in fan_out(rec, 1, None, None, partition_of).messages
        for a, f in m["a"].items()
    }
    assert facts["a"]["q"][0]["text"] == "Nous" and facts["b"]["q"][0]["speakers"] == ["a", "b"]


# --------------------------------------------------------------- a simulated pipeline
def roundtrip(value: Any) -> Any:
    """What a changelog or topic consumer reads back (orjson; Faust makes list keys tuples)."""
    if value is None:
        return None
    back = codecs.loads(codecs.dumps(value))
    return tuple(back) if isinstance(back, list) else back


class Pipeline:
    """Stage 1 and stage 2 in memory: stage topics are lists, the changelog a write log.

    ``position`` is how far stage 2 has processed, ``committed`` the Kafka offset
    commit (monotonic, and only ever past messages whose writes were all flushed).
    Stage 2 reads batches that mix partitions, as ``take_events`` does. Every write
    and every actor-mentions record is logged with the first offset of its batch
    on its partition: a crash may lose any suffix of them not yet committed.
    """

    def __init__(self, state: MentionState | None = None) -> None:
        self.articles: dict[str, dict[str, Any]] = {}
        self.stage: dict[int, list[dict[str, Any]]] = {p: [] for p in range(PARTITIONS)}
        self.state = state or new_state()
        self.position = dict.fromkeys(range(PARTITIONS), 0)
        self.committed = dict.fromkeys(range(PARTITIONS), 0)
        self.changelog: dict[int, list[tuple[Any, Any, int]]] = {p: [] for p in range(PARTITIONS)}
        self.published: dict[int, list[tuple[str, Any, int]]] = {p: [] for p in range(PARTITIONS)}
        self.durable = dict.fromkeys(range(PARTITIONS), 0)  # log prefixes that survived crashes
        self.durable_sent = dict.fromkeys(range(PARTITIONS), 0)
        self.outcomes: dict[str, int] = {}
        self.batches: list[list[Any]] = []  # every batch's writes (for structural checks)

    def publish(self, record: dict[str, Any], version: int) -> None:
        out = fan_out(record, version, None, self.articles.get(record["id"]), partition_of)
        for partition, msg in out.messages:
            self.stage[partition].append(roundtrip(msg))
        if out.state is not None:
            self.articles[record["id"]] = out.state

    def run(self, until: dict[int, int] | None = None, rng: random.Random | None = None) -> None:
        """Process every partition up to ``until``, in batches of random size and mix."""
        stop = until or {p: len(m) for p, m in self.stage.items()}
        while True:
            ready = [p for p in range(PARTITIONS) if self.position[p] < stop[p]]
            if not ready:
                return
            size = rng.randint(1, 40) if rng else 1000
            batch: list[tuple[int, int, dict[str, Any]]] = []
            while ready and len(batch) < size:
                p = rng.choice(ready) if rng else ready[0]
                batch.append((p, self.position[p], self.stage[p][self.position[p]]))
                self.position[p] += 1
                ready = [p for p in range(PARTITIONS) if self.position[p] < stop[p]]
            self.apply(batch)

    def apply(self, batch: list[tuple[int, int, dict[str, Any]]]) -> None:
        first: dict[int, int] = {}
        for p, offset, _ in batch:
            first.setdefault(p, offset)
        applied = self.state.apply(batch)
        for o in applied.outcomes:
            self.outcomes[o.outcome] = self.outcomes.get(o.outcome, 0) + 1
        for w in applied.writes:
            owner = w.key[2] if w.key[0] in ("k", "wm") and len(w.key) == 3 else None
            owner = w.key[1] if w.key[0] == "wm" else owner
            assert (partition_of(w.key[1]) if owner is None else owner) == w.partition
            self.changelog[w.partition].append((w.key, roundtrip(w.value), first[w.partition]))
        self.batches.append(applied.writes)
        for key, value in queries.updates(self.state, applied.changed, applied.expired):
            p = partition_of(key.split("|", 1)[0])
            self.published[p].append((key, roundtrip(value), first[p]))

    def crash(self, rng: random.Random) -> None:
        """Lose unflushed writes and records, restart from a committed offset.

        Per partition, what survives a crash is a prefix of each log: at least what
        survived earlier crashes and everything produced before the last record of a
        committed batch (Faust flushes the producer before committing). The new
        commit lies between the old one and the first batch that lost something.
        """
        for p in range(PARTITIONS):
            log = self.changelog[p]
            keep = max(rng.randint(self.durable[p], len(log)), self.flushed(log, p))
            lost = [e[2] for e in log[keep:]]
            self.committed[p] = rng.randint(self.committed[p], min(lost, default=self.position[p]))
            del log[keep:]
            self.durable[p] = keep
            self.position[p] = self.committed[p]
            sent = self.published[p]
            keep = max(rng.randint(self.durable_sent[p], len(sent)), self.flushed(sent, p))
            del sent[keep:]
            self.durable_sent[p] = keep
        table: dict[Any, Any] = {}
        for p in range(PARTITIONS):
            for key, value, _ in self.changelog[p]:
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = roundtrip(value)
        self.state.load(table.items(), set(range(PARTITIONS)))

    def flushed(self, log: list[tuple[Any, Any, int]], p: int) -> int:
        """Length of the prefix of ``log`` flushed before the commit of partition ``p``."""
        return max((i + 1 for i, e in enumerate(log) if e[2] < self.committed[p]), default=0)

    def run_all(self) -> None:
        self.run()

    def topic_counts(self) -> dict[tuple[Any, ...], list[int]]:
        """The latest actor-mentions record of every window, as the integration test reads it."""
        latest: dict[str, Any] = {}
        for p in range(PARTITIONS):
            for key, value, _ in self.published[p]:
                latest[key] = value
        return {
            ("a", v["actor"], v["window"], v["start_ms"]): [v["count"], v["mentions"]]
            for v in latest.values()
            if v and v["count"]
        }


def stream_counts(state: MentionState, expected: dict) -> dict:
    """The state's count for every key the batch knows and every key the state holds."""
    keys = set(expected)
    for key in state.count_keys():
        keys.add(key)
        if key[-2] == "1h":
            keys.update((*key[:-2], "24h", s) for s in ONE_DAY_HOURLY.starts(key[-1]))
    out = {}
    for key in keys:
        dim, sub, size, start = key[0], tuple(key[1:-2]), key[-2], key[-1]
        n, w = state.count(dim, sub, WINDOWS[size], start)
        if n or w:
            out[key] = [n, w]
    return out


def actor_counts(expected: dict) -> dict:
    return {k: v for k, v in expected.items() if k[0] == "a" and v[0]}


def random_records(rng: random.Random, n: int) -> list[tuple[dict[str, Any], int]]:
    """Articles over ~30 hours, out of order, with duplicates and corrections."""
    actors = [f"actor-{i}" for i in range(12)]
    countries = ["SYR", "RUS", "USA", "FRA"]
    records: list[tuple[dict[str, Any], int]] = []
    version = 0
    for i in range(n):
        # Many timestamps right on or next to window edges.
        base = T0 + rng.randrange(0, 30) * HOUR_MS + rng.choice([0, -1, 1, 59_999, 60_000])
        t = base + rng.choice([0, rng.randrange(0, HOUR_MS)])
        chosen = rng.sample(actors, rng.randint(0, 4))
        rec = article(f"art-{i}", chosen, t, countries=rng.sample(countries, rng.randint(0, 2)))
        version += 1
        records.append((rec, version))
        if rng.random() < 0.1:  # an identical re-delivery
            version += 1
            records.append((rec, version))
        if rng.random() < 0.1:  # a correction: other actors and maybe another time
            t2 = t + rng.choice([0, -HOUR_MS, MINUTE_MS, 5 * HOUR_MS])
            version += 1
            records.append(
                (article(f"art-{i}", rng.sample(actors, rng.randint(0, 3)), t2), version)
            )
    # Deliver out of order, but corrections after what they correct (same partition).
    rng.shuffle(records)
    records.sort(key=lambda rv: (rv[0]["id"], rv[1]))
    by_article: dict[str, list] = {}
    for rv in records:
        by_article.setdefault(rv[0]["id"], []).append(rv)
    queues = list(by_article.values())
    out = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
    return out


def test_stream_equals_batch_with_duplicates_corrections_and_disorder() -> None:
    rng = random.Random(5)
    records = random_records(rng, 600)
    pipe = Pipeline()
    for rec, version in records:
        pipe.publish(rec, version)
    pipe.run(rng=rng)
    expected = recompute((rec, v, None) for rec, v in records)
    assert stream_counts(pipe.state, expected) == expected
    assert pipe.topic_counts() == actor_counts(expected)
    assert pipe.outcomes.get("late", 0) == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), crashes=st.integers(1, 6))
def test_counts_are_exact_after_crashes_that_lose_unflushed_writes(seed: int, crashes: int) -> None:
    """Kill the counting stage anywhere, any number of times: counts stay exact.

    Also on actor-mentions: records of uncommitted batches may be lost in a crash,
    and the replay must publish every window again.
    """
    rng = random.Random(seed)
    records = random_records(rng, 150)
    pipe = Pipeline()
    size = len(records) // (crashes + 1) + 1
    chunks = [records[i : i + size] for i in range(0, len(records), size)]
    for i, chunk in enumerate(chunks):
        for rec, version in chunk:
            pipe.publish(rec, version)
        until = {p: rng.randint(pipe.position[p], len(pipe.stage[p])) for p in range(PARTITIONS)}
        pipe.run(until, rng)
        if i < len(chunks) - 1:
            pipe.crash(rng)
    pipe.run(rng=rng)
    expected = recompute((rec, v, None) for rec, v in records)
    assert stream_counts(pipe.state, expected) == expected
    assert pipe.topic_counts() == actor_counts(expected)


def test_replayed_stage_messages_after_a_first_stage_crash_are_ignored() -> None:
    """The first stage re-sends a whole stretch (new offsets, same versions)."""
    rng = random.Random(11)
    records = random_records(rng, 200)
    pipe = Pipeline()
    for rec, version in records:
        pipe.publish(rec, version)
    for p in range(PARTITIONS):  # duplicate a stretch, as a stage-1 replay would
        pipe.stage[p].extend(pipe.stage[p][len(pipe.stage[p]) // 3 :])
    pipe.run(rng=rng)
    expected = recompute((rec, v, None) for rec, v in records)
    assert stream_counts(pipe.state, expected) == expected
    assert pipe.topic_counts() == actor_counts(expected)
    assert pipe.outcomes["duplicate"] > 0


def test_a_batch_writes_each_key_once_and_contributions_after_counts() -> None:
    """The order the crash argument needs, per partition: buckets and quotes, contributions,
    watermark, deletions; and every key at most once per batch."""
    rng = random.Random(3)
    records = random_records(rng, 300)
    pipe = Pipeline(new_state(lateness=6 * HOUR_MS, keep={"1m": 8 * HOUR_MS, "1h": 9 * HOUR_MS}))
    for rec, version in sorted(records, key=lambda rv: rv[0]["published_at"] or ""):
        pipe.publish(rec, version)
    pipe.run(rng=rng)
    rank = {"h": 0, "q": 0, "k": 1, "wm": 2}
    deletions = 0
    for writes in pipe.batches:
        assert len({w.key for w in writes}) == len(writes)
        for p in range(PARTITIONS):
            order = [3 if w.value is None and w.key[0] != "q" else rank[w.key[0]] for w in writes]
            order = [o for o, w in zip(order, writes, strict=True) if w.partition == p]
            assert order == sorted(order)
            deletions += order.count(3)
    assert deletions > 0  # retention deleted buckets and contributions along the way


def test_a_batch_about_one_actor_writes_its_bucket_once() -> None:
    """Ten articles about a and b in one hour: one bucket per actor, one contribution
    per article and partition, one watermark — not one key per window, pair and article."""
    state = new_state()
    batch = []
    for i in range(10):
        rec = article(f"n{i}", ["a", "b"], T0 + i * MINUTE_MS, countries=["SYR"])
        batch += [(p, i, msg) for p, msg in fan_out(rec, i, None, None, partition_of).messages]
    applied = state.apply(batch)
    kinds: dict[str, int] = {}
    for w in applied.writes:
        kinds[w.key[0]] = kinds.get(w.key[0], 0) + 1
    assert kinds == {"h": 2, "k": 20, "wm": 2}
    hour = ONE_HOUR.latest_start(T0)
    assert state.count("p", ("a", "b"), ONE_HOUR, hour) == (10, 10)
    assert state.count("x", ("b", "SYR"), ONE_HOUR, hour) == (10, 20)
    records = queries.updates(state, applied.changed, applied.expired)
    assert len(records) == len({k for k, _ in records}) == 2 * (1 + 10 + 24)
    # A crash after the writes, before the commit: the recovered state gets the same
    # offsets again, writes nothing, and publishes the same windows again.
    recovered = new_state()
    recovered.load(((w.key, roundtrip(w.value)) for w in applied.writes), {0, 2})
    again = recovered.apply(batch)
    assert again.writes == [] and {o.outcome for o in again.outcomes} == {"replayed"}
    assert again.changed == applied.changed
    assert queries.updates(recovered, again.changed, again.expired) == [
        (k, roundtrip(v)) for k, v in records
    ]


def test_updates_read_day_windows_from_prefix_sums_exactly_as_state_count() -> None:
    """``updates`` sums 24-hour windows and their spike baselines from prefix sums:
    every record it publishes equals the one computed window by window."""
    rng = random.Random(11)
    pipe = Pipeline()
    for rec, version in random_records(rng, 400):
        pipe.publish(rec, version)
    compared = 0
    for p in range(PARTITIONS):
        batch = [(p, i, msg) for i, msg in enumerate(pipe.stage[p])]
        for k in range(0, len(batch), 37):
            applied = pipe.state.apply(batch[k : k + 37])
            for key, value in queries.updates(pipe.state, applied.changed, applied.expired):
                if value is None:
                    continue
                actor, size, start = key.split("|")
                assert value == queries.window_update(pipe.state, actor, WINDOWS[size], int(start))
                compared += size == "24h" and value["baseline_windows"] > 0
    assert compared > 100  # day windows with a baseline were among them


# ------------------------------------------------------------------ lateness, expiry
def messages(aid: str, actors: list[str], t: int, version: int) -> list[tuple[int, dict[str, Any]]]:
    return fan_out(article(aid, actors, t), version, None, None, partition_of).messages


def test_events_beyond_the_allowed_lateness_are_reported_not_counted() -> None:
    state = new_state(lateness=HOUR_MS, keep={"1m": 2 * HOUR_MS, "1h": 3 * HOUR_MS})
    p = partition_of("a")
    [(_, now)] = messages("now", ["a"], T0, 1)
    assert [o.outcome for o in state.apply([(p, 0, now)]).outcomes] == ["applied"]
    [(_, late)] = messages("old", ["a"], T0 - 2 * HOUR_MS, 2)
    [(_, ok)] = messages("ok", ["a"], T0 - 30 * MINUTE_MS, 3)
    outcomes = state.apply([(p, 1, late), (p, 2, ok)]).outcomes
    assert [(o.outcome, o.actors) for o in outcomes] == [("late", ("a",)), ("applied", ("a",))]
    assert state.count("a", ("a",), ONE_HOUR, ONE_HOUR.latest_start(T0 - 2 * HOUR_MS)) == (0, 0)


def test_retention_expires_old_windows_and_reports_them() -> None:
    state = new_state(lateness=HOUR_MS, keep={"1m": 2 * HOUR_MS, "1h": 3 * HOUR_MS})
    p = partition_of("a")
    [(_, first)] = messages("x", ["a"], T0, 1)
    state.apply([(p, 0, first)])
    [(_, later)] = messages("y", ["a"], T0 + 10 * HOUR_MS, 2)
    applied = state.apply([(p, 1, later)])
    assert ("1m", ONE_MINUTE.latest_start(T0)) in applied.expired["a"]
    assert ("1h", ONE_HOUR.latest_start(T0)) in applied.expired["a"]
    assert ("k", "x", p) not in state.snapshot() and ("k", "y", p) in state.snapshot()
    deleted = {w.key for w in applied.writes if w.value is None}
    assert deleted == {("h", "a", ONE_HOUR.latest_start(T0)), ("k", "x", p)}
    assert state.count("a", ("a",), ONE_HOUR, ONE_HOUR.latest_start(T0 + 10 * HOUR_MS)) == (1, 1)
    tombstones = {k for k, v in queries.updates(state, applied.changed, applied.expired) if not v}
    assert f"a|1h|{ONE_HOUR.latest_start(T0)}" in tombstones
    assert f"a|1m|{ONE_MINUTE.latest_start(T0)}" in tombstones


def test_minutes_expire_before_their_hour_and_stay_gone_after_recovery() -> None:
    state = new_state(lateness=HOUR_MS, keep={"1m": 2 * HOUR_MS, "1h": 9 * HOUR_MS})
    p = partition_of("a")
    [(_, first)] = messages("x", ["a"], T0, 1)
    [(_, later)] = messages("y", ["a"], T0 + 4 * HOUR_MS, 2)
    applied = state.apply([(p, 0, first), (p, 1, later)])
    assert applied.expired == {"a": {("1m", ONE_MINUTE.latest_start(T0))}}
    assert not [w for w in applied.writes if w.value is None]  # minutes go without a write
    assert state.count("a", ("a",), ONE_MINUTE, ONE_MINUTE.latest_start(T0)) == (0, 0)
    assert state.count("a", ("a",), ONE_HOUR, ONE_HOUR.latest_start(T0)) == (1, 1)
    table = {w.key: roundtrip(w.value) for w in applied.writes}
    table[("h", "a", ONE_HOUR.latest_start(T0))]["m"] = {"30": [1, 1]}  # as first written
    recovered = new_state(lateness=HOUR_MS, keep={"1m": 2 * HOUR_MS, "1h": 9 * HOUR_MS})
    recovered.load(table.items(), {p})
    assert recovered.snapshot() == state.snapshot()


def _tracked_counts(state: MentionState) -> list[Any]:
    """What the garbage collector still walks of the counts, below one dict per bucket and
    per contribution (a dict holding a dict stays tracked)."""
    found = []
    for hours in state.by_actor.values():
        for b in hours.values():
            maps = [b["m"], b["p"], b["x"]]
            found += [*maps, *(v for m in maps for v in m.values())]
    for c in state.contribs.values():
        found += [c["w"], c["all"], c["c"]]
    return [x for x in found if gc.is_tracked(x)]


def test_counts_drop_out_of_the_garbage_collectors_walk_live_and_recovered() -> None:
    """Counts not written to since the last full collection cost it nothing to walk."""
    state = loaded_state()
    assert state.sizes()["pair_windows"] > 20
    gc.collect()
    gc.collect()  # a dict is untracked after the dicts and tuples it holds
    assert _tracked_counts(state) == []
    recovered = new_state()
    recovered.load([(k, roundtrip(v)) for k, v in state.snapshot().items()], set(range(PARTITIONS)))
    assert recovered.snapshot() == state.snapshot()
    gc.collect()
    gc.collect()
    assert _tracked_counts(recovered) == []


def test_retention_shorter_than_lateness_is_refused() -> None:
    with pytest.raises(ValueError):
        new_state(lateness=DAY_MS, keep={"1m": HOUR_MS, "1h": 2 * DAY_MS})
    with pytest.raises(ValueError):  # minutes live in their hour's bucket
        new_state(lateness=HOUR_MS, keep={"1m": 3 * DAY_MS, "1h": 2 * DAY_MS})


# ---------------------------------------------------------------------------- spikes
def test_spike_score_is_poisson_stabilised() -> None:
    assert spike_score(0, [0] * 24) == pytest.approx(0.0)
    assert spike_score(5, [5] * 24) == pytest.approx(0.0)
    assert spike_score(2, [0] * 24) == pytest.approx(1.82, abs=0.01)
    assert spike_score(120, [50] * 24) == pytest.approx(7.59, abs=0.01)
    assert spike_score(120, [50] * 24) > spike_score(2, [0] * 24)  # volume matters
    assert spike_score(10, [1] * 24) > spike_score(10, [5] * 24)  # so does the baseline
    assert spike_score(0, [3] * 24) < 0


# ---------------------------------------------------------------------------- queries
def loaded_state() -> MentionState:
    pipe = Pipeline()
    version = 0
    for hour in range(30):
        for i in range(2):  # steady background: b and c twice an hour
            version += 1
            pipe.publish(article(f"bg-{hour}-{i}", ["b", "c"], T0 + hour * HOUR_MS + i), version)
    for i in range(12):  # a bursts in the last hour
        version += 1
        pipe.publish(
            article(f"burst-{i}", ["a", "b"], T0 + 29 * HOUR_MS + i * MINUTE_MS, countries=["SYR"]),
            version,
        )
    pipe.run_all()
    return pipe.state


def test_top_actors_pairs_and_country_filter() -> None:
    state = loaded_state()
    now = state.watermark()
    start = ONE_HOUR.latest_start(now)
    top = queries.top_actors(state, ONE_HOUR, start, 10)
    assert [r["actor"] for r in top] == ["b", "a", "c"]
    assert top[0]["count"] == 14 and top[0]["name"] == "B"
    syr = queries.top_actors(state, ONE_HOUR, start, 10, country="SYR")
    assert {r["actor"]: r["count"] for r in syr} == {"a": 12, "b": 12}
    pairs = queries.merge_pairs(queries.top_pairs(state, ONE_HOUR, start, 5), ONE_HOUR, start, 5)
    assert pairs[0]["actors"] == ["a", "b"] and pairs[0]["count"] == 12
    assert pairs[0]["names"] == ["A", "B"]
    day = queries.top_actors(state, ONE_DAY_HOURLY, queries.default_start(ONE_DAY_HOURLY, now), 1)
    assert day[0]["actor"] == "b" and day[0]["count"] == 24 * 2 + 12  # 2 an hour + the burst


def test_trending_ranks_the_burst_first_with_a_sparkline() -> None:
    state = loaded_state()
    rows = queries.trending(state, state.watermark(), 5)
    assert rows[0]["actor"] == "a"
    assert rows[0]["spike_score"] > 3
    assert len(rows[0]["sparkline"]) == 24 and rows[0]["sparkline"][-1] == 12
    steady = next(r for r in rows if r["actor"] == "c")
    assert abs(steady["spike_score"]) < 1


def test_actor_detail_has_timeline_partners_and_quotes() -> None:
    pipe = Pipeline()
    rec = article("q1", ["a", "b"], T0, quotes=[{"text": "<b>Non</b>", "speakers": ["a"]}])
    pipe.publish(rec, 1)
    pipe.run_all()
    detail = queries.actor_detail(pipe.state, "a", pipe.state.watermark())
    assert detail is not None
    assert detail["windows"]["1h"]["count"] == 1
    assert detail["timeline"]["1h"][-1]["count"] == 1 and len(detail["timeline"]["1m"]) == 60
    assert detail["partners"] == [{"actor": "b", "name": "B", "count": 1, "mentions": 1}]
    assert detail["quotes"][0]["text"] == "<b>Non</b>"
    assert queries.actor_detail(pipe.state, "nobody", pipe.state.watermark()) is None


def test_window_update_record_validates_against_its_schema() -> None:
    from streams.schemas import validator

    state = loaded_state()
    now = state.watermark()
    for spec in WINDOWS.values():
        record = queries.window_update(state, "a", spec, spec.current_start(now))
        validator("actor-mention.v1.json")(record)
    assert record["count"] == 12
