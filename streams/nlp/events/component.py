"""The ``ww_events`` spaCy component: CAMEO events onto ``doc._.ww_events``.

Reads the parse, ``doc._.ww_actor_mentions`` / ``doc._.ww_actors`` (from
``ww_actors``) and, when present, ``doc._.ww_quotes``; writes a list of
``annotations.Event``. ``export`` turns them into the record's ``events`` field and
``provenance`` names the codebook and lexicon versions that produced them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from ..annotations import Event, to_jsonable
from .codebook import default_codebook
from .coder import EventCoder
from .lexicon import load_lexicon

COMPONENT_VERSION = "ww_events/1"


class EventsComponent:
    """Stateless per Doc; loads its language's lexicon once."""

    def __init__(
        self,
        language: str,
        *,
        min_confidence: float = 0.3,
        require_target: bool = False,
        discard_historical: bool = True,
        statements: bool = True,
    ) -> None:
        self.language = language
        lexicon = load_lexicon(language)
        codebook = default_codebook()
        self.coder = EventCoder(
            lexicon,
            codebook,
            min_confidence=min_confidence,
            require_target=require_target,
            discard_historical=discard_historical,
            statements=statements,
        )
        self.provenance: dict[str, Any] = {
            "component": COMPONENT_VERSION,
            "language": language,
            "codebook": codebook.version,
            "lexicon": lexicon.version,
            "lexicon_sources": [
                {k: s[k] for k in ("name", "version", "license") if k in s} for s in lexicon.sources
            ],
            "config": {
                "min_confidence": min_confidence,
                "require_target": require_target,
                "discard_historical": discard_historical,
                "statements": statements,
            },
        }

    def __call__(self, doc: Doc) -> Doc:
        doc._.ww_events = self.coder.code(doc)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    def export(self, doc: Doc) -> dict[str, Any]:
        events: list[Event] = doc._.ww_events or []
        return {"events": [to_jsonable(e) for e in events]}


@Language.factory(
    "ww_events",
    requires=["token.dep", "token.lemma", "doc._.ww_actors"],
    assigns=["doc._.ww_events"],
    default_config={
        "min_confidence": 0.3,
        "require_target": False,
        "discard_historical": True,
        "statements": True,
    },
)
def make_events(
    nlp: Language,
    name: str,
    min_confidence: float,
    require_target: bool,
    discard_historical: bool,
    statements: bool,
) -> EventsComponent:
    """``nlp.add_pipe("ww_events")``; the language comes from the pipeline."""
    return EventsComponent(
        nlp.lang,
        min_confidence=min_confidence,
        require_target=require_target,
        discard_historical=discard_historical,
        statements=statements,
    )
