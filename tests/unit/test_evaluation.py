from pathlib import Path

from streams.evaluation import read_conll, score_spans


def test_conll_reader_rebuilds_text_and_spans(tmp_path: Path):
    f = tmp_path / "g.conll"
    f.write_text(
        "the\tB-Organisation\nUN\tI-Organisation\nmet\tO\nin\tO\nGeneva\tB-Location\n\n"
        "Putin\tB-Person\nspoke\tO\n"
    )
    sents = list(read_conll(f))
    assert sents[0][0] == "the UN met in Geneva"
    text, spans = sents[0]
    assert [(text[s:e], lab) for s, e, lab in spans] == [
        ("the UN", "Organisation"),
        ("Geneva", "Location"),
    ]
    assert [(sents[1][0][s:e], lab) for s, e, lab in sents[1][1]] == [("Putin", "Person")]


def test_scores_exact_ignore_leading_determiner_and_overlap_is_lenient():
    text = "the UN met Vladimir Putin in Geneva"
    gold = [(0, 6, "ORG"), (11, 25, "PER"), (29, 35, "LOC")]
    pred = [(4, 6, "ORG"), (20, 25, "PER"), (29, 35, "PER")]
    result = score_spans([(text, gold)], [pred])
    assert result["exact"]["ORG"]["tp"] == 1  # "the UN" == "UN"
    assert result["exact"]["PER"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "tp": 0,
        "fp": 2,
        "fn": 1,
    }
    assert result["overlap"]["PER"]["tp"] == 1  # "Putin" overlaps "Vladimir Putin"
    assert result["exact"]["all"]["tp"] == 1
    assert result["exact"]["LOC"]["fn"] == 1
