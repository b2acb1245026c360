"""``wirewatch eval``: score the pipeline on real gold data (precision / recall / F1).

Reads the reference corpora (``../shared/corpora`` in a development checkout;
any copy via ``--corpora``); nothing here is needed at run time. Scores:

- English NER on re3d (CoNLL BIO gold from official statements and news about
  the Syria/Iraq conflict): PER/ORG/LOC spans, exact match after dropping a
  leading determiner (re3d includes "the" in organisation spans), and overlap.
- Actors on the French sample story: the canonical actors the story must yield.
- Event roots on the PLOVER gold and PETRARCH-2 regression records (from
  ``streams.nlp.events.evaluate``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RE3D_LABELS = {"Person": "PER", "Organisation": "ORG", "Location": "LOC"}
_DETERMINERS = {"the", "a", "an"}


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def read_conll(path: Path) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """Sentences as (text joined with spaces, gold spans (start, end, label))."""
    tokens: list[tuple[str, str]] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            word, _, tag = line.rpartition("\t") if "\t" in line else line.rpartition(" ")
            tokens.append((word, tag.strip()))
            continue
        if tokens:
            yield _sentence(tokens)
            tokens = []


def _sentence(tokens: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    text, spans, pos = [], [], 0
    current: list[Any] | None = None
    for word, tag in tokens:
        start, end = pos, pos + len(word)
        text.append(word)
        pos = end + 1
        kind, _, label = tag.partition("-")
        if kind == "I" and current is not None and current[2] == label:
            current[1] = end
            continue
        if current is not None:
            spans.append(tuple(current))
            current = None
        if kind in {"B", "I"}:
            current = [start, end, label]
    if current is not None:
        spans.append(tuple(current))
    return " ".join(text), spans


def _strip_determiner(text: str, start: int, end: int) -> tuple[int, int]:
    first, _, rest = text[start:end].partition(" ")
    if rest and first.lower() in _DETERMINERS:
        return start + len(first) + 1, end
    return start, end


def score_spans(
    gold: Iterable[tuple[str, list[tuple[int, int, str]]]],
    predicted: Iterable[list[tuple[int, int, str]]],
) -> dict[str, Any]:
    """Exact (determiner-insensitive) and overlap P/R/F1, overall and per label."""
    exact: Counter = Counter()
    overlap: Counter = Counter()
    for (text, gold_spans), pred_spans in zip(gold, predicted, strict=True):
        g = {(*_strip_determiner(text, s, e), lab) for s, e, lab in gold_spans}
        p = {(*_strip_determiner(text, s, e), lab) for s, e, lab in pred_spans}
        for lab in {x[2] for x in g | p}:
            gl = {x for x in g if x[2] == lab}
            pl = {x for x in p if x[2] == lab}
            exact[(lab, "tp")] += len(gl & pl)
            exact[(lab, "fp")] += len(pl - gl)
            exact[(lab, "fn")] += len(gl - pl)
            hit_p = sum(any(a < d and c < b for c, d, _ in gl) for a, b, _ in pl)
            hit_g = sum(any(a < d and c < b for c, d, _ in pl) for a, b, _ in gl)
            overlap[(lab, "tp")] += hit_p
            overlap[(lab, "fp")] += len(pl) - hit_p
            overlap[(lab, "fn")] += len(gl) - hit_g

    def table(counts: Counter) -> dict[str, Any]:
        labels = sorted({lab for lab, _ in counts})
        out = {
            lab: Score(counts[(lab, "tp")], counts[(lab, "fp")], counts[(lab, "fn")]).to_dict()
            for lab in labels
        }
        out["all"] = Score(
            *(sum(counts[(lab, k)] for lab in labels) for k in ("tp", "fp", "fn"))
        ).to_dict()
        return out

    return {"exact": table(exact), "overlap": table(overlap)}


def eval_ner_re3d(corpora: Path, nlp) -> dict[str, Any]:
    """English NER (the pipeline's model) against re3d train, PER/ORG/LOC."""
    from .nlp.pipeline import _LABELS

    sentences = []
    for text, spans in read_conll(corpora / "ner-en" / "re3d-train.conll"):
        gold = [(s, e, RE3D_LABELS[lab]) for s, e, lab in spans if lab in RE3D_LABELS]
        sentences.append((text, gold))
    predicted = []
    for doc in nlp.pipe([t for t, _ in sentences], batch_size=64):
        predicted.append(
            [
                (e.start_char, e.end_char, _LABELS.get(e.label_, e.label_))
                for e in doc.ents
                if _LABELS.get(e.label_) in {"PER", "ORG", "LOC"}
            ]
        )
    result = score_spans(sentences, predicted)
    result["sentences"] = len(sentences)
    return result


def default_corpora() -> Path | None:
    """``../shared/corpora`` beside a source checkout, when it exists."""
    candidate = Path(__file__).resolve().parents[2] / "shared" / "corpora"
    return candidate if candidate.is_dir() else None


def run_all(corpora: Path) -> dict[str, Any]:
    from .nlp.events.evaluate import run as run_events
    from .nlp.pipeline import Enricher

    enricher = Enricher()
    result: dict[str, Any] = {}
    result["reference_story_fr"] = eval_reference_story(corpora, enricher)
    result["ner_en_re3d"] = eval_ner_re3d(corpora, enricher.nlps["en"])
    result["events"] = run_events(corpora, with_ww_actors=True)
    return result


def render(result: dict[str, Any]) -> str:
    lines = []
    ref = result.get("reference_story_fr")
    if ref:
        a = ref["actors"]
        lines.append("French reference story (Da Nang)")
        lines.append(
            f"  actors   P {a['precision']:.3f}  R {a['recall']:.3f}  F1 {a['f1']:.3f}"
            f"  missing {ref['actors_missing']}  extra {ref['actors_extra_named']}"
        )
        lines.append(f"  places   R {ref['places']['recall']:.3f}  missing {ref['places_missing']}")
        lines.append(
            f"  dateline {'ok' if ref['dateline_ok'] else 'WRONG'}   topic SYR "
            f"{'ok' if ref['topics_ok'] else 'MISSING'}"
        )
        lines.append(
            f"  quotes with the right speakers {sum(ref['quotes_ok'])}/"
            f"{len(ref['quotes_ok'])}   required events {sum(ref['events_ok'])}/"
            f"{len(ref['events_ok'])}"
        )
    ner = result.get("ner_en_re3d")
    if ner:
        lines.append(f"English NER on re3d ({ner['sentences']} sentences)")
        lines.append(f"  {'label':<6} {'match':<8} {'P':>6} {'R':>6} {'F1':>6}")
        for match in ("exact", "overlap"):
            for label, s in ner[match].items():
                lines.append(
                    f"  {label:<6} {match:<8} {s['precision']:>6.3f} {s['recall']:>6.3f}"
                    f" {s['f1']:>6.3f}"
                )
    events = result.get("events")
    if events:
        gsr, petr = events["gsr"], events["petr_unit_tests"]
        lines.append(
            f"CAMEO events on the PLOVER gold ({gsr['sentences']} sentences, "
            f"{gsr['predicted']} coded)"
        )
        for level in ("root", "quad_class", "plover"):
            m = gsr[level]
            lines.append(
                f"  {level:<11} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}"
            )
        m = petr["root"]
        lines.append(
            f"CAMEO roots on PETRARCH-2 unit records ({petr['sentences']} sentences)"
            f"  P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}"
        )
    return "\n".join(lines)


GOLD_DIR = Path(__file__).with_name("evaluation_gold")


def eval_reference_story(corpora: Path, enricher) -> dict[str, Any]:
    """The French reference story against what issue 3 says it must yield."""
    import orjson

    from .records import SourceRef

    gold = orjson.loads((GOLD_DIR / "da-nang.fr.json").read_bytes())
    text = (corpora / gold["text"]).read_text(encoding="utf-8")
    value = orjson.dumps({"id": "reference-story", "text": text})
    record = enricher.enrich_batch([(value, SourceRef("eval"))]).enriched[0].record

    named_types = {"person", "organisation", "igo", "armed_group", "group"}
    found = {a["id"] for a in record["actors"]}
    named = {a["id"] for a in record["actors"] if a["type"] in named_types}
    gold_actors = set(gold["actors"])
    places = {p["id"] for p in record["places"]}
    topics = {c["code"] for c in record["topics"]["countries"]}

    def quote_ok(spec: dict[str, Any]) -> bool:
        return any(
            spec["contains"] in q["text"]
            and sorted(q["speakers"]) in [sorted(s) for s in spec["speakers"]]
            for q in record["quotes"]
        )

    def event_ok(spec: dict[str, Any]) -> bool:
        return any(
            e["root"] in spec["roots"]
            and set(e["source_cameo"]) & set(spec["source_cameo"])
            and set(e["target_cameo"]) & set(spec["target_cameo"])
            for e in record["events"]
        )

    dateline = record.get("dateline") or {}
    return {
        "actors": Score(
            len(named & gold_actors), len(named - gold_actors), len(gold_actors - found)
        ).to_dict(),
        "actors_missing": sorted(gold_actors - found),
        "actors_extra_named": sorted(named - gold_actors),
        "places": Score(
            len(places & set(gold["places"])), 0, len(set(gold["places"]) - places)
        ).to_dict(),
        "places_missing": sorted(set(gold["places"]) - places),
        "dateline_ok": (dateline.get("place"), dateline.get("country"))
        == (gold["dateline"]["place"], gold["dateline"]["country"]),
        "topics_ok": set(gold["topics"]) <= topics,
        "quotes_ok": [quote_ok(q) for q in gold["quotes"]],
        "events_ok": [event_ok(e) for e in gold["events"]],
    }
