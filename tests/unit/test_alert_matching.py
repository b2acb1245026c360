"""Rule context and matching on enriched records built by hand after the issue-3 schemas."""

from __future__ import annotations

from typing import Any

import pytest

from streams.alerts.context import build_context, paragraph_starts
from streams.alerts.matching import (
    alert_id_for,
    event_time_ms,
    join_names,
    match_article,
    source_key,
)
from streams.alerts.rules import load_rules

# -- record builders (shapes of actors/places/quotes/events/topics in enriched-article.v1) --


def actor(
    aid: str,
    name: str,
    cameo: str | None,
    country: str | None,
    roles: tuple[str, ...] = (),
    kind: str = "person",
) -> dict[str, Any]:
    return {
        "id": aid,
        "name": name,
        "type": kind,
        "cameo": cameo,
        "qid": None,
        "country": country,
        "roles": list(roles),
        "known": True,
        "confidence": 0.9,
        "source": "alias-table",
        "mentions": [{"start": 0, "end": 1, "text": "x", "kind": "name", "confidence": 0.9}],
    }


TRUMP = actor("donald-trump", "Donald Trump", "USAGOV", "US", ("head_of_state", "government"))
PUTIN = actor("vladimir-putin", "Vladimir Putin", "RUSGOV", "RU", ("head_of_state", "government"))
RUS_GOV = actor("russia-government", "Russia (government)", "RUSGOV", "RU", (), "government")
USA_GOV = actor(
    "united-states-government", "United States (government)", "USAGOV", "US", (), "government"
)
RUS_MIL = actor("russia-military", "Russia (military)", "RUSMIL", "RU", (), "military")
USA = actor("united-states", "United States", "USA", "US", (), "state")
RUSSIA = actor("russia", "Russia", "RUS", "RU", (), "state")
ASSAD = actor("bashar-al-assad", "Bashar al-Assad", "SYRGOV", "SY", ("head_of_state", "government"))
COACH = actor("person:bruno-genesio", "Bruno Genesio", None, None)


def span(text: str, needle: str) -> dict[str, Any]:
    start = text.index(needle)
    return {"start": start, "end": start + len(needle), "text": needle}


def quote(text: str, words: str, speakers: list[str], direct: bool, cue: str) -> dict[str, Any]:
    s = span(text, words)
    return {
        **s,
        "direct": direct,
        "speakers": speakers,
        "speaker": None,
        "cue": {"start": 0, "end": 1, "text": cue, "lemma": cue},
        "sentence": s,
        "confidence": 0.8,
    }


def event(
    text: str,
    code: str,
    sentence: str,
    source: list[dict],
    target: list[dict],
    quote_index: int | None = None,
    quad_class: int = 1,
) -> dict[str, Any]:
    return {
        "code": code,
        "root": code[:2],
        "label": {
            "019": "Express accord",
            "112": "Accuse",
            "190": "Use conventional military force",
        }.get(code, "Event"),
        "quad_class": quad_class,
        "goldstein": 3.4,
        "plover": None,
        "source_actors": [a["id"] for a in source],
        "target_actors": [a["id"] for a in target],
        "source_cameo": [a["cameo"] for a in source if a["cameo"]],
        "target_cameo": [a["cameo"] for a in target if a["cameo"]],
        "trigger": span(text, sentence.split()[0]),
        "sentence": span(text, sentence),
        "confidence": 0.6,
        "quote_index": quote_index,
    }


def topics(*codes: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "countries": [
            {"code": c, "country": a2, "name": name, "salience": 1.0, "score": 3.0, "evidence": {}}
            for c, a2, name in codes
        ],
        "themes": [],
    }


SYR = ("SYR", "SY", "Syria")

DANANG_FR = (
    "Le président américain, Donald Trump, et son homologue russe, Vladimir Poutine.\n\n"
    "Da Nang, Vietnam — Donald Trump et Vladimir Poutine sont d'accord pour dire qu'il n'y a "
    "« pas de solution militaire » en Syrie, ont annoncé Moscou et Washington.\n\n"
    "« Les présidents sont d'accord pour dire que le conflit en Syrie n'a pas de solution "
    "militaire », selon ce communiqué.\n\n"
    "La Russie mène en Syrie une campagne de bombardements depuis 2015.\n\n"
    "Le commandement militaire russe a accusé les États-Unis de « faire seulement semblant ».\n\n"
    "« Nous allons avoir une formidable relation avec Poutine et la Russie », répétait Trump."
)


def danang_record(
    article_id: str = "afp-1",
    source: str = "AFP",
    story: str = "story-00000000000000aa",
    published: str = "2017-11-11T09:30:00.000Z",
) -> dict[str, Any]:
    text = DANANG_FR
    quotes = [
        quote(
            text,
            "Donald Trump et Vladimir Poutine sont d'accord pour dire qu'il n'y a "
            "« pas de solution militaire » en Syrie",
            ["russia-government", "united-states-government"],
            False,
            "annoncer",
        ),
        quote(
            text,
            "Les présidents sont d'accord pour dire que le conflit en Syrie "
            "n'a pas de solution militaire",
            ["russia-government", "united-states-government"],
            True,
            "selon",
        ),
        quote(text, "faire seulement semblant", ["russia-military"], True, "accuser"),
        quote(
            text,
            "Nous allons avoir une formidable relation avec Poutine et la Russie",
            ["donald-trump"],
            True,
            "répéter",
        ),
    ]
    events = [
        event(
            text,
            "019",
            "Donald Trump et Vladimir Poutine sont d'accord",
            [TRUMP, PUTIN],
            [TRUMP, PUTIN],
            0,
        ),
        event(
            text,
            "190",
            "La Russie mène en Syrie une campagne de bombardements",
            [RUSSIA],
            [ASSAD],
            None,
            4,
        ),
        event(
            text,
            "112",
            "Le commandement militaire russe a accusé les États-Unis",
            [RUS_MIL],
            [USA],
            2,
            3,
        ),
    ]
    return {
        "id": article_id,
        "language": "fr",
        "title": "Syrie : Trump et Poutine d'accord",
        "source": source,
        "url": f"https://example.org/{article_id}",
        "published_at": published,
        "text": text,
        "entities": [],
        "story": {"id": story, "new": True, "method": "minhash-lsh"},
        "dateline": {
            "span": span(text, "Da Nang, Vietnam —"),
            "place": "Da Nang",
            "country": "VN",
            "place_id": "da-nang",
            "confidence": 1.0,
        },
        "actors": [TRUMP, PUTIN, RUS_GOV, USA_GOV, RUSSIA, ASSAD, RUS_MIL, USA],
        "places": [
            {
                "id": "SY",
                "name": "Syria",
                "country": "SY",
                "kind": "country",
                "mentions": [],
                "confidence": 1,
            },
            {
                "id": "moscow",
                "name": "Moscow",
                "country": "RU",
                "kind": "city",
                "mentions": [],
                "confidence": 1,
            },
        ],
        "quotes": quotes,
        "events": events,
        "topics": topics(SYR, ("RUS", "RU", "Russia"), ("USA", "US", "United States")),
        "provenance": {"pipeline": "test", "wirewatch_version": "0", "models": {}},
    }


FOOTBALL = (
    "Lyon, France — Lyon s'est imposé face à Marseille. "
    "« Nous avons joué avec intensité », a déclaré Bruno Genesio."
)


def football_record() -> dict[str, Any]:
    text = FOOTBALL
    return {
        "id": "foot-1",
        "language": "fr",
        "title": "Ligue 1",
        "source": "Sport Quotidien",
        "url": None,
        "published_at": "2017-11-12T22:15:00.000Z",
        "text": text,
        "entities": [],
        "story": {"id": "story-00000000000000bb", "new": True, "method": "minhash-lsh"},
        "dateline": None,
        "actors": [COACH],
        "places": [
            {
                "id": "lyon",
                "name": "Lyon",
                "country": "FR",
                "kind": "city",
                "mentions": [],
                "confidence": 1,
            }
        ],
        "quotes": [
            quote(
                text, "Nous avons joué avec intensité", ["person:bruno-genesio"], True, "déclarer"
            )
        ],
        "events": [event(text, "010", "a déclaré Bruno Genesio", [COACH], [])],
        "topics": topics(("FRA", "FR", "France")),
        "provenance": {"pipeline": "test", "wirewatch_version": "0", "models": {}},
    }


@pytest.fixture(scope="module")
def rules():
    return load_rules()


# -- context --------------------------------------------------------------------------


def test_context_flattens_the_record_for_conditions() -> None:
    ctx = build_context(danang_record(), {"watch": ["x"]})
    assert ctx["story_id"] == "story-00000000000000aa"
    assert ctx["topics"] == ["SYR", "RUS", "USA"] and ctx["main_topic"] == "SYR"
    assert ctx["topic_countries"] == ["SY", "RU", "US"]
    assert "vladimir-putin" in ctx["actors"] and "RUSGOV" in ctx["cameo"]
    assert "head_of_state" in ctx["roles"]
    assert ctx["places"] == ["SY", "moscow"] and ctx["place_countries"] == ["SY", "RU"]
    assert ctx["dateline_country"] == "VN"
    assert ctx["event_roots"] == ["01", "19", "11"] and ctx["quad_classes"] == [1, 4, 3]
    assert ctx["quote_speakers"] == [
        "russia-government",
        "united-states-government",
        "russia-military",
        "donald-trump",
    ]
    assert ctx["lists"] == {"watch": ["x"]}

    statement, bombing, accusation = ctx["events"]
    assert statement["source_roles"] == ["head_of_state", "government"]
    assert statement["source_countries"] == ["US", "RU"]
    assert statement["has_quote"] and not statement["quote"]["direct"]
    assert [a["name"] for a in statement["source"]] == ["Donald Trump", "Vladimir Putin"]
    # Paragraphs count from the dateline's: the caption above it is -1, the lead is 0–1.
    assert statement["paragraph"] == 0 and statement["in_lead"]
    assert bombing["paragraph"] == 2 and not bombing["in_lead"]
    assert accusation["target_countries"] == ["US"] and not accusation["in_lead"]
    assert not bombing["has_quote"] and bombing["quote"]["text"] == ""


def test_context_has_no_nulls_even_for_a_bare_record() -> None:
    ctx = build_context({"id": "x", "language": "en", "text": "Hello."})

    def walk(value: Any) -> None:
        assert value is not None
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(ctx)
    assert ctx["events"] == [] and ctx["story_id"] == "" and ctx["dateline_country"] == ""


def test_paragraph_starts_blank_lines_else_lines() -> None:
    assert paragraph_starts("a\n\nb\n \nc") == [0, 3, 7]
    assert paragraph_starts("a\nb") == [0, 2]
    assert paragraph_starts("one") == [0]


# -- matching with the default pack ------------------------------------------------------


def test_french_story_matches_the_syria_statement_rule_with_its_statement(rules) -> None:
    result = match_article(danang_record(), rules)
    assert result.errors == []
    by_rule = {m.rule_id: m for m in result.matches}
    syria = by_rule["syria-diplomatic-statement"]
    assert syria.title == {
        "en": "Syria: diplomatic statement by Donald Trump and Vladimir Putin",
        "fr": "Syrie : déclaration diplomatique de Donald Trump et Vladimir Putin",
    }
    assert [s["id"] for s in syria.statement["speakers"]] == ["donald-trump", "vladimir-putin"]
    assert "pas de solution militaire" in syria.statement["text"]
    assert syria.statement["event"]["code"] == "019"
    assert syria.event_codes == ["019"] and syria.topics[0] == "SYR"
    assert [a["id"] for a in syria.actors[:2]] == ["donald-trump", "vladimir-putin"]
    assert syria.subject == {
        "kind": "story",
        "key": "story:story-00000000000000aa",
        "story_id": "story-00000000000000aa",
    }
    assert syria.alert_id == alert_id_for(
        "syria-diplomatic-statement", "story:story-00000000000000aa"
    )
    assert syria.article["t"] == event_time_ms(danang_record(), None)
    assert syria.article["source_key"] == "afp"


def test_background_conflict_outside_the_lead_fires_no_conflict_rule(rules) -> None:
    ids = {m.rule_id for m in match_article(danang_record(), rules).matches}
    # The accusation and the bombing are in the body (background), not in the lead.
    assert "p5-verbal-conflict" not in ids
    assert "material-conflict-watched-country" not in ids


def test_p5_accusation_in_the_lead_matches(rules) -> None:
    record = danang_record()
    record["events"][2]["sentence"] = span(record["text"], "Donald Trump et Vladimir Poutine sont")
    match = next(
        m for m in match_article(record, rules).matches if m.rule_id == "p5-verbal-conflict"
    )
    assert match.statement["text"] == "faire seulement semblant"
    assert match.statement["direct"] is True
    assert match.evidence_actors == ["russia-military", "united-states"]


def test_watched_actor_quote_matches_direct_quotes_only(rules) -> None:
    matches = match_article(danang_record(), rules).matches
    quoted = next(m for m in matches if m.rule_id == "watched-actor-quoted")
    assert quoted.statement["speakers"][0]["id"] == "donald-trump"
    assert quoted.statement["direct"] is True
    assert quoted.title["fr"].startswith("Donald Trump : « Nous allons avoir")
    assert quoted.statement["event"] is None


def test_unrelated_article_matches_nothing(rules) -> None:
    result = match_article(football_record(), rules)
    assert result.matches == [] and result.errors == []


def test_statement_by_a_non_leader_is_not_a_syria_alert(rules) -> None:
    record = danang_record()
    record["events"][0]["source_actors"] = ["russia-government"]
    assert "syria-diplomatic-statement" not in {
        m.rule_id for m in match_article(record, rules).matches
    }


def test_english_article_gets_an_english_title_only(rules) -> None:
    record = danang_record()
    record["language"] = "en"
    syria = next(m for m in match_article(record, rules).matches if m.rule_id.startswith("syria"))
    assert set(syria.title) == {"en"}


def test_actor_pair_rule_opens_one_subject_per_pair(tmp_path) -> None:
    path = tmp_path / "pairs.yaml"
    path.write_text(
        """
rules:
  - id: leaders-together
    title: "${actors} in the news together"
    severity: low
    condition: "'donald-trump' in actors"
    evidence: "events.filter(e, e.root == '01')"
    window: {per: actor_pair, count: articles, at_least: 2, within: 1d}
""",
        encoding="utf-8",
    )
    rules = load_rules([path], include_default=False)
    matches = match_article(danang_record(), rules).matches
    assert [m.subject["key"] for m in matches] == ["pair:donald-trump|vladimir-putin"]
    assert matches[0].subject["actors"] == ["donald-trump", "vladimir-putin"]


def test_run_time_errors_are_values_not_exceptions(tmp_path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        """
rules:
  - id: first-event-root
    title: x
    severity: low
    condition: "events[0].root == '01'"
""",
        encoding="utf-8",
    )
    rules = load_rules([path], include_default=False)
    result = match_article(football_record() | {"events": []}, rules)
    assert result.matches == []
    assert result.errors and result.errors[0][0] == "first-event-root"


def test_match_record_round_trips(rules) -> None:
    from streams.alerts.matching import Match

    for match in match_article(danang_record(), rules).matches:
        assert Match.from_record(match.to_record()) == match


def test_helpers() -> None:
    assert source_key("  Agence  France-Presse ", None) == "agence france-presse"
    assert source_key(None, "https://www.lemonde.fr/x") == "lemonde.fr"
    assert source_key(None, None) == "unknown"
    assert join_names(["A", "B", "C"], "fr") == "A, B et C"
    assert join_names(["A"], "en") == "A"
    assert event_time_ms({"published_at": "2017-11-11T09:30:00Z"}, 5) == 1510392600000
    assert event_time_ms({"published_at": None}, 5) == 5
    assert (
        alert_id_for("r", "story:s") == alert_id_for("r", "story:s") != alert_id_for("r", "story:t")
    )
