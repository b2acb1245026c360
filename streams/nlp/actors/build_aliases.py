"""Build the actor alias table shipped with the ``ww_actors`` component.

    python -m streams.nlp.actors.build_aliases \\
        --phoenix ../shared/corpora/actors --out streams/nlp/actors/data/actors.json.gz

Inputs: the Phoenix actor/agent dictionaries (TABARI/PETRARCH format, from
openeventdata/petrarch2, MIT licence, © 2014 Open Event Data Alliance) and
``data/extra_actors.json`` (Wirewatch's own: French forms, newer actors, QIDs, role
tenures, metonyms, title and agent vocabulary). Output: one gzipped JSON table the
resolver loads at start-up, so nothing reads ``../shared`` at run time.

The Phoenix actor format, as parsed here:

- ``PRIMARY_PHRASE [CODE]  # comment`` starts a record; the optional inline code is
  the record's default. ``+SYNONYM`` lines add aliases; tab-indented ``[CODE range]``
  lines add codes, where range is ``>date`` (from), ``<date`` (until), ``d1-d2`` or a
  bare ``date`` (from); dates are ``YYMMDD`` or ``YYYYMMDD``, both ends inclusive, and
  ``[CODE]`` without a range is a default. ``#`` and ``;`` start comments, ``<!-- -->``
  lines are comments. Several ``[..]`` may share a line.
- Repairs (counted in the provenance ``stats``): consecutive primary lines that carry
  no code and no synonym before a code block are one record written without ``+``
  (the Yeltsin/Brezhnev blocks); 6-digit years below 30 are 20xx (the dictionaries
  predate 2015 and write pre-1930 dates with 8 digits); malformed dates (7 or 9+
  digits) are read from their plausible 8 or 6 digits, else the range is dropped.

What the table keeps (see ``resolver`` for how each part is used): actors with
date-ranged codes and role tenures; an alias index (folded key → actor, mention kind);
office titles, periphrases and metonyms; nationality adjectives, demonyms and capitals
per language; role titles and collective agents per language. Place names that
Phoenix lists under a country (cities, rivers) are not kept: they are places, not
actors, and ``ww_places`` handles them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .common import SECTOR_TYPES, alias_key, key_of, slug, split_code, surface_words

BUILDER = "streams.nlp.actors.build_aliases/1"
TABLE_FORMAT = 1
PHOENIX_FILES = (
    "Phoenix.Countries.actors.txt",
    "Phoenix.International.actors.txt",
    "Phoenix.MilNonState.actors.txt",
)
AGENTS_FILE = "Phoenix.agents.txt"
PACKAGE_DATA = Path(__file__).with_name("data")
EXTRA_FILE = PACKAGE_DATA / "extra_actors.json"
DEFAULT_OUT = PACKAGE_DATA / "actors.json.gz"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# CAMEO codes of former states (no ISO 3166-1 code) that Phoenix uses as country codes.
HISTORICAL_STATES = frozenset({"SUN", "YUG", "CSK", "DDR", "SCG"})
# Agent sectors worth a sector actor ("Russian troops" → RUSMIL); the others
# (farmers, doctors, ...) are too weak a signal for an actor table.
POLITICAL_SECTORS = frozenset(
    {"GOV", "MIL", "REB", "OPP", "COP", "SPY", "JUD", "LEG", "INS", "UAF", "SEP"}
)
# Words that make a person record's alias denote an institution, not the person.
_INSTITUTION_ALIAS = {
    "administration": "GOV",
    "government": "GOV",
    "regime": "GOV",
    "cabinet": "GOV",
    "army": "MIL",
    "forces": "MIL",
    "troops": "MIL",
}
_DROP_PERSON_ALIAS = {"supporters", "loyalists", "camp", "family", "party", "allies", "followers"}
_ORG_WORDS = _words(
    "department ministry council committee agency office house party front army forces "
    "organization organisation union association movement group commission court bank "
    "company corporation service services bureau institute university assembly parliament "
    "senate congress navy police command brigade brigades militia network authority league "
    "federation coalition alliance fund program programme"
)
_HONORIFICS = _words(
    "mr mrs ms dr president senator secretary premier general gen king queen prince sheikh "
    "shaikh minister ambassador governor sir lady baroness"
)
_STOP = frozenset({"of", "the", "for", "and", "s"})
_GENERIC_WORDS = _words(
    "senate congress parliament assembly cabinet court ministry council government army "
    "police military navy opposition rebels embassy presidency legislature judiciary "
    "junta regime administration federation republic kingdom state"
)
# First words that mark an alias of an organisation record as a person's name (Phoenix
# lists some leaders under their group: 'ABU_BAKR_AL-BAGHDADI' under ISIL).
_PERSON_MARKERS = frozenset(
    ["abu", "abou", "sheikh", "sheik", "shaikh", "mullah", "imam", "mr", "dr", "emir"]
)
_HEADING_ROLES = (
    (re.compile(r"\bvice\b", re.I), None),
    (re.compile(r"secretar(?:y|ies) of state", re.I), "foreign_minister"),
    (re.compile(r"secretar(?:y|ies) of defen[cs]e", re.I), "defence_minister"),
    (re.compile(r"prime minister|chancellor|premier", re.I), "head_of_government"),
    (re.compile(r"president|monarch", re.I), "head_of_state"),
)


# ---------------------------------------------------------------- TABARI format


@dataclass
class CodeRange:
    """A CAMEO code, valid from ``start`` to ``end`` (inclusive; None = open).

    ``default`` codes have no range: they apply when no dated code does.
    """

    code: str
    start: date | None = None
    end: date | None = None
    default: bool = False

    def to_json(self) -> list[Any]:
        if self.default:
            return [self.code]
        return [
            self.code,
            self.start.isoformat() if self.start else None,
            self.end.isoformat() if self.end else None,
        ]


@dataclass
class Record:
    """One actor record of a Phoenix file."""

    primary: str
    aliases: list[str] = field(default_factory=list)
    codes: list[CodeRange] = field(default_factory=list)
    comment: str = ""
    source: str = ""
    section: str = ""  # the last comment heading above the record
    alias_notes: dict[int, str] = field(default_factory=dict)  # alias index → its comment


@dataclass
class ParseStats:
    records: int = 0
    merged_lines: int = 0
    repaired_dates: int = 0
    dropped_ranges: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


_CODE_BLOCK = re.compile(r"\[([^\]]*)\]")


def _strip_comment(line: str) -> tuple[str, str]:
    """Split a line into (content, comment): '#' and the legacy ';' start comments."""
    cut = len(line)
    for mark in ("#", ";"):
        pos = line.find(mark)
        if pos != -1:
            cut = min(cut, pos)
    return line[:cut], line[cut + 1 :].strip()


def parse_date(text: str, stats: ParseStats | None = None) -> date | None:
    """'080508' → 2008-05-08, '19240101' → 1924-01-01; None when unreadable."""
    digits = text.strip()
    if not digits.isdigit():
        return None
    candidates: list[str]
    if len(digits) in (6, 8):
        candidates = [digits]
    else:
        if stats is not None:
            stats.repaired_dates += 1
        if len(digits) == 7:  # '2004017' (a dropped digit) or '9008223' (an extra one)
            candidates = (
                [digits[:4] + "0" + digits[4:]] if digits[:2] in ("19", "20") else [digits[:6]]
            )
        else:  # '1920030320' → '20030320'; '201005011' → '20100501'
            candidates = [digits[-8:], digits[:8]]
    for cand in candidates:
        if len(cand) == 6:
            yy = int(cand[:2])
            year = 2000 + yy if yy < 30 else 1900 + yy
            month, day = int(cand[2:4]), int(cand[4:6])
        else:
            year, month, day = int(cand[:4]), int(cand[4:6]), int(cand[6:8])
        if not 1800 <= year <= 2100:
            continue
        month = min(max(month, 1), 12)
        for d in (day, 31, 30, 29, 28):  # '780231' → last valid day of the month
            try:
                return date(year, month, max(d, 1))
            except ValueError:
                continue
    return None


def parse_restriction(body: str, stats: ParseStats | None = None) -> CodeRange | None:
    """'RUSGOV >080508' → CodeRange('RUSGOV', 2008-05-08, None); '' → None."""
    parts = body.split(None, 1)
    if not parts:
        return None
    code = parts[0].strip().upper()
    if not re.fullmatch(r"[A-Z0-9~-]+", code) or code.strip("-") == "":
        return None  # '[---]' is PETRARCH's null code
    if len(parts) == 1:
        return CodeRange(code, default=True)
    rng = parts[1].replace(" ", "")
    start = end = None
    if rng.startswith(">"):
        start = parse_date(rng[1:], stats)
        ok = start is not None
    elif rng.startswith("<"):
        end = parse_date(rng[1:], stats)
        ok = end is not None
    elif "-" in rng:
        left, _, right = rng.partition("-")
        start, end = parse_date(left, stats), parse_date(right, stats)
        ok = start is not None and end is not None
        if ok and start and end and start > end:
            start, end = end, start
    else:  # a bare date: PETRARCH reads it as the start of the validity
        start = parse_date(rng, stats)
        ok = start is not None
    if not ok:
        if stats is not None:
            stats.dropped_ranges += 1
        return None
    return CodeRange(code, start, end)


def parse_actor_lines(
    lines: Iterable[str], source: str = "", stats: ParseStats | None = None
) -> Iterator[Record]:
    """Records of a TABARI/PETRARCH actor file, in file order."""
    stats = stats if stats is not None else ParseStats()
    current: Record | None = None
    section = ""
    in_xml_comment = False
    # A primary line with nothing after it yet: may be continued by further primaries.
    pending_bare = False

    def finish() -> Iterator[Record]:
        nonlocal current
        if current is not None:
            stats.records += 1
            yield current
        current = None

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n\r")
        if in_xml_comment:
            if "-->" in line:
                in_xml_comment = False
            continue
        stripped = line.strip()
        if stripped.startswith("<!--"):
            in_xml_comment = "-->" not in stripped
            continue
        if not stripped:
            yield from finish()
            pending_bare = False
            continue
        if stripped.startswith("#"):
            heading = stripped.lstrip("#").strip()
            if heading and not re.match(r"^[+\[]|^[A-Z0-9_.'-]+_\s", heading):
                section = heading  # a commented-out entry is not a heading
            yield from finish()
            pending_bare = False
            continue
        content, comment = _strip_comment(line)
        body = content.strip()
        if not body:
            continue
        if body.startswith("["):  # indented date restrictions (maybe several)
            if current is not None:
                for block in _CODE_BLOCK.findall(body):
                    rng = parse_restriction(block, stats)
                    if rng:
                        current.codes.append(rng)
            pending_bare = False
            continue
        if body.startswith("+"):  # synonym(s): a stray '+' inside joins two synonyms
            if current is not None:
                for part in body.split("+"):
                    name = _CODE_BLOCK.sub("", part).strip()
                    if name:
                        if comment:
                            current.alias_notes[len(current.aliases)] = comment
                        current.aliases.append(name)
                        if "[" in part:
                            for block in _CODE_BLOCK.findall(part):
                                rng = parse_restriction(block, stats)
                                if rng:
                                    current.codes.append(rng)
            pending_bare = False
            continue
        # A primary phrase, maybe with inline codes.
        name = _CODE_BLOCK.split(body)[0].strip()
        inline = [parse_restriction(b, stats) for b in _CODE_BLOCK.findall(body)]
        codes = [c for c in inline if c is not None]
        for c in codes:  # an inline code is the record's default (if undated)
            if c.start is None and c.end is None:
                c.default = True
        if pending_bare and current is not None and not current.codes:
            # 'BORIS_YELTSIN_ / BORIS_N._YELTSIN / ... / [codes]': one record.
            current.aliases.append(name)
            current.codes.extend(codes)
            stats.merged_lines += 1
            pending_bare = not codes
            continue
        yield from finish()
        current = Record(name, [], codes, comment, f"{source}:{lineno}", section)
        pending_bare = not codes
    yield from finish()


@dataclass
class Agent:
    phrase: str
    code: str  # sector code, without '~' ("GOVMED")
    forms: list[str]


def parse_agent_lines(lines: Iterable[str]) -> list[Agent]:
    """Agents ('PHRASE {PLURALS} [~CODE]'), with !SUBST! sets and regular plurals."""
    substitutions: dict[str, list[str]] = {}
    agents: list[Agent] = []
    for raw in lines:
        content, _ = _strip_comment(raw)
        line = content.strip()
        if not line or line.startswith("<!--"):
            continue
        m = re.match(r"^(![A-Z]+!)\s*=\s*(.+)$", line)
        if m:
            substitutions[m.group(1)] = [w.strip() for w in m.group(2).split(",") if w.strip()]
            continue
        codes = _CODE_BLOCK.findall(line)
        if not codes:
            continue
        code = codes[0].strip()
        if not code.startswith("~"):
            continue  # 'NGO~' style prefixes name organisations, not sector agents
        head = _CODE_BLOCK.split(line)[0]
        plural_m = re.search(r"\{([^}]*)\}", head)
        phrase = re.sub(r"\{[^}]*\}", "", head).strip()
        plurals = plural_m.group(1).split() if plural_m else None
        phrases = [phrase]
        for marker, values in substitutions.items():
            if marker in phrase:
                phrases = [p.replace(marker, v) for p in phrases for v in values]
        for p in phrases:
            p = p.replace("_", " ").strip()
            if not p or "!" in p:
                continue
            forms = [p]
            if plurals is None and "!" not in head:
                forms.append(_regular_plural(p))
            elif plurals:
                forms.extend(x.replace("_", " ") for x in plurals)
            agents.append(Agent(p, code[1:], forms))
    return agents


def _regular_plural(phrase: str) -> str:
    if phrase.endswith(("SS", "ss", "SH", "CH")):
        return phrase + "ES"
    if phrase[-1:] in "Yy" and phrase[-2:-1].upper() not in "AEIOU":
        return phrase[:-1] + "IES"
    return phrase + "S"


# ---------------------------------------------------------------- table building


def _display(primary: str) -> str:
    """'BASHAR_AL_ASSAD_' → 'Bashar al Assad' (Phoenix names are all upper case)."""
    words = [w for w in re.split(r"[_\s]+", primary) if w]
    out = []
    for i, w in enumerate(words):
        lw = w.lower()
        if i > 0 and lw in {
            "al",
            "el",
            "de",
            "du",
            "bin",
            "ibn",
            "van",
            "von",
            "der",
            "of",
            "the",
            "and",
            "for",
        }:
            out.append(lw)
        else:
            out.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
    return " ".join(out)


def _french_forms(adj: str) -> list[str]:
    """Masculine singular nationality adjective → its four inflected forms."""
    if "|" in adj:
        return adj.split("|")
    if adj.endswith("e"):
        return [adj, adj + "s"]
    if adj.endswith("en"):
        return [adj, adj + "ne", adj + "s", adj + "nes"]
    if adj.endswith(("s", "x")):
        return [adj, adj + "e", adj + "es"]
    return [adj, adj + "e", adj + "s", adj + "es"]


@dataclass
class ActorEntry:
    id: str
    name: str
    type: str
    country: str | None  # CAMEO country code
    qid: str | None = None
    codes: list[CodeRange] = field(default_factory=list)
    roles: list[list[Any]] = field(default_factory=list)
    hand: bool = False
    hand_codes: bool = False  # codes given by the hand data (Phoenix's are then ignored)

    def to_json(self) -> list[Any]:
        return [
            self.id,
            self.name,
            self.type,
            self.country,
            self.qid,
            [c.to_json() for c in self.codes],
            self.roles,
        ]


class TableBuilder:
    """Merges Phoenix records and the hand data into the resolver's table."""

    def __init__(self, extra: dict[str, Any]) -> None:
        self.extra = extra
        self.iso2: dict[str, str] = dict(
            pair.split(":") for pair in extra.get("iso2", "").split() if ":" in pair
        )
        self.countries: dict[str, dict[str, Any]] = {}  # CAMEO code → info
        self.actors: dict[str, ActorEntry] = {}
        self.aliases: dict[str, dict[str, list[Any]]] = defaultdict(dict)  # key → {id: entry}
        self.offices: dict[str, list[str]] = {}
        self.stats: Counter[str] = Counter()
        self.hand_keys: set[str] = set()  # alias keys owned by hand actors
        # Common nouns that Phoenix uses as one-word aliases of one country's institution.
        self.generic_words: set[str] = set(_GENERIC_WORDS)
        for lang in ("en", "fr"):
            for table in (extra["roles"].get(lang, {}), extra["agents"].get(lang, {})):
                self.generic_words.update(key_of(k) for k in table if not k.startswith("_"))
        for c in extra.get("countries", []):
            self._add_country(c["code"], c["en"], c.get("qid"), hand=c)

    # -- countries and sector actors

    def _add_country(
        self, code: str, name: str, qid: str | None, hand: dict[str, Any] | None = None
    ) -> None:
        if code in self.countries:
            return
        self.countries[code] = {
            "iso2": self.iso2.get(code),
            "name": name,
            "slug": slug(name),
            "qid": qid,
            "hand": hand,
        }

    def country_ids(self) -> frozenset[str]:
        return frozenset(self.countries) | frozenset(self.iso2) | HISTORICAL_STATES

    def sector_actor(self, country: str, sectors: list[str]) -> ActorEntry | None:
        info = self.countries.get(country)
        if info is None:
            return None
        from .common import SECTORS, sector_actor_id

        actor_id = sector_actor_id(info["slug"], sectors)
        if actor_id not in self.actors:
            label = " ".join(SECTORS.get(s, s.lower()).replace("-", " ") for s in sectors)
            self.actors[actor_id] = ActorEntry(
                actor_id,
                f"{info['name']} ({label})",
                SECTOR_TYPES.get(sectors[0], "group"),
                country,
                None,
                [CodeRange(country + "".join(sectors), default=True)],
            )
        return self.actors[actor_id]

    def state_actor(self, country: str) -> ActorEntry | None:
        info = self.countries.get(country)
        if info is None:
            return None
        actor_id = info["slug"]
        if actor_id not in self.actors:
            self.actors[actor_id] = ActorEntry(
                actor_id,
                info["name"],
                "state",
                country,
                info["qid"],
                [CodeRange(country, default=True)],
            )
        return self.actors[actor_id]

    # -- aliases

    def add_alias(
        self,
        surface: str,
        actor_id: str,
        kind: str,
        hand: bool,
        lower_ok: bool = False,
    ) -> None:
        key = alias_key(surface)
        if not key:
            return
        if not hand and key in self.hand_keys:
            self.stats["phoenix_alias_shadowed_by_hand"] += 1
            return
        if not hand and key in self.generic_words:
            # 'SENATE' under the US Congress would make every senate American.
            self.stats["phoenix_generic_aliases_dropped"] += 1
            return
        # A hand alias written in lower case ('département d'État') may match so.
        lower_ok = lower_ok or (hand and surface[:1].islower())
        entries = self.aliases[key]
        if actor_id in entries:
            old = entries[actor_id]
            if kind == "n" and old[0] != "n":
                old[0] = "n"
            if lower_ok:
                old[1] |= 2
            case = surface if hand and " " not in key and len(key) <= 4 else ""
            if old[2] and case and case not in old[2].split("|"):
                old[2] += "|" + case  # 'NATO' and 'Nato' are both fine
            old[3] = _mask_str(set(_mask(old[3])) & set(self._caps(surface, key, hand)))
            return
        flags = (1 if hand else 0) | (2 if lower_ok else 0)
        # Short single-token hand aliases must match with the same case ('UN' ≠ 'Un');
        # longer hand aliases keep their capitals ('Islamic State', not 'Islamic state').
        case = surface if hand and " " not in key and len(key) <= 4 else ""
        entries[actor_id] = [kind, flags, case, _mask_str(self._caps(surface, key, hand))]

    @staticmethod
    def _caps(surface: str, key: str, hand: bool) -> tuple[int, ...]:
        """Word positions (in ``key``) that the hand surface writes with a capital."""
        if not hand or " " not in key:
            return ()
        full = key_of(surface).split()
        written = surface_words(surface)
        if len(written) != len(full):
            return ()  # words do not align (rare letters): no constraint
        offset = len(full) - len(key.split())  # a leading 'the' dropped from the key
        return tuple(i - offset for i, w in enumerate(written) if w[:1].isupper() and i >= offset)

    # -- hand data

    def add_hand(self) -> None:
        extra = self.extra
        for c in extra.get("countries", []):
            state = self.state_actor(c["code"])
            assert state is not None
            state.hand = True
            for name in [c["en"], c["fr"], *c.get("alt", [])]:
                self.hand_keys.add(alias_key(name))
                self.add_alias(name, state.id, "n", hand=True)
        for a in extra.get("actors", []):
            actor_id = slug(a["name"])
            country = a.get("country")
            entry = ActorEntry(
                actor_id,
                a["name"],
                a["type"],
                country,
                a.get("qid"),
                [_hand_code(c) for c in a.get("codes", [])],
                [list(r) for r in a.get("roles", [])],
                hand=True,
                hand_codes=bool(a.get("codes")),
            )
            self.actors[actor_id] = entry
            lower_ok = {key_of(x) for x in a.get("lower_ok", [])}
            names = [a["name"], *a.get("aliases", [])]
            for name in names:
                self.hand_keys.add(alias_key(name))
            for name in names:
                kind = "n" if key_of(name) == key_of(a["name"]) else "a"
                if a["type"] == "person" and " " not in key_of(name):
                    kind = "s"
                self.add_alias(name, actor_id, kind, hand=True, lower_ok=key_of(name) in lower_ok)
            for desc in a.get("descriptions", []):
                self.add_alias(desc, actor_id, "d", hand=True, lower_ok=True)
        for m in extra.get("metonyms", []):
            country, sectors = split_code(m["target"], self.country_ids())
            target = self.sector_actor(country, sectors) if country else None
            if target is None:
                raise ValueError(f"metonym target {m['target']} names no known country")
            for name in m["aliases"]:
                self.hand_keys.add(alias_key(name))
                self.add_alias(name, target.id, "m", hand=True)
        for p in extra.get("periphrases", []):
            for text in p["text"]:
                self.offices[alias_key(text)] = [p["scope"], p["role"], "d"]

    # -- Phoenix records

    def add_phoenix(self, records: Iterable[Record]) -> None:
        records = list(records)
        countries = self.country_ids()
        # Pass 1: country names (records coded with a bare country code).
        known = {code: True for code in self.iso2} | dict.fromkeys(HISTORICAL_STATES, True)
        for rec in records:
            code = _state_code(rec, known)
            if code:
                self._add_country(code, _display(rec.primary), None)
        countries = self.country_ids()
        role_lexicon = {
            key_of(k): v for k, v in self.extra["roles"]["en"].items() if not k.startswith("_")
        }
        country_words = self._country_words()
        by_key: dict[tuple[str, str | None], ActorEntry] = {}
        for rec in records:
            self._add_record(rec, countries, role_lexicon, country_words, by_key)

    def _country_words(self) -> set[str]:
        """Words naming a country or a hand IGO ('us', 'united', 'states', 'un'): what is
        left of an office record without them is its title."""
        words: set[str] = set()
        for a in self.extra.get("actors", []):
            if a["type"] == "igo":
                for name in [a["name"], *a.get("aliases", [])]:
                    words.update(key_of(name).split())
        for info in self.countries.values():
            words.update(key_of(info["name"]).split())
            hand = info.get("hand")
            if hand:
                for name in [hand["fr"], *hand.get("alt", []), *hand.get("adj_en", [])]:
                    words.update(key_of(name).split())
        return words

    def _record_country(self, rec: Record, countries: frozenset[str]) -> str | None:
        counts: Counter[str] = Counter()
        for c in rec.codes:
            country, _ = split_code(c.code, countries)
            if country:
                counts[country] += 1
        return counts.most_common(1)[0][0] if counts else None

    def _is_person(self, rec: Record, countries: frozenset[str]) -> bool:
        words = set(key_of(rec.primary).split())
        if words & _ORG_WORDS:
            return False
        if "countryinfo" in rec.comment.lower().replace(".", "").replace(" ", ""):
            return True
        if any(split_code(c.code, countries)[1][:1] == ["ELI"] for c in rec.codes):
            return True
        for alias in rec.aliases:
            first, *rest = key_of(alias).split() or [""]
            if first in _HONORIFICS and rest and not set(rest) & _ORG_WORDS:
                return True
        return any(c.start or c.end for c in rec.codes) and 2 <= len(words) <= 5

    def _office(
        self,
        rec: Record,
        role_lexicon: dict[str, Any],
        country_words: set[str],
        country: str | None,
    ) -> tuple[str, str] | None:
        """A record naming an office ('PRESIDENT_OF_THE_UNITED_STATES') → (scope, role)."""
        words = [w for w in key_of(rec.primary).split() if w in _STOP or w not in country_words]
        while words and words[0] in _STOP:
            words.pop(0)
        while words and words[-1] in _STOP:
            words.pop()
        role = role_lexicon.get(" ".join(words))
        if isinstance(role, dict):
            role = role.get(country or "")
        if not role or len(rec.codes) != 1:
            return None
        scope = country
        if scope is None:  # an IGO office: the scope is the hand organisation with that code
            scope = next(
                (
                    a.id
                    for a in self.actors.values()
                    if a.hand
                    and a.type == "igo"
                    and [c.code for c in a.codes] == [rec.codes[0].code]
                ),
                None,
            )
        return (scope, role) if scope else None

    def _add_record(
        self,
        rec: Record,
        countries: frozenset[str],
        role_lexicon: dict[str, Any],
        country_words: set[str],
        by_key: dict[tuple[str, str | None], ActorEntry],
    ) -> None:
        if not rec.codes:
            self.stats["phoenix_no_code"] += 1
            return
        country = self._record_country(rec, countries)
        names = [rec.primary, *rec.aliases]
        # States ('UKRAINE_' with only dated [UKR] codes too): keep the names of the
        # country, not the places listed under it.
        state_code = _state_code(rec, self.countries)
        if state_code:
            self._add_state_names(rec, state_code)
            return
        office = self._office(rec, role_lexicon, country_words, country)
        if office:
            for name in names:
                key = alias_key(name)
                if key and key not in self.hand_keys:
                    self.offices.setdefault(key, [office[0], office[1], "t"])
            self.stats["phoenix_offices"] += 1
            return
        is_person = self._is_person(rec, countries)
        # Institutions standing for a government or military ('WHITE_HOUSE_ [USAGOV]').
        if not is_person and len(rec.codes) == 1 and rec.codes[0].default and country:
            _, sectors = split_code(rec.codes[0].code, countries)
            if sectors in (["GOV"], ["MIL"]):
                target = self.sector_actor(country, sectors)
                if target is not None:
                    for name in names:
                        self.add_alias(name, target.id, "m", hand=False)
                    self.stats["phoenix_sector_institutions"] += 1
                    return
        entry = self._find_or_make(rec, country, is_person, countries, by_key)
        for i, name in enumerate(names):
            key = key_of(name)
            if not key:
                continue
            words = key.split()
            if is_person and set(words) & _DROP_PERSON_ALIAS:
                continue
            if (
                not is_person
                and i > 0
                and _looks_like_person(words, rec.alias_notes.get(i - 1, ""))
            ):
                self.stats["phoenix_person_aliases_of_groups_dropped"] += 1
                continue
            sector = next((_INSTITUTION_ALIAS[w] for w in words if w in _INSTITUTION_ALIAS), None)
            if is_person and sector:
                target = self.sector_actor(country, [sector]) if country else None
                if target is not None:
                    self.add_alias(name, target.id, "m", hand=False)
                continue
            if i == 0:
                kind = "n"
            elif is_person and len(words) == 1:
                kind = "s"
            else:
                kind = "a"
            self.add_alias(name, entry.id, kind, hand=False)

    def _find_or_make(
        self,
        rec: Record,
        country: str | None,
        is_person: bool,
        countries: frozenset[str],
        by_key: dict[tuple[str, str | None], ActorEntry],
    ) -> ActorEntry:
        """The actor a record describes: a hand actor, an earlier record, or a new one."""
        # A hand actor claims the record when it lists the record's primary name.
        primary = alias_key(rec.primary)
        for entry_id, (kind, flags, *_) in self.aliases.get(primary, {}).items():
            entry = self.actors.get(entry_id)
            if entry is None or not entry.hand or not flags & 1 or kind not in "nas":
                continue
            if country is not None and entry.country not in (None, country):
                continue
            if not entry.hand_codes:  # hand codes, when given, replace Phoenix's
                entry.codes.extend(c for c in rec.codes if c not in entry.codes)
            self.stats["phoenix_merged_into_hand"] += 1
            return entry
        same = by_key.get((primary, country))
        if same is not None:
            same.codes.extend(c for c in rec.codes if c not in same.codes)
            self._role_from_heading(same, rec, countries)
            self.stats["phoenix_merged_duplicates"] += 1
            return same
        name = _display(rec.primary)
        base = slug(name) or "actor"
        actor_id = base
        if actor_id in self.actors:
            actor_id = f"{base}-{(country or 'x').lower()}"
            n = 2
            while actor_id in self.actors:
                actor_id = f"{base}-{(country or 'x').lower()}-{n}"
                n += 1
        first = rec.codes[0].code
        _, sectors = split_code(first, countries)
        if is_person:
            typ = "person"
        elif first.startswith("IGO"):
            typ = "igo"
        elif first.startswith(("NGO", "NGM", "MNC")):
            typ = "organisation"
        elif first.startswith("IMG") or (sectors and sectors[0] in SECTOR_TYPES):
            typ = SECTOR_TYPES.get(sectors[0] if sectors else "IMG", "armed_group")
        else:
            typ = "organisation"
        entry = ActorEntry(actor_id, name, typ, country, None, list(rec.codes))
        self.actors[actor_id] = entry
        by_key[(primary, country)] = entry
        self._role_from_heading(entry, rec, countries)
        return entry

    def _role_from_heading(self, entry: ActorEntry, rec: Record, countries: frozenset[str]) -> None:
        """'# U.S. Presidents' above a record: its GOV ranges are that office's tenure."""
        if entry.hand or entry.type != "person" or not rec.section:
            return
        role = None
        for pattern, value in _HEADING_ROLES:
            if pattern.search(rec.section):
                role = value
                break
        if role is None:
            return
        for c in rec.codes:
            country, sectors = split_code(c.code, countries)
            if country and sectors[:1] == ["GOV"] and (c.start or c.end):
                tenure = [
                    role,
                    country,
                    c.start.isoformat() if c.start else None,
                    c.end.isoformat() if c.end else None,
                ]
                if tenure not in entry.roles:
                    entry.roles.append(tenure)

    def _add_state_names(self, rec: Record, code: str) -> None:
        state = self.state_actor(code)
        if state is None:
            return
        if not state.hand:
            state.codes = list(rec.codes)
        elif not any(c.start or c.end for c in state.codes):
            state.codes = list(rec.codes) or state.codes
        info = self.countries[code]
        names = [info["name"]]
        if info.get("hand"):
            names += [info["hand"]["fr"], *info["hand"].get("alt", [])]
        stems = {w[:4] for n in names for w in key_of(n).split() if len(w) >= 4}
        adjectives = self._adjective_keys(code)
        for i, name in enumerate([rec.primary, *rec.aliases]):
            key = key_of(name)
            if not key or key in adjectives:
                continue
            if not any(w[:4] in stems for w in key.split() if len(w) >= 4):
                self.stats["phoenix_place_aliases_dropped"] += 1
                continue
            self.add_alias(name, state.id, "n" if i == 0 else "a", hand=False)

    def _adjective_keys(self, code: str) -> set[str]:
        hand = self.countries[code].get("hand") or {}
        keys = {key_of(a) for a in hand.get("adj_en", [])}
        for adj in hand.get("adj_fr", []):
            keys.update(key_of(f) for f in _french_forms(adj))
        return keys

    # -- lexicons

    def lexicons(self, agents: list[Agent]) -> dict[str, Any]:
        nationality: dict[str, dict[str, str]] = {"fr": {}, "en": {}}
        demonyms: dict[str, dict[str, str]] = {"fr": {}, "en": {}}
        capitals: dict[str, str] = {}
        for code, info in self.countries.items():
            hand = info.get("hand")
            if not hand:
                continue
            for adj in hand.get("adj_en", []):
                nationality["en"].setdefault(key_of(adj), code)
                if adj[-1:] in ("n", "i") and adj[:1].isupper() and len(adj) > 3:
                    demonyms["en"].setdefault(key_of(adj + "s"), code)
            for adj in hand.get("adj_fr", []):
                forms = _french_forms(adj)
                for form in forms:
                    nationality["fr"].setdefault(key_of(form), code)
                for form in forms:
                    if form.endswith(("s", "x")):
                        demonyms["fr"].setdefault(key_of(form), code)
            for cap in hand.get("capital", []):
                capitals.setdefault(key_of(cap), code)
        roles = {
            lang: {key_of(k): v for k, v in table.items() if not k.startswith("_")}
            for lang, table in self.extra["roles"].items()
            if not lang.startswith("_")
        }
        agent_lex: dict[str, dict[str, str]] = {
            lang: {key_of(k): v for k, v in table.items() if not k.startswith("_")}
            for lang, table in self.extra["agents"].items()
            if not lang.startswith("_")
        }
        for agent in agents:
            if agent.code[:3] not in POLITICAL_SECTORS:
                continue
            for form in agent.forms:
                key = key_of(form)
                if key and key not in roles["en"]:
                    agent_lex["en"].setdefault(key, agent.code)
            self.stats["phoenix_agents"] += 1
        return {
            "nationality": nationality,
            "demonyms": demonyms,
            "capitals": capitals,
            "roles": roles,
            "agents": agent_lex,
        }

    def table(self, agents: list[Agent], provenance: dict[str, Any]) -> dict[str, Any]:
        ids = sorted(self.actors)
        index = {actor_id: i for i, actor_id in enumerate(ids)}
        aliases: dict[str, list[list[Any]]] = {}
        for key in sorted(self.aliases):
            entries = self.aliases[key]
            if entries:
                aliases[key] = [[index[a], *entries[a]] for a in sorted(entries)]
        lexicons = self.lexicons(agents)  # first: it adds to the stats
        provenance = {**provenance, "stats": {**provenance.get("stats", {}), **self.stats}}
        return {
            "format": TABLE_FORMAT,
            "provenance": provenance,
            "countries": {
                code: [info["iso2"], info["name"], info["slug"], info["qid"]]
                for code, info in sorted(self.countries.items())
            },
            "actors": [self.actors[i].to_json() for i in ids],
            "aliases": aliases,
            "offices": dict(sorted(self.offices.items())),
            **lexicons,
        }


def _hand_code(spec: list[Any]) -> CodeRange:
    if len(spec) == 1:
        return CodeRange(spec[0], default=True)
    start = date.fromisoformat(spec[1]) if spec[1] else None
    end = date.fromisoformat(spec[2]) if spec[2] else None
    return CodeRange(spec[0], start, end)


def _state_code(rec: Record, countries: dict[str, Any]) -> str | None:
    """The country a record names: its default code, else its current (open-ended) one,
    when that is a bare country code ('RUSSIA_ [RUS]', 'UKRAINE_' + '[UKR >911221]').
    A record whose country code has expired ('RUSSIAN_SFSR') is not the state."""
    defaults = [c for c in rec.codes if c.default]
    current = [c for c in rec.codes if not c.default and c.end is None]
    if defaults:
        best = defaults[0]
    elif current:
        best = max(current, key=lambda c: c.start or date.min)
    else:
        return None
    return best.code if best.code in countries else None


def _mask(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x)


def _mask_str(mask: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(mask))


def _looks_like_person(words: list[str], note: str) -> bool:
    if set(words) & _ORG_WORDS:
        return False
    return words[0] in _PERSON_MARKERS or bool(re.search(r"killed|captured|leader", note, re.I))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_table(phoenix_dir: Path | None, extra_path: Path = EXTRA_FILE) -> dict[str, Any]:
    """The alias table from a Phoenix directory (None: hand data only) and hand data."""
    extra = json.loads(extra_path.read_text(encoding="utf-8"))
    builder = TableBuilder(extra)
    builder.add_hand()
    stats = ParseStats()
    sources: dict[str, str] = {}
    agents: list[Agent] = []
    if phoenix_dir is not None:
        records: list[Record] = []
        for name in PHOENIX_FILES:
            path = phoenix_dir / name
            if not path.exists():
                raise FileNotFoundError(path)
            sources[name] = _sha256(path)
            with path.open(encoding="utf-8", errors="replace") as fh:
                records.extend(parse_actor_lines(fh, name, stats))
        agents_path = phoenix_dir / AGENTS_FILE
        if agents_path.exists():
            sources[AGENTS_FILE] = _sha256(agents_path)
            with agents_path.open(encoding="utf-8", errors="replace") as fh:
                agents = parse_agent_lines(fh)
        for agent in agents:
            builder.generic_words.update(key_of(f) for f in agent.forms if " " not in key_of(f))
        builder.add_phoenix(records)
    sources[extra_path.name] = _sha256(extra_path)
    digest = hashlib.sha256(
        (BUILDER + "".join(f"{k}={v}" for k, v in sorted(sources.items()))).encode()
    ).hexdigest()
    provenance = {
        "builder": BUILDER,
        "version": digest[:16],
        "sources": sources,
        "dictionary": "Phoenix actor/agent dictionaries, openeventdata/petrarch2 "
        "(MIT, © 2014 Open Event Data Alliance) + Wirewatch extra_actors.json",
        "stats": stats.as_dict(),
    }
    return builder.table(agents, provenance)


def write_table(table: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode()
    if out.suffix == ".gz":
        # mtime=0: the same inputs give byte-identical output.
        with (
            out.open("wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as fh,
        ):
            fh.write(data)
    else:
        out.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phoenix", type=Path, required=True, help="folder of Phoenix.*.txt")
    parser.add_argument("--extra", type=Path, default=EXTRA_FILE, help="hand data (JSON)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .json or .json.gz")
    args = parser.parse_args(argv)
    table = build_table(args.phoenix, args.extra)
    write_table(table, args.out)
    prov = table["provenance"]
    print(
        f"wrote {args.out}: {len(table['actors'])} actors, {len(table['aliases'])} alias keys, "
        f"version {prov['version']}, stats {json.dumps(prov['stats'])}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
