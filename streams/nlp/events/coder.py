"""The CAMEO event coder: dependency parse + actor mentions → ``Event``s.

Walks each sentence (cut at paragraph breaks) from its root, visiting only clauses
that assert something happened: main clauses, their conjuncts, relative clauses and
finite adverbial clauses of time/cause. Infinitives, purpose and conditional clauses
and the complements of non-factive verbs are never coded on their own; they are read
through the verb that governs them (its *frame*): "urged Iran to negotiate" is one
appeal (026), not a negotiation.

Precision before recall — a wrong event fires a wrong alert:

* no resolved source actor, no event; the target is optional (confidence drops);
* negated predicates are not events (CAMEO has no "did not attack" code; lexicalised
  negatives — refuse, reject, deny — are in the lexicon);
* hypotheticals (if/si clauses, could/may/pourrait, questions) are not events;
* the journalistic conditional ("l'armée aurait bombardé" — allegedly) is not an event;
  under a speech verb a conditional is the future-in-the-past ("a annoncé qu'il se
  rendrait") and is treated as the future;
* the future of cooperation is an intent (will meet → 036, will send aid → 033,
  CAMEO's own 03 sub-codes); the future of conflict is not an event (a threat needs a
  threat verb);
* must/should/devoir under a speech verb is a demand from the speaker (10x), otherwise
  nothing; reported events keep the reporter out of the dyad but lose confidence;
* a denied argument denies the event: "there would be no aid", "launched no strikes",
  "aucune aide", "sans aide" (no negative code is invented for it);
* help or cooperation for violence ("helped to plan killings", "took part in the
  attack") is complicity, not CAMEO 03/06/07 cooperation;
* a state's institutions reporting that state's own act claim it (015), they do not
  accuse it; a news agency attributing what it reports ("an AFP correspondent said")
  makes no statement;
* the dateline is no part of any clause; a statement is not about the speaker's own
  state or officials, nor about an actor buried deep in what was said; where something
  happened ("at the G20 summit", "lors du sommet") is not its target.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from spacy.tokens import Doc, Span, Token

from ..annotations import Actor, ActorMention, Event, Quote, actors_by_id, mentions_in
from ..annotations import Span as TextSpan
from .codebook import Codebook
from .composition import family_code, is_harm, topic_of_code
from .lexicon import Lexicon, NounEntry, Pattern, Phrase, Slot, VerbEntry
from .syntax import Syntax, segments

# Codes whose events are the same for both parties ("A and B met"): one event with
# the compound actor as source and target (the GSR's SRC/TAR convention).
RECIPROCAL_ROOTS = ("04",)
RECIPROCAL_CODES = frozenset({"019", "030", "031", "036", "037", "057", "062", "0871"})
STATEMENT = "010"
# what stopping a form of cooperation amounts to (CAMEO 16x), for threats and the like
_CEASE = {
    "meet": "harm.halt_negotiations",
    "mediate": "harm.halt_mediation",
    "aid": "harm.stop_aid",
    "coop": "harm.relations",
    "diplo": "harm.relations",
}
_FIRST_PERSON_EN = frozenset({"we", "i", "us"})
# cooperation that help for violence turns into complicity (intent, material
# cooperation, aid), and the violent roots that do it (coerce, assault, fight, mass
# violence)
_SUPPORT_ROOTS = frozenset({"03", "06", "07"})
_VIOLENT_ROOTS = frozenset({"17", "18", "19", "20"})


@dataclass(frozen=True)
class Actors:
    ids: tuple[str, ...]
    cameo: tuple[str, ...]
    weight: float  # how sure we are these are the right actors (0–1)
    mentions: tuple[ActorMention, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.ids)


NO_ACTORS = Actors((), (), 0.0)


@dataclass
class Context:
    """What a clause inherits from where it sits in the sentence."""

    segment: Span
    reported: bool = False  # inside a speech verb's complement
    speaker: Actors = NO_ACTORS  # the reporting verb's source
    subject: Token | None = None  # shared subject of a conjunct
    antecedent: Token | None = None  # head noun of a relative clause
    negated: bool = False
    mode: str | None = None  # inherited modality of a conjunct
    depth: int = 0


@dataclass
class Coding:
    """A coded predicate before it becomes an ``Event``."""

    code: str
    source: Actors
    target: Actors
    trigger: list[Token]
    confidence: float
    quote: int | None = None
    reciprocal: bool = False
    reverse: str | None = None
    how: list[str] = field(default_factory=list)


@dataclass
class Lexical:
    """What the lexicon says about a predicate head, before modality and actors."""

    code: str | None
    frame: str | None
    pattern: Pattern | None
    entry: VerbEntry | NounEntry | None
    trigger: list[Token]
    specific: bool  # a pattern beyond the bare verb matched
    suppressed: bool = False  # a pattern says "this is not an event"
    nominal: Token | None = None  # the eventive noun of a light-verb construction
    reciprocal: bool = False


class EventCoder:
    """Codes one language's Docs; stateless across Docs."""

    def __init__(
        self,
        lexicon: Lexicon,
        codebook: Codebook,
        *,
        min_confidence: float = 0.3,
        require_target: bool = False,
        discard_historical: bool = True,
        statements: bool = True,
    ) -> None:
        self.lex = lexicon
        self.codebook = codebook
        self.syntax = Syntax(lexicon.language, lexicon.grammar)
        self.g = lexicon.grammar
        self.min_confidence = min_confidence
        self.require_target = require_target
        self.statements = statements
        self._sentence_discard = _PhraseIndex(p for p in lexicon.discards if not _is_historical(p))
        # "in 1988", "two years ago": only the clause they are in is about the past
        self._historical = _PhraseIndex(
            p for p in lexicon.discards if discard_historical and _is_historical(p)
        )
        self._story_discard = _PhraseIndex(lexicon.story_discards)

    # ------------------------------------------------------------------ entry
    def code(self, doc: Doc) -> list[Event]:
        mentions: list[ActorMention] = doc._.ww_actor_mentions or []
        if not mentions or not len(doc) or not doc.to_array("DEP").any():
            return []  # no actors, or no parse: nothing to code
        text = doc.user_data.get("text") or doc.text  # Doc.text is rebuilt on each access
        if self._story_discard.find(text):
            return []
        # per-Doc state, cleared before returning (the coder itself is stateless)
        self._doc = doc
        self._text = text
        self._actors = actors_by_id(doc)
        self._quotes: list[Quote] = list(doc._.ww_quotes or [])
        self._mentions = sorted(mentions, key=lambda m: (m.start, m.end))
        self._mention_starts = [m.start for m in self._mentions]
        self._past: list[tuple[int, int]] = []
        self._lexicals: dict[int, Lexical | None] = {}
        try:
            return self._code_segments(doc)
        finally:
            del self._doc, self._actors, self._quotes, self._mentions, self._mention_starts
            del self._past, self._text, self._lexicals

    def _code_segments(self, doc: Doc) -> list[Event]:
        codings: list[tuple[Coding, Span]] = []
        # one pass of each phrase list over the whole text, then per-segment lookups
        discarded = [a for a, _ in self._sentence_discard.find(self._text)]
        past = self._historical.find(self._text)
        dateline_start, dateline_end = _dateline_bounds(doc)
        for seg in segments(doc, self._text):
            if seg.start_char < dateline_end and seg.end_char > dateline_start:
                # the dateline is where the story was filed, not part of any clause
                if seg.end_char <= dateline_end:
                    continue
                seg = doc.char_span(
                    max(dateline_end, seg.start_char), seg.end_char, alignment_mode="expand"
                )
                if seg is None or not len(seg):
                    continue
            if not self._has_mentions(seg.start_char, seg.end_char):
                continue
            if any(seg.start_char <= i < seg.end_char for i in discarded):
                continue
            self._past = [(a, b) for a, b in past if seg.start_char <= a < seg.end_char]
            ctx = Context(segment=seg)
            for root in [t for t in seg if not _inside(t.head, seg) or t.head == t]:
                for coding in self._visit(root, ctx, licensed=True):
                    codings.append((coding, seg))
        return self._to_events(codings)

    # ------------------------------------------------------------------ traversal
    def _visit(self, tok: Token, ctx: Context, licensed: bool) -> list[Coding]:
        out: list[Coding] = []
        consumed: set[int] = set()
        if licensed and self._is_predicate(tok):
            incise = self._incise_speech(tok)
            if incise is not None and not ctx.reported:
                speaker = self._source_only(incise, ctx)
                ctx = replace(ctx, reported=True, speaker=speaker)
            codings, consumed = self._code_predicate(tok, ctx)
            out += codings
        L = self.syntax.labels
        base = Context(segment=ctx.segment, depth=ctx.depth + 1)
        inherited = replace(base, reported=ctx.reported, speaker=ctx.speaker)
        for child in tok.children:
            if child.i in consumed or not _inside(child, ctx.segment):
                continue
            if not (child.n_lefts or child.n_rights) and child.pos_ not in ("VERB", "AUX"):
                continue  # a leaf (determiner, punctuation …): no clause below
            dep = child.dep_
            if dep == "conj" and licensed and _is_verbal(child) and self._coordinated(tok, child):
                sub = replace(
                    ctx,
                    subject=self._subject_token(tok, ctx)
                    if not self.syntax.subject(child)
                    else None,
                    negated=ctx.negated
                    or (not self.syntax.aux(child) and self.syntax.is_negated(tok)),
                    mode=self._mode(tok, ctx) if not self.syntax.aux(child) else None,
                    antecedent=ctx.antecedent,
                    depth=ctx.depth + 1,
                )
                out += self._visit(child, sub, licensed=True)
            elif dep in L.relcl:
                sub = replace(inherited, antecedent=tok)
                out += self._visit(child, sub, licensed=self.syntax.is_finite(child))
            elif dep in L.advcl:
                mark = self.syntax.mark(child)
                ok = self.syntax.is_finite(child) and (
                    mark is None or mark in self.g.realized_marks
                )
                out += self._visit(child, inherited, licensed=ok and licensed)
            elif dep in L.parataxis or dep == "dep":
                out += self._visit(child, inherited, licensed=self.syntax.is_finite(child))
            elif dep in L.ccomp or dep in L.xcomp or dep in L.acl:
                out += self._visit(child, base, licensed=False)
            else:
                # a finite verb in a nominal slot is a parser error more often than not
                # ("…, a annoncé X" attached as expl:comp): code it as its own clause
                stray = (
                    child.pos_ == "VERB"
                    and child.dep_ not in ("amod", "case", "mark", "fixed", "compound")
                    and self.syntax.is_finite(child)
                    and (licensed or self._has_own_subject(child))
                )
                out += self._visit(child, inherited, licensed=stray)
        return out

    def _coordinated(self, head: Token, conj: Token) -> bool:
        """Is a verbal conjunct really coordinated with its head? A conjunction or a
        comma must stand between them, and in English a bare infinitive cannot share a
        finite verb's subject and tense ("has jailed a man for helping militants join a
        group" has "join" misparsed as a conjunct of "jailed")."""
        lo, hi = sorted((head.i, conj.i))
        doc = head.doc
        if not any(t.dep_ == "cc" or t.text in (",", ";") for t in doc[lo + 1 : hi]):
            return False
        return not (
            self.lex.language == "en"
            and conj.tag_ == "VB"
            and head.tag_ in ("VBD", "VBN", "VBZ")
            and not self.syntax.aux(conj)
        )

    def _incise_speech(self, tok: Token) -> Token | None:
        """'« … », a déclaré X' / '"…," X said': a reporting verb after the clause it reports."""
        for c in tok.children:
            if c.i <= tok.i or c.dep_ not in ("parataxis", "dep", "ccomp", "advcl"):
                continue
            entry = self.lex.verb(c.lemma_.lower(), False)
            if entry is None or entry.frame != "speech":
                continue
            first = min([c.i] + [a.i for a in self.syntax.aux(c)])
            before = c.doc[first - 1] if first > 0 else None
            subj = self.syntax.subject(c)
            if (before is not None and before.text in self.g.incise_punct) or (
                subj is not None
                and subj.i < c.i
                and subj.i > tok.i
                and c.doc[subj.left_edge.i - 1].text in self.g.incise_punct
            ):
                return c
        return None

    def _has_own_subject(self, verb: Token) -> bool:
        subj = self.syntax.subject(verb)
        if subj is not None and not _is_relative_pronoun(subj):
            return True
        return self.lex.language == "fr" and self._inverted_subject(verb) is not None

    def _is_predicate(self, tok: Token) -> bool:
        if tok.pos_ == "VERB":
            return True
        if any(c.dep_ in self.syntax.labels.cop for c in tok.children):
            return True
        if tok.pos_ == "AUX" and tok.dep_ in ("ROOT", "conj", "ccomp") and tok.lemma_ == "be":
            return any(c.dep_ in ("acomp", "attr") for c in tok.children)
        return False

    # ------------------------------------------------------------------ predicates
    def _code_predicate(self, tok: Token, ctx: Context) -> tuple[list[Coding], set[int]]:
        """Code one licensed predicate; returns codings and the children it consumed."""
        syn = self.syntax
        if ctx.depth > 12 or (self._past and self._about_the_past(tok)):
            return [], set()
        negated = (
            ctx.negated
            or syn.is_negated(tok)
            or self._neither(tok, ctx)
            or self._denied_argument(tok)
        )
        mode = self._mode(tok, ctx)
        lexical = self._lexical(tok)
        if lexical is None or lexical.suppressed:
            return [], set()
        frame = lexical.frame
        complement = self._complement(tok, lexical)
        consumed = {complement.i} if complement is not None else set()

        # speech: the statement and the reported clause
        if frame == "speech":
            if negated or mode in ("hypothetical", "possible"):
                return [], consumed
            return self._code_speech(tok, ctx, lexical, complement, mode), consumed

        # frames that pass their subject to the complement and code it as their own
        if frame in ("aspectual", "future", "modal") and complement is not None:
            if negated:
                return [], consumed
            sub_mode = {"aspectual": mode, "future": "future"}.get(frame, "possible")
            if frame == "modal" and tok.lemma_.lower() in self.g.deontic:
                sub_mode = "deontic"
            sub = replace(
                ctx,
                subject=self._subject_token(tok, ctx),
                mode=_combine_modes(mode, sub_mode),
                depth=ctx.depth + 1,
            )
            codings, _ = self._code_predicate(complement, sub)
            return codings, consumed

        if negated or mode in ("hypothetical", "possible"):
            return [], consumed

        code = lexical.code
        how = ["pattern" if lexical.specific else "verb"]
        target_hint: Token | None = None
        if frame in ("appeal", "demand", "intent", "want", "reject", "threaten"):
            composed = self._compose(tok, frame, complement, lexical, ctx)
            if composed is not None:
                code, target_hint = composed
                how = [f"frame:{frame}"]
            elif complement is not None:
                return [], consumed
        elif frame == "attempt":
            inner = self._lexical(complement) if complement is not None else None
            if inner is None or not inner.code or not inner.code.startswith("186"):
                return [], consumed
            code, how = "185", ["frame:attempt"]
            target_hint = complement
        elif frame in ("accuse", "deny") and complement is not None:
            target_hint = complement
            how = [f"frame:{frame}"]
        if not code:
            return [], consumed
        if (
            code[:2] in _SUPPORT_ROOTS
            and how[0] in ("verb", "pattern")
            and self._serves_violence(tok, lexical, complement)
        ):
            return [], consumed  # "helped to plan killings" is no aid
        code = self._apply_mode(code, mode, ctx)
        if code is None:
            return [], consumed
        coding = self._attach_actors(tok, ctx, lexical, code, target_hint, how)
        if coding is not None and mode not in (None, "realized"):
            coding.reverse = None  # "will visit" is an intent; nobody hosts anything yet
        return ([coding] if coding else []), consumed

    def _serves_violence(self, tok: Token, lexical: Lexical, complement: Token | None) -> bool:
        """Is a verb of help or cooperation about violence ("helped to plan and carry
        out killings", "contributed to planning the massacres", "took part in the
        attack", "a aidé les rebelles à mener des frappes")? Then it is complicity in
        that act, not the cooperation CAMEO 03/06/07 codes. Only the verb's own
        arguments and complement clauses are read, not their modifiers ("aid to
        war-torn Mozambique" is aid)."""
        syn = self.syntax
        clauses = [c for c in syn.complements(tok) if c.pos_ in ("VERB", "AUX")]
        if complement is not None and complement not in clauses:
            clauses.append(complement)
        seen: set[int] = set()
        nouns = [o for o in syn.objects(tok) if o != lexical.nominal]
        nouns += [o for _p, o in syn.preps(tok)]
        if lexical.nominal is not None:
            nouns += [o for _p, o in syn.preps(lexical.nominal)]
        while clauses:
            clause = clauses.pop()
            if clause.i in seen or len(seen) > 6:
                continue
            seen.add(clause.i)
            inner = self._lexical(clause)
            if inner is not None and (inner.code or "")[:2] in _VIOLENT_ROOTS:
                return True
            if inner is not None and inner.nominal is not None:
                nouns.append(inner.nominal)
            nouns += syn.objects(clause) + [o for _p, o in syn.preps(clause)]
            clauses += [c for c in clause.children if c.dep_ in ("conj", "xcomp") and _is_verbal(c)]
        for noun in nouns:
            for n in [noun, *[c for c in noun.children if c.dep_ == "conj"]]:
                if self._violent_noun(n):
                    return True
        return False

    def _violent_noun(self, noun: Token) -> bool:
        """'killings', 'massacres', 'frappes': a noun naming an act of violence."""
        found = self._noun_entry(noun)
        if found is not None:
            entry, _, pattern = found
            code = (pattern.code if pattern is not None else entry.code) or ""
            if code[:2] in _VIOLENT_ROOTS:
                return True
        for word in (noun.lemma_.lower(), noun.lower_):
            if (self.lex.topics.get((word,)) or "").startswith("harm.force"):
                return True
        return False

    def _about_the_past(self, tok: Token) -> bool:
        """A year before the discard list's horizon or "… years ago" in this very clause
        (not in a relative or adverbial clause inside it)."""
        cut = self.syntax.labels.clause_dependents | {"conj"}
        stack, starts = [tok], []
        while stack:
            t = stack.pop()
            starts.append(t.idx)
            stack += [c for c in t.children if c.dep_ not in cut]
        return any(a <= i < b for a, b in self._past for i in starts)

    def _denied_argument(self, tok: Token) -> bool:
        """ "launched no strikes", "no troops were sent", "n'a envoyé aucune aide": a
        subject or object with a negative determiner denies the event (CAMEO codes no
        "did not"; a refusal needs a refusal verb)."""
        syn = self.syntax
        args = syn.objects(tok)
        subj = syn.subject(tok)
        if subj is not None:
            args.append(subj)
        return any(syn.is_negated_noun(a) for a in args)

    def _neither(self, tok: Token, ctx: Context) -> bool:
        """ "Neither A nor B attacked": the subject carries the negation."""
        subj = self.syntax.subject(tok) or ctx.subject
        if subj is None:
            return False
        return any(t.lower_ in ("neither", "ni") for t in subj.subtree if t.i < subj.i + 1)

    def _code_speech(
        self,
        tok: Token,
        ctx: Context,
        lexical: Lexical,
        complement: Token | None,
        mode: str | None,
    ) -> list[Coding]:
        """A reporting verb: the reported clause (if any) and the statement itself.

        The reported clause is coded with its own actors (reported, so less
        confident). Following PETRARCH-2's transformations, a speaker reporting an
        attack by someone else accuses them (112) and one reporting its own attack
        claims it (015); "X said Y must …" is X's demand (10x) and "X said it would …"
        X's intent (03x) — then no separate statement is coded.
        """
        out: list[Coding] = []
        incise = complement is not None and complement.i == tok.head.i
        statement = (
            self._attach_actors(tok, ctx, lexical, lexical.code, complement, ["speech"])
            if lexical.code
            else None
        )
        speaker = statement.source if statement else self._source_only(tok, ctx)
        if speaker and all(self._is_news_agency(i) for i in speaker.ids):
            # "an AFP correspondent said", "Reuters reports": the wire attributing
            # what it reports is sourcing, not a statement by a political actor
            statement, speaker = None, NO_ACTORS
        composed_by_speaker = False
        if complement is not None and not incise:
            sub = Context(segment=ctx.segment, reported=True, speaker=speaker, depth=ctx.depth + 1)
            inner_mode = self._mode(complement, sub)
            inner_subject = self._subject_token(complement, sub)
            inner_negated = self.syntax.is_negated(complement) or self._denied_argument(complement)
            same = bool(speaker) and self._same_as_speaker(inner_subject, speaker, sub)
            if inner_negated:
                pass
            elif inner_mode in ("deontic", "subjunctive"):
                # "X said Y must withdraw": a demand from X to Y
                code = family_code("demand", self._topic(complement)) if not same else None
                demand = (
                    self._attach_actors(
                        tok,
                        ctx,
                        lexical,
                        code,
                        complement,
                        ["speech+deontic"],
                        target_token=inner_subject,
                    )
                    if code and speaker
                    else None
                )
                if demand:
                    out.append(demand)
                    composed_by_speaker = True
            elif inner_mode in ("future", "conditional") and not same:
                # "X said Y will meet Z": Y's intent, reported (conflict futures drop)
                out += self._visit(complement, replace(sub, mode="future"), licensed=True)
            elif inner_mode in ("future", "conditional"):
                # "X said it would send aid": an intent (03x), or a threat for force
                if same:
                    topic = self._topic(complement)
                    code = family_code("intent", topic) if topic else None
                    inner = self._lexical(complement)
                    intent = (
                        self._attach_actors(
                            complement,
                            sub,
                            inner or lexical,
                            code,
                            complement,
                            ["speech+future"],
                            source_override=speaker,
                        )
                        if code
                        else None
                    )
                    if intent:
                        intent.trigger = sorted({tok, *intent.trigger}, key=lambda t: t.i)
                        out.append(intent)
                        composed_by_speaker = True
            else:
                for inner in self._visit(complement, sub, licensed=True):
                    out.append(inner)
                    own = self._same_side(inner.source, speaker)
                    if own:
                        # "Japan said it had halted aid": Japan's own act, not a report
                        # about someone (PETRARCH-2: a SAY (a b Q) = a b Q)
                        inner.confidence /= 0.85
                        composed_by_speaker = True
                    if not statement or inner.code[:2] not in ("18", "19", "20"):
                        continue
                    rule = self._transform("speech", "same" if own else "other", inner.code)
                    if rule:
                        meta = self._attach_actors(
                            tok,
                            ctx,
                            lexical,
                            rule,
                            complement,
                            [f"transform:{rule}"],
                            target_actors=inner.target if own else inner.source,
                        )
                        if meta:
                            out.append(meta)
                            composed_by_speaker = True
        if statement and self.statements and not composed_by_speaker:
            if mode in ("future", "conditional") and not ctx.reported:
                return out
            out.append(statement)
        return out

    def _is_news_agency(self, actor_id: str) -> bool:
        actor = self._actors.get(actor_id)
        return actor is not None and actor.cameo == "MED"

    def _same_side(self, inner: Actors, speaker: Actors) -> bool:
        """Does the speaker report its own act? The same actors ("Japan said it had
        halted aid"), or a state's institutions speaking of that state's acts ("the U.S.
        Central Command said the United States launched an air strike"): a claim, not
        an accusation."""
        if not inner or not speaker:
            return False
        if set(inner.ids) <= set(speaker.ids):
            return True
        countries = set()
        for actor_id in speaker.ids:
            actor = self._actors.get(actor_id)
            if actor is None or actor.country is None or not _state_apparatus(actor):
                return False
            countries.add(actor.country)
        for actor_id in inner.ids:
            actor = self._actors.get(actor_id)
            if actor is None or actor.country not in countries or not _state_apparatus(actor):
                return False
        return True

    def _minus_own_state(self, target: Actors, source: Actors) -> Actors:
        """A government, its officials or its army making a statement do not address
        their own state or its officials: "the White House said the US and Jordan
        agreed", "Canada's government announced bans on travel to Canada" are about
        someone else (domestic acts — a curfew, a reform — keep their own country as
        target)."""
        if not target or not source:
            return target
        own = self._own_countries(source)
        drop = [i for i in target.ids if self._is_own(i, own)]
        return _minus(target, Actors(tuple(drop), (), 1.0)) if drop else target

    def _own_countries(self, source: Actors) -> set[str]:
        """Countries whose state apparatus the source belongs to."""
        own: set[str] = set()
        for actor_id in source.ids:
            actor = self._actors.get(actor_id)
            if actor is not None and actor.country and _state_apparatus(actor):
                own.add(actor.country)
        return own

    def _is_own(self, actor_id: str, own: set[str]) -> bool:
        actor = self._actors.get(actor_id)
        return actor is not None and actor.country in own and _state_apparatus(actor)

    def _transform(self, frame: str, inner_source: str, code: str) -> str | None:
        """PETRARCH-2's rule for a ``frame`` verb (its SAY/CLAIM rules are speech) over
        an inner attack by the same or another source."""
        for rule in self.lex.transformations:
            if self.lex.frame_words.get(rule.outer) != frame:
                continue
            if rule.inner_source != inner_source or not rule.code:
                continue
            if rule.inner == "ATTACK" and code[:2] in ("18", "19", "20"):
                return rule.code
        return None

    def _compose(
        self,
        tok: Token,
        frame: str,
        complement: Token | None,
        lexical: Lexical,
        ctx: Context,
    ) -> tuple[str, Token | None] | None:
        """Appeal/demand/intent/reject/threaten: the code for what is asked, promised …"""
        family = {"want": "intent"}.get(frame, frame)
        if complement is not None:
            denied = self.syntax.is_negated(complement) or self._denied_argument(complement)
            topic = None if denied else self._topic(complement)
            if frame == "want":
                inner_subject = self.syntax.subject(complement)
                if inner_subject is not None and complement.dep_ in self.syntax.labels.ccomp:
                    family = "appeal"
            code = family_code(family, topic)
            return (code, complement) if code else None
        # nominal complement: "call for a ceasefire", "appeler au calme"
        topic = None
        for _prep, obj in self.syntax.preps(tok) + [("", o) for o in self.syntax.objects(tok)]:
            topic = topic or self._noun_topic(obj)
        if topic is None:
            return None
        generic = lexical.code in (None, family_code(family, None))
        if lexical.specific and lexical.code and lexical.code[:2] != "01" and not generic:
            return None  # the dictionary pattern already says what it is ("call for" → 020
            # is generic: the topic of what is called for refines it)
        code = family_code(family, topic)
        return (code, None) if code else None

    def _apply_mode(self, code: str, mode: str | None, ctx: Context) -> str | None:
        if mode in (None, "realized"):
            return code
        if mode == "conditional" and not ctx.reported:
            return None  # "l'armée aurait bombardé": alleged, not asserted
        if mode in ("future", "conditional"):
            root = code[:2]
            if root in ("01", "02", "03"):
                return code if code[:2] == "03" else None
            topic = topic_of_code(code)
            if is_harm(topic) or int(root) >= 9 or topic is None:
                return None
            return family_code("intent", topic)
        return None  # deontic / subjunctive / possible outside a speech frame

    # ------------------------------------------------------------------ lexicon
    def _lexical(self, tok: Token) -> Lexical | None:
        """Code, frame and trigger of a predicate head from the lexicon (no actors);
        cached per Doc (a head is looked at as predicate, complement and topic)."""
        if tok.i not in self._lexicals:
            self._lexicals[tok.i] = self._lookup(tok)
        found = self._lexicals[tok.i]
        return replace(found, trigger=list(found.trigger)) if found is not None else None

    def _lookup(self, tok: Token) -> Lexical | None:
        syn = self.syntax
        lemma = tok.lemma_.lower()
        reflexive = syn.is_reflexive(tok) if self.lex.language == "fr" else False
        entry: VerbEntry | None = None
        head = tok
        # copular predicates: "être d'accord", "is ready to", "se dire prêt à"
        key = self._copular_key(tok)
        if key is not None:
            entry = self.lex.copular.get(key[0])
            head = key[1]
        if entry is None:
            entry = self.lex.verb(lemma, reflexive)
        trigger = self._trigger_tokens(tok, head)
        pattern, specific, suppressed = None, False, False
        if entry is not None:
            pattern = self._best_pattern(tok, entry.patterns)
            if pattern is not None:
                specific = True
                suppressed = pattern.code is None and pattern.reverse is None
        code = pattern.code if pattern is not None else (entry.code if entry else None)
        frame = (pattern.frame if pattern and pattern.frame else None) or (
            entry.frame if entry else None
        )
        if frame == "ignore":
            return None
        if pattern is not None and pattern.particle:
            trigger += [c for c in tok.children if c.lower_ == pattern.particle]
        reciprocal = bool(
            entry and (entry.reciprocal or (entry.reverse and entry.reverse == entry.code))
        )
        if pattern is not None and pattern.reverse and pattern.reverse == pattern.code:
            reciprocal = True
        lexical = Lexical(
            code=code,
            frame=frame,
            pattern=pattern,
            entry=entry,
            trigger=trigger,
            specific=specific,
            suppressed=suppressed,
            reciprocal=reciprocal,
        )
        light = lemma in self.g.light_verbs
        if light and not suppressed and (not specific or code is None):
            nominal = self._nominal(tok)
            if nominal is not None:
                noun_entry, noun_tok, noun_pattern = nominal
                lexical.code = noun_pattern.code if noun_pattern else noun_entry.code
                lexical.frame = noun_entry.frame or (frame if frame != "speech" else None)
                lexical.entry = noun_entry
                lexical.pattern = noun_pattern
                lexical.nominal = noun_tok
                lexical.specific = True
                lexical.reciprocal = noun_entry.reciprocal or (lexical.code in RECIPROCAL_CODES)
                lexical.trigger = self._trigger_tokens(tok, noun_tok)
        if lexical.code is None and lexical.frame is None:
            return None
        return lexical

    def _copular_key(self, tok: Token) -> tuple[str, Token] | None:
        L = self.syntax.labels
        if self.lex.language == "fr":
            if any(c.dep_ in L.cop for c in tok.children):
                fixed = [c for c in tok.children if c.dep_ == "fixed"]
                words = [tok.lower_] + [f.lower_ for f in fixed]
                return _join_elided(words), tok
            if tok.lemma_.lower() == "dire" and self.syntax.is_reflexive(tok):
                for c in tok.children:
                    if c.dep_ in ("xcomp", "obj", "amod") and c.pos_ in ("ADJ", "VERB"):
                        return c.lemma_.lower(), c
            return None
        if tok.lemma_.lower() == "be":
            for c in tok.children:
                if c.dep_ in ("acomp",) and c.pos_ in ("ADJ", "VERB"):
                    return c.lemma_.lower(), c
        return None

    def _trigger_tokens(self, tok: Token, head: Token) -> list[Token]:
        tokens = [tok] if head is tok else [tok, head]
        tokens += [c for c in tok.children if c.dep_ in ("cop", "fixed") and abs(c.i - tok.i) <= 2]
        for aux in self.syntax.aux(tok):
            if 0 < tok.i - aux.i <= 3:
                tokens.append(aux)
        return tokens

    def _best_pattern(self, tok: Token, patterns: Sequence[Pattern]) -> Pattern | None:
        if not patterns:
            return None
        view = _PredicateView(tok, self.syntax)
        lemma = tok.lemma_.lower()
        best: Pattern | None = None
        best_score: tuple[int, ...] = (-1, -1, -1)
        for p, spec, kind, cues in _ranked(patterns):
            # the most specific pattern; among equals, one written for this very verb
            # (hand-written ones first) rather than for a synonym in its block, then the
            # one whose words match the text's forms exactly ("sanctions", not "sanction")
            if spec < best_score[0]:
                break  # ranked by specificity: nothing better follows
            if cues and not view.has_cue(kind, cues):
                continue
            exact = view.score(p)
            if exact < 0:
                continue
            score = (spec, 2 if p.origin == "" else 1 if p.origin == lemma else 0, exact)
            if score > best_score:
                best, best_score = p, score
        return best

    def _nominal(self, tok: Token) -> tuple[NounEntry, Token, Pattern | None] | None:
        """Light verb + eventive noun: "lancer une offensive", "hold talks"."""
        syn = self.syntax
        candidates = list(syn.objects(tok))
        if syn.is_passive(tok):
            subj = syn.subject(tok)
            if subj is not None:
                candidates.append(subj)
        candidates += [o for p, o in syn.preps(tok) if p in ("à", "to", "in", "de")]
        if self.lex.language == "fr":  # "a lancé une nouvelle/obj offensive/obl:mod"
            candidates += [
                c
                for c in tok.children
                if c.pos_ == "NOUN"
                and c.i > tok.i
                and not syn.prep_of(c)
                and c.dep_ not in syn.labels.subject
            ]
        for noun in candidates:
            if noun.dep_ in syn.labels.clause_dependents or any(
                c.dep_ in syn.labels.cop for c in noun.children
            ):
                continue  # "a déclaré que l'Iran était une menace": a clause, not an object
            found = self._noun_entry(noun)
            if found is not None:
                return found
        return None

    def _noun_entry(self, noun: Token) -> tuple[NounEntry, Token, Pattern | None] | None:
        lemma = noun.lemma_.lower()
        entry = self.lex.nouns.get(lemma) or self.lex.nouns.get(noun.lower_)
        if entry is None and lemma in self.g.container_nouns:
            for prep, inner in self.syntax.preps(noun):
                if prep in ("de", "of"):
                    return self._noun_entry(inner)
            for c in noun.children:  # EN "a series of attacks" parsed with prep child
                if c.dep_ == "compound":
                    return self._noun_entry(c)
            return None
        if entry is None:
            # compound nouns written as two words: "air strike", "car bomb"
            for c in noun.children:
                if c.dep_ in ("compound", "amod"):
                    entry = self.lex.nouns.get(f"{c.lower_} {lemma}")
                    if entry:
                        break
        if entry is None:
            return None
        pattern = None
        if entry.patterns:
            view = _PredicateView(noun, self.syntax, nominal=True)
            for p in entry.patterns:
                if (pattern is None or p.specificity > pattern.specificity) and view.matches(p):
                    pattern = p
        if entry.code is None and (pattern is None or pattern.code is None):
            return None
        return entry, noun, pattern

    def _complement(self, tok: Token, lexical: Lexical) -> Token | None:
        """The clause a frame verb governs (EN "of attacking", FR "de frapper" included)."""
        if not lexical.frame:
            return None
        head = lexical.nominal or tok
        comps = [c for c in self.syntax.complements(tok) if _is_verbal(c) or c.pos_ == "AUX"]
        if lexical.frame == "speech":  # "ayant requis l'anonymat" is not what was said
            comps = [c for c in comps if "Part" not in c.morph.get("VerbForm") or c.dep_ != "xcomp"]
        if not comps and head != tok:
            comps = [c for c in head.children if c.dep_ in ("acl", "xcomp") and _is_verbal(c)]
            for _prep, obj in self.syntax.preps(head):
                if _is_verbal(obj):
                    comps.append(obj)
        if not comps and lexical.frame == "speech":
            comps = [
                c
                for c in tok.children
                if c.dep_ in ("parataxis", "dep") and _is_verbal(c) and c.i < tok.i
            ]
            if (
                not comps
                and tok.head.i < tok.i
                and tok.dep_ in ("parataxis", "dep", "advcl", "ccomp", "conj")
                and _is_verbal(tok.head)
            ):
                comps = [tok.head]  # '« … », a déclaré X' / '…, X said': the head is reported
        if not comps and self._copular_key(tok):
            adj = self._copular_key(tok)[1]  # type: ignore[index]
            comps = [c for c in adj.children if c.dep_ in ("xcomp", "ccomp", "advcl")]
        return comps[0] if comps else None

    def _topic(self, clause: Token) -> str | None:
        """What a complement clause is about: its own code's topic (refined by its nouns:
        "send humanitarian aid" is aid.hum), else its nouns' topic. A verb of stopping
        turns cooperation into its withdrawal: "stop negotiations" is halting talks."""
        inner = self._lexical(clause)
        code_topic = topic_of_code(inner.code) if inner is not None and inner.code else None
        noun_topic = None
        for obj in self.syntax.objects(clause) + [o for _, o in self.syntax.preps(clause)]:
            noun_topic = self._noun_topic(obj)
            if noun_topic:
                break
        if code_topic and noun_topic and noun_topic.startswith(code_topic + "."):
            return noun_topic
        if code_topic:
            return code_topic
        if noun_topic and clause.lemma_.lower() in self.g.cessation:
            return _CEASE.get(noun_topic.split(".")[0], noun_topic)
        if noun_topic is None and clause.pos_ == "VERB":
            # a verb the lexicon only knows as a topic word ("se venger", "avenge")
            return self.lex.topics.get((clause.lemma_.lower(),))
        return noun_topic

    def _noun_topic(self, noun: Token) -> str | None:
        if self.syntax.is_negated_noun(noun):
            return None  # "no aid", "sans aide": nothing is asked, promised or given
        words = [t for t in noun.subtree if t.i - noun.i < 8][:12]
        lemmas = [t.lemma_.lower() for t in words]
        lowers = [t.lower_ for t in words]
        best: tuple[int, str] | None = None
        for phrase, topic in self.lex.topics.items():
            longer = best is None or len(phrase) > best[0]
            if longer and (_contains(lemmas, phrase) or _contains(lowers, phrase)):
                best = (len(phrase), topic)
        if best:
            return best[1]
        found = self._noun_entry(noun)
        if found is not None:
            entry, _, pattern = found
            return topic_of_code(pattern.code if pattern else entry.code)
        return None

    # ------------------------------------------------------------------ modality
    def _mode(self, tok: Token, ctx: Context) -> str | None:
        g, syn = self.g, self.syntax
        mark = syn.mark(tok)
        if mark and mark in g.hypothetical_marks:
            return "hypothetical"
        if tok.dep_ == "ROOT" and self._text[: ctx.segment.end_char].rstrip().endswith("?"):
            return "hypothetical"
        if (
            self.lex.language == "en"
            and tok.dep_ in ("xcomp", "pcomp")
            and any(c.lower_ == "about" for c in [tok.head, *tok.head.children] if c.i < tok.i)
        ):
            return "future"  # "is about to restore"
        aux_words = {a.lower_ for a in syn.aux(tok)} | {a.lemma_.lower() for a in syn.aux(tok)}
        if aux_words & g.possibility:
            return "possible"
        if aux_words & g.deontic:
            return "deontic"
        if self.lex.language == "en":
            if aux_words & g.future_aux:
                return "future"
            if aux_words & g.conditional_aux:
                return "conditional"
            if tok.tag_ == "VB" and not syn.aux(tok) and tok.dep_ in ("ccomp",):
                subj = syn.subject(tok)
                if subj is not None and not any(c.dep_ == "aux" for c in tok.children):
                    return "subjunctive"  # "demanded that Israel withdraw"
        else:
            for word in [*syn.aux(tok), tok]:
                tense = syn.verb_tense(word)
                if tense:
                    return tense
            if "Sub" in tok.morph.get("Mood") and tok.dep_ in ("ccomp",):
                return "subjunctive"
        return ctx.mode

    # ------------------------------------------------------------------ actors
    def _subject_token(self, verb: Token, ctx: Context) -> Token | None:
        syn = self.syntax
        subj = syn.subject(verb)
        if subj is not None and not _inside(subj, ctx.segment):
            # a subject outside the clause's segment (a dateline parsed as one): the
            # next subject inside it, if any
            inner = [
                c
                for c in verb.children
                if c.dep_ in syn.labels.subject | syn.labels.passive_subject
                and _inside(c, ctx.segment)
            ]
            subj = inner[0] if inner else subj
        if subj is not None and syn.is_passive(verb) and subj.dep_ in syn.labels.passive_subject:
            return None
        if subj is not None and _is_relative_pronoun(subj) and ctx.antecedent is not None:
            return ctx.antecedent
        if subj is None and ctx.antecedent is not None and verb.dep_ in syn.labels.relcl:
            return ctx.antecedent
        if subj is None and self.lex.language == "fr":
            subj = self._inverted_subject(verb)
        if subj is None:
            subj = ctx.subject
        if subj is None and not syn.is_passive(verb):
            subj = self._stranded_subject(verb, ctx)
        return subj

    def _stranded_subject(self, verb: Token, ctx: Context) -> Token | None:
        """A name right before the verb group that the parser did not make its subject
        ("Macron/ADV rencontrera", "Macron/ROOT et Scholz se sont entretenus"): the
        nominal the verb group directly follows, if nothing but clitics separate them."""
        group = [verb, *self.syntax.aux(verb)] + [
            c
            for c in verb.children
            if c.i < verb.i and (c.pos_ == "PRON" or c.lower_ in ("ne", "n'", "not"))
        ]
        first = min(t.i for t in group)
        if first <= ctx.segment.start:
            return None
        t = verb.doc[first - 1]
        if t.is_punct or any(c.dep_ == "case" for c in t.children) or t.dep_ == "case":
            return None
        while t.head.i != t.i and t.head.i != verb.i and _inside(t.head, ctx.segment):
            if t.head.i > verb.i:
                return None
            t = t.head
        if t.i >= verb.i or any(c.dep_ == "case" for c in t.children):
            return None
        if t.pos_ in ("NOUN", "PROPN") or t.ent_type_ or self._mentions_covering(t):
            return t
        return None

    def _mentions_covering(self, tok: Token) -> list[ActorMention]:
        i = bisect_right(self._mention_starts, tok.idx)
        return [m for m in self._mentions[max(i - 3, 0) : i] if m.start <= tok.idx < m.end]

    def _inverted_subject(self, verb: Token) -> Token | None:
        """ "…, a annoncé samedi Moscou": a speech verb's post-verbal "object" is its subject."""
        entry = self.lex.verb(verb.lemma_.lower(), self.syntax.is_reflexive(verb))
        if entry is None or entry.frame != "speech":
            return None
        if not self._after_incise_punct(verb):
            return None
        objs = [o for o in self.syntax.objects(verb) if o.i > verb.i]
        return objs[0] if objs else None

    def _after_incise_punct(self, verb: Token) -> bool:
        """The verb group (with its auxiliaries, clitics, "ne") follows , » or a dash."""
        group = [verb, *self.syntax.aux(verb)] + [
            c
            for c in verb.children
            if c.i < verb.i and (c.pos_ == "PRON" or c.lower_ in ("ne", "n'")) and c.dep_ != "nsubj"
        ]
        first = min(t.i for t in group)
        return first > 0 and verb.doc[first - 1].text in self.g.incise_punct

    def _source_only(self, tok: Token, ctx: Context) -> Actors:
        subj = self._subject_token(tok, ctx)
        return self._actors_of(subj, ctx, role="source") if subj is not None else NO_ACTORS

    def _same_as_speaker(self, subj: Token | None, speaker: Actors, ctx: Context) -> bool:
        if subj is None:
            return True  # control: "said it was ready to", "a dit vouloir"
        actors = self._actors_of(subj, ctx, role="source")
        if actors:
            return set(actors.ids) <= set(speaker.ids)
        return subj.pos_ == "PRON" and not _is_relative_pronoun(subj)

    def _attach_actors(
        self,
        tok: Token,
        ctx: Context,
        lexical: Lexical,
        code: str,
        target_hint: Token | None,
        how: list[str],
        *,
        target_token: Token | None = None,
        target_actors: Actors | None = None,
        source_override: Actors | None = None,
    ) -> Coding | None:
        syn = self.syntax
        if not code or code not in self.codebook:
            return None
        quote_index, quote = self._quote_at(lexical.trigger)
        passive = syn.is_passive(tok)
        source = NO_ACTORS
        if source_override is not None:
            source = source_override
        elif passive:
            agent = syn.agent(tok)
            if agent is not None:
                source = self._actors_of(agent, ctx, role="source")
        else:
            subj = self._subject_token(tok, ctx)
            if subj is not None:
                source = self._actors_of(subj, ctx, role="source")
                for other in tok.children:  # "Trump/nsubj et Poutine/nsubj"
                    if other != subj and other.dep_ in syn.labels.subject and source:
                        source = _merge(source, self._actors_of(other, ctx, role="source"))
                if not source and self._first_person(subj):
                    if quote is not None and quote.speakers:
                        source = self._from_ids(quote.speakers, 0.9)
                    elif ctx.speaker:
                        source = replace(ctx.speaker, weight=ctx.speaker.weight * 0.85)
                elif not source and ctx.speaker and _is_personal_pronoun(subj):
                    # "Hamas claimed it fired rockets": the reported clause's pronoun
                    # subject is taken to be the speaker (PETRARCH-2's convention)
                    source = replace(ctx.speaker, weight=ctx.speaker.weight * 0.8)
            if subj is not None and not _inside(subj, ctx.segment):
                source = replace(source, weight=source.weight * 0.8)
        if not source and quote is not None and quote.speakers and _is_cue(quote, lexical):
            source = self._from_ids(quote.speakers, 0.9)
        if not source:
            return None

        # target
        target = NO_ACTORS
        if target_actors is not None:
            target = target_actors
        else:
            target = self._target(
                tok, ctx, lexical, code, passive, target_hint, target_token, source
            )
        target = _minus(target, source)
        if code[:2] == "01":
            target = self._minus_own_state(target, source)
        reciprocal = (
            lexical.reciprocal
            or code in RECIPROCAL_CODES
            or (code[:2] in RECIPROCAL_ROOTS and code not in ("042", "043"))
        )
        if not target and reciprocal and len(source.ids) >= 2:
            target = source
        if not target and self.require_target:
            return None
        confidence = (0.8 if lexical.specific else 0.7) * source.weight
        if code == STATEMENT or (code[:2] == "01" and "speech" in how):
            # a bare statement says least: it must not outrank what is reported
            confidence = 0.5 * source.weight
        # an uncertain target weighs less than an uncertain source: the event stands
        confidence *= 0.5 + 0.5 * target.weight if target else 0.85
        if ctx.reported and not source_override:
            confidence *= 0.85
        reverse = None
        if lexical.pattern is not None and lexical.pattern.reverse:
            reverse = lexical.pattern.reverse
        elif (
            isinstance(lexical.entry, VerbEntry) and lexical.entry.reverse and not lexical.specific
        ):
            reverse = lexical.entry.reverse
        if reverse == code:
            reverse = None
        return Coding(
            code=code,
            source=source,
            target=target,
            trigger=sorted(set(lexical.trigger), key=lambda t: t.i),
            confidence=confidence,
            quote=quote_index,
            reciprocal=target is source,
            reverse=reverse,
            how=how,
        )

    def _target(
        self,
        tok: Token,
        ctx: Context,
        lexical: Lexical,
        code: str,
        passive: bool,
        hint: Token | None,
        explicit: Token | None,
        source: Actors = NO_ACTORS,
    ) -> Actors:
        """Where the target is: the explicit token, the passive subject, the pattern's
        slot, objects, target prepositions, the complement's arguments; for force, a
        location; for statements, the first actor in what was said. Candidates that
        are the source itself (an inverted subject) are skipped."""
        syn = self.syntax
        subject = self._subject_token(tok, ctx)
        if explicit is not None:
            found = _minus(self._actors_of(explicit, ctx, role="target"), source)
            if found:
                return found
        if passive:
            subj = syn.subject(tok)
            if subj is not None and subj != lexical.nominal:
                return self._actors_of(subj, ctx, role="target")
            if lexical.nominal is None:
                return NO_ACTORS
        pattern = lexical.pattern
        heads: list[Token] = []
        wanted = pattern.target if pattern is not None else None
        if isinstance(lexical.entry, VerbEntry) and not wanted:
            wanted = lexical.entry.target
        if wanted and wanted.startswith("prep:"):
            prep = wanted[5:]
            heads += [o for p, o in syn.preps(tok) if p == prep]
            if lexical.nominal is not None:
                heads += [o for p, o in syn.preps(lexical.nominal) if p == prep]
            for c in tok.children:  # "par téléphone avec Joe Biden", PP attached one lower
                if c.i > tok.i and c.dep_ not in syn.labels.subject:
                    heads += [o for p, o in syn.preps(c) if p == prep]
        if lexical.nominal is not None:
            heads += [o for p, o in syn.preps(lexical.nominal) if p in self.g.target_preps]
        objects = [o for o in syn.objects(tok) if o != lexical.nominal]
        heads += objects + syn.indirect(tok)
        preps = syn.preps(tok)
        heads += [
            o for p in self.g.target_preps for q, o in preps if q == p and o != lexical.nominal
        ]
        if hint is not None:
            inner_subject = syn.subject(hint)
            if inner_subject is not None:
                heads.append(inner_subject)
            heads += syn.objects(hint)
            inner_preps = syn.preps(hint)
            heads += [o for p in self.g.target_preps for q, o in inner_preps if q == p]
        force = code[:2] in ("15", "17", "18", "19", "20")
        for head in heads:
            if subject is not None and head == subject:
                continue
            if head.dep_ not in syn.labels.object and self._is_venue(head):
                continue  # "at the G20 summit", "lors du sommet de l'APEC": where, not whom
            found = _minus(self._actors_of(head, ctx, role="target"), source)
            if not found and force:  # "contre la ville de Kharkiv": the place's state
                found = _minus(self._state_of_place(head), source)
            if found:
                return found
        if code[:2] in ("15", "17", "18", "19", "20"):
            for p, o in preps:  # "bombed positions in Syria": the place is the target
                if p in self.g.location_preps and (o.pos_ == "PROPN" or o.ent_type_):
                    found = _minus(self._actors_of(o, ctx, role="target"), source)
                    if not found:
                        found = _minus(self._state_of_place(o), source)
                    if found:
                        return replace(found, weight=found.weight * 0.8)
        if code[:2] == "01" and hint is not None:
            exclude = tok if hint.i == tok.head.i else None
            return self._first_actor(hint, ctx, exclude=exclude, source=source)
        # last resort: an actor in the verb's other (non-locative) complements, e.g. a
        # misattached object "couvert d'éloges le maître du Kremlin" — not for meetings,
        # whose other complements are where and when ("en marge du G20")
        if lexical.reciprocal or code[:2] == "04":
            return NO_ACTORS
        L = syn.labels
        for c in tok.children:
            if c.dep_ in L.subject | L.passive_subject | L.clause_dependents | {"punct", "conj"}:
                continue
            if c == lexical.nominal or c.i < tok.i or c == subject:
                continue
            prep = (
                syn.prep_of(c)
                if self.lex.language == "fr"
                else (c.lemma_.lower() if c.dep_ == "prep" else None)
            )
            if prep not in (None, "de", "of"):  # not "selon X", "in X", "by X"
                continue
            found = _minus(self._actors_of(c, ctx, role="target"), source)
            if found:
                return replace(found, weight=found.weight * 0.75)
        return NO_ACTORS

    def _state_of_place(self, tok: Token) -> Actors:
        """The article's state actor for a place (``ww_places``) at this token: the
        actor resolver leaves "en Syrie" out as a place, yet Syria is what was hit.
        Only a state actor the article already has is used; none is invented."""
        places = self._doc._.ww_places or []
        starts = [t.idx for t in tok.subtree if abs(t.i - tok.i) <= 4]
        for place in places:
            if place.country and any(s.start <= i < s.end for s in place.mentions for i in starts):
                states = [
                    a
                    for a in self._actors.values()
                    if a.type == "state" and a.country == place.country
                ]
                if states:
                    return self._from_ids([states[0].id], 0.85)
        return NO_ACTORS

    def _first_actor(
        self,
        clause: Token,
        ctx: Context,
        exclude: Token | None = None,
        source: Actors = NO_ACTORS,
    ) -> Actors:
        """The first actor mentioned in a reported clause: what a statement is about.

        Only actors near the clause's predicate count (at most five dependency steps
        away: an actor buried deeper is incidental), and not the speaker's own side
        ("the White House said the deal was negotiated by Tillerson and Lavrov" is
        not aimed at Tillerson)."""
        skip = {t.i for t in exclude.subtree} if exclude is not None else set()
        tokens = [t for t in clause.subtree if _inside(t, ctx.segment) and t.i not in skip]
        own = self._own_countries(source)
        mentions = [
            m
            for m in self._mentions_in_tokens(tokens)
            if m.actor_id not in source.ids
            and not self._is_own(m.actor_id, own)
            and self._distance(m, clause) <= 5
        ]
        if not mentions:
            return NO_ACTORS
        return self._from_mentions(mentions[:1], 0.8)

    def _actors_of(self, head: Token, ctx: Context, role: str) -> Actors:
        """Actors a noun phrase refers to: mentions on the head, its appositions and
        conjuncts; for agent nouns ("porte-parole du Kremlin", "Israeli troops") or
        targets also mentions in its modifiers."""
        L = self.syntax.labels
        if head.pos_ == "PRON" and _is_relative_pronoun(head) and ctx.antecedent is not None:
            head = ctx.antecedent
        core: list[Token] = []
        stack = [head]
        while stack:
            t = stack.pop()
            core.append(t)
            stack += [c for c in t.children if c.dep_ in L.core]
        phrase: list[Token] = []
        stack = [head]
        while stack:
            t = stack.pop()
            phrase.append(t)
            stack += [c for c in t.children if c.dep_ not in L.clause_dependents]
        phrase = [t for t in phrase if _inside(t, ctx.segment)]
        mentions = self._mentions_in_tokens(phrase)
        for t in core:  # a mention the parser split ("Emmanuel/nsubj Macron/advmod")
            for m in self._mentions_covering(t):
                if m not in mentions and _inside(t, ctx.segment):
                    mentions.append(m)
        if not mentions:
            return NO_ACTORS
        core_idx = {t.i for t in core if _inside(t, ctx.segment)}
        core_mentions = [m for m in mentions if self._covers(m, core_idx)]
        if core_mentions:
            return self._from_mentions(core_mentions, 1.0)
        agentive = head.lemma_.lower() in self.g.agent_nouns or head.lower_ in self.g.agent_nouns
        if role == "target" or agentive:
            # the closest modifiers ("Israeli troops", "porte-parole du Kremlin"),
            # coordinated ones together ("Hungarian and Romanian officials")
            ranked = [(self._distance(m, head, role == "source"), m) for m in mentions]
            ranked = [(d, m) for d, m in ranked if d <= (3 if role == "target" else 2)]
            if role == "target":
                ranked = [(d, m) for d, m in ranked if not self._via_venue(m, head)]
            if ranked:
                best = min(d for d, _ in ranked)
                return self._from_mentions([m for d, m in ranked if d == best], 0.85)
        return NO_ACTORS

    def _is_venue(self, tok: Token) -> bool:
        """A meeting or its place ("summit", "sommet", "headquarters"): an actor named
        in it ("the G20 summit", "NATO headquarters") is where something happened."""
        return tok.lemma_.lower() in self.g.venue_nouns or tok.lower_ in self.g.venue_nouns

    def _via_venue(self, m: ActorMention, head: Token) -> bool:
        """Does the way from a mention up to ``head`` pass through a venue noun ("welcomed
        the agreement at/of the G20 summit")?"""
        span = self._doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None:
            return False
        tok, steps = span.root, 0
        while tok.i != head.i and tok.head.i != tok.i and steps < 12:
            tok, steps = tok.head, steps + 1
            if tok.i != head.i and self._is_venue(tok):
                return True
        return False

    def _distance(self, m: ActorMention, head: Token, affiliation: bool = False) -> int:
        """Dependency steps from a mention up to ``head``, not counting conj/appos;
        with ``affiliation``, only through edges that can say whom the head belongs to."""
        span = self._doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None:
            return 99
        tok, steps = span.root, 0
        while tok.i != head.i and steps < 99:
            if tok.head.i == tok.i:
                return 99
            if affiliation and not self._affiliation_edge(tok):
                return 99  # "l'émissaire … pour la Syrie": a topic, not an affiliation
            if tok.dep_ not in ("conj", "appos", "flat", "flat:name", "compound"):
                steps += 1
            tok = tok.head
        return steps

    def _affiliation_edge(self, tok: Token) -> bool:
        """Modifier edges that can say whom a noun belongs to: adjectives, compounds,
        possessives, genitive of/de (not "pour la Syrie", "in Iraq")."""
        if self.lex.language == "fr":
            prep = self.syntax.prep_of(tok)
            return prep is None or prep in ("de", "du", "des", "d'")
        if tok.dep_ == "pobj":
            return tok.head.lemma_.lower() == "of"
        if tok.dep_ == "prep":
            return tok.lemma_.lower() == "of"
        return True

    def _covers(self, m: ActorMention, token_idx: set[int]) -> bool:
        doc = self._doc
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None:
            return False
        return any(i in token_idx for i in range(span.start, span.end))

    def _mentions_in_tokens(self, tokens: Iterable[Token]) -> list[ActorMention]:
        idx = sorted({t.i for t in tokens})
        if not idx:
            return []
        doc = self._doc
        out: list[ActorMention] = []
        run_start = prev = idx[0]
        for i in [*idx[1:], None]:
            if i is not None and i == prev + 1:
                prev = i
                continue
            start, end = doc[run_start].idx, doc[prev].idx + len(doc[prev])
            out += mentions_in(doc, start, end)
            if i is not None:
                run_start = prev = i
        seen: set[tuple[int, int, str]] = set()
        unique = []
        for m in sorted(out, key=lambda m: m.start):
            key = (m.start, m.end, m.actor_id)
            if key not in seen:
                seen.add(key)
                unique.append(m)
        return unique

    def _from_mentions(self, mentions: Sequence[ActorMention], weight: float) -> Actors:
        ids = tuple(dict.fromkeys(m.actor_id for m in mentions))
        conf = min(m.confidence for m in mentions)
        return self._from_ids(ids, weight * conf, tuple(mentions))

    def _from_ids(
        self, ids: Iterable[str], weight: float, mentions: tuple[ActorMention, ...] = ()
    ) -> Actors:
        ids = tuple(dict.fromkeys(ids))
        actors: list[Actor | None] = [self._actors.get(i) for i in ids]
        cameo = tuple(dict.fromkeys(a.cameo for a in actors if a is not None and a.cameo))
        return Actors(ids, cameo, weight, mentions)

    def _first_person(self, tok: Token) -> bool:
        words = self.g.first_person or _FIRST_PERSON_EN
        return tok.lower_ in words

    def _quote_at(self, trigger: Sequence[Token]) -> tuple[int | None, Quote | None]:
        if not self._quotes or not trigger:
            return None, None
        start = min(t.idx for t in trigger)
        for i, q in enumerate(self._quotes):
            if q.cue is not None and q.cue.start <= start < q.cue.end:
                return i, q
            if q.span.start <= start < q.span.end:
                return i, q
        return None, None

    def _has_mentions(self, start: int, end: int) -> bool:
        i = bisect_left(self._mention_starts, start)
        return i < len(self._mention_starts) and self._mention_starts[i] < end

    # ------------------------------------------------------------------ output
    def _to_events(self, codings: list[tuple[Coding, Span]]) -> list[Event]:
        doc = self._doc
        # spans quote the article as published when the pipeline passes it along
        # (same length as the Doc text: normalisation is character for character)
        original = doc.user_data.get("original_text") or self._text
        if len(original) != len(self._text):
            original = self._text
        events: list[Event] = []
        seen: set[tuple] = set()
        for coding, seg in codings:
            pairs = [(coding.code, coding.source, coding.target)]
            if coding.reverse and coding.target and coding.target is not coding.source:
                pairs.append((coding.reverse, coding.target, coding.source))
            for code, source, target in pairs:
                info = self.codebook.get(code)
                if info is None:
                    continue
                confidence = round(min(coding.confidence, 1.0), 3)
                if confidence < self.min_confidence:
                    continue
                start = min(t.idx for t in coding.trigger)
                end = max(t.idx + len(t) for t in coding.trigger)
                key = (code, source.ids, target.ids, start)
                if key in seen:
                    continue
                seen.add(key)
                events.append(
                    Event(
                        code=code,
                        root=info.root,
                        label=info.description,
                        quad_class=info.quad_class,
                        goldstein=info.goldstein,
                        plover=info.plover,
                        source_actors=source.ids,
                        target_actors=target.ids,
                        source_cameo=source.cameo,
                        target_cameo=target.cameo,
                        trigger=TextSpan(start, end, original[start:end]),
                        sentence=TextSpan(
                            seg.start_char, seg.end_char, original[seg.start_char : seg.end_char]
                        ),
                        confidence=confidence,
                        quote_index=coding.quote,
                    )
                )
        events.sort(key=lambda e: (e.trigger.start, e.code))
        return events


# ---------------------------------------------------------------------- matching
_Ranked = list[tuple[Pattern, int, str, frozenset[str]]]
_RANKED: dict[int, tuple[Sequence[Pattern], _Ranked]] = {}


def _ranked(patterns: Sequence[Pattern]) -> _Ranked:
    """Patterns by decreasing specificity with their cue words (cached per tuple; the
    tuple is kept in the cache so its id cannot be reused)."""
    cached = _RANKED.get(id(patterns))
    if cached is not None and cached[0] is patterns:
        return cached[1]
    ranked = []
    for p in patterns:
        kind, cues = p.cue()
        ranked.append((p, p.specificity, kind, _with_singulars(cues)))
    ranked.sort(key=lambda x: -x[1])
    _RANKED[id(patterns)] = (patterns, ranked)
    return ranked


def _with_singulars(words: frozenset[str]) -> frozenset[str]:
    return words | {_singular(w) for w in words}


class _PredicateView:
    """The words around a predicate that patterns are checked against, each part built
    only when a pattern asks for it (most patterns only look at the object)."""

    def __init__(self, tok: Token, syntax: Syntax, nominal: bool = False) -> None:
        L = syntax.labels
        self._tok, self._syntax = tok, syntax
        kids = list(tok.children)
        self.children = {c.lower_ for c in kids} | {c.lemma_.lower() for c in kids}
        # a pattern's particle ("fire OFF") is a particle, not a preposition ("fired
        # missiles off the coast"), where the parse tells them apart
        self.particles = (
            {c.lower_ for c in kids if c.dep_ in L.particle} if L.particle else self.children
        )
        self._cut = L.relcl | L.acl | L.advcl | L.ccomp | L.parataxis
        skip = L.subject | L.passive_subject | L.ccomp | L.advcl | L.parataxis | L.relcl
        self._heads = [
            c
            for c in kids
            if c.dep_ not in skip
            and c.dep_ not in ("punct", "cc", "conj", "mark", "dep")
            and (nominal or c.i > tok.i or c.dep_ in L.object or c.dep_ in L.xcomp)
            and not (syntax.language == "en" and c.dep_ in L.prep)
            and not (syntax.language == "fr" and syntax.prep_of(c))
        ]
        self._region: _Words | None = None
        self._subject: _Words | None = None
        self._preps: list[tuple[str, _Words]] | None = None

    @property
    def region(self) -> _Words:
        if self._region is None:
            tokens = {t for h in self._heads for t in self._phrase(h)}
            self._region = _Words(sorted(tokens, key=lambda t: t.i))
        return self._region

    @property
    def subject(self) -> _Words:
        if self._subject is None:
            subj = self._syntax.subject(self._tok)
            self._subject = _Words(list(subj.subtree) if subj is not None else [])
        return self._subject

    @property
    def preps(self) -> list[tuple[str, _Words]]:
        if self._preps is None:
            syn = self._syntax
            pairs = syn.preps(self._tok)
            for h in self._heads:  # prepositional phrases inside the object ("series of attacks")
                pairs += syn.preps(h)
            self._preps = [
                (prep, _Words(sorted(self._phrase(obj), key=lambda t: t.i))) for prep, obj in pairs
            ]
        return self._preps

    def _phrase(self, head: Token) -> list[Token]:
        """The head's subtree without relative/adverbial clauses inside it."""
        out, stack = [], [head]
        while stack:
            t = stack.pop()
            out.append(t)
            stack += [c for c in t.children if c.dep_ not in self._cut]
        return out

    def has_cue(self, kind: str, cues: frozenset[str]) -> bool:
        """Could a pattern whose first requirement is ``kind`` match at all?"""
        if kind == "particle":
            return bool(cues & self.particles)
        if kind == "object":
            return bool(cues & self.region.set)
        if kind == "subject":
            return bool(cues & self.subject.set)
        if kind == "prep":
            return any(prep.split()[0] in cues for prep, _ in self.preps)
        return True

    def matches(self, p: Pattern) -> bool:
        return self.score(p) >= 0

    def score(self, p: Pattern) -> int:
        """-1 if the pattern does not match, else how many of its words match exactly."""
        if p.particle and p.particle not in self.particles:
            return -1
        exact = 0
        for slot in p.objects:
            q = self.region.quality(slot)
            if q < 0:
                return -1
            exact += q
        for slot in p.subject:
            q = self.subject.quality(slot)
            if q < 0:
                return -1
            exact += q
        for prep, slots in p.preps:
            best = -1
            for q_prep, words in self.preps:
                if q_prep != prep:
                    continue
                qualities = [words.quality(s) for s in slots]
                if all(q >= 0 for q in qualities):
                    best = max(best, sum(qualities))
            if best < 0:
                return -1
            exact += best
        return exact


class _Words:
    """Lemma and lower-case sequences of a token list, for phrase lookup."""

    __slots__ = ("lemmas", "lowers", "set")

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.lowers = [t.lower_ for t in tokens]
        self.lemmas = [t.lemma_.lower() for t in tokens]
        self.set = set(self.lowers) | set(self.lemmas)

    def has(self, slot: Slot) -> bool:
        return self.quality(slot) >= 0

    def quality(self, slot: Slot) -> int:
        """1: a phrase occurs as written; 0: only as lemma/singular; -1: absent."""
        found = -1
        for phrase in slot:
            if len(phrase) == 1:
                word = phrase[0]
                if word in self.lowers:
                    return 1
                if word in self.set or _singular(word) in self.set:
                    found = 0
            elif _contains(self.lowers, phrase):
                return 1
            elif _contains(self.lemmas, phrase):
                found = 0
        return found


@cache
def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _contains(words: Sequence[str], phrase: Phrase) -> bool:
    n = len(phrase)
    if n == 0 or n > len(words):
        return False
    first = phrase[0]
    for i in range(len(words) - n + 1):
        if words[i] == first and tuple(words[i : i + n]) == phrase:
            return True
    return False


# ---------------------------------------------------------------------- helpers
def _dateline_bounds(doc: Doc) -> tuple[int, int]:
    """Offsets of the dateline (``ww_dateline``); (0, 0) when there is none."""
    dateline = doc._.get("ww_dateline") if doc.has_extension("ww_dateline") else None
    span = getattr(dateline, "span", None)
    return (span.start, span.end) if span is not None else (0, 0)


def _state_apparatus(actor: Actor) -> bool:
    """A state, or its government, military, police, intelligence, courts or
    legislature (or one of their officials), by the actor's CAMEO code."""
    code = actor.cameo or ""
    if actor.type == "state":
        return len(code) == 3
    return code[3:6] in ("GOV", "MIL", "COP", "SPY", "JUD", "LEG")


def _inside(tok: Token, span: Span) -> bool:
    return span.start <= tok.i < span.end


def _is_verbal(tok: Token) -> bool:
    return tok.pos_ in ("VERB", "AUX") or any(c.dep_ == "cop" for c in tok.children)


def _is_relative_pronoun(tok: Token) -> bool:
    return "Rel" in tok.morph.get("PronType") or tok.tag_ in ("WDT", "WP")


def _is_personal_pronoun(tok: Token) -> bool:
    return (
        tok.pos_ == "PRON"
        and "Prs" in tok.morph.get("PronType")
        and not (_is_relative_pronoun(tok))
    )


def _is_cue(quote: Quote, lexical: Lexical) -> bool:
    if quote.cue is None:
        return False
    return any(quote.cue.start <= t.idx < quote.cue.end for t in lexical.trigger)


def _merge(a: Actors, b: Actors) -> Actors:
    if not b:
        return a
    ids = tuple(dict.fromkeys(a.ids + b.ids))
    cameo = tuple(dict.fromkeys(a.cameo + b.cameo))
    return Actors(ids, cameo, min(a.weight, b.weight), a.mentions + b.mentions)


def _minus(target: Actors, source: Actors) -> Actors:
    if not target:
        return target
    keep = [i for i in target.ids if i not in source.ids]
    if len(keep) == len(target.ids):
        return target
    if not keep:
        return NO_ACTORS
    mentions = tuple(m for m in target.mentions if m.actor_id in keep)
    cameo = tuple(c for c, i in zip(target.cameo, target.ids, strict=False) if i in keep)
    return Actors(tuple(keep), cameo, target.weight, mentions)


def _combine_modes(outer: str | None, inner: str | None) -> str | None:
    for mode in ("hypothetical", "possible", "conditional", "deontic", "future"):
        if mode in (outer, inner):
            return mode
    return inner or outer


def _join_elided(words: list[str]) -> str:
    return re.sub(r"' ", "'", " ".join(words))


def _is_historical(phrase: Phrase) -> bool:
    if len(phrase) == 1 and phrase[0].isdigit() and len(phrase[0]) == 4:
        return True
    return phrase[-1] in ("ago", "later", "earlier")


_WORD = re.compile(r"[\w'’]+|[^\w\s]")


class _PhraseIndex:
    """Phrases found in a text by their first word: one scan of the text's words, cheap
    where a regular expression of hundreds of alternatives is not."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self._by_first: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            if phrase:
                self._by_first.setdefault(phrase[0], []).append(phrase)

    def find(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every phrase occurrence, case-insensitive, whole words."""
        if not self._by_first:
            return []
        words = [
            (m.group().lower().replace("’", "'"), m.start(), m.end()) for m in _WORD.finditer(text)
        ]
        found = []
        for i, (word, start, _) in enumerate(words):
            for phrase in self._by_first.get(word, ()):
                n = len(phrase)
                if tuple(w for w, _, _ in words[i : i + n]) == phrase:
                    found.append((start, words[i + n - 1][2]))
        return found
