"""Issue 3's acceptance list for the French reference story, through the configured pipeline."""

import pytest

from streams.evaluation import eval_reference_story, render, run_all


@pytest.fixture(scope="module")
def enricher():
    from streams.nlp.pipeline import Enricher

    return Enricher(["fr"])


def test_reference_story_yields_everything_issue_3_lists(shared_corpora, enricher):
    result = eval_reference_story(shared_corpora, enricher)
    assert result["actors_missing"] == []
    assert result["actors"]["recall"] == 1.0
    assert result["actors"]["precision"] >= 0.9, result["actors_extra_named"]
    assert result["places_missing"] == []
    assert result["dateline_ok"] and result["topics_ok"]
    assert all(result["quotes_ok"]), result["quotes_ok"]
    assert all(result["events_ok"]), result["events_ok"]


def test_eval_command_scores_every_corpus(shared_corpora):
    result = run_all(shared_corpora)
    assert result["ner_en_re3d"]["sentences"] == 765
    assert 0 < result["ner_en_re3d"]["overlap"]["all"]["f1"] <= 1
    assert result["events"]["gsr"]["sentences"] > 300
    text = render(result)
    assert "French reference story" in text and "PLOVER gold" in text and "re3d" in text
