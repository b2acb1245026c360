"""Keeps spaCy's tokenizer cache warm past a special case (spaCy issue #13950).

spaCy's tokenizer caches how it split each whitespace-delimited span, but once a
span of a Doc has matched a special case ("—", "peut-être", "''"...), a flag that is
never reset stops it caching any later span of that Doc. News copy has a special
case near the top (the dateline's dash), so for French almost nothing was cached
and every span went through the prefix, suffix, infix and ``token_match`` regexes
again, article after article: 4.7 µs per character on the bench's French texts,
against 0.1 µs once cached (README: Performance, "The tokenizer's cache").

``WarmTokenizer`` tokenizes the text exactly as before and returns that Doc. Then
it hands each span it has not seen yet to the tokenizer alone: a call of its own
starts with the flag clear, so the span is cached as spaCy means it to be (a span
that is itself a special case is still not cached, as in spaCy). The cache holds
the span's tokens before the special-case pass that spans whitespace, which runs
on every Doc after the cache as before, so the tokens are the same.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc


class WarmTokenizer:
    """A tokenizer (``nlp.tokenizer``) that also caches the spans a special case hid.

    Memory: spaCy's cache grows with every distinct span it holds, and the spans
    warmed here are remembered so that each is handed over once. Past ``remember``
    of them, both are emptied (``Tokenizer._flush_cache``, what spaCy itself calls
    when its rules change) and warming starts again: the cache's size is bounded,
    at the price of a cold article now and then.
    """

    def __init__(self, tokenizer: Any, remember: int = 100_000) -> None:
        self.tokenizer = tokenizer
        self.remember = remember
        self._warmed: set[str] = set()

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        spans = set(text.split())  # str.split and spaCy split on the same whitespace
        new = spans - self._warmed
        if len(self._warmed) + len(new) > self.remember:
            self._warmed.clear()
            self.tokenizer._flush_cache()
            new = spans
        for span in new:
            self.tokenizer(span)
        self._warmed |= new
        return doc

    def __getattr__(self, name: str) -> Any:
        # explain, pipe, to_bytes, rules...: the wrapped tokenizer's own. Not dunders
        # nor ``tokenizer`` itself: unpickling (``nlp.pipe(n_process=2)``) looks them
        # up before ``tokenizer`` is set, and would recurse.
        if name == "tokenizer" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.tokenizer, name)
