"""The indexed attribute ruler gives exactly what spaCy's ``AttributeRuler`` gives.

Two levels: hand-written rules on a blank vocabulary, one behaviour each (values,
operators, longer patterns, rule order, rules the index hands to the Matcher); and
both installed models' own rules over real article text, token by token.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest
import spacy
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

from streams.nlp.attribute_rules import IndexedAttributeRuler
from streams.nlp.pipeline import build_nlp, load_pipeline_configs

REPO = Path(__file__).resolve().parents[2]
FIELDS = ("pos_", "tag_", "dep_", "lemma_")


def _annotations(doc: Doc) -> list[tuple[str, ...]]:
    return [(*(getattr(t, f) for f in FIELDS), str(t.morph)) for t in doc]


def _both(rules: list[dict], doc: Doc) -> tuple[list, list, IndexedAttributeRuler]:
    """``doc`` annotated by spaCy's ruler and by the indexed one built from it."""
    ruler = AttributeRuler(doc.vocab)
    ruler.add_patterns(rules)
    indexed = IndexedAttributeRuler.from_ruler(ruler)
    expected, got = ruler(doc.copy()), indexed(doc.copy())
    return _annotations(expected), _annotations(got), indexed


def _doc(words, tags, deps=None, spaces=None) -> Doc:
    nlp = spacy.blank("en")
    heads = [0] * len(words) if deps else None
    return Doc(nlp.vocab, words=words, tags=tags, deps=deps, heads=heads, spaces=spaces)


WORDS = ["Y'", "all", "does", "n't", "gon", "na", "let", "'s", "go", "there", "is"]
TAGS = ["PRP", "DT", "VBZ", "RB", "VBG", "TO", "VB", "PRP", "VB", "EX", "VBZ"]
DEPS = ["nsubj", "det", "ROOT", "neg", "aux", "aux", "ROOT", "nsubj", "xcomp", "expl", "ROOT"]


def test_exact_in_not_in_and_regex_values_match_as_spacy_matches_them() -> None:
    rules = [
        {"patterns": [[{"TAG": "VBZ"}]], "attrs": {"POS": "VERB", "MORPH": "Number=Sing"}},
        {"patterns": [[{"TAG": {"IN": ["VB", "VBG"]}}]], "attrs": {"POS": "VERB"}},
        {"patterns": [[{"LOWER": {"REGEX": "^n'?t$"}}]], "attrs": {"POS": "PART"}},
        {"patterns": [[{"DEP": {"NOT_IN": ["ROOT", "aux"]}}]], "attrs": {"MORPH": "Foo=Bar"}},
        {"patterns": [[{"LOWER": "does", "TAG": "VBZ"}]], "attrs": {"LEMMA": "do"}},
    ]
    expected, got, indexed = _both(rules, _doc(WORDS, TAGS, DEPS))
    assert got == expected
    assert indexed.fallback_rules == 0
    assert got[2][0] == "VERB" and got[2][3] == "do" and got[3][0] == "PART"


def test_longer_patterns_set_the_token_at_their_index() -> None:
    rules = [
        {"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]], "attrs": {"LEMMA": "go"}},
        {"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]], "attrs": {"LEMMA": "to"}, "index": 1},
        {
            "patterns": [[{"LOWER": {"REGEX": "^y'?$"}}, {"LOWER": "all"}]],
            "attrs": {"LEMMA": "you"},
        },
        {
            "patterns": [[{"DEP": "expl"}, {"LOWER": {"IN": ["is", "are"]}}]],
            "attrs": {"POS": "VERB"},
            "index": -1,
        },
        # never completes: "let" is not followed by "us"
        {"patterns": [[{"LOWER": "let"}, {"LOWER": "us"}]], "attrs": {"LEMMA": "WRONG"}},
    ]
    expected, got, indexed = _both(rules, _doc(WORDS, TAGS, DEPS))
    assert got == expected
    assert indexed.fallback_rules == 0
    assert [got[i][3] for i in (0, 4, 5)] == ["you", "go", "to"]
    assert got[10][0] == "VERB" and "WRONG" not in {g[3] for g in got}


def test_a_later_rule_overrides_only_the_attributes_it_sets() -> None:
    rules = [
        {"patterns": [[{"TAG": "VBZ"}]], "attrs": {"POS": "AUX", "MORPH": "Tense=Pres"}},
        {"patterns": [[{"LOWER": "does"}]], "attrs": {"POS": "VERB"}},
        {"patterns": [[{"LOWER": "is"}]], "attrs": {"POS": "VERB"}},
        {"patterns": [[{"TAG": "VBZ", "LOWER": "is"}]], "attrs": {"POS": "AUX"}},
    ]
    expected, got, _ = _both(rules, _doc(WORDS, TAGS, DEPS))
    assert got == expected
    assert got[2][0] == "VERB" and got[2][4] == "Tense=Pres"  # rule 1 over rule 0's POS
    assert got[10][0] == "AUX"  # rule 3 over rule 2


def test_rules_are_matched_on_the_doc_as_it_came_in() -> None:
    # Rule 0 rewrites the tag rule 1 tests: the Matcher sees the old tag, so must we.
    rules = [
        {"patterns": [[{"TAG": "VBZ"}]], "attrs": {"TAG": "VBD"}},
        {"patterns": [[{"TAG": "VBZ"}]], "attrs": {"POS": "AUX"}},
        {"patterns": [[{"TAG": "VBD"}]], "attrs": {"POS": "X"}},
    ]
    expected, got, _ = _both(rules, _doc(WORDS, TAGS, DEPS))
    assert got == expected
    assert got[2][:2] == ("AUX", "VBD")


def test_space_tokens_and_flags() -> None:
    doc = _doc(["Hello", "\n\n", "world"], ["UH", "_SP", "NN"], spaces=[True, False, False])
    rules = [
        {"patterns": [[{"IS_SPACE": True}]], "attrs": {"POS": "SPACE", "MORPH": "_"}},
        {"patterns": [[{"IS_SPACE": False, "TAG": "_SP"}]], "attrs": {"POS": "X"}},
        {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "NOUN"}},
    ]
    expected, got, _ = _both(rules, doc)
    assert got == expected
    assert [g[0] for g in got] == ["", "SPACE", "NOUN"]


def test_patterns_the_index_does_not_cover_go_to_a_matcher() -> None:
    rules = [
        {"patterns": [[{"TAG": "VB"}]], "attrs": {"POS": "VERB"}},
        # an operator and an attribute the index does not read
        {"patterns": [[{"LOWER": "let"}, {"TAG": "PRP", "OP": "?"}]], "attrs": {"LEMMA": "let"}},
        {"patterns": [[{"LENGTH": 2}]], "attrs": {"MORPH": "Short=Yes"}},
    ]
    expected, got, indexed = _both(rules, _doc(WORDS, TAGS, DEPS))
    assert got == expected
    assert indexed.fallback_rules == 2
    assert got[6][:1] == ("VERB",) and got[6][3] == "let"
    assert got[0][4] == "Short=Yes" and got[1][4] == ""  # "Y'" has 2 characters, "all" 3


def _texts() -> dict[str, list[str]]:
    """Real article text by language: the sample stream, and the shared corpora's stories."""
    by_lang: dict[str, list[str]] = {"en": [], "fr": []}
    lines = (REPO / "streams" / "samples" / "sample-stream.jsonl").read_bytes().splitlines()
    for line in lines:
        article = orjson.loads(line)
        by_lang[article.get("language") or "en"].append(article["text"])
    shared = REPO.parent / "shared" / "corpora" / "samples"
    if shared.is_dir():
        from bench.corpus import load_bases

        for base in load_bases(shared):
            lang = base.declared or "en"
            by_lang.setdefault(lang, []).append("\n\n".join(base.paragraphs))
    return by_lang


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_models_own_rules_give_identical_annotations(lang: str) -> None:
    cfg = load_pipeline_configs()[lang]
    assert ("attribute_ruler", "ww_attribute_ruler") in cfg.replace
    order = list(cfg.pipes)
    nlp = spacy.load(cfg.model, exclude=[p for p in ("senter", "ner") if p not in order])
    before = order[: order.index("attribute_ruler")]
    ruler = nlp.get_pipe("attribute_ruler")
    indexed = IndexedAttributeRuler.from_ruler(ruler)
    texts = _texts()[lang]
    tokens = 0
    for doc in nlp.pipe(texts, disable=[p for p in nlp.pipe_names if p not in before]):
        expected, got = ruler(doc.copy()), indexed(doc.copy())
        assert _annotations(got) == _annotations(expected)
        tokens += len(doc)
    assert tokens > 2000
    assert indexed.fallback_rules == 0  # both models' rules are all indexed


def test_a_replacement_for_a_pipe_the_config_leaves_out_is_rejected() -> None:
    base = load_pipeline_configs()["en"]
    without = replace(base, pipes=tuple(p for p in base.pipes if p != "attribute_ruler"))
    with pytest.raises(ValueError, match=r"attribute_ruler.*leaves out"):
        build_nlp(without)
