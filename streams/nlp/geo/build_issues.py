"""Build ``data/issues.json``, the theme phrases ``ww_topics`` matches.

    python -m streams.nlp.geo.build_issues [--phoenix PATH]

English: Phoenix.IssueCoding.txt from openeventdata/petrarch2 (MIT), read from the shared
reference corpora by default. Its markers are expanded here into surface forms:
``n:word`` (noun: + plural), ``v:word`` (verb: + -s, -ed, -ing), ``a+b`` (spaced, hyphenated
or joined), ``~phrase`` (cancels an overlapping match of the same category) and
``~~phrase`` (silences the category for the article). A line without ``[CODE]`` takes its
block's category. Phrases that mislead on news text are dropped (``NOISY``, with reasons).

French: ``sources/issues_fr.tsv``, written for Wirewatch.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

from streams.nlp.geo.themes import (
    CASE_ANY,
    CASE_NOT_LOWER,
    CASE_UPPER,
    DISCARD,
    NEGATIVE,
    POSITIVE,
    phrase_key,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT_PHOENIX = REPO.parent / "shared" / "corpora" / "events" / "Phoenix.IssueCoding.txt"
FRENCH = HERE / "sources" / "issues_fr.tsv"
OUT = HERE / "data" / "issues.json"

# Phoenix phrases that, on general news, fire far more often on another sense.
NOISY = frozenset(
    [
        "n:train",  # "to train troops"
        "striking",  # "a striking resemblance"
        "radical",  # adjective of any kind of change
        "democratic",  # "Democratic Republic of Congo", US Democratic Party
        "unions",  # "European Union" plurals, "unions" of any kind
        "afl",  # Australian Football League
        "narco",
        "high n:water",
        "hypothermia",
        # DISEASE words used figuratively or too generic to make a story "about" disease
        "outbreak",
        "infection",
        "poisoning",
        "poisoned",
        "plague",
        "thrush",
        "rash",
        "lice",
        "fever",
        "obese",
        "obesity",
        "pathogen",
        "pathogens",
        "bacteria",
        "bacterial",
        "calculi",
        "chorea",
        "pilia",
        "strep",
        "staph",
        "ulcer",
        "ulcers",
        "tumor",
        "tumour",
        "migraine",
        "myopia",
        "trisomy",
        "zoonoses",
        "chavia",
        "aneurdu",
    ]
)
# Acronyms written in lower case in Phoenix: never match an all-lower-case word.
ACRONYMS = frozenset(
    [
        "eu",
        "e.u.",
        "eec",
        "e.e.c.",
        "ecb",
        "e.c.b.",
        "imf",
        "ibrd",
        "usaid",
        "ngo",
        "ngos",
        "ied",
        "ieds",
        "uav",
        "uavs",
        "icbm",
        "icbms",
        "wmd",
        "wmds",
        "lsd",
        "mdma",
        "hiv",
        "hivaids",
        "lgbt",
        "lgbts",
        "glbt",
        "lgbtq",
        "lgbtqi",
        "lgbqt",
        "idps",
        "ddos",
        "bse",
        "mers",
        "sars",
        "mrsa",
        "hpv",
        "farc",
        "lra",
        "ltte",
        "aqap",
        "libor",
        "mibor",
        "erpac",
        "m18",
        "la18",
        "h7n9",
    ]
)
_IRREGULAR_VERBS = {
    "break": ["broke", "broken"],
    "beat": ["beaten"],
    "begin": ["began", "begun"],
    "build": ["built"],
    "blow": ["blew", "blown"],
    "sell": ["sold"],
    "shot": ["shoot", "shoots", "shooting"],
    "strike": ["struck"],
    "steal": ["stole", "stolen"],
}
_CODE = re.compile(r"\[([A-Z0-9_\-]+)\]\s*$")
_CATEGORY = re.compile(r'<ISSUE CATEGORY="([^"]+)"')


def _noun(word: str) -> list[str]:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word, word[:-1] + "ies"]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return [word, word + "es"]
    return [word, word + "s"]


def _verb(word: str) -> list[str]:
    forms = [word, *_IRREGULAR_VERBS.get(word, [])]
    stem = word[:-1] if word.endswith("e") else word
    if len(word) <= 4 and re.search(r"[^aeiou][aeiou][^aeiouwxy]$", word):
        stem = word + word[-1]  # rig → rigged, grab → grabbing
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        forms += [word[:-1] + "ies", word[:-1] + "ied", word + "ing"]
    else:
        forms += [word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")]
        forms += [stem + ("d" if word.endswith("e") else "ed"), stem + "ing"]
    return forms


def _expand(phrase: str) -> list[str]:
    """Surface forms of one Phoenix phrase (markers and '+' joins resolved)."""
    options: list[list[str]] = []
    for token in phrase.split():
        marker, _, word = token.rpartition(":") if ":" in token[:3] else ("", "", token)
        parts = word.split("+")
        joined = {" ".join(parts), "".join(parts)} if len(parts) > 1 else {word}
        forms: list[str] = []
        for j in sorted(joined):
            forms += _verb(j) if marker == "v" else _noun(j) if marker in ("n", "m") else [j]
        options.append(list(dict.fromkeys(forms)))
    return [" ".join(combo) for combo in itertools.product(*options)]


def parse_phoenix(path: Path) -> tuple[dict[str, list[list[Any]]], dict[str, str]]:
    phrases: dict[str, list[list[Any]]] = {}
    categories: dict[str, str] = {}
    category = ""
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if m := _CATEGORY.match(line):
            category = m.group(1)
            continue
        if not line or line.startswith(("#", "<", "</")) or "†" in line:
            continue
        kind = DISCARD if line.startswith("~~") else NEGATIVE if line.startswith("~") else POSITIVE
        line = line.lstrip("~").strip()
        code_m = _CODE.search(line)
        code = code_m.group(1) if code_m else category
        phrase = _CODE.sub("", line).strip().lower()
        if not phrase or phrase in NOISY or not category:
            continue
        categories.setdefault(code, category)
        single = " " not in phrase
        case = CASE_ANY
        if single and (
            phrase in ACRONYMS or (category == "PEACEKEEPERS" and "peace" not in phrase)
        ):
            case = CASE_NOT_LOWER
        for form in _expand(phrase):
            key = phrase_key(form, stem=False)
            entry = [code if kind == POSITIVE else category, kind, case]
            if key and entry not in phrases.setdefault(key, []):
                phrases[key].append(entry)
    return phrases, categories


def parse_french(path: Path, categories: dict[str, str]) -> dict[str, list[list[Any]]]:
    phrases: dict[str, list[list[Any]]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        code, field = raw.split("\t")
        categories.setdefault(code, code)
        for item in field.split(";"):
            phrase = item.strip()
            if not phrase:
                continue
            kind = NEGATIVE if phrase.startswith("~") else POSITIVE
            phrase = phrase.lstrip("~").strip()
            letters = "".join(ch for ch in phrase if ch.isalpha())
            case = CASE_UPPER if letters.isupper() else CASE_ANY
            key = phrase_key(phrase, stem=True)
            entry = [code, kind, case]  # a French negative cancels its own code only
            if key and entry not in phrases.setdefault(key, []):
                phrases[key].append(entry)
    return phrases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phoenix", type=Path, default=DEFAULT_PHOENIX)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    english, categories = parse_phoenix(args.phoenix)
    french = parse_french(FRENCH, categories)
    body = {
        "categories": dict(sorted(categories.items())),
        "languages": {
            "en": {"stem": False, "phrases": dict(sorted(english.items()))},
            "fr": {"stem": True, "phrases": dict(sorted(french.items()))},
        },
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    sources = {
        "en": "openeventdata/petrarch2 Phoenix.IssueCoding.txt (MIT) sha256:"
        + hashlib.sha256(args.phoenix.read_bytes()).hexdigest()[:12],
        "fr": "sources/issues_fr.tsv sha256:"
        + hashlib.sha256(FRENCH.read_bytes()).hexdigest()[:12],
    }
    data = {"format": 1, "version": f"ww-issues-{digest}", "sources": sources, **body}
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} (en {len(english)}, fr {len(french)} phrases, {data['version']})")


if __name__ == "__main__":
    main()
