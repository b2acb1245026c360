"""Verb lexicons: which predicate, with which complements, codes as which CAMEO event.

One data model for both languages, so the coder has no language-specific lookup:

* ``VerbEntry``: a verb lemma (optionally reflexive, French *s'entretenir*), its
  default code, the *frame* that says how it combines with a complement clause
  (speech, appeal, demand, intent, …) and its ``Pattern``s.
* ``Pattern``: PETRARCH's idea of a verb pattern, reduced to what a dependency parse
  can check — a particle, words that must occur in the object / in the subject, and
  prepositional phrases (preposition + words in its object) — each mapping to a
  code, an optional reciprocal code (target → source), or to "no event" (``None``:
  *killed in an accident*).
* Nominal predicates (*lancer une offensive*), copular predicates (*être d'accord*),
  complement topics (*appeler au cessez-le-feu* → de-escalation) and the grammar
  words (negation, modality) live in the same object.

English verbs are built from PETRARCH-2's CAMEO.2.0 dictionary by
``build_lexicon_en.py`` (JSON); the English grammar and the whole French lexicon
are hand-written TOML. Patterns in TOML use PETRARCH's own pattern syntax (lower
case, plus ``a|b`` for alternatives), parsed by ``parse_pattern`` below.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")

Phrase = tuple[str, ...]
Slot = tuple[Phrase, ...]  # alternatives; one must occur

# Words that, right after the verb in a pattern, are phrasal-verb particles.
PARTICLES = frozenset(
    [
        "up",
        "down",
        "out",
        "off",
        "in",
        "on",
        "over",
        "back",
        "away",
        "forward",
        "aside",
        "about",
        "around",
        "through",
        "along",
        "apart",
        "together",
        "ahead",
    ]
)
# What a pattern's words may be checked against besides lemma/lower-case form.
_CODE = re.compile(r"^(\d{3,4}|---)?(?::(\d{3,4}|---))?!?$")

FRAMES = frozenset(
    {
        "speech",  # say, déclarer: code the complement clause, else a statement
        "appeal",  # urge, appeler à: 02x by what is appealed for
        "demand",  # demand, exiger: 10x
        "intent",  # promise, s'engager à: 03x (threats when the complement is force)
        "reject",  # refuse, refuser de: 12x
        "threaten",  # threaten, menacer de: 13x
        "accuse",  # accuse, accuser de: 112 (+ crime nouns)
        "want",  # want, vouloir: intent for cooperation, threat for force
        "attempt",  # try, tenter de: only attempts with their own code (185)
        "aspectual",  # begin, continue, commencer à: the complement happened
        "future",  # aller + infinitive: the complement is future
        "modal",  # can, pouvoir, devoir: not an event (deontic under speech → demand)
        "deny",  # deny, démentir: 016
        "ignore",  # never an event head, never a wrapper (auxiliary-like verbs)
    }
)


@dataclass(frozen=True, slots=True)
class Pattern:
    code: str | None  # None: the phrase means "this is not an event"
    reverse: str | None = None  # reciprocal event, target → source
    particle: str | None = None
    subject: tuple[Slot, ...] = ()
    objects: tuple[Slot, ...] = ()
    preps: tuple[tuple[str, tuple[Slot, ...]], ...] = ()
    source: str = "subj"  # subj | obj | prep:<p>
    target: str | None = None  # obj | subj | prep:<p>; None: the coder's default
    text: str = ""
    frame: str | None = None  # idioms that behave like a frame verb (faire savoir: speech)
    origin: str = ""  # verb the pattern was written for (PETRARCH comment); "" hand-written

    @property
    def specificity(self) -> int:
        n = (1 if self.particle else 0) + len(self.subject) + len(self.objects)
        return n + sum(1 + len(slots) for _, slots in self.preps)

    def cue(self) -> tuple[str, frozenset[str]]:
        """Where the pattern's first requirement is (particle, object, subject, prep) and
        the words of which one must be there for it to match: a cheap pre-filter."""
        if self.particle:
            return "particle", frozenset({self.particle})
        if self.objects:
            return "object", frozenset(p[0] for p in self.objects[0] if p)
        if self.subject:
            return "subject", frozenset(p[0] for p in self.subject[0] if p)
        if self.preps:
            return "prep", frozenset({self.preps[0][0].split()[0]})
        return "", frozenset()


@dataclass(frozen=True, slots=True)
class VerbEntry:
    lemma: str
    code: str | None = None
    reverse: str | None = None
    frame: str | None = None
    reflexive: bool | None = None  # True: only with "se"; False: only without; None: both
    target: str | None = None  # default target slot for this verb
    reciprocal: bool = False  # "A and B met": each is the other's target
    patterns: tuple[Pattern, ...] = ()


@dataclass(frozen=True, slots=True)
class NounEntry:
    """An eventive noun (*offensive*, *talks*) coded when a light verb governs it."""

    lemma: str
    code: str | None
    frame: str | None = None
    reciprocal: bool = False
    patterns: tuple[Pattern, ...] = ()  # modifiers refining the code (frappe aérienne)


@dataclass(frozen=True, slots=True)
class Transformation:
    """PETRARCH-2 composition rule, e.g. ``a SAY (b . ATTACK) = a b 112``.

    ``outer``: the verb family (SAY, CLAIM, WANT, ATTEMPT); ``inner_source``: "same"
    (the outer subject did it), "other" (someone else did), "implied" (no overt
    subject: control); ``inner``: ATTACK (roots 18–20), ASSASSINATE (186) or Q (any).
    """

    outer: str
    inner_source: str
    inner: str
    code: str | None  # None: keep the inner code ("Q")


@dataclass(frozen=True)
class Grammar:
    """Closed-class words and constructions, per language."""

    negation: frozenset[str] = frozenset()
    negation_with_ne: frozenset[str] = frozenset()  # FR: pas, jamais, plus … after "ne"
    future_aux: frozenset[str] = frozenset()
    conditional_aux: frozenset[str] = frozenset()
    possibility: frozenset[str] = frozenset()  # could, may, might: never a realised event
    deontic: frozenset[str] = frozenset()  # must, should, devoir, falloir
    hypothetical_marks: frozenset[str] = frozenset()  # if, unless, si
    realized_marks: frozenset[str] = frozenset()  # after, when, après que
    purpose_marks: frozenset[str] = frozenset()  # to, pour, afin de
    without: frozenset[str] = frozenset()  # sans, without
    negative_determiners: frozenset[str] = frozenset()  # no, aucun: "no aid" is no event
    venue_nouns: frozenset[str] = frozenset()  # summit, sommet: "at the G20 summit" is where
    light_verbs: frozenset[str] = frozenset()
    cessation: frozenset[str] = frozenset()  # stop, suspend, cesser: undo what follows
    container_nouns: frozenset[str] = frozenset()  # campagne (de bombardements), series
    agent_nouns: frozenset[str] = frozenset()  # spokesman, ministre: affiliation in a modifier
    first_person: frozenset[str] = frozenset()  # nous, je, we, I: the quote's speaker
    target_preps: tuple[str, ...] = ()  # in order of preference
    location_preps: frozenset[str] = frozenset()
    agent_preps: frozenset[str] = frozenset()  # by, par
    reflexive_pronouns: frozenset[str] = frozenset()
    incise_punct: frozenset[str] = frozenset({",", "»", '"', "'", "”", ";", "—", "–"})


@dataclass
class Lexicon:
    language: str
    version: str
    verbs: dict[str, list[VerbEntry]] = field(default_factory=dict)
    nouns: dict[str, NounEntry] = field(default_factory=dict)
    copular: dict[str, VerbEntry] = field(default_factory=dict)
    topics: dict[Phrase, str] = field(default_factory=dict)
    transformations: tuple[Transformation, ...] = ()
    frame_words: dict[str, str] = field(default_factory=dict)  # outer rule family → frame
    grammar: Grammar = field(default_factory=Grammar)
    discards: tuple[Phrase, ...] = ()
    story_discards: tuple[Phrase, ...] = ()
    sources: list[dict[str, Any]] = field(default_factory=list)

    def verb(self, lemma: str, reflexive: bool) -> VerbEntry | None:
        """The entry for a verb as used: reflexive-only and non-reflexive uses differ."""
        best = None
        for entry in self.verbs.get(lemma, ()):
            if entry.reflexive is None:
                best = best or entry
            elif entry.reflexive == reflexive:
                return entry
        return best


# ---------------------------------------------------------------------------
# PETRARCH pattern syntax → Pattern
# ---------------------------------------------------------------------------

_ITEM = r"(?:\{[^}]*\}|[^\s(){}|]+)"  # a word, &SYNSET or {multi word phrase}
_TOKEN = re.compile(rf"\(|\)|{_ITEM}(?:\|{_ITEM})*")  # … with | alternatives
# French contracted prepositions as the lemmatiser gives them ("au" → "à")
_PREP_CANON = {"au": "à", "aux": "à", "du": "de", "des": "de", "d'": "de"}


def _words(text: str) -> Phrase:
    """``AIR_STRIKE`` → ("air", "strike"); ``sit-in`` → ("sit", "-", "in") as spaCy splits it."""
    out: list[str] = []
    for part in re.split(r"[\s_]+", text.strip().lower()):
        if not part:
            continue
        if "-" in part.strip("-") and part not in ("-",):
            pieces = part.split("-")
            for i, piece in enumerate(pieces):
                if i:
                    out.append("-")
                if piece:
                    out.append(piece)
        else:
            out.append(part)
    return tuple(out)


def _slot(item: str, synsets: Mapping[str, Slot]) -> Slot | None:
    """One pattern item → the alternatives it stands for (None for markers).

    ``a|{b c}|&SET``: each alternative is a word, a phrase in braces (which may contain
    synsets: ``{&MILITARY AID}``) or a synset."""
    if item in ("$", "+", "^", "%", "*"):
        return None
    out: list[Phrase] = []
    for alt in re.findall(_ITEM, item):
        if alt.startswith("{"):
            phrases: list[Phrase] = [()]
            for word in alt[1:-1].split():
                choices = _slot(word, synsets) or ()
                phrases = [a + c for a in phrases for c in choices][:400]
            out += [a for a in phrases if a]
        elif alt.startswith("&"):
            name = alt[1:].upper().rstrip("_")
            if name not in synsets:
                raise KeyError(f"unknown synset &{name}")
            out += synsets[name]
        elif _words(alt):
            out.append(_words(alt))
    return tuple(dict.fromkeys(out))


def parse_pattern(
    text: str,
    synsets: Mapping[str, Slot] | None = None,
    code: str | None = None,
    reverse: str | None = None,
) -> Pattern:
    """``* (TO {BANNED PARTIES}) $`` etc. → Pattern (codes given separately)."""
    synsets = {} if synsets is None else synsets
    tokens = _TOKEN.findall(text)
    if "*" not in tokens:
        raise ValueError(f"pattern without verb marker: {text!r}")
    star = tokens.index("*")
    subject: list[Slot] = []
    source, target = "subj", None
    for item in tokens[:star]:
        if item == "+":
            target = "subj"
        elif item == "$":
            source = "subj"
        elif item not in ("(", ")", "^", "%"):
            slot = _slot(item, synsets)
            if slot:
                subject.append(slot)
    particle: str | None = None
    objects: list[Slot] = []
    preps: list[tuple[str, tuple[Slot, ...]]] = []
    i = star + 1
    last_prep: str | None = None
    while i < len(tokens):
        item = tokens[i]
        if item == "(":
            j = tokens.index(")", i) if ")" in tokens[i:] else len(tokens)
            inner = tokens[i + 1 : j]
            if inner:
                prep = " ".join(_PREP_CANON.get(w, w) for w in _words(inner[0]))
                slots: list[Slot] = []
                for word in inner[1:]:
                    if word == "+":
                        target = f"prep:{prep}"
                    elif word == "$":
                        source = f"prep:{prep}"
                    else:
                        slot = _slot(word, synsets)
                        if slot:
                            slots.append(slot)
                preps.append((prep, tuple(slots)))
                last_prep = prep
            i = j + 1
            continue
        if item == "+":
            target = f"prep:{last_prep}" if last_prep and target is None else target or "obj"
        elif item == "$":
            pass
        elif item not in ("^", "%", ")"):
            slot = _slot(item, synsets)
            if slot:
                word = slot[0]
                if (
                    i == star + 1
                    and particle is None
                    and len(slot) == 1
                    and len(word) == 1
                    and word[0] in PARTICLES
                ):
                    particle = word[0]
                else:
                    objects.append(slot)
        i += 1
    return Pattern(
        code=code,
        reverse=reverse,
        particle=particle,
        subject=tuple(subject),
        objects=tuple(objects),
        preps=tuple(preps),
        source=source,
        target=target,
        text=text.strip(),
    )


def parse_code(raw: str) -> tuple[str | None, str | None, bool]:
    """``042:043`` → ("042", "043", True); ``---`` → (None, None, True); junk → valid False."""
    m = _CODE.match(raw.strip())
    if not m:
        return None, None, False
    primary, reverse = m.group(1), m.group(2)
    return (
        None if primary in (None, "---") else primary,
        None if reverse in (None, "---") else reverse,
        True,
    )


# ---------------------------------------------------------------------------
# (De)serialisation
# ---------------------------------------------------------------------------


def _slots_to_json(slots: Iterable[Slot]) -> list[list[list[str]]]:
    return [[list(p) for p in slot] for slot in slots]


def pattern_to_json(p: Pattern) -> dict[str, Any]:
    out: dict[str, Any] = {"code": p.code}
    if p.reverse:
        out["reverse"] = p.reverse
    if p.particle:
        out["particle"] = p.particle
    if p.subject:
        out["subject"] = _slots_to_json(p.subject)
    if p.objects:
        out["objects"] = _slots_to_json(p.objects)
    if p.preps:
        out["preps"] = [[prep, _slots_to_json(slots)] for prep, slots in p.preps]
    if p.source != "subj":
        out["source"] = p.source
    if p.target:
        out["target"] = p.target
    out["text"] = p.text
    return out


def _expand(phrase: Phrase, synsets: Mapping[str, Slot]) -> list[Phrase]:
    """A phrase with synset references (``("&military", "aid")``) → concrete phrases."""
    out: list[Phrase] = [()]
    for word in phrase:
        if word.startswith("&"):
            choices = synsets.get(word[1:].upper(), ())
            out = [o + c for o in out for c in choices][:400]
        else:
            out = [(*o, word) for o in out]
    return out


def _slots_from_json(raw: list, synsets: Mapping[str, Slot] | None = None) -> tuple[Slot, ...]:
    slots = []
    for slot in raw:
        phrases: list[Phrase] = []
        for words in slot:
            phrase = tuple(words)
            if synsets is not None and any(w.startswith("&") for w in phrase):
                phrases.extend(_expand(phrase, synsets))
            else:
                phrases.append(phrase)
        slots.append(tuple(dict.fromkeys(phrases)))
    return tuple(slots)


class SynsetRefs(dict):
    """Synsets as references (``&NAME`` kept in the phrase) for compact built data."""

    def __missing__(self, key: str) -> Slot:
        return ((f"&{key.lower()}",),)

    def __contains__(self, key: object) -> bool:
        return True


def pattern_from_json(raw: Mapping[str, Any], synsets: Mapping[str, Slot] | None = None) -> Pattern:
    return Pattern(
        code=raw.get("code"),
        reverse=raw.get("reverse"),
        particle=raw.get("particle"),
        subject=_slots_from_json(raw.get("subject", []), synsets),
        objects=_slots_from_json(raw.get("objects", []), synsets),
        preps=tuple(
            (prep, _slots_from_json(slots, synsets)) for prep, slots in raw.get("preps", [])
        ),
        source=raw.get("source", "subj"),
        target=raw.get("target"),
        text=raw.get("text", ""),
        origin=raw.get("origin", "?"),
    )


def _verb_from_json(raw: Mapping[str, Any], patterns: tuple[Pattern, ...]) -> VerbEntry:
    return VerbEntry(
        lemma=raw["lemma"],
        code=raw.get("code"),
        reverse=raw.get("reverse"),
        frame=raw.get("frame"),
        reflexive=raw.get("reflexive"),
        target=raw.get("target"),
        reciprocal=bool(raw.get("reciprocal", False)),
        patterns=patterns,
    )


# ---------------------------------------------------------------------------
# Hand-written TOML (French lexicon, English grammar)
# ---------------------------------------------------------------------------


def _toml_patterns(raw: Iterable[str], synsets: Mapping[str, Slot]) -> tuple[Pattern, ...]:
    """``"* (de {crimes de guerre}) => 1124"`` / ``"* savoir => 010 @speech"`` → Patterns."""
    out = []
    for line in raw:
        body, _, codes = line.rpartition("=>")
        if not body:
            raise ValueError(f"pattern without '=> code': {line!r}")
        codes, _, frame = codes.partition("@")
        code, reverse, ok = parse_code(codes)
        frame = frame.strip() or None
        if not ok or (frame is not None and frame not in FRAMES):
            raise ValueError(f"bad code or frame in pattern {line!r}")
        pattern = parse_pattern(body, synsets, code, reverse)
        if frame:
            pattern = Pattern(**{**_fields(pattern), "frame": frame})
        out.append(pattern)
    return tuple(out)


def _fields(p: Pattern) -> dict[str, Any]:
    return {name: getattr(p, name) for name in Pattern.__slots__}


def _toml_verbs(
    table: Mapping[str, Any], synsets: Mapping[str, Slot]
) -> dict[str, list[VerbEntry]]:
    verbs: dict[str, list[VerbEntry]] = {}
    for key, spec in table.items():
        spec = {"code": spec} if isinstance(spec, str) else dict(spec)
        reflexive: bool | None = spec.pop("reflexive", None)
        lemma = key
        for prefix in ("se ", "s'"):
            if key.startswith(prefix):
                lemma, reflexive = key[len(prefix) :], True
        code, reverse, ok = parse_code(spec.get("code") or "---")
        if not ok:
            raise ValueError(f"bad code for verb {key!r}")
        frame = spec.get("frame")
        if frame is not None and frame not in FRAMES:
            raise ValueError(f"unknown frame {frame!r} for verb {key!r}")
        entry = VerbEntry(
            lemma=lemma,
            code=code,
            reverse=reverse,
            frame=frame,
            reflexive=reflexive,
            target=spec.get("target"),
            reciprocal=bool(spec.get("reciprocal", False)),
            patterns=_toml_patterns(spec.get("patterns", []), synsets),
        )
        verbs.setdefault(lemma, []).append(entry)
    return verbs


def _grammar(raw: Mapping[str, Any]) -> Grammar:
    def words(name: str) -> frozenset[str]:
        return frozenset(w.lower() for w in raw.get(name, []))

    return Grammar(
        negation=words("negation"),
        negation_with_ne=words("negation_with_ne"),
        future_aux=words("future_aux"),
        conditional_aux=words("conditional_aux"),
        possibility=words("possibility"),
        deontic=words("deontic"),
        hypothetical_marks=words("hypothetical_marks"),
        realized_marks=words("realized_marks"),
        purpose_marks=words("purpose_marks"),
        without=words("without"),
        negative_determiners=words("negative_determiners"),
        venue_nouns=words("venue_nouns"),
        light_verbs=words("light_verbs"),
        cessation=words("cessation"),
        container_nouns=words("container_nouns"),
        agent_nouns=words("agent_nouns"),
        first_person=words("first_person"),
        target_preps=tuple(raw.get("target_preps", [])),
        location_preps=words("location_preps"),
        agent_preps=words("agent_preps"),
        reflexive_pronouns=words("reflexive_pronouns"),
    )


def _toml_synsets(raw: Mapping[str, list[str]]) -> dict[str, Slot]:
    return {name.upper(): tuple(_words(w) for w in words) for name, words in raw.items()}


def _apply_toml(lex: Lexicon, data: Mapping[str, Any], synsets: dict[str, Slot]) -> None:
    """Merge a hand-written TOML lexicon/grammar into ``lex`` (its verbs win)."""
    synsets.update(_toml_synsets(data.get("synsets", {})))
    for lemma, entries in _toml_verbs(data.get("verbs", {}), synsets).items():
        built = lex.verbs.get(lemma, [])
        # a hand-written entry refines a built one: its fields win, patterns are added
        lex.verbs[lemma] = [
            _merge(e, built[0]) if built and e.reflexive is None else e for e in entries
        ]
    for lemma, spec in data.get("nouns", {}).items():
        spec = {"code": spec} if isinstance(spec, str) else dict(spec)
        code, _, ok = parse_code(spec.get("code") or "---")
        if not ok:
            raise ValueError(f"bad code for noun {lemma!r}")
        lex.nouns[lemma] = NounEntry(
            lemma=lemma,
            code=code,
            frame=spec.get("frame"),
            reciprocal=bool(spec.get("reciprocal", False)),
            patterns=_toml_patterns(spec.get("patterns", []), synsets),
        )
    for lemma, entries in _toml_verbs(data.get("copular", {}), synsets).items():
        lex.copular[lemma] = entries[0]
    for topic, phrases in data.get("topics", {}).items():
        for phrase in phrases:
            lex.topics[_words(phrase)] = topic
    for family, frame in data.get("frame_words", {}).items():
        lex.frame_words[family.upper()] = frame
    if "grammar" in data:
        lex.grammar = _grammar(data["grammar"])
    discards = data.get("discards", {})
    lex.discards += tuple(_words(p) for p in discards.get("sentence", []))
    lex.story_discards += tuple(_words(p) for p in discards.get("story", []))
    if "source" in data.get("meta", {}):
        lex.sources.append(dict(data["meta"]["source"]))


def _merge(new: VerbEntry, old: VerbEntry) -> VerbEntry:
    return VerbEntry(
        lemma=new.lemma,
        code=new.code if new.code is not None else old.code,
        reverse=new.reverse or (old.reverse if new.code is None else None),
        frame=new.frame or old.frame,
        reflexive=new.reflexive,
        target=new.target or old.target,
        reciprocal=new.reciprocal or old.reciprocal,
        patterns=new.patterns + old.patterns,
    )


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


@cache
def load_lexicon(language: str, data_dir: Path = DATA_DIR) -> Lexicon:
    """The lexicon for ``language`` ("en" or "fr") from package data."""
    if language == "en":
        built = data_dir / "lexicon.en.json"
        grammar = data_dir / "grammar.en.toml"
        raw = json.loads(built.read_text(encoding="utf-8"))
        synsets = {name: _slots_from_json([alts])[0] for name, alts in raw["synsets"].items()}
        toml = tomllib.loads(grammar.read_text(encoding="utf-8"))
        lex = Lexicon(
            language="en",
            version=f"{raw['meta']['version']}+{toml['meta']['version']}/"
            f"{_digest([built, grammar])}",
        )
        lex.sources.append(raw["meta"])
        blocks = [tuple(pattern_from_json(p, synsets) for p in b) for b in raw["blocks"]]
        for verb in raw["verbs"]:
            patterns = [p for b in verb["blocks"] for p in blocks[b]]
            patterns += [pattern_from_json(p, synsets) for p in verb.get("extra", [])]
            lex.verbs.setdefault(verb["lemma"], []).append(_verb_from_json(verb, tuple(patterns)))
        lex.transformations = tuple(Transformation(**t) for t in raw["transformations"])
        lex.discards = tuple(tuple(p) for p in raw["discards"]["sentence"])
        lex.story_discards = tuple(tuple(p) for p in raw["discards"]["story"])
        _apply_toml(lex, toml, synsets)
        _add_frames(lex, toml)
        return lex
    if language == "fr":
        path = data_dir / "lexicon.fr.toml"
        toml = tomllib.loads(path.read_text(encoding="utf-8"))
        lex = Lexicon(language="fr", version=f"{toml['meta']['version']}/{_digest([path])}")
        _apply_toml(lex, toml, {})
        # the language-neutral parts of the English build: composition rules, and the
        # Phoenix discard phrases (proper names of sports events etc. are not English)
        built = json.loads((data_dir / "lexicon.en.json").read_text(encoding="utf-8"))
        lex.transformations = tuple(Transformation(**t) for t in built["transformations"])
        lex.discards += tuple(tuple(p) for p in built["discards"]["sentence"])
        lex.story_discards += tuple(tuple(p) for p in built["discards"]["story"])
        lex.sources.append(built["meta"])
        return lex
    raise ValueError(f"no event lexicon for language {language!r}")


def _add_frames(lex: Lexicon, toml: Mapping[str, Any]) -> None:
    """English frames are grammar, not CAMEO data: set them on the built verb entries."""
    for frame, lemmas in toml.get("frames", {}).items():
        if frame not in FRAMES:
            raise ValueError(f"unknown frame {frame!r}")
        for lemma in lemmas:
            entries = lex.verbs.get(lemma)
            if not entries:
                lex.verbs[lemma] = [VerbEntry(lemma=lemma, frame=frame)]
                continue
            lex.verbs[lemma] = [_with_frame(e, frame) for e in entries]


def _with_frame(entry: VerbEntry, frame: str) -> VerbEntry:
    return VerbEntry(
        lemma=entry.lemma,
        code=entry.code,
        reverse=entry.reverse,
        frame=frame,
        reflexive=entry.reflexive,
        target=entry.target,
        reciprocal=entry.reciprocal,
        patterns=entry.patterns,
    )
