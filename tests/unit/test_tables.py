"""The actor tables' pure core: windows, fan-out, the counting state machine, spikes, queries.

The central property: whatever the order, duplication, correction and crash
history of the input, every window count equals a batch recomputation.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.tables import queries
from streams.tables.batch import recompute
from streams.tables.fanout import event_time_ms, fan_out
from streams.tables.spikes import spike_score
from streams.tables.state import MentionState, derived_dirty, split_count_key
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


def test_fan_out_one_message_per_actor_with_partners_and_countries() -> None:
    out = fan_out(article("x", ["a", "b"], countries=["SYR"]), 3, None, None)
    by_actor = dict(out.messages)
    assert set(by_actor) == {"a", "b"}
    assert by_actor["a"]["p"] == ["b"] and by_actor["a"]["pn"] == ["B"]
    assert by_actor["b"]["w"] == 2 and by_actor["b"]["c"] == ["SYR"]
    assert out.state == {"v": 3, "actors": ["a", "b"], "prev": [], "t": T0}


def test_correction_retracts_actors_it_no_longer_mentions_and_replay_repeats_it() -> None:
    first = fan_out(article("x", ["a", "b"]), 1, None, None)
    corrected = fan_out(article("x", ["b", "c"]), 5, None, first.state)
    kinds = {(a, bool(m.get("x"))) for a, m in corrected.messages}
    assert kinds == {("b", False), ("c", False), ("a", True)}
    replay = fan_out(article("x", ["b", "c"]), 5, None, corrected.state)
    assert sorted(replay.messages, key=str) == sorted(corrected.messages, key=str)
    assert fan_out(article("x", ["a"]), 1, None, corrected.state).skipped == "stale"


def test_quotes_are_attributed_to_each_speaker() -> None:
    rec = article("x", ["a", "b"], quotes=[{"text": "Nous", "speakers": ["a", "b"], "start": 4}])
    msgs = dict(fan_out(rec, 1, None, None).messages)
    assert msgs["a"]["q"][0]["text"] == "Nous" and msgs["b"]["q"][0]["speakers"] == ["a", "b"]


# --------------------------------------------------------------- a simulated pipeline
class Pipeline:
    """Stage 1 and stage 2 in memory: stage topics are lists, the changelog a write log.

    ``position`` is how far stage 2 has processed, ``committed`` the Kafka offset
    commit (monotonic, and only ever past messages whose writes were all flushed).
    """

    def __init__(self, state: MentionState | None = None) -> None:
        self.articles: dict[str, dict[str, Any]] = {}
        self.stage: dict[int, list[dict[str, Any]]] = {p: [] for p in range(PARTITIONS)}
        self.state = state or new_state()
        self.position = dict.fromkeys(range(PARTITIONS), 0)
        self.committed = dict.fromkeys(range(PARTITIONS), 0)
        self.changelog: dict[int, list[tuple[Any, Any, int]]] = {p: [] for p in range(PARTITIONS)}
        self.outcomes: dict[str, int] = {}

    def publish(self, record: dict[str, Any], version: int) -> None:
        out = fan_out(record, version, None, self.articles.get(record["id"]))
        for actor, msg in out.messages:
            self.stage[partition_of(actor)].append(msg)
        if out.state is not None:
            self.articles[record["id"]] = out.state

    def run(self, partition: int, until: int | None = None) -> None:
        msgs = self.stage[partition]
        stop = len(msgs) if until is None else until
        for offset in range(self.position[partition], stop):
            applied = self.state.apply(partition, offset, msgs[offset])
            self.outcomes[applied.outcome] = self.outcomes.get(applied.outcome, 0) + 1
            for w in applied.writes:
                assert w.partition == partition
                self.changelog[partition].append((w.key, w.value, offset))
        self.position[partition] = max(stop, self.position[partition])

    def crash(self, rng: random.Random) -> None:
        """Lose a random suffix of each changelog partition, restart from a committed offset."""
        for p in range(PARTITIONS):
            log = self.changelog[p]
            keep = rng.randint(0, len(log))
            durable_until = log[keep][2] if keep < len(log) else self.position[p]
            if durable_until >= self.committed[p]:
                self.committed[p] = rng.randint(self.committed[p], durable_until)
            else:  # the suffix lost is already committed: flushed before commit, not lost
                keep = next((i for i, e in enumerate(log) if e[2] >= self.committed[p]), len(log))
            del log[keep:]
            self.position[p] = self.committed[p]
        table: dict[Any, Any] = {}
        for p in range(PARTITIONS):
            for key, value, _ in self.changelog[p]:
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value
        self.state.load(table.items(), set(range(PARTITIONS)))

    def run_all(self) -> None:
        for p in range(PARTITIONS):
            self.run(p)


def stream_counts(state: MentionState, expected: dict) -> dict:
    """The state's count for every key the batch knows and every key the state holds."""
    keys = set(expected)
    for key in state.snapshot():
        if key[0] in ("a", "p", "x"):
            keys.add(key)
            keys |= derived_dirty([key])
    out = {}
    for key in keys:
        dim, sub, size, start = split_count_key(key)
        n, w = state.count(dim, sub, WINDOWS[size], start)
        if n or w:
            out[key] = [n, w]
    return out


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
    pipe.run_all()
    expected = recompute((rec, v, None) for rec, v in records)
    assert stream_counts(pipe.state, expected) == expected
    assert pipe.outcomes.get("late", 0) == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), crashes=st.integers(1, 6))
def test_counts_are_exact_after_crashes_that_lose_unflushed_writes(seed: int, crashes: int) -> None:
    """Kill the counting stage anywhere, any number of times: counts stay exact."""
    rng = random.Random(seed)
    records = random_records(rng, 150)
    pipe = Pipeline()
    size = len(records) // (crashes + 1) + 1
    chunks = [records[i : i + size] for i in range(0, len(records), size)]
    for i, chunk in enumerate(chunks):
        for rec, version in chunk:
            pipe.publish(rec, version)
        for p in range(PARTITIONS):
            pipe.run(p, until=rng.randint(pipe.position[p], len(pipe.stage[p])))
        if i < len(chunks) - 1:
            pipe.crash(rng)
    pipe.run_all()
    expected = recompute((rec, v, None) for rec, v in records)
    assert stream_counts(pipe.state, expected) == expected


def test_replayed_stage_messages_after_a_first_stage_crash_are_ignored() -> None:
    """The first stage re-sends a whole stretch (new offsets, same versions)."""
    rng = random.Random(11)
    records = random_records(rng, 200)
    pipe = Pipeline()
    for rec, version in records:
        pipe.publish(rec, version)
    for p in range(PARTITIONS):  # duplicate a stretch, as a stage-1 replay would
        pipe.stage[p].extend(pipe.stage[p][len(pipe.stage[p]) // 3 :])
    pipe.run_all()
    expected = recompute((rec, v, None) for rec, v in records)
    assert stream_counts(pipe.state, expected) == expected
    assert pipe.outcomes["duplicate"] > 0


# ------------------------------------------------------------------ lateness, expiry
def test_events_beyond_the_allowed_lateness_are_reported_not_counted() -> None:
    state = new_state(lateness=HOUR_MS, keep={"1m": 2 * HOUR_MS, "1h": 3 * HOUR_MS})
    msgs = dict(fan_out(article("now", ["a"], T0), 1, None, None).messages)
    assert state.apply(0, 0, msgs["a"]).outcome == "applied"
    late = dict(fan_out(article("old", ["a"], T0 - 2 * HOUR_MS), 2, None, None).messages)
    assert state.apply(0, 1, late["a"]).outcome == "late"
    ok = dict(fan_out(article("ok", ["a"], T0 - 30 * MINUTE_MS), 3, None, None).messages)
    assert state.apply(0, 2, ok["a"]).outcome == "applied"
    assert state.count("a", ("a",), ONE_HOUR, ONE_HOUR.latest_start(T0 - 2 * HOUR_MS)) == (0, 0)


def test_retention_expires_old_windows_and_reports_them() -> None:
    state = new_state(lateness=HOUR_MS, keep={"1m": 2 * HOUR_MS, "1h": 3 * HOUR_MS})
    first = dict(fan_out(article("x", ["a"], T0), 1, None, None).messages)["a"]
    p = partition_of("a")
    state.apply(p, 0, first)
    later = dict(fan_out(article("y", ["a"], T0 + 10 * HOUR_MS), 2, None, None).messages)["a"]
    applied = state.apply(p, 1, later)
    expired = {k for k in applied.expired}
    assert ("a", "a", "1m", ONE_MINUTE.latest_start(T0)) in expired
    assert ("a", "a", "1h", ONE_HOUR.latest_start(T0)) in expired
    assert ("k", "a", "x") not in state.snapshot()
    assert state.count("a", ("a",), ONE_HOUR, ONE_HOUR.latest_start(T0 + 10 * HOUR_MS)) == (1, 1)


def test_retention_shorter_than_lateness_is_refused() -> None:
    with pytest.raises(ValueError):
        new_state(lateness=DAY_MS, keep={"1m": HOUR_MS, "1h": 2 * DAY_MS})


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
