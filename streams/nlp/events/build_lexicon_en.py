"""Build ``data/lexicon.en.json`` from PETRARCH-2's CAMEO verb dictionary.

    python -m streams.nlp.events.build_lexicon_en --corpora ../shared/corpora

Reads ``events/CAMEO.2.0.txt`` (verb synsets, phrase patterns, composition rules)
and ``events/Phoenix.discards.txt`` (phrases that make a sentence or a story
uncodable), both from openeventdata/petrarch2, MIT licence, © 2015 Open Event Data
Alliance; the MIT notice is carried in the output's ``meta``.

What is kept is what a dependency-based coder can check:

* noun synsets (``&FOOD`` → food, foodstuff, …) — referenced by patterns, expanded at
  load time;
* verb blocks (``---  KILL  [190]  ---``): every verb lemma of the block with its own
  code or the block's; multi-word verbs (``+CALL_OFF [160]``) become the head verb
  plus a particle/object requirement;
* the block's patterns (``- * (FOR &CEASEFIRE)  [0256]``): particle, object words,
  prepositional phrases, subject words, source/target markers, code and reciprocal
  code (``[042:043]``), and explicit non-events (``[---]``);
* the transformations (``~ a (b . ATTACK) SAY = a b 112``).

Dropped, with counts in ``meta.dropped``: PETRARCH's inflected-form hacks
(``+KILLED_AND {}``), irregular-form lists (spaCy lemmatises), and patterns whose
code is not a CAMEO code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .lexicon import PARTICLES, SynsetRefs, parse_code, parse_pattern, pattern_to_json

DATA_DIR = Path(__file__).with_name("data")
OUTPUT = DATA_DIR / "lexicon.en.json"
VERB_FILE = "events/CAMEO.2.0.txt"
DISCARD_FILE = "events/Phoenix.discards.txt"

MIT_NOTICE = (
    "The MIT License (MIT). Copyright (c) 2015 Open Event Data Alliance. Permission is "
    "hereby granted, free of charge, to any person obtaining a copy of this software and "
    "associated documentation files (the 'Software'), to deal in the Software without "
    "restriction, including without limitation the rights to use, copy, modify, merge, "
    "publish, distribute, sublicense, and/or sell copies of the Software, and to permit "
    "persons to whom the Software is furnished to do so, subject to the following "
    "conditions: The above copyright notice and this permission notice shall be included "
    "in all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED 'AS "
    "IS', WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED."
)

_PREPOSITIONS = frozenset(
    ["for", "with", "at", "into", "to", "from", "on", "upon", "after", "by", "of", "against"]
)
_HEADER = re.compile(r"^---\s+(\S+)\s+\[([^\]]*)\]\s+---")
_CODE_IN_LINE = re.compile(r"\[([^\]]*)\]")
_TRANSFORM = re.compile(r"^~\s*a\s*\(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)\s*(\S+)\s*=\s*a\s+b\s+(\S+)\s*$")


def _strip_comment(line: str) -> str:
    return line.split("#", 1)[0].rstrip()


def parse_synsets(lines: list[str]) -> dict[str, list[list[str]]]:
    """``&NAME`` followed by ``+WORD`` lines (until a blank line or the next set)."""
    synsets: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in lines:
        line = _strip_comment(raw).strip()
        if raw.startswith("&"):
            current = line[1:].upper().rstrip("_")
            synsets[current] = []
        elif current and line.startswith("+"):
            words = [w for w in re.split(r"[\s_]+", line[1:].lower()) if w]
            if words:
                synsets[current].append(words)
        elif not line and current and synsets[current]:
            current = None
    return synsets


def parse_verbs(
    lines: list[str], synsets: dict[str, list[list[str]]]
) -> tuple[list[list[dict]], dict[str, dict[str, Any]], Counter]:
    """Blocks of patterns, and per lemma its code and the blocks its patterns come from."""
    slot_synsets = SynsetRefs()  # keep &NAME references: expanded when loaded
    blocks: list[list[dict]] = []
    verbs: dict[str, dict[str, Any]] = {}
    dropped: Counter = Counter()
    block_code: tuple[str | None, str | None] = (None, None)
    in_verbs = False
    for raw in lines:
        if raw.startswith("####### VERB PATTERNS"):
            in_verbs = True
            continue
        if raw.startswith("######## TRANSFORMATIONS"):
            break
        if not in_verbs:
            continue
        header = _HEADER.match(raw)
        if header:
            primary, reverse, ok = parse_code(header.group(2))
            block_code = (primary, reverse) if ok else (None, None)
            blocks.append([])
            continue
        line = _strip_comment(raw).strip()
        if not line or not blocks:
            continue
        if line.startswith("-"):
            comment = raw.split("#", 1)[1].split() if "#" in raw else []
            origin = comment[0].lower() if comment else ""
            codes = _CODE_IN_LINE.findall(line)
            body = _CODE_IN_LINE.sub(" ", line[1:]).strip()
            primary, reverse, ok = parse_code(codes[-1]) if codes else (None, None, False)
            if not ok or "*" not in body:
                dropped["pattern_bad_code_or_no_verb"] += 1
                continue
            try:
                pattern = parse_pattern(body, slot_synsets, primary, reverse)
            except (KeyError, ValueError):
                dropped["pattern_unparsable"] += 1
                continue
            as_json = pattern_to_json(pattern)
            if origin.isalpha():
                as_json["origin"] = origin  # the verb the pattern was written for
            refs = set(re.findall(r'"&([a-z0-9_]+)"', json.dumps(as_json)))
            if any(ref.upper() not in synsets for ref in refs):
                dropped["pattern_unknown_synset"] += 1
                continue
            blocks[-1].append(as_json)
            continue
        _add_verb(line, len(blocks) - 1, block_code, verbs, dropped)
    return blocks, verbs, dropped


def _add_verb(
    line: str,
    block: int,
    block_code: tuple[str | None, str | None],
    verbs: dict[str, dict[str, Any]],
    dropped: Counter,
) -> None:
    code_match = _CODE_IN_LINE.search(line)
    forms = re.search(r"\{([^}]*)\}", line)
    word = line.split()[0]
    multi = word.startswith("+")
    words = [w for w in word.lstrip("+").lower().split("_") if w]
    if not words or (forms is not None and not forms.group(1).strip() and multi):
        dropped["verb_inflected_form_hack"] += 1
        return
    if "and" in words or "or" in words:
        dropped["verb_inflected_form_hack"] += 1
        return
    if code_match:
        primary, reverse, ok = parse_code(code_match.group(1))
        if not ok:
            dropped["verb_bad_code"] += 1
            return
        explicit = True
    else:
        (primary, reverse), explicit = block_code, False
    lemma, rest = words[0], words[1:]
    entry = verbs.setdefault(lemma, {"lemma": lemma, "blocks": [], "extra": []})
    if block not in entry["blocks"]:
        entry["blocks"].append(block)
    if rest:  # multi-word verb: a pattern only this lemma carries
        particle = rest[0] if rest[0] in PARTICLES or rest[0] in _PREPOSITIONS else None
        objects = rest[1:] if particle else rest
        extra: dict[str, Any] = {"code": primary, "text": "+" + "_".join(words)}
        if reverse:
            extra["reverse"] = reverse
        if particle:
            extra["particle"] = particle
        if objects:
            extra["objects"] = [[[w]] for w in objects]
        entry["extra"].append(extra)
        return
    # single-word verb: the first block that codes it sets its default code
    if "code_set" not in entry and (explicit or primary is not None):
        entry["code"], entry["reverse"], entry["code_set"] = primary, reverse, True


def parse_transformations(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for raw in lines:
        m = _TRANSFORM.match(raw.strip())
        if not m:
            continue
        src, _, inner, outer, result = m.groups()
        out.append(
            {
                "outer": outer.upper(),
                "inner_source": {"a": "same", "b": "other", "_": "implied"}[src],
                "inner": inner.upper(),
                "code": None if result == "Q" else result,
            }
        )
    return out


def parse_discards(text: str) -> dict[str, list[list[str]]]:
    """Phoenix discards: ``+PHRASE`` discards the story, ``PHRASE`` the sentence."""
    out: dict[str, list[list[str]]] = {"story": [], "sentence": []}
    for raw in text.splitlines():
        line = _strip_comment(raw).strip()
        if not line:
            continue
        story = line.startswith("+")
        words = [w for w in re.split(r"[\s_]+", line.lstrip("+").lower()) if w]
        if words:
            out["story" if story else "sentence"].append(words)
    return out


def build(corpora: Path) -> dict[str, Any]:
    verb_text = (corpora / VERB_FILE).read_text(encoding="utf-8", errors="replace")
    lines = verb_text.splitlines()
    synsets = parse_synsets(lines[: next(i for i, x in enumerate(lines) if "VERB PATTERNS" in x)])
    blocks, verbs, dropped = parse_verbs(lines, synsets)
    out_verbs = []
    for lemma in sorted(verbs):
        entry = verbs[lemma]
        patterns = [p for b in entry["blocks"] for p in blocks[b]] + entry["extra"]
        code = entry.get("code")
        if code is None and not any(p.get("code") for p in patterns):
            dropped["verb_never_coded"] += 1
            continue
        item: dict[str, Any] = {"lemma": lemma, "code": code, "blocks": entry["blocks"]}
        if entry.get("reverse"):
            item["reverse"] = entry["reverse"]
        if entry["extra"]:
            item["extra"] = entry["extra"]
        out_verbs.append(item)
    transformations = parse_transformations(lines)
    discards = parse_discards(
        (corpora / DISCARD_FILE).read_text(encoding="utf-8", errors="replace")
    )
    body = {
        "synsets": synsets,
        "verbs": out_verbs,
        "blocks": blocks,
        "transformations": transformations,
        "discards": discards,
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    meta = {
        "name": "wirewatch-cameo-verbs-en",
        "version": f"CAMEO.2.0-2015-04-30/{digest}",
        "built_by": "streams/nlp/events/build_lexicon_en.py",
        "origin": "https://github.com/openeventdata/petrarch2",
        "files": [VERB_FILE, DISCARD_FILE],
        "license": "MIT",
        "copyright": "Copyright (c) 2015 Open Event Data Alliance",
        "notice": MIT_NOTICE,
        "changes": "parsed to JSON; verbs lower-cased and merged across synonym blocks; "
        "patterns reduced to particle/object/preposition/subject constraints; "
        "irregular-form lists and inflected-form hacks dropped",
        "counts": {
            "synsets": len(synsets),
            "verbs": len(out_verbs),
            "patterns": sum(len(b) for b in blocks),
            "transformations": len(transformations),
            "discards_sentence": len(discards["sentence"]),
            "discards_story": len(discards["story"]),
        },
        "dropped": dict(dropped),
    }
    return {"meta": meta, **body}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data = build(args.corpora)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {args.output}: {data['meta']['counts']} dropped {data['meta']['dropped']}")


if __name__ == "__main__":
    main()
