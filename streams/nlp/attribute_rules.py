"""The model's ``attribute_ruler``, applied through an index instead of spaCy's Matcher.

Reads: what the model's rules test (TAG, POS, DEP, LOWER, ORTH, IS_SPACE).
Writes: what the model's rules set (POS, MORPH, LEMMA, sometimes TAG and DEP).

The English model's ruler holds 179 rules, nearly all of one token ("TAG is VBZ",
"LOWER is 'does' and TAG is VBZ"), many with ``IN`` lists. spaCy's Matcher tries every
rule on every token, evaluating ``IN`` and ``REGEX`` predicates in Python: ~40 µs a
token here, the longest English articles' 70 ms of ruler time. Here the one-token rules
are looked up by the token's LOWER, TAG or DEP value, and the answer for each distinct
combination of those values is memoised, so a token costs a dictionary lookup or two.
Rules this index does not cover (several tokens, other attributes or operators) go to a
Matcher of their own, so the result is the ruler's for any model.

Same semantics as ``spacy.pipeline.AttributeRuler``: every rule is matched on the doc as
it comes in, then the matches are applied in rule order (a later rule overrides an
earlier one for the attributes both set), each to the token at the rule's index in its
match. ``tests/unit/test_attribute_rules.py`` checks identical annotations against the
original on both models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from spacy import attrs as A
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs
from spacy.vocab import Vocab

# Token attributes a pattern may test here, as ``Doc.to_array`` reads them. Each is
# compared as the Matcher compares it: by its string (hash 0 reads as ""), IS_SPACE as
# a flag.
_ATTRS = {
    "ORTH": A.ORTH,
    "TEXT": A.ORTH,
    "LOWER": A.LOWER,
    "TAG": A.TAG,
    "POS": A.POS,
    "DEP": A.DEP,
    "IS_SPACE": A.IS_SPACE,
}
_FLAGS = frozenset({"IS_SPACE"})
# Keys a pattern can be indexed under (its first token's), most selective first.
_INDEX_KEYS = ("ORTH", "TEXT", "LOWER", "TAG", "POS", "DEP")
# Distinct token readings remembered (the vocabulary keeps growing in a long run).
MEMO_LIMIT = 50_000

Test = Callable[[Any], bool]
Spec = tuple[tuple[str, Test], ...]  # one token of a pattern: (attribute, test) pairs


def _value_test(key: str, value: Any) -> Test | None:
    """A predicate for one pattern value, or None when this index does not support it."""
    if key in _FLAGS:
        return (lambda v, want=value: v is want) if isinstance(value, bool) else None
    if isinstance(value, str):
        return lambda v, want=value: v == want
    if isinstance(value, dict) and len(value) == 1:
        ((op, arg),) = value.items()
        strings = isinstance(arg, list) and all(isinstance(a, str) for a in arg)
        if op == "IN" and strings:
            allowed = frozenset(arg)
            return lambda v: v in allowed
        if op == "NOT_IN" and strings:
            banned = frozenset(arg)
            return lambda v: v not in banned
        if op == "REGEX" and isinstance(arg, str):
            regex = re.compile(arg)
            return lambda v: regex.search(v) is not None
    return None


def _exact_values(value: Any) -> list[str] | None:
    """The values a pattern value matches when it is a finite set (exact or ``IN``)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and list(value) == ["IN"] and isinstance(value["IN"], list):
        return list(value["IN"])
    return None


class _Pattern:
    """One Matcher pattern of fixed length: the rule it belongs to, a spec per token."""

    __slots__ = ("rule", "specs", "target")

    def __init__(self, rule: int, specs: Sequence[Spec], index: int) -> None:
        self.rule = rule
        self.specs = tuple(specs)
        self.target = range(len(specs))[index]  # IndexError: spaCy rejects it too


def _fits(spec: Spec, values: dict[str, Any]) -> bool:
    return all(test(values[key]) for key, test in spec)


class IndexedAttributeRuler:
    """Applies an ``AttributeRuler``'s rules with identical results, faster."""

    def __init__(self, vocab: Vocab, name: str = "attribute_ruler") -> None:
        self.vocab = vocab
        self.name = name
        self.attrs: list[dict[int, Any]] = []
        self.indices: list[int] = []
        self._index: dict[str, dict[str, list[_Pattern]]] = {k: {} for k in _INDEX_KEYS}
        self._unindexed: list[_Pattern] = []
        self._keys: tuple[str, ...] = ()  # the attributes the indexed patterns test
        self._fallback = Matcher(vocab)
        self.fallback_rules = 0
        # reading (hashes of ``_keys``) → (one-token rules, their merged attrs, the
        # longer patterns whose first token it fits)
        self._memo: dict[tuple[int, ...], tuple[tuple[int, ...], dict | None, tuple]] = {}
        self._merged: dict[tuple[int, ...], dict[int, Any]] = {}

    @classmethod
    def from_ruler(cls, ruler: AttributeRuler, name: str | None = None) -> IndexedAttributeRuler:
        out = cls(ruler.vocab, name or ruler.name)
        out.take_over(ruler)
        return out

    def take_over(self, ruler: AttributeRuler) -> None:
        """Add ``ruler``'s rules: its normalised attributes, indices and Matcher patterns."""
        for attrs, index in zip(ruler.attrs, ruler.indices, strict=True):
            _, patterns = ruler.matcher.get(str(len(self.attrs)))
            self._add(patterns, dict(attrs), index)

    def _add(
        self, patterns: Iterable[list[dict[str, Any]]], attrs: dict[int, Any], index: int
    ) -> None:
        rule = len(self.attrs)
        self.attrs.append(attrs)
        self.indices.append(index)
        rest = [p for p in patterns if not self._indexed(rule, p, index)]
        if rest:
            self._fallback.add(str(rule), rest)
            self.fallback_rules += 1
        self._memo.clear()
        self._merged.clear()

    def _indexed(self, rule: int, pattern: list[dict[str, Any]], index: int) -> bool:
        """Index a pattern of fixed length and known tests; False when it needs the Matcher."""
        specs = []
        for token in pattern:
            spec = []
            for key, value in token.items():
                test = _value_test(key, value) if key in _ATTRS else None
                if test is None:
                    return False
                spec.append((key, test))
            specs.append(tuple(spec))
        if not specs:
            return False
        try:
            compiled = _Pattern(rule, specs, index)
        except IndexError:
            return False  # the Matcher path raises spaCy's error for it
        self._keys = tuple(dict.fromkeys((*self._keys, *(k for s in specs for k, _ in s))))
        first = pattern[0]
        for key in _INDEX_KEYS:
            values = _exact_values(first[key]) if key in first else None
            if values is not None:
                for value in values:
                    self._index[key].setdefault(value, []).append(compiled)
                return True
        self._unindexed.append(compiled)
        return True

    def _values(self, reading: tuple[int, ...]) -> dict[str, Any]:
        strings = self.vocab.strings
        return {
            key: bool(h) if key in _FLAGS else (strings[h] if h else "")
            for key, h in zip(self._keys, reading, strict=True)
        }

    def _look_up(self, reading: tuple[int, ...]) -> tuple[tuple[int, ...], dict | None, tuple]:
        values = self._values(reading)
        candidates = [
            p for key in _INDEX_KEYS if key in values for p in self._index[key].get(values[key], ())
        ]
        candidates += self._unindexed
        fitting = [p for p in candidates if _fits(p.specs[0], values)]
        rules = tuple(sorted({p.rule for p in fitting if len(p.specs) == 1}))
        longer = tuple(p for p in fitting if len(p.specs) > 1)
        return rules, self._merge(rules), longer

    def _merge(self, rules: Iterable[int]) -> dict[int, Any] | None:
        """The attributes of ``rules`` applied in rule order (later rules override)."""
        key = tuple(sorted(set(rules)))
        if not key:
            return None
        merged = self._merged.get(key)
        if merged is None:
            merged = {}
            for rule in key:
                merged.update(self.attrs[rule])
            self._merged[key] = merged
        return merged

    def __call__(self, doc: Doc) -> Doc:
        # Every rule is matched on the doc as it came in (as the Matcher does) before
        # anything is set: a rule that sets TAG or DEP does not change what others see.
        memo = self._memo
        if self._keys:
            columns = doc.to_array([_ATTRS[k] for k in self._keys])  # 1-D for one key
            readings = list(map(tuple, columns.reshape(len(doc), len(self._keys)).tolist()))
        else:
            readings = [()] * len(doc)
        looked_up = []
        for reading in readings:
            entry = memo.get(reading)
            if entry is None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                entry = memo[reading] = self._look_up(reading)
            looked_up.append(entry)
        planned = [attrs for _, attrs, _ in looked_up]
        extra: dict[int, set[int]] = {}
        for start, (_, _, longer) in enumerate(looked_up):
            for p in longer:
                end = start + len(p.specs)
                if end <= len(doc) and all(
                    _fits(spec, self._values(readings[i]))
                    for spec, i in zip(p.specs[1:], range(start + 1, end), strict=True)
                ):
                    extra.setdefault(start + p.target, set()).add(p.rule)
        if self.fallback_rules:
            for i, rules in self._fallback_matches(doc).items():
                extra.setdefault(i, set()).update(rules)
        for i, rules in extra.items():
            planned[i] = self._merge((*looked_up[i][0], *rules))
        for token, attrs in zip(doc, planned, strict=True):
            if attrs:
                set_token_attrs(token, attrs)
        return doc

    def _fallback_matches(self, doc: Doc) -> dict[int, set[int]]:
        """Token → rules matched by the Matcher (patterns this index does not cover)."""
        out: dict[int, set[int]] = {}
        for match_id, start, end in self._fallback(doc, allow_missing=True):
            rule = int(self.vocab.strings[match_id])
            try:
                i = range(start, end)[self.indices[rule]]
            except IndexError:
                raise ValueError(
                    f"attribute rule {rule}: index {self.indices[rule]} is outside its "
                    f"match {doc[start:end].text!r}"
                ) from None
            out.setdefault(i, set()).add(rule)
        return out


@Language.factory("ww_attribute_ruler")
def make_indexed_attribute_ruler(nlp: Language, name: str) -> IndexedAttributeRuler:
    """Empty; ``build_nlp`` gives it the model's own ruler's rules (``take_over``)."""
    return IndexedAttributeRuler(nlp.vocab, name)
