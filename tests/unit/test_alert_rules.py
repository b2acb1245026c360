"""Rule files: loading, overriding, and start-up validation with file, line and reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from streams.alerts.rules import (
    DEFAULT_RULES_FILE,
    RuleError,
    load_rules,
    parse_duration,
)


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(RuleError) as info:
        load_rules([path], include_default=False)
    return [str(p) for p in info.value.problems]


GOOD = """
    lists:
      roots: ["01", "02"]
    rules:
      - id: statement
        title: {en: "Statement by ${speakers}", fr: "Déclaration de ${speakers}"}
        severity: high
        condition: "'SYR' in topics"
        evidence: "events.filter(e, e.root in lists.roots)"
        cooldown: 5m
      - id: pair
        title: "Pair ${actors}"
        severity: low
        condition: "size(actors) >= 2"
        window: {per: actor_pair, count: articles, at_least: 3, within: 2h}
        pairs: "actors"
"""


def test_default_pack_loads_and_has_the_four_rules() -> None:
    rules = load_rules()
    assert {r.id for r in rules.rules} == {
        "syria-diplomatic-statement",
        "p5-verbal-conflict",
        "material-conflict-watched-country",
        "watched-actor-quoted",
    }
    assert rules.files == (str(DEFAULT_RULES_FILE),)
    syria = rules.by_id["syria-diplomatic-statement"]
    assert set(syria.titles) == {"en", "fr"}
    assert rules.by_id["material-conflict-watched-country"].window is not None
    assert "SYR" in rules.lists["watched_countries"]
    assert rules.lists["p5_countries"] == ["US", "RU", "CN", "GB", "FR"]


def test_a_good_file_loads_with_its_settings(tmp_path: Path) -> None:
    rules = load_rules([write(tmp_path, GOOD)], include_default=False)
    statement, pair = rules.rules
    assert statement.cooldown_s == 300
    assert statement.line == 4  # the rule's own line, for messages
    assert pair.window is not None and pair.window.per == "actor_pair"
    assert pair.window.at_least == 3 and pair.window.within_s == 7200
    assert pair.window.count == "articles"
    assert rules.lists == {"roots": ["01", "02"]}


def test_a_directory_of_rule_files_loads_every_yaml(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(
        tmp_path,
        """
        rules:
          - {id: other, title: x, severity: info, condition: "true"}
        """,
        "b.yml",
    )
    (tmp_path / "notes.txt").write_text("not a rule file")
    rules = load_rules([tmp_path], include_default=False)
    assert [r.id for r in rules.rules] == ["statement", "pair", "other"]


def test_user_files_override_disable_and_replace_lists(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """
        lists:
          watched_actors: [jane-doe]
        rules:
          - id: watched-actor-quoted
            enabled: false
          - id: syria-diplomatic-statement
            title: "Syria (custom): ${speakers}"
            severity: critical
            condition: "'SYR' in topics && language == 'fr'"
        """,
    )
    rules = load_rules([user])
    ids = {r.id for r in rules.rules}
    assert "watched-actor-quoted" not in ids
    assert rules.by_id["syria-diplomatic-statement"].severity == "critical"
    assert rules.by_id["syria-diplomatic-statement"].file == str(user)
    assert rules.lists["watched_actors"] == ["jane-doe"]
    assert "p5-verbal-conflict" in ids  # untouched defaults stay


def test_cel_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        rules:
          - id: broken
            title: x
            severity: high
            condition: |
              'SYR' in topics &&
                events.exists(e, e.root ==
        """,
    )
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'rules.yaml'}:7: rule 'broken':")
    assert "not valid CEL" in found[0]


def test_unknown_names_fields_and_lists_are_rejected(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        rules:
          - id: typos
            title: x
            severity: high
            condition: "'SYR' in topic && events.exists(e, e.roots == '01')"
          - id: nolist
            title: x
            severity: high
            condition: "size(events.filter(e, e.root in lists.nope)) > 0"
          - id: block
            title: x
            severity: high
            condition: |
              'SYR' in topics &&
                quotes.exists(q, q.speakerz == [])
        """,
    )
    text = "\n".join(found)
    assert ":5: rule 'typos': `condition`: unknown name(s) topic" in text
    assert ":5: rule 'typos': `condition`: unknown field(s) .roots" in text
    assert ":9: rule 'nolist': `condition`: undefined list(s) lists.nope" in text
    # In a literal block the line is the expression's own line.
    assert ":15: rule 'block': `condition`: unknown field(s) .speakerz" in text


def test_wrong_result_types_are_caught_on_the_probe_article(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        rules:
          - id: not-bool
            title: x
            severity: high
            condition: "size(events)"
          - id: evidence-not-items
            title: x
            severity: high
            condition: "true"
            evidence: "actors"
          - id: type-error
            title: x
            severity: high
            condition: "events.exists(e, e.quad_class == 'one')"
        """,
    )
    text = "\n".join(found)
    assert ":5: rule 'not-bool': `condition` must be true/false" in text
    assert ":10: rule 'evidence-not-items': `evidence` must select events or quotes" in text
    assert ":14: rule 'type-error': `condition` fails on a sample article" in text


def test_shape_problems_each_get_their_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        rules:
          - id: Bad Id
            title: x
            severity: high
            condition: "true"
          - id: shape
            title: {fr: "pas d'anglais"}
            severity: urgent
            condition: "true"
            colour: red
            cooldown: soon
            window: {per: story, at_least: 0}
          - id: template
            title: "Hello ${nobody}"
            severity: low
            condition: "true"
          - id: template
            title: "dup"
            severity: low
            condition: "true"
        """,
    )
    text = "\n".join(found)
    assert ":2: rule 'Bad Id': `id` must be" in text
    assert ":7: rule 'shape': `title` must be a template" in text
    assert ":8: rule 'shape': `severity` must be one of" in text
    assert ":10: rule 'shape': unknown key 'colour'" in text
    assert ":11: rule 'shape': not a duration: 'soon'" in text
    assert ":12: rule 'shape': window.at_least must be an integer" in text
    assert ":12: rule 'shape': window.within is required" in text
    assert ":14: rule 'template': title[en] uses unknown placeholder(s) nobody" in text
    assert ":17: rule 'template': duplicate rule id" in text


def test_invalid_yaml_and_missing_files_are_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, "rules:\n  - id: x\n   title: [\n")
    assert len(found) == 1 and "invalid YAML" in found[0]
    assert found[0].startswith(str(tmp_path / "rules.yaml") + ":")
    with pytest.raises(RuleError, match="no such rule file"):
        load_rules([tmp_path / "absent.yaml"], include_default=False)


def test_pairs_need_an_actor_pair_window(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        rules:
          - id: p
            title: x
            severity: low
            condition: "true"
            pairs: "actors"
        """,
    )
    assert "`pairs` only makes sense" in found[0]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("6h", 21600), ("2d", 172800), ("250ms", 0.25), (45, 45)],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "-5m", "5 weeks", True])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)
