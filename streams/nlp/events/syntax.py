"""What the coder asks of a dependency parse, for both models' label sets.

The English model uses ClearNLP labels (nsubj, dobj, prep+pobj, agent, neg), the
French one Universal Dependencies (nsubj, obj, obl+case, obl:agent, Polarity=Neg).
Everything label-specific is here, so ``coder`` reads as grammar, not as labels.
Word lists (negation, modal auxiliaries, …) come from the language's lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy
from spacy.tokens import Doc, Span, Token

from .lexicon import Grammar


@dataclass(frozen=True)
class Labels:
    subject: frozenset[str]
    passive_subject: frozenset[str]
    object: frozenset[str]
    indirect: frozenset[str]
    agent: frozenset[str]
    oblique: frozenset[str]  # dependents that carry a preposition (FR: via a case child)
    prep: frozenset[str]  # EN: the preposition itself is the dependent
    pobj: frozenset[str]
    xcomp: frozenset[str]
    ccomp: frozenset[str]
    advcl: frozenset[str]
    relcl: frozenset[str]
    acl: frozenset[str]
    parataxis: frozenset[str]
    aux: frozenset[str]
    aux_pass: frozenset[str]
    cop: frozenset[str]
    mark: frozenset[str]
    neg: frozenset[str]
    particle: frozenset[str]
    core: frozenset[str]  # nominal dependents that are the same referent (appos, conj, flat)
    modifier: frozenset[str]  # nominal dependents that may carry an affiliation
    clause_dependents: frozenset[str]  # cut when collecting a noun phrase's tokens


EN = Labels(
    subject=frozenset({"nsubj", "csubj", "expl"}),
    passive_subject=frozenset({"nsubjpass", "csubjpass"}),
    object=frozenset({"dobj", "attr", "oprd"}),
    indirect=frozenset({"dative"}),
    agent=frozenset({"agent"}),
    oblique=frozenset(),
    prep=frozenset({"prep", "agent", "dative"}),
    pobj=frozenset({"pobj", "pcomp"}),
    xcomp=frozenset({"xcomp"}),
    ccomp=frozenset({"ccomp"}),
    advcl=frozenset({"advcl"}),
    relcl=frozenset({"relcl"}),
    acl=frozenset({"acl"}),
    parataxis=frozenset({"parataxis"}),
    aux=frozenset({"aux"}),
    aux_pass=frozenset({"auxpass"}),
    cop=frozenset(),
    mark=frozenset({"mark"}),
    neg=frozenset({"neg"}),
    particle=frozenset({"prt"}),
    core=frozenset({"appos", "conj", "compound", "flat"}),
    modifier=frozenset({"amod", "nmod", "poss", "prep", "pobj", "compound"}),
    clause_dependents=frozenset(
        {"relcl", "acl", "advcl", "ccomp", "xcomp", "parataxis", "csubj", "dep"}
    ),
)

FR = Labels(
    subject=frozenset({"nsubj", "csubj", "expl:subj"}),
    passive_subject=frozenset({"nsubj:pass"}),
    object=frozenset({"obj"}),
    indirect=frozenset({"iobj"}),
    agent=frozenset({"obl:agent"}),
    oblique=frozenset({"obl", "obl:arg", "obl:mod", "obl:agent", "nmod", "iobj", "dep"}),
    prep=frozenset(),
    pobj=frozenset(),
    xcomp=frozenset({"xcomp"}),
    ccomp=frozenset({"ccomp"}),
    advcl=frozenset({"advcl"}),
    relcl=frozenset({"acl:relcl"}),
    acl=frozenset({"acl"}),
    parataxis=frozenset({"parataxis"}),
    aux=frozenset({"aux:tense"}),
    aux_pass=frozenset({"aux:pass"}),
    cop=frozenset({"cop"}),
    mark=frozenset({"mark"}),
    neg=frozenset(),
    particle=frozenset(),
    core=frozenset({"appos", "conj", "flat:name", "flat:foreign", "fixed"}),
    modifier=frozenset({"amod", "nmod"}),
    clause_dependents=frozenset(
        {"acl:relcl", "acl", "advcl", "ccomp", "xcomp", "parataxis", "csubj", "dep"}
    ),
)

LABELS = {"en": EN, "fr": FR}

# dependents a negative determiner hangs on ("no/det aid", "aucune/det aide")
_DET_DEPS = frozenset({"det", "neg", "advmod", "amod", "nummod", "det:qty", "quantmod"})
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
# French future / conditional endings on the future stem (infinitive, -re verbs lose the e)
_FR_FUTURE = ("ai", "as", "a", "ons", "ez", "ont")
_FR_CONDITIONAL = ("ais", "ait", "ions", "iez", "aient")


def paragraph_bounds(text: str) -> list[int]:
    """Start offsets of paragraphs (blank-line separated)."""
    return [0] + [m.end() for m in _PARAGRAPH.finditer(text)]


def segments(doc: Doc, text: str | None = None) -> Iterator[Span]:
    """Sentences cut at paragraph breaks.

    The parser's sentence splitter does not know that a blank line ends a sentence,
    so a title line and the first paragraph can come out as one "sentence" whose tree
    crosses the break. Coding each piece separately keeps actors of one paragraph out
    of another paragraph's events.
    """
    bounds = paragraph_bounds(text if text is not None else doc.text)[1:]
    for sent in _joined_sentences(doc):
        start = sent.start
        for b in bounds:
            if sent.start_char < b < sent.end_char:
                span = doc.char_span(sent.start_char, b, alignment_mode="contract")
                if span is None:
                    continue
                end = span.end
                if end > start:
                    yield _trim(doc[start:end])
                start = end
        if start < sent.end:
            yield _trim(doc[start : sent.end])


_SENTENCE_END = frozenset(".!?;:…»\"'”)]")


def _sentences(doc: Doc) -> Iterator[Span]:
    """``doc.sents`` without its per-token Python loop (sentence starts via numpy)."""
    starts = [int(i) for i in numpy.flatnonzero(doc.to_array("SENT_START") == 1)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    for a, b in zip(starts, [*starts[1:], len(doc)], strict=True):
        if b > a:
            yield doc[a:b]


def _joined_sentences(doc: Doc) -> Iterator[Span]:
    """The parser's sentences, re-joined where it split without any punctuation or line
    break at the boundary ("Macron et Scholz | se sont entretenus à Berlin.")."""
    pending: Span | None = None
    for sent in _sentences(doc):
        if pending is not None:
            last = doc[pending.end - 1]
            if last.text[-1:] not in _SENTENCE_END and "\n" not in last.whitespace_ + sent.text[:1]:
                pending = doc[pending.start : sent.end]
                continue
            yield pending
        pending = sent
    if pending is not None:
        yield pending


def _trim(span: Span) -> Span:
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return doc[start:end]


class Syntax:
    """Parse accessors for one language."""

    def __init__(self, language: str, grammar: Grammar) -> None:
        self.language = language
        self.labels = LABELS[language]
        self.grammar = grammar

    # -- arguments ---------------------------------------------------------------
    def children(self, tok: Token, labels: frozenset[str]) -> list[Token]:
        return [c for c in tok.children if c.dep_ in labels]

    def subject(self, verb: Token) -> Token | None:
        for c in verb.children:
            if c.dep_ in self.labels.subject or c.dep_ in self.labels.passive_subject:
                if c.dep_ == "expl" and c.lower_ in ("there", "it"):
                    continue
                return c
        return None

    def is_passive(self, verb: Token) -> bool:
        if any(c.dep_ in self.labels.aux_pass for c in verb.children):
            return True
        if any(c.dep_ in self.labels.passive_subject for c in verb.children):
            return True
        return "Pass" in verb.morph.get("Voice")

    def prep_of(self, tok: Token) -> str | None:
        """FR: the preposition introducing an oblique/nmod (``par``, ``à``, ``auprès de``)."""
        cases = [c for c in tok.children if c.dep_ == "case"]
        if not cases:
            return None
        case = cases[0]
        words = [case.lemma_.lower()] + [f.lower_ for f in case.children if f.dep_ == "fixed"]
        return " ".join(words)

    def preps(self, head: Token) -> list[tuple[str, Token]]:
        """(preposition, its object) for the head's prepositional dependents."""
        out: list[tuple[str, Token]] = []
        if self.language == "en":
            for c in head.children:
                if c.dep_ in self.labels.prep:
                    objs = [g for g in c.children if g.dep_ in self.labels.pobj]
                    if objs:
                        out.append((c.lemma_.lower(), objs[0]))
                    elif c.dep_ == "agent" or c.dep_ == "prep":
                        out.append((c.lemma_.lower(), c))
        else:
            for c in head.children:
                if c.dep_ in self.labels.oblique or c.dep_ in self.labels.object:
                    prep = self.prep_of(c)
                    if prep:
                        out.append((prep, c))
        return out

    def agent(self, verb: Token) -> Token | None:
        for prep, obj in self.preps(verb):
            if prep in self.grammar.agent_preps and (
                obj.dep_ in self.labels.agent
                or (obj.head.dep_ in self.labels.agent)
                or self.is_passive(verb)
            ):
                return obj
        return None

    def objects(self, verb: Token) -> list[Token]:
        objs = []
        for c in verb.children:
            if c.dep_ in self.labels.object and (self.language == "en" or not self.prep_of(c)):
                objs.append(c)
        return objs

    def indirect(self, verb: Token) -> list[Token]:
        out = []
        for c in verb.children:
            if c.dep_ in self.labels.indirect:
                pobj = [g for g in c.children if g.dep_ == "pobj"]
                out.append(pobj[0] if pobj else c)
        return out

    def complements(self, verb: Token) -> list[Token]:
        """Clausal complements: xcomp, ccomp (and EN ``of``+gerund under the verb)."""
        out = [c for c in verb.children if c.dep_ in self.labels.xcomp | self.labels.ccomp]
        if self.language == "en":
            for c in verb.children:
                if c.dep_ == "prep":
                    out += [g for g in c.children if g.dep_ == "pcomp" and g.pos_ == "VERB"]
        return out

    def mark(self, verb: Token) -> str | None:
        marks = [c for c in verb.children if c.dep_ in self.labels.mark]
        if not marks:
            return None
        m = marks[0]
        words = [m.lower_] + [f.lower_ for f in m.children if f.dep_ == "fixed"]
        return " ".join(words)

    def aux(self, verb: Token) -> list[Token]:
        return [c for c in verb.children if c.dep_ in self.labels.aux | self.labels.aux_pass]

    def is_reflexive(self, verb: Token) -> bool:
        return any(
            c.lower_.rstrip("'") in self.grammar.reflexive_pronouns
            and c.dep_ in ("expl:comp", "expl:pv", "expl:pass", "obj", "iobj", "expl")
            for c in verb.children
        )

    # -- clause properties -------------------------------------------------------
    def is_finite(self, verb: Token) -> bool:
        if self.aux(verb) or any(c.dep_ in self.labels.cop for c in verb.children):
            return True
        if self.language == "en":
            return verb.tag_ in ("VBD", "VBZ", "VBP", "MD")
        return "Fin" in verb.morph.get("VerbForm")

    def is_negated(self, verb: Token) -> bool:
        g = self.grammar
        kids = list(verb.children)
        if any(c.dep_ in self.labels.neg for c in kids):
            return True
        if any(c.lower_ in g.negation and c.dep_ in ("advmod", "neg", "det") for c in kids):
            return True
        if self.language == "fr":
            ne = [c for c in kids if c.lower_ in ("ne", "n'", "n")]
            if not ne:
                return False
            doc = verb.doc
            end = min(verb.i + 4, verb.right_edge.i + 1)
            window = doc[min(ne[0].i, verb.i) : end]
            words = {t.lower_ for t in window} | {t.lower_ for t in verb.subtree}
            if words & g.negation_with_ne:
                return True
            # "n'ont eu qu'un entretien": restrictive ne … que, not a negation
            return not any(t.lower_ in ("que", "qu'") for t in doc[verb.i : verb.right_edge.i + 1])
        return False

    def is_negated_noun(self, noun: Token) -> bool:
        """'no aid', 'aucune aide', 'without aid', 'sans aide': the phrase says the thing
        it names is not there, so it is no event (and no topic)."""
        g = self.grammar
        if any(c.lower_ in g.negative_determiners and c.dep_ in _DET_DEPS for c in noun.children):
            return True
        if self.language == "en":
            return noun.dep_ in self.labels.pobj and noun.head.lower_ in g.without
        return any(c.dep_ == "case" and c.lower_ in g.without for c in noun.children)

    def verb_tense(self, verb: Token) -> str | None:
        """FR future/conditional from morphology or, where the tagger misses it, the form."""
        if self.language != "fr":
            return None
        mood, tense = verb.morph.get("Mood"), verb.morph.get("Tense")
        if "Cnd" in mood:
            return "conditional"
        if "Fut" in tense:
            return "future"
        if "Fin" not in verb.morph.get("VerbForm"):
            return None
        form, lemma = verb.lower_, verb.lemma_.lower()
        stem = lemma[:-1] if lemma.endswith("re") else lemma
        if lemma.endswith(("er", "ir", "re")) and form.startswith(stem):
            rest = form[len(stem) :]
            if rest in _FR_CONDITIONAL:
                return "conditional"
            if rest in _FR_FUTURE:
                return "future"
        if form in self.grammar.conditional_aux:
            return "conditional"
        if form in self.grammar.future_aux:
            return "future"
        return None
