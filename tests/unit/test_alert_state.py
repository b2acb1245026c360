"""The alert life cycle (``state.decide``): versions, dedup, cool-down, event-time windows."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from streams.alerts.matching import Match, match_article
from streams.alerts.rules import RuleSet, Window, load_rules
from streams.alerts.state import decide, expired, tombstone, window_members
from streams.schemas import validator

from .test_alert_matching import danang_record

EMITTED = "2026-01-01T00:00:00.000Z"
HOUR = 3600 * 1000

WINDOWED = """
rules:
  - id: confirmed
    title: {en: "Confirmed: ${speakers}", fr: "Confirmé : ${speakers}"}
    severity: critical
    condition: "'SYR' in topics"
    evidence: "events.filter(e, e.root == '01')"
    window: {per: story, count: sources, at_least: 2, within: 6h}
    cooldown: 0s
  - id: three-articles
    title: "Three: ${speakers}"
    severity: low
    condition: "'SYR' in topics"
    evidence: "events.filter(e, e.root == '01')"
    window: {per: story, count: articles, at_least: 3, within: 1h}
"""


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def windowed(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("rules") / "windowed.yaml"
    path.write_text(WINDOWED, encoding="utf-8")
    return load_rules([path], include_default=False)


def match_of(rules: RuleSet, rule_id: str, **article) -> Match:
    published = article.pop("published", "2017-11-11T09:30:00.000Z")
    record = danang_record(published=published, **article)
    return next(m for m in match_article(record, rules).matches if m.rule_id == rule_id)


def run(rules: RuleSet, rule_id: str, steps: list[dict]) -> list:
    """Feed matches through ``decide`` like the agent does; return every Decision."""
    state = None
    decisions = []
    for offset, step in enumerate(steps):
        ref = step.pop("ref", (0, offset))
        match = match_of(rules, rule_id, **step)
        d = decide(state, match, rules.by_id[rule_id], input_ref=ref, emitted_at=EMITTED)
        if d.state is not None:
            state = d.state
        decisions.append(d)
    return decisions


def test_first_article_fires_version_1_with_a_valid_record(rules) -> None:
    (d,) = run(rules, "syria-diplomatic-statement", [{}])
    assert d.reason == "fired"
    alert = d.publish
    validator("alert.v1.json")(alert)
    assert alert["version"] == 1
    assert alert["alert_id"].startswith("alert-")
    assert alert["rule_id"] == "syria-diplomatic-statement" and alert["severity"] == "high"
    assert alert["title"]["fr"].startswith("Syrie : déclaration diplomatique de Donald Trump")
    assert alert["statement"]["speakers"][0]["name"] == "Donald Trump"
    assert alert["story_id"] == "story-00000000000000aa"
    assert alert["article_ids"] == ["afp-1"] and alert["urls"] == ["https://example.org/afp-1"]
    assert alert["sources"] == ["AFP"] and alert["sources_count"] == 1
    assert alert["first_seen"] == alert["last_seen"] == "2017-11-11T09:30:00.000Z"
    assert alert["emitted_at"] == EMITTED
    assert alert["labels"] == {
        "rule": "syria-diplomatic-statement",
        "severity": "high",
        "actors": "donald-trump,vladimir-putin",
        "topic": "SYR",
    }


def test_second_outlet_updates_the_same_alert_to_version_2(rules) -> None:
    first, second = run(
        rules,
        "syria-diplomatic-statement",
        [{}, {"article_id": "lp-1", "source": "La Presse", "published": "2017-11-11T10:05:00Z"}],
    )
    v1, v2 = first.publish, second.publish
    assert second.reason == "updated"
    assert v2["alert_id"] == v1["alert_id"] and v2["version"] == 2
    assert v2["sources"] == ["AFP", "La Presse"] and v2["sources_count"] == 2
    assert v2["article_ids"] == ["afp-1", "lp-1"]
    assert v2["first_seen"] == v1["first_seen"]
    assert v2["last_seen"] == "2017-11-11T10:05:00.000Z"
    assert v2["labels"] == v1["labels"] and v2["statement"] == v1["statement"]
    validator("alert.v1.json")(v2)


def test_a_redelivered_article_never_makes_a_second_alert(rules) -> None:
    first, again, copy_ = run(
        rules, "syria-diplomatic-statement", [{"ref": (1, 7)}, {"ref": (1, 7)}, {"ref": (1, 9)}]
    )
    # The very input that produced v1, redelivered (crash before commit): the identical record.
    assert again.reason == "republished" and again.publish == first.publish and again.state is None
    # The same article arriving again as a new record (re-ingested): nothing at all.
    assert copy_.reason == "duplicate_article" and copy_.publish is None and copy_.state is None


def test_cooldown_folds_same_source_updates_and_a_new_source_publishes(rules) -> None:
    steps = [
        {},
        {"article_id": "afp-2", "published": "2017-11-11T09:35:00Z"},  # same outlet, 5 min
        {"article_id": "afp-3", "published": "2017-11-11T09:50:00Z"},  # same outlet, 20 min
        {"article_id": "afp-4", "published": "2017-11-11T09:52:00Z"},  # 2 min after v2
        {"article_id": "lp-1", "source": "La Presse", "published": "2017-11-11T09:53:00Z"},
    ]
    reasons = [d.reason for d in run(rules, "syria-diplomatic-statement", steps)]
    assert reasons == ["fired", "cooldown", "updated", "cooldown", "updated"]
    decisions = run(rules, "syria-diplomatic-statement", [dict(s) for s in steps])
    last = decisions[-1].publish
    assert last["version"] == 3
    assert last["article_ids"] == ["afp-1", "afp-2", "afp-3", "afp-4", "lp-1"]
    assert last["articles_count"] == 5


def test_window_fires_when_a_second_independent_source_confirms_within_T(windowed) -> None:
    steps = [
        {"published": "2017-11-11T09:00:00Z"},
        {"article_id": "afp-2", "published": "2017-11-11T10:00:00Z"},  # same source: not 2
        {"article_id": "x-1", "source": "X", "published": "2017-11-11T16:30:00Z"},  # 7h30 later
        {"article_id": "y-1", "source": "Y", "published": "2017-11-11T12:00:00Z"},  # late, in T
    ]
    decisions = run(windowed, "confirmed", steps)
    assert [d.reason for d in decisions] == [
        "window_not_met",
        "window_not_met",
        "window_not_met",
        "fired",
    ]
    alert = decisions[-1].publish
    assert alert["version"] == 1 and alert["sources_count"] >= 2
    assert alert["window"] == {
        "per": "story",
        "count": "sources",
        "at_least": 2,
        "within_s": 21600.0,
    }
    # Every pending match within T of the confirming one is in the alert, oldest first.
    assert alert["article_ids"] == ["afp-1", "afp-2", "y-1", "x-1"]
    assert alert["sources"] == ["AFP", "X", "Y"]
    validator("alert.v1.json")(alert)


def test_window_counting_articles(windowed) -> None:
    steps = [
        {"published": "2017-11-11T09:00:00Z"},
        {"article_id": "a2", "published": "2017-11-11T09:20:00Z"},
        {"article_id": "a3", "published": "2017-11-11T09:50:00Z"},
    ]
    reasons = [d.reason for d in run(windowed, "three-articles", steps)]
    assert reasons == ["window_not_met", "window_not_met", "fired"]


def _entry(article_id: str, source: str, t: int) -> dict:
    return {"article": {"id": article_id, "source_key": source, "t": t}}


def test_window_members_is_an_exact_sliding_window() -> None:
    window = Window("story", "sources", 3, 6 * 3600)
    a, b, c = _entry("a", "A", 0), _entry("b", "B", 5 * HOUR), _entry("c", "C", 11 * HOUR)
    assert window_members([a, b, c], 11 * HOUR, window) is None  # a and c are 11h apart
    two = Window("story", "sources", 2, 6 * 3600)
    assert window_members([a, b, c], 11 * HOUR, two) == [b, c]
    d = _entry("d", "D", 5 * HOUR + 1)
    assert window_members([a, b, c, d], 5 * HOUR + 1, window) == [a, b, d]
    same = [_entry("e", "A", 0), _entry("f", "A", HOUR)]
    assert window_members(same, HOUR, two) is None  # one source twice is not confirmation


def test_decide_never_mutates_the_stored_state(rules) -> None:
    rule = rules.by_id["syria-diplomatic-statement"]
    first = decide(None, match_of(rules, rule.id), rule, input_ref=(0, 1), emitted_at=EMITTED)
    stored = copy.deepcopy(first.state)
    later = match_of(
        rules, rule.id, article_id="lp-1", source="LP", published="2017-11-11T11:00:00Z"
    )
    decide(first.state, later, rule, input_ref=(0, 2), emitted_at=EMITTED)
    assert first.state == stored


def test_idle_alerts_become_tombstones_and_a_returning_story_continues_the_versions(
    rules,
) -> None:
    rule = rules.by_id["syria-diplomatic-statement"]
    ttl = 7 * 24 * 3600
    fired = decide(None, match_of(rules, rule.id), rule, input_ref=(0, 1), emitted_at=EMITTED)
    last_t = fired.state["last_t"]
    assert expired(fired.state, last_t + 1000, ttl) is None
    assert expired(fired.state, last_t + ttl * 1000 + 1, ttl) == "tombstone"
    stone = tombstone(fired.state)
    assert stone["version"] == 1 and "draft" not in stone
    back = match_of(rules, rule.id, article_id="afp-9", published="2017-12-01T09:00:00Z")
    again = decide(stone, back, rule, input_ref=(0, 99), emitted_at=EMITTED)
    assert again.reason == "fired" and again.publish["version"] == 2
    assert again.publish["article_ids"] == ["afp-9"]
    assert expired(stone, last_t + 5 * ttl * 1000, ttl) is None
    assert expired(stone, last_t + 11 * ttl * 1000, ttl) == "delete"


def test_unfired_window_state_is_deleted_after_the_ttl(windowed) -> None:
    rule = windowed.by_id["confirmed"]
    d = decide(None, match_of(windowed, "confirmed"), rule, input_ref=(0, 1), emitted_at=EMITTED)
    assert d.reason == "window_not_met"
    assert expired(d.state, d.state["last_t"] + 8 * 24 * HOUR, 7 * 24 * 3600) == "delete"


def test_alert_schema_file_is_valid_json_schema() -> None:
    import json

    schema = json.loads((Path(__file__).parents[2] / "schemas" / "alert.v1.json").read_text())
    assert schema["$schema"].endswith("2020-12/schema")
    for field in ("alert_id", "version", "rule_id", "severity", "title", "statement", "actors"):
        assert field in schema["required"]


def test_state_collector_forgets_idle_alerts_of_the_current_partition_only(rules) -> None:
    from streams.agents.alerts import _StateCollector

    rule = rules.by_id["syria-diplomatic-statement"]
    old = decide(None, match_of(rules, rule.id), rule, input_ref=(0, 1), emitted_at=EMITTED).state
    other = {**old, "alert_id": "alert-other", "partition": 1}
    fresh_match = match_of(
        rules, rule.id, story="story-00000000000000cc", published="2017-12-30T00:00:00Z"
    )
    fresh = decide(None, fresh_match, rule, input_ref=(0, 2), emitted_at=EMITTED).state
    table = {"old": old, "other": other, "fresh": fresh}

    collector = _StateCollector(ttl_s=7 * 24 * 3600)
    collector.observe(0, fresh["last_t"])
    collector.maybe_collect(table, 0)
    assert table["old"]["tombstone"] is True and table["old"]["version"] == 1
    assert table["other"] is other  # partition 1 is collected while processing partition 1
    assert table["fresh"] is fresh
    table["old"]["last_t"] = 0
    collector.maybe_collect(table, 0)  # at most once a minute per partition
    assert "old" in table


def test_state_collector_forgets_the_longest_idle_first_and_at_most_its_limit(rules) -> None:
    from streams.agents.alerts import _StateCollector

    rule = rules.by_id["syria-diplomatic-statement"]
    state = decide(None, match_of(rules, rule.id), rule, input_ref=(0, 1), emitted_at=EMITTED).state
    day_ms = 24 * 3600 * 1000
    idle = {f"a{i}": {**state, "alert_id": f"a{i}", "last_t": i * day_ms} for i in range(7)}
    table = dict(idle)
    collector = _StateCollector(ttl_s=24 * 3600, limit=3)
    collector.observe(0, 10 * day_ms)  # a0..a6 all idle for more than a day

    collector.maybe_collect(table, 0)
    forgotten = sorted(k for k, v in table.items() if v.get("tombstone"))
    assert forgotten == ["a0", "a1", "a2"]  # the longest idle first, no more than 3
    collector.maybe_collect(table, 0)  # more were left: the next event collects again
    assert sorted(k for k, v in table.items() if v.get("tombstone")) == [f"a{i}" for i in range(6)]
    collector.maybe_collect(table, 0)
    assert all(v.get("tombstone") for v in table.values())
    table["a6"] = idle["a6"]
    collector.maybe_collect(table, 0)  # done within its limit: next time in a minute
    assert not table["a6"].get("tombstone")


def test_actor_pair_window_counts_articles_across_stories(tmp_path: Path) -> None:
    path = tmp_path / "pairs.yaml"
    path.write_text(
        """
rules:
  - id: pair-in-the-news
    title: "${actors} together again"
    severity: low
    condition: "true"
    evidence: "events.filter(e, e.root == '01')"
    window: {per: actor_pair, count: articles, at_least: 2, within: 1d}
""",
        encoding="utf-8",
    )
    rules = load_rules([path], include_default=False)
    rule = rules.by_id["pair-in-the-news"]
    one = match_of(rules, rule.id, story="story-0000000000000001")
    two = match_of(
        rules,
        rule.id,
        article_id="x-2",
        story="story-0000000000000002",
        published="2017-11-12T08:00:00Z",
    )
    assert one.alert_id == two.alert_id  # the pair, not the story, is the subject
    first = decide(None, one, rule, input_ref=(0, 1), emitted_at=EMITTED)
    second = decide(first.state, two, rule, input_ref=(0, 2), emitted_at=EMITTED)
    assert (first.reason, second.reason) == ("window_not_met", "fired")
    alert = second.publish
    assert alert["subject"]["actors"] == ["donald-trump", "vladimir-putin"]
    assert alert["article_ids"] == ["afp-1", "x-2"]
    assert alert["story_id"] is None  # a pair alert spans stories
    validator("alert.v1.json")(alert)
