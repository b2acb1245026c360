"""Native guards against cel-python, the reference: same verdicts, same matches, same errors.

Articles are generated (seeded) with everything rules look at — actors with and without
roles or countries, unknown actor ids, events across CAMEO roots in and out of the lead,
direct and reported quotes around the 20-character mark, topics, places, datelines — plus
malformed parts (nulls, wrong types, stray values) that the context must absorb.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import celpy
import pytest

from streams.alerts.context import CONTEXT_TYPES, build_context, conforms
from streams.alerts.guards import Guard, condition_guard, evidence_guard
from streams.alerts.matching import match_article
from streams.alerts.rules import from_cel, load_rules

ACTORS = [
    ("donald-trump", "USAGOV", "US", ["head_of_state", "government"]),
    ("vladimir-putin", "RUSGOV", "RU", ["head_of_state", "government"]),
    ("xi-jinping", "CHNGOV", "CN", ["head_of_state"]),
    ("emmanuel-macron", "FRAGOV", "FR", ["head_of_state"]),
    ("theresa-may", "GBRGOV", "GB", ["head_of_government"]),
    ("sergey-lavrov", "RUSGOV", "RU", ["foreign_minister"]),
    ("bashar-al-assad", "SYRGOV", "SY", ["head_of_state", "government"]),
    ("russia-military", "RUSMIL", "RU", []),
    ("united-states", "USA", "US", []),
    ("russia", "RUS", "RU", []),
    ("syria-rebels", "SYRREB", "SY", []),
    ("person:bruno-genesio", None, None, []),
    ("antonio-guterres", "IGOUNO", None, ["secretary_general"]),
]
COUNTRIES = [
    ("SYR", "SY", "Syria"),
    ("RUS", "RU", "Russia"),
    ("USA", "US", "United States"),
    ("FRA", "FR", "France"),
    ("IRQ", "IQ", "Iraq"),
    ("UKR", "UA", "Ukraine"),
    ("DEU", "DE", "Germany"),
]
ROOTS = ["01", "02", "04", "05", "06", "10", "11", "12", "13", "14", "17", "18", "19", "20"]
WORDS = ["the", "president", "said", "talks", "would", "resume", "after", "strikes"]
WORDS += ["near", "the", "border"]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _maybe_bad(rng: random.Random, value: Any) -> Any:
    """Now and then, what a buggy producer would send instead."""
    return rng.choice([None, "x", [], {}]) if rng.random() < 0.03 else value


def generated_record(rng: random.Random, i: int) -> dict[str, Any]:
    paragraphs = [_words(rng, rng.randint(3, 20)) for _ in range(rng.randint(1, 7))]
    text = "\n\n".join(paragraphs)
    starts = [0]
    for p in paragraphs[:-1]:
        starts.append(starts[-1] + len(p) + 2)

    def offset() -> int | None:
        return rng.choice(starts) + 1 if rng.random() > 0.05 else None

    chosen = rng.sample(ACTORS, rng.randint(0, 7))
    actors = [
        {
            "id": aid,
            "name": aid.replace("-", " ").title() if rng.random() > 0.1 else None,
            "type": rng.choice(["person", "state", "government", None]),
            "cameo": cameo,
            "qid": None,
            "country": country,
            "roles": _maybe_bad(rng, list(roles)),
            "known": rng.random() > 0.2,
        }
        for aid, cameo, country, roles in chosen
    ]
    ids = [a[0] for a in chosen] + ["someone-unknown"]

    def some_ids(k: int) -> list[str]:
        return rng.sample(ids, min(len(ids), rng.randint(0, k)))

    quotes = []
    for _ in range(rng.randint(0, 5)):
        words = _words(rng, rng.randint(1, 6))
        quotes.append(
            {
                "text": words[: rng.randint(15, 25)] if rng.random() < 0.5 else words,
                "start": offset(),
                "direct": _maybe_bad(rng, rng.random() < 0.6),
                "speakers": _maybe_bad(rng, some_ids(2)),
                "cue": rng.choice([{"text": "said", "lemma": "say"}, {"text": "added"}, None]),
                "confidence": rng.choice([0.4, 0.9, None]),
            }
        )
    events = []
    for _ in range(rng.randint(0, 6)):
        root = rng.choice(ROOTS)
        events.append(
            {
                "code": root + rng.choice(["0", "1", "2"]),
                "root": root if rng.random() > 0.1 else None,
                "label": rng.choice(["Make statement", "Accuse", "Use force", None]),
                "quad_class": rng.choice([1, 2, 3, 4, None]),
                "goldstein": rng.choice([-10.0, 0.0, 3.4, None]),
                "plover": None,
                "source_actors": _maybe_bad(rng, some_ids(3)),
                "target_actors": some_ids(3),
                "source_cameo": [a[1] for a in chosen if a[1]][:2],
                "target_cameo": [],
                "trigger": {"start": 0, "end": 3, "text": "said"},
                "sentence": {"start": offset(), "end": 10, "text": _words(rng, 5)},
                "confidence": rng.random(),
                "quote_index": rng.choice([None, 0, 1, 2, 9]) if quotes else None,
            }
        )
    countries = rng.sample(COUNTRIES, rng.randint(0, 3))
    dateline_at = rng.choice([0, 1, None]) if len(starts) > 1 else 0
    record = {
        "id": f"gen-{i}",
        "language": rng.choice(["en", "fr", "es"]),
        "title": _words(rng, 4),
        "source": rng.choice(["AFP", "Reuters", "", None]),
        "url": rng.choice([f"https://example.org/{i}", None]),
        "published_at": rng.choice(["2017-11-11T09:30:00Z", None, "not a date"]),
        "text": text,
        "story": rng.choice([{"id": f"story-{i % 7}", "new": i % 2 == 0}, None]),
        "dateline": None
        if dateline_at is None
        else {"span": {"start": starts[dateline_at]}, "place": "Da Nang", "country": "VN"},
        "actors": actors + ([None] if rng.random() < 0.03 else []),
        "places": [{"id": c[1], "name": c[2], "country": c[1]} for c in countries[:1]],
        "quotes": quotes,
        "events": events,
        "topics": {
            "countries": [{"code": c, "country": a2, "name": n} for c, a2, n in countries],
            "themes": [{"code": "AIRSTRIKE"}] if rng.random() < 0.3 else [],
        },
    }
    return record


RECORDS = [generated_record(random.Random(f"guards/{i}"), i) for i in range(300)]

# Rules beyond the default pack: every native construct, and constructs left to CEL
# (has(), arithmetic, indexing, doubles in lists) alone or mixed with native conjuncts.
EXTRA_RULES = """
lists:
  quads: [3, 4]
  leaders: [donald-trump, vladimir-putin]
  scores: [0.0, 3.4]
rules:
  - id: or-not-eq
    title: x
    severity: low
    condition: "(language == 'fr' || source != 'AFP') && !story_new && size(title) > 3"
    evidence: "quotes.filter(q, !q.direct || q.cue.startsWith('sa'))"
  - id: numbers
    title: x
    severity: low
    condition: "quad_classes.exists(c, c in lists.quads) && size(events) <= 5"
    evidence: |
      events.filter(e, e.quad_class in lists.quads && e.confidence > 0.5
        && e.goldstein < 1.0 && e.paragraph >= 0)
  - id: nested
    title: x
    severity: low
    condition: "actor_details.all(a, a.known || a.roles.size() == 0)"
    evidence: |
      events.filter(e, e.source.exists_one(a, a.id in lists.leaders)
        && e.target_actors.map(t, t.size()).exists(n, n > 6)
        && (e.has_quote ? e.quote.direct : e.in_lead))
  - id: strings
    title: x
    severity: low
    condition: "text.contains('strikes') && id.endsWith('1') && main_topic < 'T'"
    evidence: "events.filter(e, e.sentence.contains('border') && e.label != '')"
  - id: left-to-cel
    title: x
    severity: low
    condition: "size(events) + 1 > 2 && has(lists.quads) && language in ['en', 'fr']"
    evidence: "events.filter(e, e.goldstein * 2.0 < 0.0 && e.root in ['18', '19', '20'])"
  - id: errors
    title: x
    severity: low
    condition: "events[0].root != '' && 'SYR' in topics"
  - id: double-list
    title: x
    severity: low
    condition: "events.exists(e, e.goldstein in lists.scores)"
  - id: pairs
    title: x
    severity: low
    condition: "size(actors) >= 2"
    evidence: "events.filter(e, e.root == '04' || e.root == '05')"
    window: {per: actor_pair, count: articles, at_least: 2, within: 1d}
    pairs: "actors.filter(a, a in lists.leaders)"
"""


@pytest.fixture(scope="module")
def rule_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    path = tmp_path_factory.mktemp("rules") / "extra.yaml"
    path.write_text(EXTRA_RULES, encoding="utf-8")
    return [path]


def _outcome(record: dict[str, Any], rules: Any) -> tuple[list[dict], list[tuple[str, str]]]:
    result = match_article(record, rules, fallback_time_ms=5)
    return [m.to_record() for m in result.matches], result.errors


def test_generated_contexts_have_the_documented_types() -> None:
    for record in RECORDS:
        context = build_context(record)
        assert set(context) == set(CONTEXT_TYPES) | {"lists"}
        for name, kind in CONTEXT_TYPES.items():
            assert conforms(context[name], kind), (record["id"], name)


def test_default_rules_are_decided_natively() -> None:
    for rule in load_rules().rules:
        assert rule.guards["condition"].exact, rule.id
        assert rule.guards["evidence"].select is not None, rule.id


def test_mixed_expressions_keep_cel_for_what_is_not_native(rule_files: list[Path]) -> None:
    rules = load_rules(rule_files, include_default=False).by_id
    assert not rules["left-to-cel"].guards["condition"].exact  # +, has(): CEL decides
    assert rules["left-to-cel"].guards["evidence"].select is None  # `*` is CEL's
    assert "condition" not in rules["double-list"].guards  # `in` on doubles is CEL's (NaN)
    assert not rules["errors"].guards["condition"].exact  # events[0] is CEL's (and fails)
    assert rules["nested"].guards["evidence"].select is not None


def test_a_guard_that_contradicts_cel_on_the_probe_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streams.alerts.rules as rules_module

    wrong = Guard(lambda context: False, exact=True)
    monkeypatch.setattr(rules_module, "condition_guard", lambda tree, lists: wrong)
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - {id: probe, title: x, severity: low, condition: \"'PRB' in topics\"}\n",
        encoding="utf-8",
    )
    (rule,) = load_rules([path], include_default=False).rules
    assert "condition" not in rule.guards  # the probe article is about PRB: CEL says true


@pytest.mark.parametrize("extra", [False, True], ids=["default-pack", "extra-rules"])
def test_native_matching_equals_cel_on_generated_articles(
    extra: bool, rule_files: list[Path]
) -> None:
    paths = rule_files if extra else []
    native = load_rules(paths, include_default=not extra)
    reference = load_rules(paths, include_default=not extra, native=False)
    assert all(not r.guards for r in reference.rules)
    fired: set[str] = set()
    errors = 0
    for record in RECORDS:
        got, want = _outcome(record, native), _outcome(record, reference)
        assert got == want, record["id"]
        fired |= {m["rule_id"] for m in got[0]}
        errors += len(got[1])
    # The generated articles make every rule fire, and `events[0]` fail on some.
    assert fired == {r.id for r in native.rules}
    assert errors > 0 if extra else errors == 0


# Expressions compiled one by one: an exact guard has CEL's value; any guard that says
# false is right to (CEL says false too).
EXPRESSIONS = [
    "'SYR' in topics",
    "!('SYR' in topics) || size(events) == 0",
    "topics.exists(t, t in ['IRQ', 'UKR']) && story_new",
    "size(quote_speakers) > 0 && quotes.all(q, q.confidence >= 0.5)",
    "events.exists_one(e, e.in_lead)",
    "events.map(e, e.root).exists(r, r == '19')",
    "quad_classes.exists(c, c > 2) && 4 in quad_classes",
    "actor_details.exists(a, a.country == 'RU' && 'head_of_state' in a.roles)",
    "events.exists(e, e.source_countries.exists(c, c in e.target_countries))",
    "quotes.exists(q, size(q.text) >= 20 && q.speaker.exists(a, a.cameo.startsWith('RUS')))",
    "events.exists(e, e.quote.in_lead == e.in_lead && e.quote.index < e.index)",
    "language == 'fr' ? 'SYR' in topics : size(topics) > 1",
    "main_topic != '' && main_topic == topics[0]",
    "dateline_country == 'VN' && events.exists(e, e.paragraph == -1)",
    "size(events) > 0 && events.exists(e, e.goldstein * 1.0 > 1.5)",
    "story_id.startsWith('story-') && has(events)",
    "title.contains('the') && text.endsWith('border')",
    "cameo.exists(c, c.size() == 6) && roles.all(r, r != 'government')",
]


@pytest.fixture(scope="module")
def contexts() -> list[tuple[dict[str, Any], Any]]:
    """(plain context, CEL activation) of the first 150 generated articles."""
    out = []
    for record in RECORDS[:150]:
        context = build_context(record)
        out.append((context, celpy.json_to_cel(context)))
    return out


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_condition_guards_agree_with_cel(source: str, contexts: list) -> None:
    env = celpy.Environment()
    tree = env.compile(source)
    guard = condition_guard(tree, {})
    assert guard is not None
    program = env.program(tree)
    for context, activation in contexts:
        try:
            value = program.evaluate(activation)
        except Exception:
            value = None  # a CEL error: only a false guard may have skipped it
        verdict = guard.check(context)
        if guard.exact:
            assert value is not None and verdict == bool(value), (source, context["id"])
        elif not verdict:
            assert value is not None and not bool(value), (source, context["id"])


def test_evidence_select_equals_cel_filter() -> None:
    env = celpy.Environment()
    lists = {"roots": ["10", "11", "12", "13", "14"], "p5": ["US", "RU", "CN", "GB", "FR"]}
    source = (
        "events.filter(e, e.root in lists.roots && e.in_lead"
        " && e.source_countries.exists(c, c in lists.p5)"
        " && e.target_countries.exists(c, c in lists.p5 && !(c in e.source_countries)))"
    )
    tree = env.compile(source)
    guard = evidence_guard(tree, lists)
    assert guard is not None and guard.exact and guard.select is not None
    program = env.program(tree)
    for record in RECORDS[:200]:
        context = build_context(record, lists)
        want = from_cel(program.evaluate(celpy.json_to_cel(context)))
        assert guard.select(context) == want
        assert guard.check(context) == bool(want)


def test_the_micro_benchmark_runs_and_checks_equivalence() -> None:
    from streams.alerts.bench import report

    lines = list(report(RECORDS[:3], [], True, 1))
    assert lines[0] == "3 articles × 1; native and CEL-only identical on 3"
    assert [line.split()[0] for line in lines[2:]] == [
        "context",
        *(r.id for r in load_rules().rules),
        "match_article",
    ]
