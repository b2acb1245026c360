"""``WarmTokenizer``: the same tokens as spaCy's tokenizer, and spans cached past a special case."""

from __future__ import annotations

import pickle
from pathlib import Path

import orjson
import pytest
import spacy

from streams.nlp.tokenizer_cache import WarmTokenizer

REPO = Path(__file__).resolve().parents[2]
# A special case ("—") near the top, as in a dateline, then ordinary spans.
DATELINE = "Da Nang (Vietnam) — Le président a dit qu'il viendra, « peut-être » demain."


def _texts(shared: Path | None) -> list[str]:
    lines = (REPO / "streams" / "samples" / "sample-stream.jsonl").read_bytes().splitlines()
    texts = [orjson.loads(line)["text"] for line in lines if line.strip()]
    sample = shared / "samples" / "da-nang-syria-statement.fr.txt" if shared else None
    if sample is not None and sample.is_file():
        texts.append(sample.read_text())
    return [*texts, DATELINE, DATELINE.upper(), "", "   ", "\n\n—\n\n"]


def _tokens(doc) -> list[tuple[str, str]]:
    return [(t.text, t.whitespace_) for t in doc]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_same_tokens_as_spacy_on_every_pass(lang: str) -> None:
    from tests.conftest import SHARED

    texts = _texts(SHARED if SHARED.is_dir() else None)
    plain = spacy.blank(lang).tokenizer
    warm = WarmTokenizer(spacy.blank(lang).tokenizer)
    for _ in range(2):  # cold, then served from the cache the first pass filled
        for text in texts:
            assert _tokens(warm(text)) == _tokens(plain(text)), text[:80]


def _counting_regex(tokenizer) -> list[int]:
    """Counts the prefix regex's calls: none while every span comes from the cache."""
    calls = [0]
    search = tokenizer.prefix_search

    def counted(s: str):
        calls[0] += 1
        return search(s)

    tokenizer.prefix_search = counted  # (setting it empties spaCy's cache)
    return calls


def test_spans_after_a_special_case_are_cached() -> None:
    tokenizer = spacy.blank("fr").tokenizer
    calls = _counting_regex(tokenizer)
    warm = WarmTokenizer(tokenizer)
    first = _tokens(warm(DATELINE))
    calls[0] = 0
    assert _tokens(warm(DATELINE)) == first
    assert calls[0] == 0  # every span from the cache, the ones after "—" included


def test_plain_spacy_still_misses_them() -> None:
    """Whether the workaround is still needed: spaCy issue #13950."""
    tokenizer = spacy.blank("fr").tokenizer
    calls = _counting_regex(tokenizer)
    tokenizer(DATELINE)
    calls[0] = 0
    tokenizer(DATELINE)
    if calls[0] == 0:
        pytest.skip("spaCy now caches past a special case (#13950): WarmTokenizer can go")
    assert calls[0] > 0


def test_past_its_bound_the_cache_is_emptied_and_warmed_again() -> None:
    tokenizer = spacy.blank("fr").tokenizer
    calls = _counting_regex(tokenizer)
    warm = WarmTokenizer(tokenizer, remember=15)
    first = _tokens(warm(DATELINE))  # its 14 spans remembered
    warm("un deux")  # 16 > 15: spaCy's cache emptied, then these two warmed
    assert warm._warmed == {"un", "deux"}
    calls[0] = 0
    assert _tokens(warm(DATELINE)) == first
    assert calls[0] > 0  # cold again: the cache was emptied
    calls[0] = 0
    warm(DATELINE)
    assert calls[0] == 0  # and warm again


def test_it_pickles_as_the_tokenizer_does() -> None:
    """``nlp.pipe(n_process=...)`` pickles the pipeline, tokenizer included."""
    warm = WarmTokenizer(spacy.blank("fr").tokenizer)
    warm(DATELINE)
    copy = pickle.loads(pickle.dumps(warm))
    assert _tokens(copy(DATELINE)) == _tokens(warm(DATELINE))
    assert copy.explain("l'État") == warm.explain("l'État")  # delegated
