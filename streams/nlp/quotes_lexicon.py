"""The reporting lexicon ``ww_quotes`` reads: ``quotes_lexicon.toml`` loaded per language.

Kept apart from the component so the vocabulary (which verbs report speech, which
phrases name a source, which nouns are documents that can "speak") is data that can
grow without touching the attribution logic in ``quotes.py``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from pathlib import Path

from spacy.tokens import Token

LEXICON_FILE = Path(__file__).with_name("quotes_lexicon.toml")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's reporting vocabulary (see ``quotes_lexicon.toml``)."""

    language: str
    version: str
    verb_class: dict[str, str]
    forms: dict[str, str]
    phrases: dict[str, tuple[tuple[str, ...], ...]]
    sources: tuple[tuple[str, ...], ...]
    weak_sources: tuple[tuple[str, ...], ...]
    documents: frozenset[str]
    joint: frozenset[str]
    time_words: frozenset[str]
    semi_aux: frozenset[str]
    pronouns_singular: frozenset[str]
    pronouns_plural: frozenset[str]
    pronouns_group: frozenset[str]
    pronouns_neuter: frozenset[str]
    partitives: frozenset[str]
    affiliation_preps: frozenset[str]
    author_preps: frozenset[str]
    definite: frozenset[str]
    complementizers: frozenset[str]
    coordinators: frozenset[str]
    negations: frozenset[str]
    modal_verbs: frozenset[str]
    urge_preps: frozenset[str]

    def source_lemma(self, words: tuple[str, ...]) -> str:
        """("d'", "après") → "d'après"."""
        return re.sub(r"' ", "'", " ".join(words))

    def verb(self, token: Token) -> str | None:
        """The lexicon lemma of a reporting verb, tolerating lemmatizer misses."""
        lemma = token.lemma_.lower()
        if lemma in self.verb_class and token.pos_ in ("VERB", "AUX"):
            return lemma
        return self.forms.get(token.lower_)


_VERB_CLASSES = ("say", "say_object", "urge", "incise_only")
# Common forms of regular French -er verbs, for when the lemmatizer leaves a form as is
# ("indique" → "indique").
_ER_ENDINGS = (
    "e", "es", "ent", "é", "ée", "és", "ées", "ait", "aient", "a", "ant",
    "era", "eront", "èrent", "ons", "ez", "ions",
)  # fmt: skip


def _words(phrase: str) -> tuple[str, ...]:
    """Split a lexicon phrase like spaCy splits text: "d'après" → ("d'", "après")."""
    return tuple(re.findall(r"\w+'|\w+(?:-\w+)*|[^\w\s]", phrase.lower()))


@cache
def load_lexicon(language: str, path: str = str(LEXICON_FILE)) -> Lexicon:
    """Load (once per process) one language's section; its version carries a digest of
    the file, so provenance changes whenever the vocabulary does."""
    raw_all = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    if language not in raw_all:
        raise ValueError(f"quotes lexicon {path} has no section for language {language!r}")
    raw = raw_all[language]
    verb_class: dict[str, str] = {}
    for cls in _VERB_CLASSES:  # first class wins when a verb is listed twice
        for lemma in raw.get(cls, []):
            verb_class.setdefault(lemma.lower(), cls)
    forms = {k.lower(): v.lower() for k, v in raw.get("forms", {}).items()}
    if language == "fr":
        for lemma in verb_class:
            if lemma.endswith("er"):
                for ending in _ER_ENDINGS:
                    forms.setdefault(lemma[:-2] + ending, lemma)
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for phrase in raw.get("phrases", []):
        words = tuple(phrase.lower().split())
        phrases.setdefault(words[0], []).append(words)
        verb_class.setdefault(phrase.lower(), "say")

    def words(key: str) -> frozenset[str]:
        return frozenset(w.lower() for w in raw.get(key, []))

    digest = sha256(Path(path).read_bytes()).hexdigest()[:12]
    return Lexicon(
        language=language,
        version=f"{raw_all.get('version', '?')}+{digest}",
        verb_class=verb_class,
        forms=forms,
        phrases={k: tuple(v) for k, v in phrases.items()},
        sources=tuple(sorted({_words(s) for s in raw.get("sources", [])}, key=len, reverse=True)),
        weak_sources=tuple(_words(s) for s in raw.get("weak_sources", [])),
        documents=words("documents"),
        joint=words("joint"),
        time_words=words("time_words"),
        semi_aux=words("semi_auxiliaries"),
        pronouns_singular=words("pronouns_singular"),
        pronouns_plural=words("pronouns_plural"),
        pronouns_group=words("pronouns_group"),
        pronouns_neuter=words("pronouns_neuter"),
        partitives=words("partitives"),
        affiliation_preps=words("affiliation_preps"),
        author_preps=words("affiliation_preps") | words("author_preps"),
        definite=words("definite"),
        complementizers=words("complementizers"),
        coordinators=words("coordinators"),
        negations=words("negations"),
        modal_verbs=words("modal_verbs"),
        urge_preps=words("urge_preps"),
    )
