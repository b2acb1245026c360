"""The one enrichment entry point: ``Enricher.enrich_parts`` (``enrich_batch``
gathers its parts).

Both ``wirewatch enrich`` (offline) and the enrich agent (streaming) call it, so
their output cannot drift apart. Per batch: decode and validate every message,
identify languages, run each language's spaCy pipeline over its articles in
chunks (``nlp.pipe``), cheapest first, and export each Doc to an
enriched-article.v1 record as its chunk is done.

Pipelines are assembled from ``pipelines.toml``: the packaged model with only
the pipes we need, followed by Wirewatch's registered components. A component
is any pipe with an ``export(doc) -> dict`` method; the dicts are merged into the
record, so a new step plugs in without touching this module.
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from .. import __version__
from ..config import NLP_MATMUL_BACKENDS
from ..records import DEFAULT_LIMITS, Limits, RawArticle, Rejection, SourceRef, decode_raw
from ..timeutil import parse_rfc3339
from .clustering import content_hash, encode_signature, signature
from .language import LanguageDetector, LanguageGuess
from .normalize import normalize
from .tokenizer_cache import WarmTokenizer

log = logging.getLogger(__name__)

PIPELINE_VERSION = "wirewatch-nlp/1"
PIPELINES_FILE = Path(__file__).with_name("pipelines.toml")

# One label set for every language; the model's own label is kept as model_label.
_LABELS = {
    "PERSON": "PER",
    "PER": "PER",
    "ORG": "ORG",
    "NORP": "MISC",
    "MISC": "MISC",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
}


@dataclass(frozen=True)
class LanguageConfig:
    language: str
    model: str
    pipes: tuple[str, ...]
    components: tuple[tuple[str, dict[str, Any]], ...]
    # model pipe → Wirewatch factory that takes it over (``take_over``): same output, faster
    replace: tuple[tuple[str, str], ...] = ()


def load_pipeline_configs(path: Path = PIPELINES_FILE) -> dict[str, LanguageConfig]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        lang: LanguageConfig(
            language=lang,
            model=spec["model"],
            pipes=tuple(spec["pipes"]),
            components=tuple(
                (c["name"], dict(c.get("config", {}))) for c in spec.get("components", [])
            ),
            replace=tuple(spec.get("replace", {}).items()),
        )
        for lang, spec in raw.items()
    }


# Modules whose import registers the ``@Language.factory("ww_…")`` components.
COMPONENT_MODULES: tuple[str, ...] = (
    "streams.nlp.actors",
    "streams.nlp.attribute_rules",
    "streams.nlp.dateline",
    "streams.nlp.events",
    "streams.nlp.places",
    "streams.nlp.quotes",
    "streams.nlp.topics",
)


def _register_components() -> None:
    for module in COMPONENT_MODULES:
        import_module(module)


def build_nlp(cfg: LanguageConfig, matmul: str = "numpy") -> Language:
    """Load the model with only ``cfg.pipes`` and append the configured components.

    ``matmul`` (``NLP_MATMUL_BACKENDS``) picks who multiplies the model's matrices
    (thinc's NumpyOps), fixed when its layers are built: "numpy" hands them to numpy's
    BLAS (OpenBLAS in numpy's PyPI wheels), "blis" to the blis package, thinc's default.
    On this machine's AMD EPYC blis multiplied tok2vec's 500×288 by 288×288 matrices ~4×
    slower than one OpenBLAS thread, and the pipelines took 24–32 % less time with numpy,
    with identical annotations over 250,000 tokens (README: Performance). With "numpy",
    numpy's BLAS is limited to one thread in the whole process: a worker is one core
    (more partitions and workers use more), and idle OpenBLAS threads spin on the core
    of the worker beside.
    """
    import spacy
    from thinc.api import use_ops

    if matmul not in NLP_MATMUL_BACKENDS:
        raise ValueError(f"matmul must be one of {list(NLP_MATMUL_BACKENDS)}, not {matmul!r}")
    _register_components()
    available = spacy.util.get_model_meta(_model_dir(cfg.model))["pipeline"]
    missing = [p for p in (*cfg.pipes, *(p for p, _ in cfg.replace)) if p not in available]
    if missing:
        raise ValueError(f"model {cfg.model} has no pipe(s) {missing}")
    excluded = [p for p, _ in cfg.replace if p not in cfg.pipes]
    if excluded:
        # Replacing a pipe the config leaves out would silently do nothing.
        raise ValueError(f"replace names pipe(s) {excluded} that pipes= leaves out")
    if matmul == "numpy":
        single_threaded_blas()
    with use_ops("numpy", use_blis=matmul == "blis"):
        nlp = spacy.load(cfg.model, exclude=[p for p in available if p not in cfg.pipes])
    for pipe, factory in cfg.replace:
        original = nlp.get_pipe(pipe)
        nlp.replace_pipe(pipe, factory).take_over(original)
    for name, config in cfg.components:
        nlp.add_pipe(name, config=config)
    nlp.tokenizer = WarmTokenizer(nlp.tokenizer)  # spaCy #13950: see tokenizer_cache
    return nlp


def single_threaded_blas() -> None:
    """Limit the BLAS libraries loaded in this process (numpy's) to one thread each."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _model_dir(model: str) -> Path:
    """The data folder of an installed model package (holds meta.json)."""
    import spacy

    try:
        root = spacy.util.get_package_path(model)
    except Exception as exc:
        raise ValueError(
            f"spaCy model {model!r} is not installed ({exc}); it is a PyPI "
            "dependency of wirewatch — reinstall the package"
        ) from None
    return root


def _model_version(nlp: Language) -> str:
    return f"{nlp.meta.get('version', '?')}"


@dataclass
class Enriched:
    key: str
    record: dict[str, Any]
    ref: SourceRef
    signature: np.ndarray  # MinHash of the text, for story clustering downstream
    event_time_ms: int | None  # published_at, else the source record's timestamp
    digest: str  # of the exact text: tells a correction from a re-delivery

    def story_stage_value(self) -> dict[str, Any]:
        """What the enrich agent hands to the story agent (internal topic)."""
        return {
            "record": self.record,
            "sig": encode_signature(self.signature),
            "h": self.digest,
            "t": self.event_time_ms,
        }


@dataclass
class BatchResult:
    enriched: list[Enriched] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @classmethod
    def of(cls, outcomes: Iterable[tuple[int, Outcome]]) -> BatchResult:
        """Outcomes sorted by input position, split into enriched and rejected."""
        result = cls()
        for _, outcome in sorted(outcomes, key=itemgetter(0)):
            if isinstance(outcome, Enriched):
                result.enriched.append(outcome)
            else:
                result.rejected.append(outcome)
        return result


Outcome = Enriched | Rejection
Part = list[tuple[int, Outcome]]  # (position of the message in its batch, its outcome)


class _Article(NamedTuple):
    pos: int  # in the batch
    raw: RawArticle
    guess: LanguageGuess
    original: bytes


class _SameIdInOrder:
    """Holds an outcome back until every earlier message with its article id is out.

    Parts leave cheapest first; without this a correction could overtake its original
    in the same batch, and the compacted topic would keep the older version.
    """

    def __init__(self, ids: Iterable[tuple[int, str]]) -> None:
        self._positions: dict[str, deque[int]] = defaultdict(deque)
        for pos, article_id in sorted(ids):
            self._positions[article_id].append(pos)
        self._held: dict[int, Outcome] = {}

    def release(self, ready: Iterable[tuple[int, str, Outcome]]) -> Part:
        keys = []
        for pos, article_id, outcome in ready:
            self._held[pos] = outcome
            keys.append(article_id)
        out: Part = []
        for article_id in dict.fromkeys(keys):
            queue = self._positions[article_id]
            while queue and queue[0] in self._held:
                pos = queue.popleft()
                out.append((pos, self._held.pop(pos)))
        return sorted(out, key=itemgetter(0))


def export_entities(doc: Doc) -> list[dict[str, Any]]:
    return [
        {
            "text": ent.text,
            "label": _LABELS.get(ent.label_, ent.label_),
            "model_label": ent.label_,
            "start": ent.start_char,
            "end": ent.end_char,
        }
        for ent in doc.ents
    ]


class Enricher:
    """Holds the loaded pipelines; ``enrich_batch`` is pure given them."""

    def __init__(
        self,
        languages: Iterable[str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        configs: dict[str, LanguageConfig] | None = None,
        language_candidates: tuple[str, ...] = (),
        matmul: str = "numpy",
    ) -> None:
        configs = configs or load_pipeline_configs()
        wanted = list(languages) if languages is not None else list(configs)
        unknown = [lang for lang in wanted if lang not in configs]
        if unknown:
            raise ValueError(f"no pipeline configured for language(s) {unknown}")
        self.limits = limits
        self.detector = (
            LanguageDetector(language_candidates) if language_candidates else LanguageDetector()
        )
        self.nlps: dict[str, Language] = {}
        for lang in wanted:
            started = time.perf_counter()
            self.nlps[lang] = build_nlp(configs[lang], matmul)
            log.info(
                "loaded %s pipeline %s (matrices: %s) in %.1fs",
                lang,
                self.nlps[lang].pipe_names,
                matmul,
                time.perf_counter() - started,
            )
        self.provenance = {
            "pipeline": PIPELINE_VERSION,
            "wirewatch_version": __version__,
            "language_detector": {"name": self.detector.name, "version": self.detector.version},
            "models": {
                lang: {
                    "name": configs[lang].model,
                    "version": _model_version(nlp),
                    "pipes": list(nlp.pipe_names),
                }
                for lang, nlp in self.nlps.items()
            },
        }

    @property
    def languages(self) -> list[str]:
        return list(self.nlps)

    def enrich_batch(self, messages: Sequence[tuple[bytes | None, SourceRef]]) -> BatchResult:
        """Enrich a batch of raw message values; order of ``enriched`` follows input."""
        return BatchResult.of(chain.from_iterable(self.enrich_parts(messages, chunked=False)))

    def enrich_parts(
        self, messages: Sequence[tuple[bytes | None, SourceRef]], *, chunked: bool
    ) -> Iterator[Part]:
        """Every message's outcome, as (input position, outcome), in parts as they are ready.

        Rejections by validation and articles without a pipeline come first. Then each
        language's articles go through ``nlp.pipe`` in chunks, the chunk of cheapest
        articles first (Smith's rule: the least mean completion time), so a short
        article is out without waiting for a long one of its batch. Messages with the
        same article id (a correction right behind its original) still come out in
        input order.

        ``chunked``: chunks of about ``limits.nlp_chunk_seconds`` of estimated NLP, for
        latency. Small chunks cost throughput (under a backlog, 0.25 s chunks took a worker
        124 instead of 106 ms of CPU per article: smaller ``nlp.pipe`` batches, and the
        other agents woken per chunk), so without it a chunk is as large as
        ``nlp_batch_seconds``.
        """
        budget = self.limits.nlp_batch_seconds
        first: Part = []
        articles: list[_Article] = []
        for pos, (value, ref) in enumerate(messages):
            decoded = decode_raw(value, ref, self.limits)
            if isinstance(decoded, Rejection):
                first.append((pos, decoded))
                continue
            guess = self.detector.detect(decoded.text, decoded.title, decoded.language)
            if guess.language in self.nlps and self.limits.nlp_seconds(decoded.text) > budget:
                first.append(
                    (
                        pos,
                        Rejection(
                            "nlp_budget_exceeded",
                            f"text of {len(decoded.text):,} characters would need about "
                            f"{self.limits.nlp_seconds(decoded.text):.1f}s of NLP; the per-batch "
                            f"budget is {budget:g}s (nlp_batch_seconds)",
                            "validate",
                            ref,
                            value or b"",
                            decoded.id,
                        ),
                    )
                )
                continue
            articles.append(_Article(pos, decoded, guess, value or b""))

        in_order = _SameIdInOrder((a.pos, a.raw.id) for a in articles)
        no_nlp = [a for a in articles if a.guess.language not in self.nlps]
        first += in_order.release([(a.pos, a.raw.id, self._outcome(a, None)) for a in no_nlp])
        if first:
            yield sorted(first, key=itemgetter(0))
        chunk_budget = min(self.limits.nlp_chunk_seconds, budget) if chunked else budget
        with_nlp = [a for a in articles if a.guess.language in self.nlps]
        for nlp, chunk in self._chunks(with_nlp, chunk_budget):
            docs = self._pipe(nlp, [(a.raw, a.original) for a in chunk])
            ready = [
                (a.pos, a.raw.id, self._outcome(a, doc)) for a, doc in zip(chunk, docs, strict=True)
            ]
            if part := in_order.release(ready):
                yield part

    def _chunks(
        self, articles: list[_Article], budget: float
    ) -> list[tuple[Language, list[_Article]]]:
        """One language per chunk, within ``budget`` seconds; cheapest articles first."""
        chunks: list[tuple[Language, list[_Article]]] = []
        for lang, nlp in self.nlps.items():
            mine = sorted((a for a in articles if a.guess.language == lang), key=_length)
            current: list[_Article] = []
            spent = 0.0
            for article in mine:
                cost = self.limits.nlp_seconds(article.raw.text)
                if current and spent + cost > budget:
                    chunks.append((nlp, current))
                    current, spent = [], 0.0
                current.append(article)
                spent += cost
            if current:
                chunks.append((nlp, current))
        # Smith's rule: ascending mean cost per article (a stable sort: ties keep their order).
        chunks.sort(key=lambda c: sum(map(_length, c[1])) / len(c[1]))
        return chunks

    def _outcome(self, article: _Article, doc: Doc | Rejection | None) -> Outcome:
        raw = article.raw
        if isinstance(doc, Rejection):
            return doc
        try:
            record = self.to_record(raw, article.guess, doc)
        except Exception as exc:  # a bug in a component must not lose the article
            log.exception("export failed for article %s", raw.id)
            return _failed(raw, article.original, exc)
        return Enriched(
            raw.id,
            record,
            raw.ref,
            signature(raw.text),
            _event_time_ms(raw),
            content_hash(raw.text),
        )

    def _pipe(self, nlp: Language, batch: list[tuple[RawArticle, bytes]]) -> list[Doc | Rejection]:
        try:
            docs = [_make_doc(nlp, article) for article, _ in batch]
            return list(nlp.pipe(docs, batch_size=max(len(docs), 1)))
        except Exception:
            log.exception("batch NLP failed; retrying article by article")
        out: list[Doc | Rejection] = []
        for article, original in batch:
            try:
                out.append(nlp(_make_doc(nlp, article)))
            except Exception as exc:
                out.append(_failed(article, original, exc))
        return out

    def to_record(
        self, article: RawArticle, guess: LanguageGuess, doc: Doc | None
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": article.id,
            "language": guess.language,
            "language_confidence": guess.confidence,
            "language_method": guess.method,
            "title": article.title,
            "source": article.source,
            "url": article.url,
            "published_at": article.published_at,
            "text": article.text,
            "entities": [],
            "warnings": [],
        }
        if doc is None:
            record["warnings"].append(
                f"unsupported_language: no pipeline for {guess.language!r} "
                f"(supported: {', '.join(self.languages)})"
            )
            record["provenance"] = {**self.provenance, "models": {}}
            return record
        if doc.text != normalize(article.text):  # pragma: no cover - invariant
            raise AssertionError("doc text does not match the article text")
        record["entities"] = export_entities(doc)
        nlp = self.nlps[guess.language]
        components: dict[str, Any] = {}
        for name in nlp.pipe_names:
            pipe = nlp.get_pipe(name)
            exporter = getattr(pipe, "export", None)
            if exporter is not None:
                record.update(exporter(doc))
            if getattr(pipe, "provenance", None):
                components[name] = pipe.provenance
        record["provenance"] = {
            **self.provenance,
            "models": {guess.language: self.provenance["models"][guess.language]},
            "components": components,
        }
        return record


def _make_doc(nlp: Language, article: RawArticle) -> Doc:
    """A tokenised Doc of the normalised text, with what components may read about it.

    ``user_data``: ``original_text`` (same length as the Doc text), ``title`` and
    ``published_at`` (RFC 3339 or None; components use it for date-aware roles).
    """
    doc = nlp.make_doc(normalize(article.text))
    _paragraphs_start_sentences(doc)
    doc.user_data["original_text"] = article.text
    doc.user_data["text"] = doc.text  # Doc.text is rebuilt from tokens on every access
    doc.user_data["title"] = article.title
    doc.user_data["published_at"] = article.published_at
    doc.user_data["language"] = nlp.lang
    return doc


def _paragraphs_start_sentences(doc: Doc) -> None:
    """A new paragraph always starts a new sentence.

    The parser respects sentence starts set before it runs; without this it joins
    a dateline or a headline to the next paragraph, and trees that span paragraphs
    mislead every component that reads the parse (quotes, events).
    """
    after_break = False
    for token in doc:
        if token.is_space:
            after_break = after_break or "\n" in token.text
            continue
        if after_break and token.i > 0:
            token.is_sent_start = True
        after_break = "\n" in token.whitespace_


def _length(article: _Article) -> int:
    return len(article.raw.text)


def _event_time_ms(article: RawArticle) -> int | None:
    if article.published_at:
        moment = parse_rfc3339(article.published_at)
        if moment is not None:
            return int(moment.timestamp() * 1000)
    return article.ref.timestamp_ms


def _failed(article: RawArticle, original: bytes, exc: Exception) -> Rejection:
    return Rejection(
        "enrichment_failed",
        f"{type(exc).__name__}: {exc}",
        "enrich",
        article.ref,
        original,
        article.id,
    )
