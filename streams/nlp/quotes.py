"""``ww_quotes``: who said what — direct, partial and reported speech with its speakers.

News attributes speech in a handful of shapes, and each shape says where the speaker
is relative to the words:

* an incise next to a quotation: « … », a indiqué l'un d'eux / "…," he said / "…," said X
  (French inverts the subject, so the speaker follows the verb);
* a preposed cue: X a déclaré : « … » / X said that … / X accused Y of "…";
* a source phrase anywhere in the sentence: selon X, d'après X, according to X;
* a sentence-final inverted incise covering a whole clause: …, ont annoncé Moscou et
  Washington dans un communiqué conjoint;
* nothing at all, when a quotation continues the previous speaker.

We find quotation marks ourselves (the parser does not pair them and its sentence
splitter cuts quotations apart), cut the text into sentence units that never split
a quotation nor cross a paragraph, and then read the dependency parse and lemmas only
locally, inside a unit, where the models are reliable. Which verbs and phrases report
speech is data (``quotes_lexicon.toml``), not code.

Speakers are resolved to actor ids through ``doc._.ww_actor_mentions`` (written by
``ww_actors``); pronouns, "l'un d'eux", "ces responsables" and documents that speak
("poursuit le communiqué") are resolved against what the article said before. When
nothing reliable is found the quote keeps empty speakers and a low confidence:
a wrong speaker is worse than none.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.attrs import IDX, IS_SPACE, LENGTH, POS
from spacy.language import Language
from spacy.parts_of_speech import NAMES as POS_NAMES
from spacy.tokens import Doc, Token

from .annotations import ActorMention, Quote, Span, actors_by_id, mentions_in
from .quotes_lexicon import LEXICON_FILE, Lexicon, load_lexicon

__all__ = ["QuoteFinder", "load_lexicon", "quote_to_dict"]

COMPONENT_VERSION = "1"

# Quotation marks: opener → the closers that end it. Straight quotes are decided by
# context (see ``_opens``). Single quotes are left alone: they are apostrophes far
# more often than quotation marks.
_CLOSERS = {"«": "»", "“": "”", "„": "“”"}
_MARKS = re.compile(r'[«»“”„"\n]')
_FINAL = frozenset({".", "!", "?", "…", "...", "?!", "!?"})
# A newline is a paragraph break after these, or before these; otherwise a soft wrap.
_PARA_END = frozenset('.!?…:»”"\n')
_PARA_START = frozenset('\n«“„"—–-•*')
_DASHES = frozenset({"—", "–", "-"})
_SUBJ = frozenset({"nsubj", "nsubj:pass", "nsubjpass", "csubj"})
# A speaker is an active subject or a passive agent ("it was announced by X"): the
# passive subject of a reporting verb is what was said, not who said it.
_SPEAKER_SUBJ = frozenset({"nsubj", "csubj"})
_AGENT = frozenset({"agent", "obl:agent"})
_CUT = frozenset({"acl:relcl", "relcl", "acl", "parataxis", "advcl", "ccomp", "csubj"})
_NOT_LAST = frozenset({"PUNCT", "CCONJ", "ADP", "SCONJ", "DET"})  # cannot end a phrase
_MODIFIER = frozenset({"compound", "amod", "poss", "nmod:poss", "nummod"})  # inside a phrase
_CLAUSE_COMP = frozenset({"xcomp", "advcl", "pcomp", "acl", "obl:arg", "ccomp", "obl", "prep"})
_CLIMB = frozenset({"xcomp", "advcl", "conj", "pcomp", "prep"})
# Objects and adjuncts between a reporting verb and what was said ("told reporters that").
_VERB_ARGS = frozenset(
    {"obj", "dobj", "iobj", "dative", "obl", "obl:arg", "obl:mod", "prep", "npadvmod"}
)
_ADJUNCT = frozenset({"npadvmod", "obl:mod", "advmod", "obl", "nmod:tmod", "tmod"})
_KIND_RANK = {"name": 0, "surname": 1, "alias": 2, "title": 3, "description": 4, "metonym": 5}
_RELATIVE = frozenset({"qui", "who", "that", "which", "lequel", "laquelle"})
_REFLEXIVE = frozenset({"se", "s'"})
_AUXILIARIES = frozenset({"avoir", "être", "have", "be"})

# How sure an attribution shape is, before speaker resolution is taken into account.
_BASE_CONFIDENCE = {
    "adjacent": 0.9,  # incise or preposed cue touching the quotation
    "content": 0.8,  # the quotation lies inside a cue's reported content
    "source": 0.8,  # selon / according to in the same sentence
    "indirect": 0.75,  # reported speech without quotation marks
}
_RESOLUTION_FACTOR = {
    "mention": 1.0,
    "authors": 0.95,  # a document whose authors are named in its own phrase
    "pronoun": 0.85,
    "group": 0.85,
    "anaphora": 0.8,
    "registry": 0.85,  # a document whose authors were named earlier in the article
}
_UNRESOLVED_CAP = 0.4  # a speaker phrase was found but no actor behind it
_UNATTRIBUTED = 0.2
_CONTINUATION = 0.75  # factor applied to the previous quote's confidence
_UNKNOWN_VERB = 0.8  # factor for a weak cue: a verb missing from the lexicon, "pour X,"


# ------------------------------------------------------------------ working records


@dataclass(slots=True)
class _Quotation:
    """Text between quotation marks (marks excluded, edges trimmed)."""

    open: int  # char offset of the opening mark
    close: int | None  # char offset of the closing mark; None: ran to the paragraph end
    start: int
    end: int
    first: int = -1  # token range, marks included
    last: int = -1
    unit: int = -1


@dataclass(slots=True)
class _Unit:
    first: int  # token range, inclusive, no space tokens at the edges
    last: int
    para: int


@dataclass(slots=True)
class _Attribution:
    """A cue with its speaker phrase and what it attributes."""

    unit: int
    cue: tuple[int, int]  # token range of the cue ("a indiqué", "selon", "said")
    lemma: str
    kind: str  # incise | clause | source | label
    head: int  # the speaker phrase's head token
    speaker: tuple[int, int]  # token range of the speaker phrase
    content: tuple[int, int] | None = None  # token range of the reported content
    quotes: list[int] = field(default_factory=list)  # quotations it touches
    known: bool = True  # the cue is in the lexicon
    inverted: bool = False  # speaker found linearly after the verb (parse not trusted)
    speakers: tuple[str, ...] = ()
    how: str = "none"
    mention_confidence: float = 1.0


# ------------------------------------------------------------------------ component


@Language.factory(
    "ww_quotes",
    requires=["token.dep", "doc._.ww_actor_mentions"],
    assigns=["doc._.ww_quotes"],
    default_config={"language": None, "lexicon": None},
)
def make_quote_finder(
    nlp: Language, name: str, language: str | None, lexicon: str | None
) -> QuoteFinder:
    return QuoteFinder(nlp, name, language=language, lexicon=lexicon)


class QuoteFinder:
    """Sets ``doc._.ww_quotes``; ``export`` turns them into the record's ``quotes``."""

    def __init__(
        self,
        nlp: Language,
        name: str = "ww_quotes",
        *,
        language: str | None = None,
        lexicon: str | None = None,
    ) -> None:
        self.name = name
        self.lexicon = load_lexicon(language or nlp.lang, lexicon or str(LEXICON_FILE))
        self.provenance = {
            "component": "ww_quotes",
            "version": COMPONENT_VERSION,
            "language": self.lexicon.language,
            "lexicon": f"quotes_lexicon.toml@{self.lexicon.version}",
        }

    def __call__(self, doc: Doc) -> Doc:
        doc._.ww_quotes = _Analysis(doc, self.lexicon).run()
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    def export(self, doc: Doc) -> dict[str, Any]:
        """The record's ``quotes``. Span texts come from the article's own characters
        when the caller kept them in ``doc.user_data["original_text"]`` (the Doc holds
        the normalised text, ’ → '; offsets are the same in both)."""
        quotes: list[Quote] = doc._.ww_quotes or []
        original = doc.user_data.get("original_text")
        if not isinstance(original, str) or len(original) != len(_doc_text(doc)):
            original = None
        return {"quotes": [quote_to_dict(q, original) for q in quotes]}


def quote_to_dict(quote: Quote, original: str | None = None) -> dict[str, Any]:
    """JSON-ready form of a quote; texts sliced from ``original`` when given."""

    def span(s: Span | None) -> dict[str, Any] | None:
        if s is None:
            return None
        text = original[s.start : s.end] if original else s.text
        return {"start": s.start, "end": s.end, "text": text}

    out: dict[str, Any] = {
        "text": original[quote.span.start : quote.span.end] if original else quote.span.text,
        "start": quote.span.start,
        "end": quote.span.end,
        "direct": quote.direct,
        "speakers": list(quote.speakers),
        "speaker": span(quote.speaker_span),
        "cue": None,
        "sentence": span(quote.sentence),
        "confidence": quote.confidence,
    }
    if quote.cue is not None:
        out["cue"] = {**(span(quote.cue) or {}), "lemma": quote.cue_lemma}
    return out


# ------------------------------------------------------------------------- analysis


class _Analysis:
    """One document's pass: quotations → units → cues → attributions → speakers."""

    def __init__(self, doc: Doc, lex: Lexicon) -> None:
        self.doc = doc
        self.text = _doc_text(doc)
        self.lex = lex
        # Token attributes in one array call: the hot loops read these lists, not Tokens
        # (creating a Token costs more than the check made on it).
        rows = doc.to_array([IDX, POS, IS_SPACE, LENGTH]).tolist() if len(doc) else []
        self.starts: list[int] = [r[0] for r in rows]
        self.pos: list[str] = [POS_NAMES[r[1]] for r in rows]
        self.space: list[bool] = [bool(r[2]) for r in rows]
        self.ends: list[int] = [r[0] + r[3] for r in rows]
        self.actors = actors_by_id(doc)
        self.quotations: list[_Quotation] = []
        self.inq: list[int] = []  # token → quotation index, -1 outside
        self.units: list[_Unit] = []
        self.unit_of: list[int] = []
        self.attributions: list[_Attribution] = []
        self.registry: dict[str, tuple[str, ...]] = {}  # document lemma → authors
        self.last_statement: tuple[str, ...] = ()
        self._subject_cache: dict[int, list[Token]] = {}

    # ---------------------------------------------------------------- top level

    def run(self) -> list[Quote]:
        if not len(self.doc):
            return []
        breaks = self._paragraph_breaks()
        self.quotations = self._find_quotations(breaks)
        self._index_quotations()
        self._build_units(breaks)
        self._find_attributions()
        for att in self.attributions:  # document order: later ones read earlier ones
            self._resolve(att)
        return self._build_quotes()

    # -------------------------------------------------------- text structure

    def _paragraph_breaks(self) -> list[int]:
        """Offsets of newlines that end a paragraph (not a soft wrap mid-sentence)."""
        text = self.text
        n = len(text)
        out = []
        i = text.find("\n")
        while i >= 0:
            b = i - 1
            while b >= 0 and text[b] in " \t\r":
                b -= 1
            a = i + 1
            while a < n and text[a] in " \t":
                a += 1
            if b < 0 or a >= n or text[a] in _PARA_START or text[b] in _PARA_END:
                out.append(i)
            i = text.find("\n", i + 1)
        return out

    def _find_quotations(self, breaks: list[int]) -> list[_Quotation]:
        text = self.text
        breakset = set(breaks)
        out: list[_Quotation] = []
        opened: tuple[int, str] | None = None
        para_start = 0
        for m in _MARKS.finditer(text):
            ch, i = m.group(), m.start()
            if ch == "\n":
                if i not in breakset:
                    continue
                if opened is not None:
                    self._emit(out, opened[0], None, i, para_start)
                    opened = None
                para_start = i + 1
            elif opened is None:
                if ch in _CLOSERS:
                    opened = (i, _CLOSERS[ch])
                elif ch == '"' and _opens(text, i):
                    opened = (i, '"')
            elif ch in opened[1]:
                self._emit(out, opened[0], i, i, para_start)
                opened = None
        if opened is not None:
            self._emit(out, opened[0], None, len(text), para_start)
        return out

    def _emit(
        self, out: list[_Quotation], open_: int, close: int | None, end: int, para_start: int
    ) -> None:
        text = self.text
        start = open_ + 1
        while start < end and text[start].isspace():
            start += 1
        stop = end
        while stop > start and (text[stop - 1].isspace() or text[stop - 1] == ","):
            stop -= 1
        if stop <= start:
            return
        if close is None and text[open_] == '"' and text[para_start:open_].strip():
            return  # an unpaired straight quote mid-paragraph: inches, a typo, not speech
        out.append(_Quotation(open_, close, start, stop))

    def _index_quotations(self) -> None:
        n = len(self.doc)
        self.inq = [-1] * n
        for qi, q in enumerate(self.quotations):
            hi = (q.close + 1) if q.close is not None else q.end
            first = bisect_right(self.starts, q.open) - 1
            last = first
            for i in range(first, n):
                if self.starts[i] >= hi:
                    break
                self.inq[i] = qi
                last = i
            q.first, q.last = first, last

    def _build_units(self, breaks: list[int]) -> None:
        doc = self.doc
        n = len(doc)
        self.unit_of = [-1] * n
        para = 0
        b = 0
        prev = -1
        first = -1
        starts, space = self.starts, self.space
        for i in range(n):
            while b < len(breaks) and breaks[b] < starts[i]:
                b += 1
            if space[i]:
                continue
            if prev >= 0 and (b != para or self._sentence_break(prev, i)):
                self.units.append(_Unit(first, prev, para))
                first = -1
            if first < 0:
                first, para = i, b
            prev = i
        if first >= 0:
            self.units.append(_Unit(first, prev, para))
        for ui, u in enumerate(self.units):
            for i in range(u.first, u.last + 1):
                self.unit_of[i] = ui
        text = self.text
        for q in self.quotations:
            q.unit = self.unit_of[q.first] if q.first >= 0 else -1
            # A final period inside the marks belongs to the sentence (« … résultat. »,
            # American "… accept "ultimatums.""): quotes end without it, like "…," ones.
            if text[q.end - 1] == "." and text[q.end - 2] != "." and q.end - 1 > q.start:
                q.end -= 1

    def _sentence_break(self, prev: int, i: int) -> bool:
        """Break between tokens ``prev`` and ``i`` (same paragraph)?"""
        q = self.inq[i]
        if q >= 0 and q == self.inq[prev]:
            return False  # never inside a quotation
        p = self.text[self.starts[prev] : self.ends[prev]]
        quotation = self.quotations[self.inq[prev]] if self.inq[prev] >= 0 else None
        ends_sentence = p in _FINAL or (len(p) > 1 and self.pos[prev] == "PUNCT" and p[-1] in ".!?")
        closes_sentence = (  # « … vrai. » Il a ajouté
            quotation is not None
            and quotation.close == self.starts[prev]
            and self.text[quotation.end - 1] in ".!?…"
        )
        if not (ends_sentence or closes_sentence):
            return False
        nxt = self.text[self.starts[i]]
        return nxt.isupper() or nxt.isdigit() or nxt in '«“„"—–(' or q >= 0

    # ------------------------------------------------------------------ cues

    def _find_attributions(self) -> None:
        doc, lex = self.doc, self.lex
        claimed: set[int] = set()
        source_first = {w[0] for w in lex.sources + lex.weak_sources}
        text, starts, ends = self.text, self.starts, self.ends
        for i in range(len(doc)):
            if i in claimed or self.space[i] or self.unit_of[i] < 0:
                continue
            if self.inq[i] < 0 and text[starts[i] : ends[i]].lower() in source_first:
                src = self._source_at(i)
                if src is not None:
                    self.attributions.append(src)
                    claimed.update(range(src.cue[0], src.cue[1] + 1))
                    continue
            if self.pos[i] not in ("VERB", "AUX") and not self._mistagged_participle(i):
                continue
            lemma, cue_last = self._verb_lemma(i)
            if lemma is None:
                continue
            if self.inq[i] >= 0:  # only an incise inside a quotation: « …, a-t-il dit, … »
                att = self._inner_incise(i, lemma)
            else:
                cls = lex.verb_class[lemma]
                att = self._incise(i, cue_last, lemma)
                if att is None and cls != "incise_only":
                    att = self._clause(i, cue_last, lemma, cls)
            if att is not None:
                self.attributions.append(att)
                claimed.update(range(att.cue[0], att.cue[1] + 1))
        self._unknown_verb_incises()
        self._labels()
        self.attributions.sort(key=lambda a: a.cue[0])
        # "…, d'après un communiqué": a closing source phrase is not part of what was said.
        for src in self.attributions:
            if src.kind != "source" or src.content is None or src.content[1] >= src.cue[0]:
                continue
            for att in self.attributions:
                if att is not src and att.content is not None and att.unit == src.unit:
                    lo, hi = att.content
                    if lo < src.cue[0] <= hi:
                        att.content = self._trim(lo, src.cue[0] - 1)

    def _verb_lemma(self, i: int) -> tuple[str | None, int]:
        """The cue lemma at token ``i`` (a phrase if one starts here) and the cue's last token."""
        t = self.doc[i]
        base = t.lemma_.lower()
        for phrase in self.lex.phrases.get(base, ()):
            j, k = i + 1, 1
            while k < len(phrase) and j < len(self.doc):
                tj = self.doc[j]
                if tj.pos_ == "ADV" and tj.lemma_.lower() != phrase[k]:
                    j += 1
                    continue
                if tj.lemma_.lower() != phrase[k] and tj.lower_ != phrase[k]:
                    break
                j, k = j + 1, k + 1
            if k == len(phrase):
                return " ".join(phrase), j - 1
        if t.pos_ != "VERB" and not self._mistagged_participle(i):
            return None, i
        return self.lex.verb(t), i

    def _mistagged_participle(self, i: int) -> bool:
        """A participle the tagger took for a noun ("a-t-il martelé"): a lexicon form
        right after an auxiliary."""
        if self.pos[i] not in ("NOUN", "ADJ") or self.doc[i].lower_ not in self.lex.forms:
            return False
        _, group_first = self._verb_group(i)
        return group_first < i and self.pos[group_first] == "AUX"

    def _source_at(self, i: int) -> _Attribution | None:
        """selon X / d'après X / according to X; "Pour X, …" only sentence-initially and
        when X is a known actor ("pour" is far more often not a source)."""
        doc = self.doc
        for words in self.lex.sources + self.lex.weak_sources:
            weak = words in self.lex.weak_sources
            end = i + len(words)
            if end > len(doc) or any(
                self.text[self.starts[k] : self.ends[k]].lower() != w
                for k, w in zip(range(i, end), words, strict=True)
            ):
                continue
            u = self.unit_of[i]
            unit = self.units[u]
            last = end - 1
            head = self._noun_after(last, unit.last)
            if head is None:
                return None
            lead = [doc[k] for k in range(unit.first, i) if not doc[k].is_space]
            initial = all(t.pos_ in ("CCONJ", "ADV", "PUNCT") for t in lead)
            hi = self._phrase_end(head.i, unit.last) if initial else unit.last
            s, e = self._np_range(head, last + 1, hi)
            comma_after = e + 1 < len(doc) and doc[e + 1].text == ","
            if weak and not (initial and comma_after and self._actors_in(s, e, head)[0]):
                return None
            att = _Attribution(u, (i, last), self.lex.source_lemma(words), "source", head.i, (s, e))
            att.known = not weak
            if initial:
                # "Selon X [qui …], content": the content starts after the phrase's comma.
                comma = next(
                    (k for k in range(e + 1, unit.last) if doc[k].text == "," and self.inq[k] < 0),
                    e,
                )
                att.content = self._trim(comma + 1, unit.last)
            elif max(e, *(t.i for t in head.subtree if t.i <= unit.last)) >= self._last_word(unit):
                att.content = self._trim(unit.first, i - 1)
            else:
                att.content = self._trim(unit.first, unit.last)
            return att
        return None

    def _phrase_end(self, i: int, hi: int) -> int:
        """Last token of an initial phrase: up to its comma, past an appositive name
        ("Selon le porte-parole, Jean Dupont, les …")."""
        doc = self.doc
        k = i
        while k < hi:
            k += 1
            if doc[k].text != ",":
                continue
            j = k + 1
            while j < hi and doc[j].pos_ in ("PROPN", "DET") and doc[j].text != ",":
                j += 1
            if j > k + 1 and doc[j].text == "," and doc[k + 1].pos_ == "PROPN":
                k = j - 1
                continue
            return k - 1
        return hi

    def _noun_after(self, i: int, hi: int) -> Token | None:
        """The head of the noun phrase governed by the preposition ending at ``i``."""
        doc = self.doc
        t = doc[i]
        for c in t.children:
            if c.dep_ == "pobj" and c.i <= hi and self.inq[c.i] < 0:
                return c
        cand = t.head if t.dep_ in ("case", "fixed") else None
        if cand is not None and cand.dep_ == "case":
            cand = cand.head
        if (
            cand is not None
            and i < cand.i <= hi
            and self.inq[cand.i] < 0
            and cand.pos_ in ("NOUN", "PROPN", "PRON", "NUM")
        ):
            return cand
        for k in range(i + 1, min(hi, i + 6) + 1):
            tk = doc[k]
            if self.inq[k] >= 0 or tk.is_punct:
                return None
            if tk.pos_ in ("NOUN", "PROPN", "PRON"):
                return tk
        return None

    def _verb_group(self, v: int) -> tuple[int, int]:
        """Where the verb group before ``v`` starts: (first cue token, first token of the
        group). Auxiliaries start the cue ("a indiqué"); inverted clitics and se/s' belong
        to the group but not to the cue ("se sont félicités" → cue "sont félicités")."""
        doc = self.doc
        cue_first = group_first = v
        k = v - 1
        while k >= 0:
            t = doc[k]
            if t.is_space or (t.pos_ == "ADV" and t.lower_ not in self.lex.negations):
                k -= 1  # "a encore dit", "has also said": kept only if an auxiliary follows
                continue
            clitic = _is_clitic(t) or t.lower_ in _REFLEXIVE
            if not (
                clitic
                or t.pos_ == "AUX"
                or (t.lemma_.lower() in self.lex.semi_aux and t.pos_ in ("VERB", "AUX"))
                or (t.pos_ == "PART" and t.lower_ == "to")
            ):
                break
            group_first = k
            if not clitic:
                cue_first = k
            k -= 1
        return cue_first, group_first

    def _incise(self, v: int, cue_last: int, lemma: str, known: bool = True) -> _Attribution | None:
        """A short attribution clause set off by a comma or a closing quotation mark.

        "…, a indiqué l'un d'eux." / « … », poursuit le communiqué / "…," he said /
        ", ont annoncé samedi Moscou et Washington dans un communiqué conjoint."
        """
        doc, lex = self.doc, self.lex
        u = self.unit_of[v]
        unit = self.units[u]
        cue_first, group_first = self._verb_group(v)
        clitic = next(
            (
                doc[j]
                for j in range(group_first, min(cue_last + 2, unit.last) + 1)
                if _is_clitic(doc[j]) and _pronoun_form(doc[j]) != "t"
            ),
            None,
        )
        # An inverted subject (clitic or noun after the verb) beats one the parser put
        # before it: in "Les négociations, a précisé X, reprendront" both are nsubj.
        subjects = self._subject_children(doc[v]) + (
            self._subject_children(doc[cue_last]) if cue_last != v else []
        )
        subj = None
        if clitic is None:
            subj = next((t for t in subjects if t.i > cue_last), None) or next(
                (t for t in reversed(subjects) if t.i < group_first), None
            )
        # Walk left over the verb group (and an English preposed subject) to the boundary.
        left = group_first - 1
        if subj is not None and subj.i < v:
            left = min(left, subj.left_edge.i - 1)
        while left >= unit.first and (doc[left].is_space or doc[left].pos_ == "ADV"):
            left -= 1
        if left <= unit.first or left < self._after_dateline(unit):
            return None  # nothing before it, or only "MOSCOU —"
        b = doc[left]
        quote_left = self._closing_mark_at(left)
        if quote_left is None and b.text not in (",", "(") and b.text not in _DASHES:
            return None
        if quote_left is None and b.text == ",":
            quote_left = self._closing_mark_at(left - 1)
        # The clause's right end: stop before a comma that opens new material.
        k = cue_last + 1
        quote_right = None
        while k <= unit.last:
            t = doc[k]
            if t.is_space:
                k += 1
                continue
            if self.inq[k] >= 0:
                break
            if t.text == ":":
                return None  # "Asked about it, Trump said: « … »": a preposed cue
            if t.text in (";", "(", ")") or (t.text in _DASHES and t.i > cue_last + 1):
                break
            if t.text == ",":
                nxt = self._next_word(k)
                if nxt is not None and self.inq[nxt] >= 0 and self._opening_mark_at(nxt):
                    quote_right = self.inq[nxt]
                    break
                if nxt is None or doc[nxt].pos_ not in ("DET", "PROPN", "NOUN", "NUM", "ADJ"):
                    break
            if t.lower_ in lex.complementizers and t.pos_ == "SCONJ":
                return None  # "a dit que …": a preposed cue, not an incise
            k += 1
        region_last = k - 1
        if any(c.dep_ == "ccomp" and cue_last < c.i <= region_last for c in doc[v].children):
            return None
        # The speaker: an inverted clitic, the parsed subject, or the first noun after the verb.
        head: Token | None = clitic
        inverted = False
        if head is None and subj is not None and (subj.i < v or subj.i <= region_last):
            head = subj
        if head is None and lex.language == "fr":
            head = self._inverted_subject(cue_last + 1, region_last)
            inverted = head is not None
        if head is None:
            return None
        if head.i < v:
            speaker = self._np_range(head, left + 1, v - 1)
        else:
            speaker = self._np_range(head, cue_last + 1, region_last)
            if inverted:
                speaker = self._coordinated(speaker, region_last)
        if _is_clitic(head):
            speaker = (head.i, head.i)
        att = _Attribution(u, (cue_first, cue_last), lemma, "incise", head.i, speaker)
        att.known, att.inverted = known, inverted
        start = self._after_dateline(unit)
        if quote_left is not None:
            # « A » et « B », a-t-il dit: B is touched, A is in the clause it closes.
            att.quotes.append(quote_left)
            att.content = self._trim(start, left - 1)
        else:
            clause_before = any(self._finite(k) for k in range(start, left))
            mid = region_last < self._last_word(unit) and quote_right is None
            if mid and not clause_before:
                att.content = self._trim(start, unit.last)  # "The talks, he said, would resume"
            elif clause_before or quote_right is not None:
                att.content = self._trim(start, left - 1)
            else:
                return None  # "In Paris, the minister said.": nothing reported
        if quote_right is not None:
            att.quotes.append(quote_right)
        return att

    def _inverted_subject(self, lo: int, hi: int) -> Token | None:
        """The first noun after a French incise verb, past dates and prepositional
        phrases: "a annoncé jeudi l'émissaire …", "assure à l'AFP Jean Dupont"."""
        doc, lex = self.doc, self.lex
        in_pp = False
        for j in range(lo, hi + 1):
            t = doc[j]
            if t.pos_ == "ADP":
                in_pp = True
                continue
            if _nominal(t) and t.lower_ not in lex.time_words:
                if not in_pp:
                    return t
                # the PP's own noun; a following name or determiner starts the subject
                nxt = doc[j + 1] if j + 1 <= hi else None
                in_pp = nxt is None or nxt.pos_ not in ("DET", "PROPN") or nxt.ent_iob_ == "I"
                continue
            if t.pos_ not in ("ADV", "NOUN", "ADJ", "DET", "NUM", "PUNCT", "PROPN"):
                return None
        return None

    def _inner_incise(self, v: int, lemma: str) -> _Attribution | None:
        """« Nous lutterons, a-t-il dit, jusqu'au bout » — an incise inside the marks.

        Only the strongest form counts: a comma, the verb with an inverted clitic subject,
        and a comma or the end of the quotation.
        """
        doc = self.doc
        qi = self.inq[v]
        q = self.quotations[qi]
        cue_first, _ = self._verb_group(v)
        clitic = next(
            (
                doc[j]
                for j in range(cue_first, min(v + 3, q.last + 1))
                if _is_clitic(doc[j]) and _pronoun_form(doc[j]) != "t"
            ),
            None,
        )
        before = self._prev_word(self._verb_group(v)[1])
        after = self._next_word(max(v, clitic.i if clitic is not None else v))
        if clitic is None or before is None or doc[before].text != ",":
            return None
        if after is not None and doc[after].text not in (",", ".") and after != q.last:
            return None
        att = _Attribution(
            self.unit_of[v], (cue_first, v), lemma, "incise", clitic.i, (clitic.i, clitic.i)
        )
        att.quotes.append(qi)
        return att

    def _unknown_verb_incises(self) -> None:
        """« … », s'est insurgé X / "…," he laughed: a verb not in the lexicon, but placed
        where only an attribution can be (right after a closing mark, with its subject)."""
        doc = self.doc
        taken = {q for a in self.attributions for q in a.quotes}
        for qi, q in enumerate(self.quotations):
            if qi in taken or q.close is None:
                continue
            j = self._next_word(q.last)
            if j is None or self.unit_of[j] != q.unit:
                continue
            if doc[j].text == ",":
                j = self._next_word(j)
            if j is None:
                continue
            for k in range(j, min(j + 4, len(doc))):
                t = doc[k]
                if self.unit_of[k] != q.unit or self.inq[k] >= 0 or t.is_punct:
                    break
                if t.pos_ == "VERB":
                    if self.lex.verb(t) is None:
                        att = self._incise(k, k, t.lemma_.lower(), known=False)
                        if att is not None and qi in att.quotes:
                            self.attributions.append(att)
                    break

    def _labels(self) -> None:
        """Headline and caption style, "Trump : « Nous allons gagner »": a verbless name
        before a colon speaks the quotation — only when that name is a known actor."""
        doc = self.doc
        taken = {q for a in self.attributions for q in a.quotes}
        for qi, q in enumerate(self.quotations):
            colon = self._prev_word(q.first)
            if qi in taken or colon is None or doc[colon].text != ":" or q.unit < 0:
                continue
            first = self._after_dateline(self.units[q.unit])
            if not 0 < colon - first <= 8 or self.unit_of[colon] != q.unit:
                continue
            words = range(first, colon)
            if any(self.pos[k] in ("VERB", "AUX") or self.inq[k] >= 0 for k in words):
                continue
            heads = [doc[k] for k in words if _nominal(doc[k])]
            if not heads:
                continue
            ids, _ = self._actors_in(first, colon - 1)
            if ids:
                att = _Attribution(
                    q.unit, (colon, colon), ":", "label", heads[-1].i, (first, colon - 1)
                )
                att.quotes.append(qi)
                self.attributions.append(att)

    def _clause(self, v: int, cue_last: int, lemma: str, cls: str) -> _Attribution | None:
        """Subject + verb + what was said: a que/that clause, ": « … »", a de/à complement."""
        doc, lex = self.doc, self.lex
        u = self.unit_of[v]
        unit = self.units[u]
        head = self._subject(doc[v]) or (self._subject(doc[cue_last]) if cue_last != v else None)
        start = self._after_dateline(unit)
        if head is not None and head.i < start:
            # "KYIV (AP) — Ukraine's President Zelenskyy urged …": the parser made the
            # dateline the subject and the real one its apposition.
            head = next((c for c in head.children if c.dep_ == "appos" and c.i >= start), None)
        if head is None:
            return None
        verb = doc[v]
        if self._hypothetical(verb):
            return None
        content: tuple[int, int] | None = None
        quote_after: int | None = None
        for c in (*verb.children, *(doc[cue_last].children if cue_last != v else ())):
            # que/that clause, or an infinitive: "a affirmé vouloir …", "claimed to have …"
            clausal = c.dep_ == "ccomp" or (
                c.dep_ == "xcomp" and cls != "urge" and c.pos_ in ("VERB", "AUX")
            )
            if clausal and c.i > cue_last and self.unit_of[c.i] == u:
                lo = min(t.i for t in c.subtree if self.unit_of[t.i] == u)
                hi = max(t.i for t in c.subtree if self.unit_of[t.i] == u)
                content = self._trim(max(lo, cue_last + 1), hi)
                break
        # Right after the verb (past its objects and adverbs): que / : / « …
        k = cue_last + 1
        while k <= unit.last:
            t = doc[k]
            if t.is_space or t.pos_ == "ADV" or t.lower_ in lex.time_words:
                k += 1
                continue
            if t.text == ":" or (t.text == "," and cls != "urge"):
                nxt = self._next_word(k)
                if nxt is not None and self._opening_mark_at(nxt):
                    quote_after = self.inq[nxt]
                elif t.text == ":" and content is None and nxt is not None:
                    content = self._trim(nxt, unit.last)
                break
            if self._opening_mark_at(k):
                quote_after = self.inq[k]
                break
            if t.lower_ in lex.complementizers and t.pos_ == "SCONJ":
                if content is None:
                    content = self._trim(k + 1, unit.last)
                break
            if t.head.i in (v, cue_last) and t.dep_ in _VERB_ARGS:
                k = max(x.i for x in t.subtree) + 1
                continue
            if t.dep_ in ("det", "case", "amod") and t.head.head.i in (v, cue_last):
                k += 1
                continue
            break
        if content is None and quote_after is None and self._quotes_under(verb):
            # "a jugé la proposition « intéressante »", "called the plan "a disaster""
            content = self._right_content(verb)
        if cls == "urge" and content is None:
            if self._has_verbal_complement(verb) or self._urge_prep(verb):
                content = self._right_content(verb)
            elif quote_after is None:
                return None
        if cls == "say_object" and content is None and quote_after is None:
            obj = next((c for c in verb.children if c.dep_ in ("obj", "dobj") and c.i > v), None)
            if obj is not None and self.unit_of[obj.i] == u:
                content = self._trim(
                    max(obj.left_edge.i, unit.first), min(obj.right_edge.i, unit.last)
                )
        if content is None and quote_after is None:
            return None
        cue_first, group_first = self._verb_group(v)
        lo = start if head.i < v else cue_last + 1
        hi = group_first - 1 if head.i < v else unit.last
        speaker = (head.i, head.i) if _is_clitic(head) else self._np_range(head, lo, hi)
        att = _Attribution(u, (cue_first, cue_last), lemma, "clause", head.i, speaker)
        att.content = content
        if quote_after is not None:
            att.quotes.append(quote_after)
        return att

    def _hypothetical(self, verb: Token) -> bool:
        """No statement was made ("would not ask", "va annoncer", "refused to say"), so
        nothing is attributed (the verb may even sit inside someone's words)."""
        chain = [verb]
        if verb.dep_ == "xcomp" and verb.head.i != verb.i:
            chain.append(verb.head)
        for v in chain:
            if v.lemma_.lower() in self.lex.modal_verbs and v is not verb:
                return True
            for t in (v, *v.children):
                if t is not v and t.dep_ not in ("aux", "aux:tense", "neg", "advmod", "aux:pass"):
                    continue
                if t.lower_ in self.lex.negations or t.lemma_.lower() in self.lex.modal_verbs:
                    return True
                # "dirait", "annoncera"; not "aurait déclaré" (hearsay: it was said)
                if t is v and ("Cnd" in t.morph.get("Mood") or "Fut" in t.morph.get("Tense")):
                    return True
        return False

    def _right_content(self, verb: Token) -> tuple[int, int] | None:
        """What follows the verb in its own clause: objects and complements, not a
        coordinated second clause ("…, but said it was determined")."""
        doc, lex = self.doc, self.lex
        u = self.unit_of[verb.i]
        right = [
            x.i
            for c in verb.rights
            if c.dep_ not in ("conj", "cc", "punct", "parataxis")
            and not (c.dep_ == "advcl" and doc[c.left_edge.i - 1].text == ",")  # ", warning …"
            for x in c.subtree
            if self.unit_of[x.i] == u
        ]
        if not right:
            return None
        lo, hi = verb.i + 1, max(right)
        while lo < hi and (doc[lo].pos_ in ("ADV", "AUX") or doc[lo].lower_ in lex.time_words):
            lo += 1
        return self._trim(lo, hi)

    def _quotes_under(self, verb: Token) -> bool:
        """A quotation inside the verb's own clause, after it."""
        u = self.unit_of[verb.i]
        return any(
            self._opening_mark_at(t.i) or self.inq[t.i] >= 0
            for c in verb.rights
            if c.dep_ not in ("conj", "cc", "parataxis")
            for t in c.subtree
            if self.unit_of[t.i] == u
        )

    def _urge_prep(self, verb: Token) -> bool:
        """appeler à la grève / call for a ceasefire / call on Iran."""
        for c in verb.rights:
            words = [c, *c.children]
            if c.dep_ in ("obl", "obl:arg", "prep", "prt") and any(
                w.lower_ in self.lex.urge_preps and w.pos_ == "ADP" for w in words
            ):
                return True
        return False

    def _has_verbal_complement(self, verb: Token) -> bool:
        """accuser X de faire / call on X to do / accuse X of doing."""
        u = self.unit_of[verb.i]
        for t in verb.subtree:
            if t.i <= verb.i or self.unit_of[t.i] != u:
                continue
            if t.pos_ in ("VERB", "AUX") and t.dep_ in _CLAUSE_COMP and t.head.i != t.i:
                return True
        return False

    # -------------------------------------------------------------- syntax

    def _subject_children(self, v: Token) -> list[Token]:
        """The verb's subjects in this unit, outside quotations (relative pronouns
        replaced by their antecedent: "X, qui a déclaré …")."""
        u = self.unit_of[v.i]
        out = []
        for c in v.children:
            if c.dep_ in _AGENT and self.unit_of[c.i] == u and self.inq[c.i] < 0:
                by = next((g for g in c.children if g.dep_ == "pobj"), None)  # English: by → X
                out.append(by if by is not None else c)
                continue
            if c.dep_ in _SPEAKER_SUBJ and self.unit_of[c.i] == u and self.inq[c.i] < 0:
                if _pronoun_form(c) == "t" or any(g.dep_ == "case" for g in c.children):
                    continue  # "-t-", or "de son côté" taken for a subject
                if c.lower_ in _RELATIVE and c.pos_ == "PRON" and v.dep_ in ("relcl", "acl:relcl"):
                    if self.unit_of[v.head.i] == u and self.inq[v.head.i] < 0:
                        out.append(v.head)
                    continue
                out.append(c)
        return out

    def _subject_child(self, v: Token) -> Token | None:
        subjects = self._subject_children(v)
        return subjects[0] if subjects else None

    def _subject(self, v: Token) -> Token | None:
        """The verb's subject, else the subject it shares with its governor (up to two
        steps: "a dit … en ajoutant que", "X went on to say", "X was quoted as saying")."""
        h = v
        u = self.unit_of[v.i]
        for _ in range(3):
            s = self._subject_child(h)
            if s is not None:
                return s
            if h.lemma_ == "quote":
                for c in h.children:
                    if c.dep_ == "nsubjpass" and self.inq[c.i] < 0:
                        return c
            if h.dep_ not in _CLIMB or h.head.i == h.i or self.unit_of[h.head.i] != u:
                return self._subject_of_auxiliary(v)
            if h.dep_ == "advcl" and _bare_past_participle(h):
                return None  # "Asked about it, Blinken said": Blinken was asked, not asking
            h = h.head
        return None

    def _subject_of_auxiliary(self, v: Token) -> Token | None:
        """An adverbial between auxiliary and participle ("La maire a de son côté appelé")
        can make the parser hang the subject on the auxiliary: take it from there."""
        doc = self.doc
        u = self.unit_of[v.i]
        for k in range(v.i - 1, max(self.units[u].first, v.i - 7) - 1, -1):
            t = doc[k]
            auxiliary = t.pos_ == "AUX" or t.dep_.startswith("aux")
            if auxiliary and t.lemma_.lower() in _AUXILIARIES:
                subjects = self._subject_children(t)
                return subjects[0] if subjects else None
            if self.inq[k] >= 0 or t.text in (".", ";", ":") or t.pos_ == "VERB":
                return None
        return None

    def _np_range(self, head: Token, lo: int, hi: int) -> tuple[int, int]:
        """The noun phrase around ``head`` within [lo, hi], without relative or participial
        clauses (they carry other actors: "de Mistura, qui a réuni le régime et l'opposition")."""
        keep: set[int] = set()
        for t in head.subtree:
            if t.i < lo or t.i > hi or self.inq[t.i] >= 0:
                continue
            a = t  # a finite verb never sits inside a noun phrase: the parse went astray
            while a.i != head.i and a.dep_ not in _CUT and not _verbal_intruder(a):
                a = a.head
            if a.i == head.i:
                keep.add(t.i)
        s = e = head.i
        while s - 1 in keep:
            s -= 1
        while e + 1 in keep:
            e += 1
        doc = self.doc
        while e > s and (doc[e].pos_ in _NOT_LAST or doc[e].is_space):
            e -= 1
        while s < e and doc[s].is_punct:
            s += 1
        if e + 1 <= hi and doc[e + 1].text == ")" and "(" in (t.text for t in doc[s : e + 1]):
            e += 1
        if head.ent_iob_ in ("B", "I"):  # a name the parser split: "Marine" + "Le Pen"
            k = head.i
            while k + 1 <= hi and doc[k + 1].ent_iob_ == "I" and self.inq[k + 1] < 0:
                k += 1
            e = max(e, k)
        return s, e

    def _coordinated(self, speaker: tuple[int, int], hi: int) -> tuple[int, int]:
        """Extend "Moscou" to "Moscou et Washington" when the parse split the pair."""
        doc = self.doc
        s, e = speaker
        while True:
            k = self._next_word(e)
            if k is None or k > hi or doc[k].lower_ not in self.lex.coordinators:
                return s, e
            nxt = next(
                (
                    doc[j]
                    for j in range(k + 1, min(k + 4, hi + 1))
                    if doc[j].pos_ in ("NOUN", "PROPN", "PRON")
                ),
                None,
            )
            if nxt is None or doc[k + 1].pos_ not in ("DET", "NOUN", "PROPN", "PRON", "ADJ", "NUM"):
                return s, e
            _, e2 = self._np_range(nxt, k + 1, hi)
            if e2 <= e:
                return s, e
            e = e2

    def _trim(self, lo: int, hi: int) -> tuple[int, int] | None:
        """Reported content without edge punctuation, complementizer or a leading
        "Wednesday" that dates the speech act, not the content."""
        doc, lex = self.doc, self.lex

        def leading_noise(t: Token) -> bool:
            if t.is_punct:
                return not self._opening_mark_at(t.i)
            time_word = t.lower_ in lex.time_words and t.dep_ in _ADJUNCT and t.i < hi
            return t.is_space or t.pos_ == "SCONJ" or t.lower_ in lex.complementizers or time_word

        while lo <= hi and leading_noise(doc[lo]):
            lo += 1
        while hi >= lo and (
            doc[hi].is_space or (doc[hi].is_punct and self._closing_mark_at(hi) is None)
        ):
            hi -= 1
        if hi < lo:
            return None
        # Keep a quotation opened inside whole: the parser often hangs « » elsewhere.
        for k in range(lo, hi + 1):
            if self._opening_mark_at(k):
                last = self.quotations[self.inq[k]].last
                if hi < last and self.unit_of[last] == self.unit_of[k]:
                    hi = last
        return lo, hi

    def _after_dateline(self, unit: _Unit) -> int:
        """Skip "Da Nang, Vietnam —" at the start of a paragraph's first sentence."""
        dateline = self.doc._.ww_dateline
        span = getattr(dateline, "span", None)
        doc = self.doc
        if span is not None and doc[unit.first].idx <= span.start < doc[unit.last].idx:
            k = bisect_right(self.starts, span.end - 1) + 0
            return max(unit.first, min(k, unit.last))
        for k in range(unit.first, min(unit.first + 12, unit.last)):
            t = doc[k]
            if t.pos_ in ("VERB", "AUX") or self.inq[k] >= 0:
                break
            if t.text in ("—", "–") and k > unit.first and doc[k + 1].text[:1].isupper():
                return k + 1
        return unit.first

    # ------------------------------------------------------------- helpers

    def _finite(self, i: int) -> bool:
        """A finite verb outside quotations: what makes "…, X said" report a clause."""
        return (
            self.inq[i] < 0
            and self.pos[i] in ("VERB", "AUX")
            and "Fin" in self.doc[i].morph.get("VerbForm")
        )

    def _next_word(self, i: int) -> int | None:
        for k in range(i + 1, len(self.space)):
            if not self.space[k]:
                return k
        return None

    def _prev_word(self, i: int) -> int | None:
        for k in range(i - 1, -1, -1):
            if not self.space[k]:
                return k
        return None

    def _last_word(self, unit: _Unit) -> int:
        k = unit.last
        while k > unit.first and self.doc[k].is_punct and self._closing_mark_at(k) is None:
            k -= 1
        return k

    def _closing_mark_at(self, i: int) -> int | None:
        if i < 0:
            return None
        qi = self.inq[i]
        if qi >= 0 and self.quotations[qi].close == self.starts[i]:
            return qi
        return None

    def _opening_mark_at(self, i: int) -> bool:
        qi = self.inq[i]
        return qi >= 0 and self.quotations[qi].open == self.starts[i]

    def _chars(self, first: int, last: int) -> tuple[int, int]:
        return self.starts[first], self.ends[last]

    def _span(self, first: int, last: int) -> Span:
        s, e = self._chars(first, last)
        if first == last and _is_clitic(self.doc[first]):
            s += len(self.doc[first].text) - len(_pronoun_form(self.doc[first]))
        return Span(s, e, self.text[s:e])

    # ---------------------------------------------------------- resolution

    def _resolve(self, att: _Attribution) -> None:
        doc, lex = self.doc, self.lex
        head = doc[att.head]
        form = _pronoun_form(head)
        own = self._mentions_at(att.head)
        ids: tuple[str, ...] = ()
        how = "none"
        if own and own[0].kind == "pronoun":  # ww_actors already resolved the pronoun
            ids, how = (own[0].actor_id,), "pronoun"
            att.mention_confidence = own[0].confidence
        elif form in lex.pronouns_singular:
            ids, how = self._resolve_pronoun(att), "pronoun"
        elif form in lex.pronouns_plural or form in lex.pronouns_group:
            ids, how = self._resolve_group(att), "group"
        elif form in lex.pronouns_neuter:
            ids, how = self._resolve_neuter(att), "registry"
        elif head.lemma_.lower() in lex.documents or head.lower_ in lex.documents:
            ids, how = self._resolve_document(att)
        elif (head.lemma_.lower() in lex.partitives or form in lex.partitives) and any(
            _pronoun_form(t) in lex.pronouns_group for t in head.subtree if t.i != head.i
        ):
            ids, how = self._resolve_group(att), "group"
        else:
            ids, conf = self._actors_in(*att.speaker, head)
            how = "mention"
            att.mention_confidence = conf
            if not ids and self._is_definite(head):
                ids, how = self._resolve_anaphora(att), "anaphora"
        att.speakers = ids
        att.how = how if ids else "none"
        if ids and how != "registry":
            self._register_documents(att)

    def _mentions_at(self, i: int) -> list[ActorMention]:
        s, e = self._chars(i, i)
        return [m for m in mentions_in(self.doc, s - 200, e + 200) if m.start <= s and e <= m.end]

    def _actors_in(
        self, first: int, last: int, head: Token | None = None
    ) -> tuple[tuple[str, ...], float]:
        """Actor ids a speaker phrase names: one per coordinated member.

        Members are the phrase's own nouns and appositions ("le président américain,
        Donald Trump"); when none is an actor, its owner speaks for it ("un porte-parole
        du Kremlin", "Russia's UN ambassador"), else another modifier ("an AFP
        correspondent"). Mentions after other prepositions ("l'émissaire pour la
        Syrie") never speak.
        """
        doc, lex = self.doc, self.lex
        s, e = self._chars(first, last)
        if head is not None:  # a mention over the head may outgrow a badly parsed phrase
            for m in self._mentions_at(head.i):
                s, e = min(s, m.start), max(e, m.end)
                first, last = min(first, self._tok(m.start)), max(last, self._tok(m.end - 1))
        ms = _outermost([m for m in mentions_in(doc, s, e) if self.inq[self._tok(m.start)] < 0])
        # 1: the phrase's own nouns and appositions; 2: owners ("du Kremlin", "Russia's");
        # 3: other modifiers ("UN ambassador", "AFP correspondent").
        levels: dict[int, dict[int, list[ActorMention]]] = {1: {}, 2: {}, 3: {}}
        for m in ms:
            ft = self._tok(m.start)
            lt = self._tok(m.end - 1)
            p = ft - 1
            while p >= first and (doc[p].pos_ == "DET" or doc[p].is_space):
                p -= 1
            prep = doc[p] if p >= first and doc[p].pos_ == "ADP" else None
            inside = range(ft, lt + 1)
            root = next((doc[k] for k in inside if doc[k].head.i not in inside), doc[lt])
            if prep is not None:
                if prep.lower_ not in lex.affiliation_preps:
                    continue
                level = 2
            elif (
                root.dep_ in _MODIFIER
                and first <= root.head.i <= last
                and not ft <= root.head.i <= lt
                and (head is None or root.i != head.i)
            ):
                level = 2 if root.dep_ in ("poss", "nmod:poss") else 3
            else:
                level = 1
            group = sum(
                1
                for k in range(first, ft)
                if doc[k].lower_ in lex.coordinators and doc[k].pos_ == "CCONJ"
            )
            levels[level].setdefault(group, []).append(m)
        chosen = levels[1] or levels[2] or levels[3]
        ids: list[str] = []
        conf = 1.0
        for group in sorted(chosen):
            best = min(
                chosen[group],
                key=lambda m: (
                    _KIND_RANK.get(m.kind, 9),
                    head is None or not m.start <= head.idx < m.end,
                    -(m.end - m.start),
                    -m.confidence,
                ),
            )
            if best.actor_id not in ids:
                ids.append(best.actor_id)
                conf = min(conf, best.confidence)
        return tuple(ids), conf

    def _tok(self, char: int) -> int:
        return max(0, bisect_right(self.starts, char) - 1)

    def _is_definite(self, head: Token) -> bool:
        return any(c.dep_ == "det" and c.lower_ in self.lex.definite for c in head.children)

    def _is_person(self, actor_id: str) -> bool:
        actor = self.actors.get(actor_id)
        return actor is None or actor.type == "person"

    def _subjects(self, u: int) -> list[Token]:
        if u not in self._subject_cache:
            unit = self.units[u]
            self._subject_cache[u] = [
                self.doc[i]
                for i in range(unit.first, unit.last + 1)
                if self.doc[i].dep_ in _SUBJ
                and self.inq[i] < 0
                and self.doc[i].lower_ not in _RELATIVE
                and not _is_clitic(self.doc[i])
            ]
        return self._subject_cache[u]

    def _subject_actors(self, subj: Token) -> tuple[str, ...]:
        u = self.unit_of[subj.i]
        unit = self.units[u]
        first, last = self._np_range(subj, unit.first, unit.last)
        return self._actors_in(first, last, subj)[0]

    def _window(self, att: _Attribution) -> range:
        """Units a pronoun may point back into: its own, then up to two before."""
        return range(att.unit, max(-1, att.unit - 3), -1)

    def _resolve_pronoun(self, att: _Attribution) -> tuple[str, ...]:
        """il/elle/he/she → the person who is the subject of the nearest sentence before.

        Centering, simplified: the last sentence's subject is the likeliest referent.
        A nearer non-person subject blocks the search (French "il" may be "le Kremlin").
        """
        doc = self.doc
        head = doc[att.head]
        limit = min([att.cue[0], *(self.quotations[q].first for q in att.quotes)])
        earlier = [a for a in self.attributions if a.cue[0] < att.cue[0] and a.speakers]
        for u in self._window(att):
            for subj in self._subjects(u):
                if subj.i >= limit or _pronoun_form(subj) in self.lex.pronouns_singular:
                    continue
                if _gender_clash(head, subj):
                    continue
                ids = self._subject_actors(subj)
                if len(ids) == 1:
                    return ids if self._is_person(ids[0]) else ()
            for a in reversed(earlier):
                if a.unit == u and len(a.speakers) == 1 and self._is_person(a.speakers[0]):
                    return a.speakers
        return ()

    def _resolve_group(self, att: _Attribution) -> tuple[str, ...]:
        """ils / l'un d'eux / one of them → the plural speaker or subject just before."""
        for a in reversed(self.attributions):
            if a.cue[0] >= att.cue[0]:
                continue
            if a.unit < att.unit - 3:
                break
            if a.speakers and (len(a.speakers) > 1 or _plural(self.doc[a.head])):
                return a.speakers
        for u in self._window(att):
            for subj in self._subjects(u):
                if subj.i < att.cue[0] and _plural(subj):
                    ids = self._subject_actors(subj)
                    if ids:
                        return ids
        return ()

    def _resolve_neuter(self, att: _Attribution) -> tuple[str, ...]:
        """English "it said": the statement or organisation just mentioned."""
        for a in reversed(self.attributions):
            if (
                a.cue[0] < att.cue[0]
                and a.unit >= att.unit - 2
                and a.speakers
                and not all(self._is_person(x) for x in a.speakers)
            ):
                return a.speakers
        for u in self._window(att):
            for subj in self._subjects(u):
                if subj.i < att.cue[0] and _pronoun_form(subj) not in self.lex.pronouns_neuter:
                    ids = self._subject_actors(subj)
                    if len(ids) == 1:
                        return () if self._is_person(ids[0]) else ids
        return ()

    def _resolve_document(self, att: _Attribution) -> tuple[tuple[str, ...], str]:
        """A communiqué speaks for its authors: those named in its own phrase ("publié
        par la Maison-Blanche", "du Kremlin"), else those an earlier sentence gave it."""
        doc, lex = self.doc, self.lex
        head = doc[att.head]
        u = self.unit_of[head.i]
        ids: list[str] = []
        span = [t.i for t in head.subtree if self.unit_of[t.i] == u and self.inq[t.i] < 0]
        if span:
            s, e = self._chars(min(span), max(span))
            for m in mentions_in(doc, s, e):
                ft = self._tok(m.start)
                p = ft - 1
                while p > head.i and (doc[p].pos_ == "DET" or doc[p].is_space):
                    p -= 1
                if p > head.i and doc[p].lower_ in lex.author_preps and m.actor_id not in ids:
                    ids.append(m.actor_id)
        if ids:
            return tuple(ids), "authors"
        joint = any(t.lemma_.lower() in lex.joint or t.lower_ in lex.joint for t in head.children)
        if self._is_definite(head) or joint:
            lemma = head.lemma_.lower()
            found = self.registry.get(lemma) or self.last_statement
            return found, "registry"
        return (), "none"

    def _resolve_anaphora(self, att: _Attribution) -> tuple[str, ...]:
        """A definite description → an earlier speaker with the same head noun
        ("ces responsables" → "des responsables du département d'État")."""
        lemma = self.doc[att.head].lemma_.lower()
        for a in reversed(self.attributions):
            if a.cue[0] < att.cue[0] and a.speakers and self.doc[a.head].lemma_.lower() == lemma:
                return a.speakers
        return ()

    def _register_documents(self, att: _Attribution) -> None:
        """Remember who wrote a document ("…, ont annoncé Moscou et Washington dans un
        communiqué conjoint") for when it speaks later ("poursuit le communiqué")."""
        doc, lex = self.doc, self.lex
        head = doc[att.head]
        if head.lemma_.lower() in lex.documents:
            self.registry[head.lemma_.lower()] = att.speakers
            self.last_statement = att.speakers
            return
        verb = doc[att.cue[1]]
        for t in verb.subtree:
            if self.inq[t.i] >= 0 or t.i == att.head or self.unit_of[t.i] != att.unit:
                continue
            attached = t.head.i == verb.i or (t.head.pos_ == "ADP" and t.head.head.i == verb.i)
            if t.pos_ == "NOUN" and t.lemma_.lower() in lex.documents and attached:
                self.registry[t.lemma_.lower()] = att.speakers
                self.last_statement = att.speakers
        if att.inverted:  # parse unreliable: the document may hang anywhere in the incise
            for k in range(att.speaker[1] + 1, self.units[att.unit].last + 1):
                t = doc[k]
                if t.pos_ == "NOUN" and t.lemma_.lower() in lex.documents and self.inq[k] < 0:
                    self.registry[t.lemma_.lower()] = att.speakers
                    self.last_statement = att.speakers
                    break

    # ------------------------------------------------------------- output

    def _build_quotes(self) -> list[Quote]:
        assigned: dict[int, tuple[_Attribution, str]] = {}
        for att in self.attributions:
            for qi in att.quotes:
                assigned.setdefault(qi, (att, "adjacent"))
        for qi, q in enumerate(self.quotations):
            if qi in assigned:
                continue
            best: _Attribution | None = None
            for att in self.attributions:
                if att.unit != q.unit or att.content is None:
                    continue
                lo, hi = att.content
                if (
                    lo <= q.first
                    and q.last <= hi + 1
                    and (
                        best is None
                        or best.content is None
                        or (hi - lo) < (best.content[1] - best.content[0])
                    )
                ):
                    best = att
            if best is not None:
                assigned[qi] = (best, "source" if best.kind == "source" else "content")

        out: list[tuple[int, Quote]] = []
        direct: dict[int, Quote] = {}
        for qi, q in enumerate(self.quotations):
            if qi in assigned:
                att, mode = assigned[qi]
                direct[qi] = self._quote(q.start, q.end, q.unit, att, mode, True)
        self._continuations(assigned, direct)
        for qi, q in enumerate(self.quotations):
            if qi in direct:
                out.append((q.start, direct[qi]))
            elif self._worth_keeping(q):
                sent = self._unit_span(q.unit)
                span = Span(q.start, q.end, self.text[q.start : q.end])
                quote = Quote(span, (), None, None, None, True, sent, _UNATTRIBUTED)
                out.append((q.start, quote))
        for att in self.attributions:
            if att.content is None or att.quotes:
                continue
            lo, hi = att.content
            s, e = self._chars(lo, hi)
            quoted = sum(
                max(0, min(e, q.end) - max(s, q.start))
                for q in self.quotations
                if q.unit == att.unit
            )
            if e - s < 3 or quoted >= 0.6 * (e - s) or hi - lo < 2:
                continue
            out.append((s, self._quote(s, e, att.unit, att, "indirect", False)))
        out.sort(key=lambda x: (x[0], not x[1].direct))
        return [q for _, q in out]

    def _quote(
        self, start: int, end: int, unit: int, att: _Attribution, mode: str, direct: bool
    ) -> Quote:
        conf = _BASE_CONFIDENCE[mode] * (1.0 if att.known else _UNKNOWN_VERB)
        if att.speakers:
            conf *= _RESOLUTION_FACTOR.get(att.how, 0.8) * (0.5 + 0.5 * att.mention_confidence)
        else:
            conf = min(conf, _UNRESOLVED_CAP)
        return Quote(
            span=Span(start, end, self.text[start:end]),
            speakers=att.speakers,
            speaker_span=self._span(*att.speaker),
            cue=self._span(*att.cue),
            cue_lemma=att.lemma,
            direct=direct,
            sentence=self._unit_span(unit),
            confidence=round(conf, 2),
        )

    def _continuations(
        self, assigned: dict[int, tuple[_Attribution, str]], direct: dict[int, Quote]
    ) -> None:
        """A quotation with no cue of its own that directly follows an attributed one
        (same or next sentence, nothing said by anyone else in between) continues it;
        so does a paragraph opening with a quotation after one left open."""
        quotes = self.quotations
        cue_units = {a.unit for a in self.attributions}
        for qi in range(1, len(quotes)):
            q, p = quotes[qi], quotes[qi - 1]
            prev = direct.get(qi - 1)
            if qi in direct or prev is None or q.unit < 0:
                continue
            starts_unit = self.units[q.unit].first == q.first
            next_unit = q.unit == p.unit + 1 and starts_unit and q.unit not in cue_units
            reopened = p.close is None and self.units[q.unit].para > self.units[p.unit].para
            same = q.unit == p.unit
            if not (same or next_unit or (reopened and starts_unit)):
                continue
            if self._followed_by_verb(q):
                continue  # « … », a estimé X — an attribution we failed to read: no guess
            conf = prev.confidence * _CONTINUATION
            direct[qi] = Quote(
                span=Span(q.start, q.end, self.text[q.start : q.end]),
                speakers=prev.speakers,
                speaker_span=prev.speaker_span,
                cue=None,
                cue_lemma=None,
                direct=True,
                sentence=self._unit_span(q.unit),
                confidence=round(conf if prev.speakers else min(conf, _UNRESOLVED_CAP), 2),
            )

    def _followed_by_verb(self, q: _Quotation) -> bool:
        """« … », VERB …: the quotation has an attribution of its own, read or not."""
        j = self._next_word(q.last)
        if j is not None and self.doc[j].text == ",":
            j = self._next_word(j)
        if j is None:
            return False
        for k in range(j, min(j + 3, len(self.doc))):
            if self.unit_of[k] != q.unit or self.inq[k] >= 0:
                return False
            if self.pos[k] == "VERB":
                return True
        return False

    def _worth_keeping(self, q: _Quotation) -> bool:
        """An unattributed quotation is kept only if it reads like speech: scare quotes
        and titles ("the so-called "peace plan"") are dropped."""
        words = [
            self.doc[i]
            for i in range(q.first, q.last + 1)
            if not self.doc[i].is_punct and not self.doc[i].is_space
        ]
        return len(words) >= 4 and any(t.pos_ in ("VERB", "AUX") for t in words)

    def _unit_span(self, u: int) -> Span:
        unit = self.units[u]
        return self._span(unit.first, unit.last)


# --------------------------------------------------------------------- small helpers


def _doc_text(doc: Doc) -> str:
    """The Doc's text, from the enricher's cache when set (``Doc.text`` is rebuilt from
    the tokens on every access)."""
    cached = doc.user_data.get("text")
    if isinstance(cached, str) and len(doc):
        last = doc[-1]
        if len(cached) == last.idx + len(last.text_with_ws):
            return cached
    return doc.text


def _opens(text: str, i: int) -> bool:
    """A straight quote opens when it follows a space or opening punctuation and is
    followed by a word."""
    prev = text[i - 1] if i > 0 else "\n"
    nxt = text[i + 1] if i + 1 < len(text) else ""
    return (prev.isspace() or prev in "([{—–-/:;,") and bool(nxt) and not nxt.isspace()


def _is_clitic(t: Token) -> bool:
    """The inverted subject clitic of "a-t-il", "affirme-t-elle", "allait-il"."""
    return t.text.startswith("-") and len(t.text) > 1 and t.pos_ == "PRON"


def _pronoun_form(t: Token) -> str:
    """The pronoun as a word: "-t-il" → "il", "-elle" → "elle", "He" → "he"."""
    low = t.lower_.lstrip("-")
    if low.startswith("t-"):
        low = low[2:]
    return low


def _outermost(mentions: list[ActorMention]) -> list[ActorMention]:
    """Drop mentions nested in a longer one ("Russie" inside "ambassadeur de Russie")."""

    def inside(m: ActorMention, o: ActorMention) -> bool:
        return o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start

    return [m for m in mentions if not any(inside(m, o) for o in mentions)]


def _bare_past_participle(t: Token) -> bool:
    """A passive participle without auxiliary ("Asked …", "Interrogé …")."""
    morph = t.morph
    return (
        "Part" in morph.get("VerbForm")
        and "Past" in morph.get("Tense")
        and not any(c.dep_.startswith("aux") for c in t.children)
    )


def _verbal_intruder(t: Token) -> bool:
    """A verb or auxiliary inside a noun phrase, other than an adjectival participle
    ("Nations unies")."""
    return t.pos_ == "AUX" or (t.pos_ == "VERB" and t.dep_ not in ("amod", "flat:name"))


def _nominal(t: Token) -> bool:
    """Noun, name or pronoun — or a capitalised word the tagger left as X inside a name."""
    return t.pos_ in ("NOUN", "PROPN", "PRON") or (t.pos_ == "X" and t.ent_type_ != "")


def _plural(t: Token) -> bool:
    return (
        "Plur" in t.morph.get("Number")
        or t.tag_ in ("NNS", "NNPS")
        or any(c.dep_ == "conj" for c in t.children)
    )


def _gender_clash(pronoun: Token, subj: Token) -> bool:
    """il vs "la ministre": compare grammatical gender where French marks it reliably
    (articles and common nouns; never proper names, whose model gender is a guess)."""
    form = _pronoun_form(pronoun)
    want = {"il": "Masc", "elle": "Fem"}.get(form)
    if want is None:
        return False
    marked = [subj] if subj.pos_ == "NOUN" else []
    marked += [c for c in subj.children if c.dep_ == "det"]
    genders = {g for t in marked for g in t.morph.get("Gender")}
    return bool(genders) and want not in genders
