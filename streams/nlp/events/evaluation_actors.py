"""A stand-in for ``ww_actors`` used ONLY by ``evaluate.py`` (never by the component).

The real actor resolver (alias tables, in-article resolution, date-valid CAMEO actor
codes) is another component. To score the event coder before — or independently of
— it, this module fills ``doc._.ww_actors`` / ``doc._.ww_actor_mentions`` with a
deliberately simple resolution:

* NER entities and nationality adjectives → ISO 3166 alpha-3 via pycountry, plus
  small tables of demonyms, capitals and common short names written here;
* a sector suffix (GOV, MIL, COP) from the head noun the mention sits in
  ("Israeli army" → ISRMIL), as CAMEO actor codes do;
* other people/organisations → actors without a CAMEO code;
* for PETRARCH's unit tests, the test actor dictionary they were written with
  (``PETR.Validate.actors.txt``: fictional countries such as Arnor and Gondor).

Scores obtained with it measure the event coder under imperfect actors; they are
not a measurement of ``ww_actors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from ..annotations import Actor, ActorMention

_DEMONYMS = {
    "american": "USA", "americans": "USA", "russian": "RUS", "russians": "RUS",
    "soviet": "RUS", "chinese": "CHN", "british": "GBR", "french": "FRA", "german": "DEU",
    "germans": "DEU", "israeli": "ISR", "israelis": "ISR", "palestinian": "PSE",
    "palestinians": "PSE", "iranian": "IRN", "iranians": "IRN", "iraqi": "IRQ",
    "iraqis": "IRQ", "syrian": "SYR", "syrians": "SYR", "turkish": "TUR", "kurdish": "IRQ",
    "egyptian": "EGY", "jordanian": "JOR", "lebanese": "LBN", "saudi": "SAU",
    "afghan": "AFG", "afghans": "AFG", "pakistani": "PAK", "indian": "IND",
    "japanese": "JPN", "korean": "KOR", "north korean": "PRK", "south korean": "KOR",
    "ukrainian": "UKR", "polish": "POL", "hungarian": "HUN", "romanian": "ROU",
    "serb": "SRB", "serbs": "SRB", "serbian": "SRB", "bosnian": "BIH", "croatian": "HRV",
    "albanian": "ALB", "albanians": "ALB", "greek": "GRC", "italian": "ITA",
    "spanish": "ESP", "sudanese": "SDN", "libyan": "LBY", "somali": "SOM",
    "ethiopian": "ETH", "kenyan": "KEN", "nigerian": "NGA", "rwandan": "RWA",
    "burundian": "BDI", "congolese": "COD", "ugandan": "UGA", "zimbabwean": "ZWE",
    "vietnamese": "VNM", "cambodian": "KHM", "thai": "THA", "burmese": "MMR",
    "indonesian": "IDN", "filipino": "PHL", "mexican": "MEX", "cuban": "CUB",
    "venezuelan": "VEN", "colombian": "COL", "brazilian": "BRA", "argentine": "ARG",
    "chilean": "CHL", "peruvian": "PER", "canadian": "CAN", "australian": "AUS",
    "taiwanese": "TWN", "yemeni": "YEM", "qatari": "QAT", "emirati": "ARE",
    "kuwaiti": "KWT", "algerian": "DZA", "moroccan": "MAR", "tunisian": "TUN",
    "georgian": "GEO", "armenian": "ARM", "armenians": "ARM", "azerbaijani": "AZE",
    "azerbaijanis": "AZE", "chechen": "RUS", "belarusian": "BLR", "dutch": "NLD",
    "belgian": "BEL", "swiss": "CHE", "swedish": "SWE", "norwegian": "NOR",
    "danish": "DNK", "finnish": "FIN", "austrian": "AUT", "czech": "CZE",
    "slovak": "SVK", "bulgarian": "BGR", "irish": "IRL", "portuguese": "PRT",
    "guinean": "GIN", "liberian": "LBR", "sierra leonean": "SLE", "sri lankan": "LKA",
    "nepalese": "NPL", "bangladeshi": "BGD", "haitian": "HTI", "salvadoran": "SLV",
    "nicaraguan": "NIC", "honduran": "HND", "guatemalan": "GTM", "panamanian": "PAN",
    # French
    "américain": "USA", "américaine": "USA", "américains": "USA", "américaines": "USA",
    "russe": "RUS", "russes": "RUS", "chinois": "CHN", "chinoise": "CHN",
    "britannique": "GBR", "français": "FRA", "française": "FRA", "allemand": "DEU",
    "allemande": "DEU", "israélien": "ISR", "israélienne": "ISR", "israéliens": "ISR",
    "palestinien": "PSE", "palestiniens": "PSE", "iranien": "IRN", "iranienne": "IRN",
    "irakien": "IRQ", "syrien": "SYR", "syrienne": "SYR", "syriens": "SYR", "turc": "TUR",
    "turque": "TUR", "ukrainien": "UKR", "ukrainienne": "UKR", "ukrainiens": "UKR",
    "japonais": "JPN", "libanais": "LBN", "égyptien": "EGY", "saoudien": "SAU",
}  # fmt: skip

_NAMES = {
    "us": "USA", "u.s.": "USA", "u.s": "USA", "america": "USA", "united states": "USA",
    "the united states": "USA", "usa": "USA", "washington": "USA", "white house": "USAGOV",
    "pentagon": "USAMIL", "state department": "USAGOV", "uk": "GBR", "britain": "GBR",
    "great britain": "GBR", "london": "GBR", "england": "GBR", "russia": "RUS",
    "moscow": "RUS", "kremlin": "RUSGOV", "soviet union": "RUS", "ussr": "RUS",
    "beijing": "CHN", "prc": "CHN", "china": "CHN", "paris": "FRA", "berlin": "DEU",
    "tehran": "IRN", "baghdad": "IRQ", "damascus": "SYR", "ankara": "TUR",
    "jerusalem": "ISR", "tel aviv": "ISR", "gaza": "PSE", "west bank": "PSE",
    "palestine": "PSE", "kabul": "AFG", "islamabad": "PAK", "new delhi": "IND",
    "tokyo": "JPN", "seoul": "KOR", "pyongyang": "PRK", "north korea": "PRK",
    "south korea": "KOR", "dprk": "PRK", "kiev": "UKR", "kyiv": "UKR", "cairo": "EGY",
    "amman": "JOR", "beirut": "LBN", "riyadh": "SAU", "khartoum": "SDN", "tripoli": "LBY",
    "hanoi": "VNM", "taiwan": "TWN", "taipei": "TWN", "iran": "IRN", "syria": "SYR",
    "bosnia": "BIH", "kosovo": "XKX", "montenegro": "MNE", "serbia": "SRB",
    "emirates": "ARE", "uae": "ARE", "juba": "SDN", "burma": "MMR", "kampuchea": "KHM",
    "hamas": "PSE", "hezbollah": "LBN", "taliban": "AFG", "al-qaeda": "IMG",
    "al qaeda": "IMG",
    "united nations": "IGO", "un": "IGO", "u.n.": "IGO", "u.n": "IGO", "nato": "IGO",
    "european union": "IGO", "eu": "IGO", "european community": "IGO", "ec": "IGO",
    "arab league": "IGO", "african union": "IGO", "iaea": "IGO", "apec": "IGO",
    "asia-pacific economic cooperation": "IGO", "security council": "IGO",
    "un security council": "IGO", "world bank": "IGO", "imf": "IGO", "osce": "IGO",
    "red cross": "NGO", "amnesty international": "NGO", "human rights watch": "NGO",
    # French
    "états-unis": "USA", "les états-unis": "USA", "maison-blanche": "USAGOV",
    "maison blanche": "USAGOV", "russie": "RUS", "moscou": "RUS", "chine": "CHN",
    "pékin": "CHN", "syrie": "SYR", "irak": "IRQ", "allemagne": "DEU",
    "royaume-uni": "GBR", "londres": "GBR", "turquie": "TUR", "japon": "JPN",
    "israël": "ISR", "liban": "LBN", "égypte": "EGY", "arabie saoudite": "SAU",
    "ukraine": "UKR", "onu": "IGO", "otan": "IGO", "union européenne": "IGO",
    "nations unies": "IGO", "france": "FRA", "téhéran": "IRN",
    "damas": "SYR", "ei": "IMG", "état islamique": "IMG", "daech": "IMG",
}  # fmt: skip

_SECTORS = {
    "MIL": {
        "army",
        "troops",
        "troop",
        "forces",
        "force",
        "soldiers",
        "soldier",
        "military",
        "jets",
        "warplanes",
        "warplane",
        "aircraft",
        "helicopters",
        "tanks",
        "navy",
        "artillery",
        "militiamen",
        "gunships",
        "armée",
        "troupes",
        "soldats",
        "militaires",
        "avions",
        "aviation",
        "commandement",
        "état-major",
        "chars",
    },
    "COP": {"police", "policemen", "policiers", "gendarmes", "security"},
    "GOV": {
        "government",
        "minister",
        "ministry",
        "president",
        "officials",
        "official",
        "administration",
        "authorities",
        "leader",
        "premier",
        "prime",
        "diplomats",
        "spokesman",
        "foreign",
        "cabinet",
        "gouvernement",
        "ministre",
        "ministère",
        "président",
        "responsables",
        "autorités",
        "diplomatie",
        "porte-parole",
    },
}

_ENT_LABELS = {"GPE", "NORP", "LOC", "ORG", "PERSON", "PER", "FAC", "MISC"}


@cache
def _country_by_name() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                table[value.lower()] = c.alpha_3
    return table


def country_code(text: str) -> str | None:
    key = re.sub(r"^(the|le|la|les|l')\s*", "", text.lower().strip()).strip(" .,'’")
    for candidate in (text.lower().strip(), key):
        if candidate in _NAMES:
            return _NAMES[candidate]
        if candidate in _DEMONYMS:
            return _DEMONYMS[candidate]
        code = _country_by_name().get(candidate)
        if code:
            return code
    return None


def _sector(tok: Token) -> str:
    """GOV/MIL/COP from the noun a mention modifies (or is)."""
    for t in (tok, tok.head):
        lemma = t.lemma_.lower()
        for sector, words in _SECTORS.items():
            if lemma in words or t.lower_ in words:
                return sector
    return ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def resolve_actors(doc: Doc, dictionary: dict[tuple[str, ...], str] | None = None) -> None:
    """Fill ``doc._.ww_actors`` / ``doc._.ww_actor_mentions`` (see module docstring)."""
    mentions: list[ActorMention] = []
    actors: dict[str, Actor] = {}
    taken: set[int] = set()

    def add(start: int, end: int, text: str, code: str | None, kind: str, head: Token) -> None:
        if code and len(code) == 3 and code not in ("IGO", "NGO", "IMG"):
            code += _sector(head)
        actor_id = (code or "").lower() + ":" + _slug(text) if code else f"unk:{_slug(text)}"
        if code:
            actor_id = f"cameo:{code}"
        actors.setdefault(
            actor_id,
            Actor(
                id=actor_id,
                name=text,
                type="state" if code else "group",
                cameo=code,
                known=code is not None,
                source="rule",
            ),
        )
        m = ActorMention(start, end, text, actor_id, kind, 0.9 if code else 0.6)
        actors[actor_id].mentions.append(m)
        mentions.append(m)

    if dictionary:
        for start, end, code in _dictionary_matches(doc, dictionary):
            if any(i in taken for i in range(start, end)):
                continue
            taken.update(range(start, end))
            span = doc[start:end]
            add(span.start_char, span.end_char, span.text, code, "name", span.root)
    for ent in doc.ents:
        if ent.label_ not in _ENT_LABELS or any(i in taken for i in range(ent.start, ent.end)):
            continue
        code = country_code(ent.text)
        if code is None and ent.label_ in ("GPE", "LOC", "NORP", "MISC"):
            continue
        if code is None:  # "U.S. Secretary of State Warren Christopher": the modifier's country
            code = _modifier_country(ent)
            if code:
                code += "GOV" if ent.label_ in ("PERSON", "PER") else ""
        taken.update(range(ent.start, ent.end))
        add(ent.start_char, ent.end_char, ent.text, code, "name", ent.root)
    for tok in doc:  # country names and nationality adjectives the NER did not tag
        if tok.i in taken:
            continue
        code = _DEMONYMS.get(tok.lower_)
        if code is None and tok.pos_ == "PROPN":
            code = country_code(tok.text)
        if code is None:
            continue
        taken.add(tok.i)
        add(tok.idx, tok.idx + len(tok), tok.text, code, "description", tok)
    mentions.sort(key=lambda m: (m.start, m.end))
    doc._.ww_actor_mentions = mentions
    doc._.ww_actors = list(actors.values())


def _modifier_country(ent: Span) -> str | None:
    """A country named in the compound/amod modifiers just before an entity."""
    head = ent.root
    for tok in head.children:
        if tok.i < ent.start and tok.dep_ in ("compound", "amod", "nmod", "poss"):
            for t in tok.subtree:
                code = _DEMONYMS.get(t.lower_) or country_code(t.text)
                if code:
                    return code
    for t in ent.doc[max(ent.start - 4, 0) : ent.start]:
        if t.head.i in range(ent.start, ent.end) or t.head.head.i in range(ent.start, ent.end):
            code = _DEMONYMS.get(t.lower_) or (country_code(t.text) if t.pos_ == "PROPN" else None)
            if code:
                return code
    return None


def load_petrarch_actors(path: Path) -> dict[tuple[str, ...], str]:
    """PETRARCH actor dictionary → {lower-case word tuple: CAMEO code} (names + aliases)."""
    table: dict[tuple[str, ...], str] = {}
    pending: list[tuple[str, ...]] = []
    code: str | None = None
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("<"):
            continue
        if line.startswith("+"):
            words = _words(line[1:])
            if words and code:
                table[words] = code
            continue
        m = re.match(r"^([^\[]*?)\s*(?:\[([^\]]*)\])?\s*$", line)
        if not m:
            continue
        name, found = m.group(1).strip(), m.group(2)
        if name:
            pending = [_words(name)]
        if found is not None:
            code = found.split()[0].strip().upper() if found.strip() else None
            if code and not code.startswith("~"):
                for words in pending:
                    if words:
                        table[words] = code
            pending = []
    return table


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[\s_]+", text.lower().strip()) if w)


def _dictionary_matches(
    doc: Doc, table: dict[tuple[str, ...], str]
) -> Iterable[tuple[int, int, str]]:
    longest = max((len(k) for k in table), default=0)
    lowers = [t.lower_ for t in doc]
    i = 0
    while i < len(doc):
        for n in range(min(longest, len(doc) - i), 0, -1):
            words = tuple(lowers[i : i + n])
            code = table.get(words)
            if code is None and n == 1 and words[0].endswith("'s"):
                code = table.get((words[0][:-2],))
            if code is None and n == 1:
                for k in range(len(words[0]), 3, -1):  # stems: "Arnorian" → ARNOR_
                    code = table.get((words[0][:k],))
                    if code:
                        break
            if code:
                yield i, i + n, code
                i += n
                break
        else:
            i += 1
