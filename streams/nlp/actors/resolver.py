"""``ww_actors``: canonical actors and every mention of them in an article.

Id scheme (one rule, stable across table rebuilds because ids derive from names):

- every id is a lowercase ASCII slug of the actor's canonical English name:
  ``vladimir-putin``, ``united-nations``, ``islamic-state``, states ``russia``;
- a country's sector actors append the CAMEO sector words to the country slug:
  ``russia-government`` (RUSGOV), ``russia-military`` (RUSMIL), ``syria-rebels``;
- a Phoenix name shared by two different actors gets the CAMEO country as suffix
  (``ahmed-ali-egy``);
- people the table does not know get ``person:`` + the slug of the name as written
  (``person:jane-doe``), ``known=False``.

How mentions are found, cheapest evidence first (all dict look-ups over token runs,
never a loop over the table). The dateline ("UNITED NATIONS (AP) -", from
``ww_dateline``) says where the story was filed: its words are never mentions.

1. names: the longest run of tokens whose folded key is an alias, office title
   ("US president") or periphrasis ("le maître du Kremlin"); case rules keep 'UN'
   from matching 'Un', single-word dictionary aliases need the model's NER to agree,
   and a one-word alias that is only part of a longer name is not its actor ('Hassan'
   of 'Hassan Rohani', 'Israel' of 'Israel Katz': the person pass reads the whole
   name), nor is a state's name inside a longer place name ('South China Sea');
2. titles and agents: a role word ("président", "foreign minister", "homologue") or
   a collective agent ("responsables", "armée", "officials") with a nationality
   ("russe", "US", "de la Russie", "Russia's", "of Syria") or an organisation;
3. capitals as metonyms, only when they act: subject of a non-stative verb, passive
   agent, the inverted subject of a French reporting verb ("ont annoncé Moscou et
   Washington"), after "selon"/"according to", or object of a verb whose subject is
   an actor; buildings ("Kremlin") stand for the government except after a locative;
4. the model's PER entities not in the table: surnames of people named in the
   article, else new ``person:`` actors.

Then, per article: ambiguous aliases are settled by preferring hand data and actors
whose codes are valid on the article date; surnames and descriptions resolve only to
people named in the same article; a one-person agent title ("ambassador",
"porte-parole", "commander") in apposition to a person is that person, and a
nationality with title words right before a person ("U.S. Ambassador Nikki Haley",
"Russian General X", "l'ambassadeur russe X") is one actor — the person, whose country
and CAMEO code (country + the title's sector) come from the title when the table has
none for the article date; a title resolves to the person in apposition, else
the person it was already bound to, else the article person holding that office on
the article date (role tenures), else the most recent compatible person, else (for
government offices) the country's government, with low confidence. State names after
a locative ("en Syrie", "in Syria") are places, not actors, and are left out.

The article date comes from ``doc.user_data["published_at"]`` (RFC 3339 or None: then
the latest codes and current roles are used). Mention offsets index the Doc text,
which is the length-preserving normalisation of the original, hence the original too;
``doc.user_data["original_text"]`` (optional, same length) supplies mention texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token

from ..annotations import Actor, ActorMention, to_jsonable
from .common import is_joiner, key_of, parse_iso_date, slug, split_code, surface_words
from .table import ActorTable, TableActor, load_table

COMPONENT_VERSION = "ww_actors/1"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@lru_cache(maxsize=1 << 16)
def _piece(token_text: str) -> str | None:
    """A token's part of a lookup key: '' for joiners ('-', "'"), None for other
    punctuation (it ends a match). Cached: news vocabulary repeats a lot."""
    if is_joiner(token_text):
        return ""
    return key_of(token_text) or None


_PER = frozenset({"PER", "PERSON"})
_PLACE = frozenset({"LOC", "GPE", "FAC"})
_FR_PREP = frozenset({"de", "du", "des", "d"})
_FR_DET = frozenset({"la", "le", "l", "les"})
_LOCATIVE = frozenset(
    {
        "en",
        "a",
        "au",
        "aux",
        "dans",
        "vers",
        "depuis",
        "in",
        "at",
        "inside",
        "within",
        "into",
        "across",
        "throughout",
    }
)
_GEO_NOUNS = _words(
    "nord sud est ouest centre region province ville capitale frontiere cote territoire "
    "north south east west center region city capital border coast territory northeast "
    "northwest southeast southwest"
)
# Words that make a longer place name of a state's name ('South China Sea', 'Gulf of
# Mexico', 'Northern Ireland', 'frontière syro-turque'): the state is not an actor there.
_PLACE_NAME_WORDS = _GEO_NOUNS | _words(
    "sea ocean gulf strait straits bay river lake mount mountains valley peninsula island "
    "islands desert canal channel heights plain basin delta highlands sound northern "
    "southern eastern western central upper lower mer golfe detroit baie fleuve lac mont "
    "monts vallee peninsule ile iles desert hauteurs plateau septentrional meridional"
)
_HISTORICAL = frozenset(
    {"ancien", "ancienne", "anciens", "anciennes", "ex", "former", "late", "feu", "defunt"}
)
_APPOS_DET = frozenset({"le", "la", "l", "the", "son", "sa", "his", "her", "its", "leur", "their"})
_PLURAL_DET = frozenset({"les", "des", "aux", "ces", "the", "many", "plusieurs", "nombreux"})
_STATIVE = _words(
    "etre avoir trouver situer compter abriter accueillir heberger devenir sembler rester "
    "paraitre be have lie host remain become seem contain include"
)
_REPORTING_FR = _words(
    "annoncer declarer dire indiquer affirmer estimer assurer souligner ajouter preciser "
    "expliquer repondre dementir confirmer accuser denoncer condamner appeler exiger "
    "menacer avertir prevenir reclamer juger rappeler poursuivre ecrire saluer feliciter "
    "reconnaitre nier proposer insister faire savoir promettre demander"
)
_REPORTING_EN = _words(
    "say tell announce state declare add warn claim accuse deny confirm urge call insist "
    "respond reply condemn threaten demand reject welcome stress argue note report "
    "agree criticize criticise vow pledge promise"
)
_SOURCE_MARKERS = (("selon",), ("d", "apres"), ("according", "to"))
_GOV_ROLES = frozenset(
    {
        "head_of_state",
        "head_of_government",
        "foreign_minister",
        "defence_minister",
        "minister",
        "vice_president",
        "leader",
        "supreme_leader",
        "spokesperson",
    }
)
_ROLE_RANK = (
    "head_of_state",
    "head_of_government",
    "supreme_leader",
    "vice_president",
    "foreign_minister",
    "defence_minister",
    "secretary_general",
    "special_envoy",
)
_NAME_PARTICLES = frozenset(
    {"de", "du", "al", "el", "bin", "ibn", "van", "von", "der", "da", "di", "le", "la"}
)
# Words before or inside a name that are not part of it ('Mr Putin', 'Gen. Petraeus').
_HONORIFICS = _words(
    "mr mrs ms miss dr sir lady madam m mme mlle monsieur madame sheikh cheikh shaikh emir "
    "king queen prince princess gen general col colonel lt lieutenant adm admiral capt "
    "captain maj major sgt sen senator rep gov governor secretary minister ministre "
    "president presidente chancellor chancelier premier ambassador ambassadeur envoy judge "
    "justice mayor maire pope pape rabbi imam ayatollah mullah cardinal bishop mgr saint st "
    "comrade marshal marechal jr sr"
)
# The sector of an English title chain's head word ('Deputy Secretary of Energy' →
# secretary → GOV) when the lexicons do not know the whole title.
_TITLE_SECTORS = {
    **dict.fromkeys(
        _words(
            "general gen commander colonel col admiral adm lieutenant lt marshal brigadier "
            "commandant"
        ),
        "MIL",
    ),
    **dict.fromkeys(
        _words(
            "ambassador envoy spokesman spokeswoman spokesperson minister secretary "
            "diplomat official negotiator adviser advisor chancellor president premier "
            "governor mayor representative undersecretary"
        ),
        "GOV",
    ),
    **dict.fromkeys(_words("judge prosecutor"), "JUD"),
    **dict.fromkeys(_words("senator lawmaker congressman congresswoman legislator"), "LEG"),
}
# Head words of titles and agents that denote one person ('ambassador', 'porte-parole'),
# as opposed to institutions ('ministry', 'armée'): such a title in apposition to a
# person is that person ('U.S. Ambassador Nikki Haley', 'le porte-parole X').
_PERSON_TITLE_HEADS = _words(
    "ambassador envoy spokesman spokeswoman spokesperson official diplomat commander "
    "commandant general minister secretary adviser advisor negotiator representative chief "
    "head prosecutor judge governor mayor lawmaker senator congressman congresswoman "
    "deputy colonel admiral officer lieutenant major captain president leader premier "
    "chairman chairwoman director strongman chancellor king queen emir monarch "
    "ambassadeur ambassadrice emissaire porte responsable officiel diplomate general "
    "generale ministre secretaire conseiller conseillere negociateur negociatrice "
    "representant representante chef cheffe procureur procureure juge gouverneur maire "
    "depute deputee senateur senatrice dirigeant dirigeante colonel amiral officier "
    "president presidente premiere chancelier chanceliere roi reine mediateur envoye envoyee "
    "prince princess princesse sheikh cheikh emir emire"
)

CONF = {
    "name": 0.95,
    "alias": 0.9,
    "phoenix_short": 0.8,
    "surname_article": 0.9,
    "surname_table": 0.75,
    "description": 0.8,
    "title_appos": 0.9,
    "title_bound": 0.85,
    "title_tenure": 0.85,
    "title_recent": 0.65,
    "title_government": 0.5,
    "agent": 0.75,
    "metonym": 0.8,
    "demonym": 0.6,
    "unknown_person": 0.7,
    "person_by_surname": 0.8,
}


@dataclass
class _Cand:
    """A stretch of tokens that may refer to an actor, before resolution."""

    start: int  # token indices, end exclusive
    end: int
    source: str  # name | title | agent | metonym | demonym | person
    kind: str  # the mention kind if it resolves
    entries: tuple[Any, ...] = ()  # AliasEntry candidates (names)
    scope: str | None = None  # CAMEO country code or actor id (titles, agents)
    role: str | None = None
    sector: str | None = None  # agent sector code ("MIL")
    historical: bool = False
    actor: TableActor | None = None  # resolved to
    person_key: str = ""  # unknown person: folded name
    title_key: str = ""  # titles and agents: the folded lexicon key matched
    head: int = -1  # titles and agents: the head word's token index
    confidence: float = 0.0


@dataclass(frozen=True)
class _TitleInfo:
    """What a title bound to a person says about them ('U.S. Ambassador Nikki Haley':
    USA, USAGOV): used for people the table does not know, or knows no code for on
    the article date."""

    country: str | None  # CAMEO country code
    code: str | None  # CAMEO actor code: country + sector, or the organisation's code
    roles: tuple[tuple[str, str], ...] = ()  # (role, scope), for unknown people only


@dataclass
class _Person:
    actor: TableActor
    surnames: set[str] = field(default_factory=set)


class ActorResolver:
    """The ``ww_actors`` pipe. Stateless per doc; the table is shared and read-only."""

    def __init__(
        self, nlp: Language, name: str = "ww_actors", table_path: str | None = None
    ) -> None:
        self.name = name
        self.lang = nlp.lang if nlp.lang in ("fr", "en") else "en"
        self.table: ActorTable = load_table(table_path)
        self.provenance: dict[str, Any] = {
            "component": COMPONENT_VERSION,
            "dictionary_version": self.table.provenance.get("version"),
            "dictionary_builder": self.table.provenance.get("builder"),
            "dictionary_sources": self.table.provenance.get("sources"),
        }

    # ------------------------------------------------------------------ pipe API

    def __call__(self, doc: Doc) -> Doc:
        run = _DocRun(self.table, self.lang, doc)
        actors, mentions = run.resolve()
        doc._.ww_actors = actors
        doc._.ww_actor_mentions = mentions
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    def export(self, doc: Doc) -> dict[str, Any]:
        """{"actors": [...]} for the enriched record: each actor with its mentions."""
        actors: list[Actor] = doc._.ww_actors or []
        out = []
        for actor in actors:
            item = to_jsonable(actor)
            item["mentions"] = [
                {k: v for k, v in m.items() if k != "actor_id"} for m in item["mentions"]
            ]
            out.append(item)
        return {"actors": out}


@Language.factory(
    "ww_actors",
    requires=["doc.ents"],
    assigns=["doc._.ww_actors", "doc._.ww_actor_mentions"],
    default_config={"table_path": None},
)
def make_actor_resolver(nlp: Language, name: str, table_path: str | None) -> ActorResolver:
    return ActorResolver(nlp, name, table_path)


# ---------------------------------------------------------------------- per doc


class _DocRun:
    """Everything computed for one Doc; thrown away afterwards."""

    def __init__(self, table: ActorTable, lang: str, doc: Doc) -> None:
        self.t = table
        self.lang = lang
        self.doc = doc
        self.day: date | None = parse_iso_date(doc.user_data.get("published_at"))
        original = doc.user_data.get("original_text")
        self.text = (
            original if isinstance(original, str) and len(original) == len(doc.text) else doc.text
        )
        self.n = len(doc)
        self.pieces: list[str | None] = []
        for tok in doc:
            self.pieces.append(None if tok.is_space else _piece(tok.text))
        # The dateline ("UNITED NATIONS (New York Desk) -") says where the story was
        # filed: its words are never actor mentions.
        dateline = doc._.get("ww_dateline") if doc.has_extension("ww_dateline") else None
        dl_span = getattr(dateline, "span", None)
        if dl_span is not None:
            for tok in doc:
                if tok.idx >= dl_span.end:
                    break
                if tok.idx + len(tok) > dl_span.start:
                    self.pieces[tok.i] = None
        self.ent_label: list[str | None] = [None] * self.n
        self.ent_bounds: list[tuple[int, int] | None] = [None] * self.n
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                self.ent_label[i] = ent.label_
                self.ent_bounds[i] = (ent.start, ent.end)
        self.title_info: dict[str, _TitleInfo] = {}
        self.covered: list[_Cand | None] = [None] * self.n
        self.nationality = table.nationality.get(lang, {})
        self.demonyms = table.demonyms.get(lang, {})
        self.roles = table.roles.get(lang, {})
        self.agents = table.agents.get(lang, {})
        self.agent_prefixes = table.agent_prefixes.get(lang, frozenset())
        has_parse = doc.has_annotation("DEP")
        self.has_parse = has_parse

    # ------------------------------------------------------------ token walking

    def _walk(
        self, i: int, is_key: Any, prefixes: frozenset[str], limit: int = 12
    ) -> list[tuple[int, str]]:
        """All (end, key) with tokens i..end-1 forming a key; joiners are skipped."""
        found: list[tuple[int, str]] = []
        key = ""
        j = i
        while j < self.n and j < i + limit:
            piece = self.pieces[j]
            if piece is None:
                break
            if piece == "":
                j += 1
                continue
            key = piece if not key else f"{key} {piece}"
            if is_key(key):
                found.append((j + 1, key))
            if key not in prefixes:
                break
            j += 1
        return found

    def _free(self, start: int, end: int) -> bool:
        return all(self.covered[k] is None for k in range(start, end))

    def _claim(self, cand: _Cand) -> None:
        for k in range(cand.start, cand.end):
            self.covered[k] = cand

    def _release(self, cand: _Cand) -> None:
        for k in range(cand.start, cand.end):
            if self.covered[k] is cand:
                self.covered[k] = None

    def _prev_content(self, i: int) -> int | None:
        j = i - 1
        while j >= 0 and self.pieces[j] == "":
            j -= 1
        return j if j >= 0 and self.pieces[j] is not None else None

    def _next_content(self, i: int) -> int | None:
        j = i
        while j < self.n and self.pieces[j] == "":
            j += 1
        return j if j < self.n and self.pieces[j] is not None else None

    def _is_plural(self, tok: Token) -> bool:
        return "Plur" in tok.morph.get("Number") or tok.tag_ in ("NNS", "NNPS")

    # ------------------------------------------------------------ pass 1: names

    def _name_pass(self) -> list[_Cand]:
        t = self.t
        out: list[_Cand] = []
        i = 0
        while i < self.n:
            if not self.pieces[i]:
                i += 1
                continue
            found = self._walk(i, lambda k: k in t.aliases or k in t.offices, t.name_prefixes)
            cand = None
            for end, key in reversed(found):
                cand = self._accept_name(i, end, key)
                if cand:
                    break
            if cand:
                out.append(cand)
                self._claim(cand)
                i = cand.end
            else:
                i += 1
        return out

    def _accept_name(self, start: int, end: int, key: str) -> _Cand | None:
        doc = self.doc
        first = doc[start].text
        text = doc[start:end].text
        capital = first[:1].isupper() or first[:1].isdigit()
        office = self.t.offices.get(key)
        entries = []
        for e in self.t.aliases.get(key, ()):
            if e.case and text not in e.case:
                continue
            if e.caps and not self._caps_ok(start, end, e.caps):
                continue
            if not capital and not e.lower_ok:
                continue
            if not e.hand and " " not in key and not self._phoenix_single_ok(start, end, key):
                continue
            entries.append(e)
        if entries and " " not in key and self._inside_longer_name(start, end, entries):
            return None  # 'Hassan' of 'Hassan Rohani': the person pass reads the whole name
        if entries and self._inside_place_name(start, end, entries):
            return None  # 'China' of 'South China Sea' is a place, not the state
        if entries:
            if any(e.kind == "d" for e in entries) and not all(e.kind == "d" for e in entries):
                entries = [e for e in entries if e.kind != "d"]
            return _Cand(start, end, "name", entries[0].kind, tuple(entries))
        if office:
            scope, role, kind = office
            if kind == "t" and not capital:
                return None
            return _Cand(
                start,
                end,
                "title",
                "title" if kind == "t" else "description",
                scope=scope,
                role=role,
                historical=self._historical_before(start),
            )
        return None

    def _caps_ok(self, start: int, end: int, caps: tuple[int, ...]) -> bool:
        """The words at ``caps`` positions of the match start with a capital."""
        words = [
            w for tok in self.doc[start:end] if self.pieces[tok.i] for w in surface_words(tok.text)
        ]
        return all(i < len(words) and words[i][:1].isupper() for i in caps)

    def _inside_longer_name(self, start: int, end: int, entries: list[Any]) -> bool:
        """Is this one-word alias only part of a longer name?

        'Hassan' in 'Hassan Rohani' is not Prince Hassan, 'Israel' in 'Israel Katz' is
        not the state, 'Trump' in 'Ivanka Trump' is not Donald Trump: the words around
        it inside the model's PER entity (or, for an alias of a person, inside any
        entity, or a first name right before it) are a name of their own. Titles,
        honorifics, nationalities and other actors' names do not count ('President
        Obama', 'Mr Putin' keep their actor). A longer name that is itself an alias has
        already matched as the longest alias.
        """
        first = self.doc[start]
        if first.pos_ == "ADJ" or (len(first.text) > 1 and first.text.isupper()):
            return False  # 'Bosnian' (a nationality the table files under the state);
            # 'OBAMA AIRDROPS' (a headline in capitals: no telling names from words)
        persons = all(self.t.actors[e.actor].type == "person" for e in entries)
        bounds = self.ent_bounds[start]
        if bounds is not None and (self.ent_label[start] in _PER or persons):
            lo, hi = bounds
            if lo < start or hi > end:
                return any(self._name_word(k) for k in range(lo, hi) if not start <= k < end)
            return False
        if not persons:
            return False
        j = self._prev_content(start)
        return (
            j is not None
            and j == start - 1
            and self.ent_label[j] in (None, *_PER)
            and self.doc[j].pos_ == "PROPN"
            and self._name_word(j)
        )

    def _inside_place_name(self, start: int, end: int, entries: list[Any]) -> bool:
        """A state's name inside a longer place entity that has a geographic word of its
        own ('South China Sea', 'Gulf of Mexico', 'Northern Ireland')."""
        if not all(self.t.actors[e.actor].type == "state" for e in entries):
            return False
        bounds = self.ent_bounds[start]
        if bounds is None or self.ent_label[start] not in _PLACE:
            return False
        lo, hi = bounds
        if hi < end or (lo == start and hi == end):
            return False
        return any(
            self.pieces[k] in _PLACE_NAME_WORDS for k in range(lo, hi) if not start <= k < end
        )

    def _name_word(self, k: int) -> bool:
        """A capitalised word that can be part of a person's name (not a title,
        honorific, nationality, particle or another actor's hand-made name)."""
        piece = self.pieces[k]
        if not piece or not self.doc[k].text[:1].isupper() or self._is_plural(self.doc[k]):
            return False  # 'Serbs' of 'Bosnian Serbs': a people, not a name
        if piece in _NAME_PARTICLES or piece in _HONORIFICS or piece in self.nationality:
            return False
        if piece in self.roles or piece in self.agents or piece in self.agent_prefixes:
            return False
        if piece in self.demonyms or piece in self.t.capitals:
            return False
        return not any(e.hand for e in self.t.aliases.get(piece, ()))

    def _phoenix_single_ok(self, start: int, end: int, key: str) -> bool:
        """A one-word dictionary alias needs the model's agreement (or to be an acronym)."""
        text = self.doc[start:end].text
        if len(key) <= 4:
            return text.isupper()
        labels = {self.ent_label[k] for k in range(start, end)}
        return bool(labels - {None, "NORP", "DATE", "CARDINAL"})

    # ------------------------------------------------------------ pass 2: titles/agents

    def _agent_pass(self) -> list[_Cand]:
        out: list[_Cand] = []
        i = 0
        while i < self.n:
            if self.covered[i] is not None or not self.pieces[i]:
                i += 1
                continue
            cand = self._match_agent(i)
            if cand:
                out.append(cand)
                i = cand.end
            else:
                i += 1
        return out

    def _match_agent(self, i: int) -> _Cand | None:
        doc = self.doc
        historical = False
        key = ""
        best: tuple[int, str, str | None] | None = None
        nat_inside: str | None = None
        j = i
        while j < self.n and j < i + 8 and self.covered[j] is None:
            piece = self.pieces[j]
            if piece is None:
                break
            if piece == "":
                j += 1
                continue
            if j == i and piece.startswith("ex "):  # 'ex-président' is one token
                piece, historical = piece[3:], True
            nxt = piece if not key else f"{key} {piece}"
            if (
                key
                and self.lang == "fr"
                and piece in self.nationality
                and (
                    nxt not in self.agent_prefixes
                    and nxt not in self.roles
                    and nxt not in self.agents
                )
            ):
                nat_inside = self.nationality[piece]  # 'ministre russe des Affaires étrangères'
                j += 1
                continue
            if nxt in self.roles or nxt in self.agents:
                best = (j + 1, nxt, nat_inside)
            if nxt not in self.agent_prefixes:
                break
            key = nxt
            j += 1
        if best is None:
            return None
        end, key, nat = best
        head = doc[i] if self.lang == "fr" else doc[end - 1]
        role_spec = self.roles.get(key)
        sector = self.agents.get(key) if role_spec is None else None
        # Part of a proper name ('Forces démocratiques syriennes'): not a generic agent.
        # (Titles are often capitalised, 'Premier ministre', so only agents are checked.)
        if sector is not None and head.text[:1].isupper() and not head.is_sent_start:
            nxt = self._next_content(end)
            in_name = self.ent_label[head.i] in ("ORG", "MISC") and not self._generic_entity(i, end)
            # 'US Deputy Secretary of Energy ...': a capitalised chain is a title or name,
            # unless the name it runs into is a person's ('U.S. Ambassador Nikki Haley').
            before_person = nxt is not None and self.ent_label[nxt] in _PER
            if in_name or (
                nxt is not None and self.doc[nxt].text[:1].isupper() and not before_person
            ):
                return None
        historical = historical or self._historical_before(i)
        start = i
        scope: str | None = nat
        absorbed: _Cand | None = None
        # Nationality or organisation after the head (French) / before it (English).
        if scope is None:
            scope, end, absorbed = self._scope_after(end, absorb=role_spec is None)
        if scope is None and self.lang == "en":
            scope, start, absorbed, hist = self._scope_before(i)
            historical = historical or hist
        if absorbed is not None and absorbed.source == "agent":
            # the defence ministry's spokesman speaks for the military, intelligence
            # officials are intelligence; troops of a regime stay troops
            absorbed.source = "absorbed"
            if sector is not None and (sector == "GOV" or self._person_title(key)):
                sector = absorbed.sector or sector
        if role_spec is not None:
            role = role_spec.get(scope or "") if isinstance(role_spec, dict) else role_spec
            if role is None:
                return None
            if self._is_plural(head):
                return None  # 'les présidents': several people, none resolved
            # An absorbed pre-modifier ('Russia's president') becomes part of the title.
            cand = _Cand(
                start, end, "title", "title", scope=scope, role=role, historical=historical
            )
        else:
            if scope is None:
                return None
            cand = _Cand(start, end, "agent", "description", scope=scope, sector=sector)
            cand.historical = historical
        cand.title_key, cand.head = key, head.i
        if absorbed is not None:
            self._release(absorbed)
        self._claim(cand)
        return cand

    def _person_title(self, key: str) -> bool:
        """Does a title/agent key denote one person ('ambassador', 'porte-parole')?"""
        words = key.split()
        return bool(words) and (words[0] if self.lang == "fr" else words[-1]) in (
            _PERSON_TITLE_HEADS
        )

    def _generic_entity(self, start: int, end: int) -> bool:
        """Is the organisation entity around an agent phrase only that phrase and its
        nationality ('the Russian Defence Ministry', 'Israel's Foreign Ministry'), not a
        proper name ('Syrian Democratic Forces', 'Free Syrian Army')?"""
        bounds = self.ent_bounds[start]
        if bounds is None or bounds[1] > end:
            return False
        for k in range(bounds[0], start):
            piece = self.pieces[k]
            if not piece or piece in ("the", "s") or piece in self.nationality:
                continue
            cand = self.covered[k]
            if cand is not None and cand.source == "name" and self._scope_of_name(cand):
                continue
            return False
        return True

    def _scope_of_name(self, cand: _Cand) -> str | None:
        """A name candidate used as a scope: a country code, else an actor id."""
        for e in cand.entries:
            actor = self.t.actors[e.actor]
            if actor.type == "state":
                return actor.country
        for e in cand.entries:
            actor = self.t.actors[e.actor]
            if actor.type in ("igo", "organisation", "government", "military", "armed_group"):
                return actor.id
        return None

    def _scope_after(self, end: int, absorb: bool) -> tuple[str | None, int, _Cand | None]:
        """French post-modifiers: 'russe', 'militaire russe', 'de la Russie', 'du Kremlin'."""
        doc = self.doc
        j = self._next_content(end)
        if j is None:
            return None, end, None
        if self.lang == "fr":
            k = j
            if doc[k].pos_ == "ADJ" and self.pieces[k] not in self.nationality:
                k2 = self._next_content(k + 1)
                if k2 is not None and self.pieces[k2] in self.nationality:
                    k = k2
            if self.pieces[k] in self.nationality and self.covered[k] is None:
                return self.nationality[self.pieces[k]], k + 1, None
        prep = self.pieces[j]
        if prep in _FR_PREP or prep == "of":
            k = self._next_content(j + 1)
            if k is not None and self.pieces[k] in (_FR_DET | {"the"}):
                k = self._next_content(k + 1)
            if k is None:
                return None, end, None
            cand = self.covered[k]
            if cand is not None and cand.start == k and cand.source == "name":
                scope = self._scope_of_name(cand)
                if scope is None:
                    return None, end, None
                if not absorb:
                    return scope, end, None  # a title keeps 'la Russie' as its own mention
                return scope, cand.end, cand
            if cand is None and absorb and self.lang == "fr":
                # 'porte-parole du ministère russe de la Défense': the ministry's spokesman
                inner = self._match_agent(k)
                if inner is not None and inner.source == "agent" and inner.scope:
                    return inner.scope, inner.end, inner
                if inner is not None:
                    self._release(inner)
            found = self._walk(k, lambda key: key in self.t.capitals, self.t.capital_prefixes)
            if found and self.covered[k] is None:
                cend, ckey = found[-1]
                return self.t.capitals[ckey], cend, None
        return None, end, None

    def _scope_before(self, i: int) -> tuple[str | None, int, _Cand | None, bool]:
        """English pre-modifiers: 'Russian', 'US', 'Russia's', 'the former Syrian'."""
        doc = self.doc
        j = self._prev_content(i)
        if j is None:
            return None, i, None, False
        scope = None
        start = i
        absorbed = None
        before = self.covered[j]
        if before is not None and before.source == "agent" and before.end == j + 1:
            if before.scope:  # 'Iranian Foreign Ministry spokesman': that ministry's
                return before.scope, before.start, before, before.historical
            return None, i, None, False
        if self.pieces[j] == "s" and doc[j].text in ("'s", "’s"):
            k = self._prev_content(j)
            cand = self.covered[k] if k is not None else None
            if cand is not None and cand.source == "name" and cand.end == k + 1:
                scope = self._scope_of_name(cand)
                if scope:
                    return scope, cand.start, cand, self._historical_before(cand.start)
            return None, i, None, False
        cand = self.covered[j]
        if cand is not None and cand.source == "name" and cand.end == j + 1:
            scope = self._scope_of_name(cand)
            if scope:
                start, absorbed = cand.start, cand
                if not (len(scope) == 3 and scope.isupper()):
                    # "Russia's UN ambassador": the country is whose envoy it is; the
                    # organisation is only where they serve
                    country, country_start = self._country_before(cand.start)
                    if country is not None:
                        scope, start = country, country_start
        elif self.pieces[j] in self.nationality and doc[j].text[:1].isupper():
            text = doc[j].text
            if len(self.pieces[j] or "") > 3 or text.isupper():
                scope, start = self.nationality[self.pieces[j]], j
        if scope is None:
            return None, i, None, False
        return scope, start, absorbed, self._historical_before(start)

    def _country_before(self, i: int) -> tuple[str | None, int]:
        """A country right before token ``i``: "Russia's", "Russian", "U.S." (CAMEO code
        and the first token of its words)."""
        j = self._prev_content(i)
        if j is None:
            return None, i
        if self.pieces[j] == "s" and self.doc[j].text in ("'s", "’s"):
            k = self._prev_content(j)
            cand = self.covered[k] if k is not None else None
            if cand is not None and cand.source == "name" and cand.end == k + 1:
                scope = self._scope_of_name(cand)
                if scope and len(scope) == 3 and scope.isupper():
                    return scope, cand.start
            return None, i
        cand = self.covered[j]
        if cand is not None and cand.source == "name" and cand.end == j + 1:
            scope = self._scope_of_name(cand)
            if scope and len(scope) == 3 and scope.isupper():
                return scope, cand.start
            return None, i
        piece = self.pieces[j] or ""
        if piece in self.nationality and self.doc[j].text[:1].isupper():
            return self.nationality[piece], j
        return None, i

    def _historical_before(self, i: int) -> bool:
        j = self._prev_content(i)
        return j is not None and self.pieces[j] in _HISTORICAL

    # ------------------------------------------------------------ pass 3: metonyms, demonyms

    def _capital_pass(self) -> list[_Cand]:
        out = []
        i = 0
        while i < self.n:
            if self.covered[i] is not None or not self.pieces[i]:
                i += 1
                continue
            found = self._walk(i, lambda k: k in self.t.capitals, self.t.capital_prefixes, limit=3)
            if not found:
                i += 1
                continue
            end, key = found[-1]
            tok = self.doc[i]
            nxt = self._next_content(end)
            longer = nxt is not None and self.doc[nxt].text[:1].isupper()  # 'Washington Post'
            if (
                tok.text[:1].isupper()
                and not longer
                and self.ent_label[i] not in _PER
                and self._free(i, end)
            ):
                cand = _Cand(i, end, "metonym", "metonym", scope=self.t.capitals[key])
                cand.sector = "GOV"
                out.append(cand)
                self._claim(cand)
            i = end
        return out

    def _demonym_pass(self) -> list[_Cand]:
        out = []
        for i in range(self.n):
            piece = self.pieces[i]
            if not piece or self.covered[i] is not None or piece not in self.demonyms:
                continue
            tok = self.doc[i]
            if not tok.text[:1].isupper() or tok.is_sent_start:
                continue
            j = self._prev_content(i)
            if j is None or self.pieces[j] not in _PLURAL_DET:
                continue
            cand = _Cand(i, i + 1, "demonym", "description", scope=self.demonyms[piece])
            out.append(cand)
            self._claim(cand)
        return out

    def _acts(self, cand: _Cand, actor_tokens: set[int]) -> bool:
        """Does the capital at ``cand`` act (rather than be a place)?"""
        doc = self.doc
        for marker in _SOURCE_MARKERS:
            j = cand.start
            ok = True
            for word in reversed(marker):
                j2 = self._prev_content(j)
                if j2 is None or self.pieces[j2] != word:
                    ok = False
                    break
                j = j2
            if ok:
                return True
        if self._reporting_follows(cand.end):
            return True
        if not self.has_parse:
            return False
        tok = doc[cand.end - 1]
        while tok.dep_ == "conj" and tok.head.i != tok.i:
            tok = tok.head
        dep, head = tok.dep_, tok.head
        lemma = key_of(head.lemma_)
        if dep in ("nsubj", "csubj") and head.pos_ in ("VERB", "AUX") and lemma not in _STATIVE:
            return True
        if dep in ("obl:agent",) or (dep == "pobj" and head.dep_ == "agent"):
            return True
        if dep in ("obj", "dobj") and head.pos_ == "VERB":
            subjects = [c for c in head.children if c.dep_ in ("nsubj", "nsubj:pass", "expl:subj")]
            if not subjects and tok.i > head.i and lemma in _REPORTING_FR:
                return True  # French inversion: 'ont annoncé samedi Moscou et Washington'
            # 'Washington accuse Moscou': the addressee of an actor's statement acts too
            # (but 'les talibans ont pris Kaboul' is the city).
            communicative = lemma in _REPORTING_FR or lemma in _REPORTING_EN
            if communicative and any(s.i in actor_tokens for s in subjects):
                return True
        return False

    def _reporting_follows(self, end: int) -> bool:
        """'Moscow and Washington said', 'Pékin a annoncé': a reporting verb right after.

        A fallback for when the parse attaches the capital elsewhere; coordinated
        capitals are skipped so the first one of a pair is covered too.
        """
        j = self._next_content(end)
        while j is not None and self.pieces[j] in ("and", "et"):
            k = self._next_content(j + 1)
            cand = self.covered[k] if k is not None else None
            if cand is None or cand.source != "metonym" or cand.start != k:
                return False
            j = self._next_content(cand.end)
        hops = 0
        while j is not None and self.doc[j].pos_ == "AUX" and hops < 2:
            j, hops = self._next_content(j + 1), hops + 1
        if j is None or self.doc[j].pos_ != "VERB":
            return False
        lemma = key_of(self.doc[j].lemma_)
        return lemma in _REPORTING_FR or lemma in _REPORTING_EN

    # ------------------------------------------------------------ pass 4: people from NER

    def _person_pass(self) -> list[_Cand]:
        out = []
        doc = self.doc
        labels_by_text: dict[str, set[str]] = {}
        for ent in doc.ents:
            labels_by_text.setdefault(key_of(ent.text), set()).add(ent.label_)
        dateline = doc._.get("ww_dateline") if doc.has_extension("ww_dateline") else None
        dl_span = getattr(dateline, "span", None)
        for ent in doc.ents:
            if ent.label_ not in _PER:
                continue
            free = [k for k in range(ent.start, ent.end) if self.covered[k] is None]
            if len(free) != ent.end - ent.start:
                continue
            words = [tok for tok in ent if self.pieces[tok.i]]
            if not words:
                continue
            key = key_of(ent.text)
            if labels_by_text.get(key, set()) - _PER:
                continue  # 'Da Nang' tagged PER once and LOC elsewhere: not a person
            if (
                dl_span is not None
                and ent.start_char < dl_span.end
                and ent.end_char > dl_span.start
            ):
                continue
            if key in self.nationality or key in self.t.capitals or key in self.demonyms:
                continue
            cand = _Cand(ent.start, ent.end, "person", "name", person_key=key)
            out.append(cand)
            self._claim(cand)
        return out

    # ------------------------------------------------------------ resolution

    def _pick(self, entries: tuple[Any, ...], article: dict[str, TableActor]) -> TableActor | None:
        """One actor among an alias's candidates, or None when it stays ambiguous."""
        pool = list(entries)
        if any(e.hand for e in pool):
            pool = [e for e in pool if e.hand]
        actors = {self.t.actors[e.actor].id: self.t.actors[e.actor] for e in pool}
        if len(actors) == 1:
            return next(iter(actors.values()))
        in_article = [a for a in actors.values() if a.id in article]
        if len(in_article) == 1:
            return in_article[0]
        if self.day is not None:
            dated = [
                a
                for a in actors.values()
                if any(
                    not c[3] and (c[1] or date.min) <= self.day <= (c[2] or date.max)
                    for c in a.codes
                )
            ]
            if len(dated) == 1:
                return dated[0]
        return None

    def resolve(self) -> tuple[list[Actor], list[ActorMention]]:
        t = self.t
        names = self._name_pass()
        agents = self._agent_pass()
        capitals = self._capital_pass()
        demonyms = self._demonym_pass()
        persons = self._person_pass()
        resolved: list[_Cand] = []
        article: dict[str, TableActor] = {}  # actor id → actor, for names found so far

        # 1. full names and aliases (not surnames or descriptions yet).
        deferred: list[_Cand] = []
        for cand in names:
            if cand.source != "name":
                deferred.append(cand)
                continue
            if cand.kind in ("s", "d"):
                deferred.append(cand)
                continue
            actor = self._pick(cand.entries, article)
            if actor is None:  # ambiguous ('Le Pen'): may still be an article surname
                self._release(cand)
                continue
            if cand.kind == "m" and self._after_locative(cand.start):
                continue
            if actor.type == "state" and self._after_locative(cand.start, state=True):
                continue
            cand.actor = actor
            cand.kind = {"n": "name", "a": "alias", "m": "metonym"}.get(cand.kind, "alias")
            single = " " not in key_of(self.doc[cand.start : cand.end].text)
            cand.confidence = CONF["name"] if cand.kind == "name" else CONF["alias"]
            if single and not any(e.hand for e in cand.entries):
                cand.confidence = CONF["phoenix_short"]
            article.setdefault(actor.id, actor)
            resolved.append(cand)

        # 2. people the table does not name (model PER entities).
        registry: dict[str, _Person] = {}
        for cand in resolved:
            if cand.actor is not None and cand.actor.type == "person":
                self._register(registry, cand.actor, self.doc[cand.start : cand.end].text)
        single_pers: list[_Cand] = []
        # Longest names first, so 'Marine Le Pen' is known before 'Le Pen' is read.
        for cand in sorted(persons, key=lambda c: -len(c.person_key.split())):
            if len(cand.person_key.split()) < 2:
                single_pers.append(cand)
                continue
            owners = {pid for pid, p in registry.items() if cand.person_key in p.surnames}
            if len(owners) == 1:  # a two-word surname: 'Le Pen', 'de Mistura'
                cand.actor = registry[owners.pop()].actor
                cand.kind, cand.confidence = "surname", CONF["surname_article"]
                resolved.append(cand)
                continue
            actor = self._person_by_surname(cand)
            if actor is not None:
                cand.kind, cand.confidence = "name", CONF["person_by_surname"]
            else:
                if not self._plausible_name(cand):
                    continue
                actor = self._unknown_person(cand)
                cand.confidence = CONF["unknown_person"]
            cand.actor = actor
            article.setdefault(actor.id, actor)
            self._register(registry, actor, self.doc[cand.start : cand.end].text)
            resolved.append(cand)

        # 3. surnames and descriptions: only people of this article (or unambiguous).
        surname_index: dict[str, set[str]] = {}
        for pid, person in registry.items():
            for s in person.surnames:
                surname_index.setdefault(s, set()).add(pid)
        for cand in [*deferred, *single_pers]:
            if cand.source == "title":
                continue
            key = key_of(self.doc[cand.start : cand.end].text)
            if cand.kind == "d":
                hits = [t.actors[e.actor] for e in cand.entries if t.actors[e.actor].id in article]
                if len(hits) == 1:
                    cand.actor, cand.kind, cand.confidence = (
                        hits[0],
                        "description",
                        CONF["description"],
                    )
                    resolved.append(cand)
                continue
            pids = surname_index.get(key, set())
            if len(pids) == 1:
                pid = next(iter(pids))
                cand.actor = registry[pid].actor
                cand.kind, cand.confidence = "surname", CONF["surname_article"]
                resolved.append(cand)
                continue
            if cand.entries and not pids:
                # A lone surname nobody in the article carries: only when the model
                # also sees a person and it is not part of a longer name ('Kerry County').
                nxt = self._next_content(cand.end)
                longer = nxt is not None and self.doc[nxt].text[:1].isupper()
                if self.ent_label[cand.start] in _PER and not longer:
                    actor = self._pick(cand.entries, article)
                    if actor is not None:
                        cand.actor, cand.kind = actor, "surname"
                        cand.confidence = CONF["surname_table"]
                        article.setdefault(actor.id, actor)
                        self._register(registry, actor, actor.name)
                        resolved.append(cand)
        # Capitalised words equal to an article person's surname, missed by the model.
        for i in range(self.n):
            if not self.pieces[i] or self.covered[i] is not None:
                continue
            if not self.doc[i].text[:1].isupper():
                continue
            for width in (2, 1):  # 'Le Pen' before 'Pen'
                end = i + width
                if end > self.n or not self._free(i, end) or not all(self.pieces[i:end]):
                    continue
                key = " ".join(p or "" for p in self.pieces[i:end])
                pids = surname_index.get(key, set())
                if len(pids) == 1 and self._surname_span_ok(i, end):
                    cand = _Cand(i, end, "person", "surname")
                    cand.actor = registry[next(iter(pids))].actor
                    cand.confidence = CONF["surname_article"]
                    self._claim(cand)
                    resolved.append(cand)
                    break

        # 4. metonyms (need to know which tokens are already actors) and demonyms.
        actor_tokens = {k for c in resolved for k in range(c.start, c.end)}
        # agents with a nationality ('Russia's UN ambassador') resolve below; they act too
        actor_tokens |= {k for c in agents if c.scope for k in range(c.start, c.end)}
        acting_ends: set[int] = set()
        for cand in sorted(capitals, key=lambda c: c.start):
            if cand.scope and (
                self._acts(cand, actor_tokens) or self._coordinated_with(cand.start, acting_ends)
            ):
                acting_ends.add(cand.end)
                actor = t.sector(cand.scope, ["GOV"])
                if actor is not None:
                    cand.actor, cand.confidence = actor, CONF["metonym"]
                    resolved.append(cand)
                    actor_tokens.update(range(cand.start, cand.end))
        for cand in demonyms:
            actor = t.state(cand.scope or "")
            if actor is not None:
                cand.actor, cand.confidence = actor, CONF["demonym"]
                resolved.append(cand)

        # 5. agents: a one-person title in apposition is that person ('U.S. Ambassador
        #    Nikki Haley'), else the nationality's sector actor, or the organisation.
        by_start, by_end = self._person_index(resolved)
        for cand in agents:
            if cand.source != "agent":
                continue
            person = self._person_for_title(cand, by_start, by_end)
            if person is not None:
                cand.actor, cand.kind, cand.confidence = person, "title", CONF["title_appos"]
                if not cand.historical:
                    self._note_title(person, cand.scope, cand.sector, None)
                resolved.append(cand)
                continue
            actor = self._scope_actor(cand.scope, cand.sector)
            if actor is not None:
                cand.actor, cand.confidence = actor, CONF["agent"]
                resolved.append(cand)
        # dictionary titles filed as institutions ('German Chancellor' → DEUGOV) before
        # or in apposition to a person are that person's title
        for cand in resolved:
            actor = cand.actor
            if cand.kind != "metonym" or actor is None or actor.type == "state":
                continue
            key = key_of(self.doc[cand.start : cand.end].text)
            if not self._person_title(key) or self._is_plural(self.doc[cand.end - 1]):
                continue
            country = self.t.country_of(actor, self.day)
            person, _ = self._apposition(cand, by_start, by_end, country)
            if person is not None:
                code = self.t.code_at(actor, self.day)
                cand.actor, cand.kind, cand.confidence = person, "title", CONF["title_appos"]
                self.title_info.setdefault(person.id, _TitleInfo(country, code))
        self._nationality_titles(resolved)

        # 6. titles, in reading order so bindings carry forward.
        titles = sorted(
            [c for c in [*agents, *names] if c.source == "title"], key=lambda c: c.start
        )
        self._resolve_titles(titles, resolved, registry)

        return self._assemble(resolved)

    # -- titles bound to people

    @staticmethod
    def _person_index(resolved: list[_Cand]) -> tuple[dict[int, _Cand], dict[int, _Cand]]:
        people = [c for c in resolved if c.actor is not None and c.actor.type == "person"]
        return {c.start: c for c in people}, {c.end: c for c in people}

    def _person_for_title(
        self, cand: _Cand, by_start: dict[int, _Cand], by_end: dict[int, _Cand]
    ) -> TableActor | None:
        """The person a one-person agent title is in apposition to: 'U.S. Ambassador
        Nikki Haley', 'l'ambassadeur russe Vassily Nebenzia', 'Maria Zakharova, the
        Russian foreign ministry spokeswoman', 'the US commander in Iraq, General David
        Petraeus' (through the parse)."""
        if cand.head < 0 or not cand.title_key:
            return None
        if not self._person_title(cand.title_key) or self._is_plural(self.doc[cand.head]):
            return None
        actor, _ = self._apposition(cand, by_start, by_end, cand.scope)
        if actor is not None or not self.has_parse:
            return actor
        head = self.doc[cand.head]
        for person in by_start.values():
            root = self.doc[person.start : person.end].root
            if root.dep_ == "appos" and root.head.i == head.i:
                return self._compatible(person.actor, cand.scope)
            if head.dep_ == "appos" and person.start <= head.head.i < person.end:
                return self._compatible(person.actor, cand.scope)
        return None

    def _compatible(self, actor: TableActor | None, scope: str | None) -> TableActor | None:
        """``actor``, unless the table gives them another country than the title's."""
        if actor is None:
            return None
        if scope and len(scope) == 3 and scope.isupper():
            country = self._person_country(actor)
            if country is not None and country != scope:
                return None
        return actor

    def _note_title(
        self, actor: TableActor, scope: str | None, sector: str | None, role: str | None
    ) -> None:
        """Remember what a title bound to ``actor`` says (first title wins)."""
        if not scope or actor.id in self.title_info:
            return
        if len(scope) == 3 and scope.isupper():
            if scope not in self.t.countries:
                return
            code = scope + (sector or "")
            info = _TitleInfo(scope, code, ((role, scope),) if role else ())
        else:
            org = self.t.by_id(scope)
            if org is None:
                return
            info = _TitleInfo(
                self.t.country_of(org, self.day),
                self.t.code_at(org, self.day),
                ((role, scope),) if role else (),
            )
        self.title_info[actor.id] = info

    def _nationality_titles(self, resolved: list[_Cand]) -> None:
        """'US Deputy Secretary of Energy Jeffrey Kupfer', 'Russian General Valery
        Gerasimov', 'Russian Foreign Ministry spokeswoman Maria Zakharova': a country
        and title words the lexicons do not hold as one title, right before a person,
        are that person's nationality and title — one actor, not the United States and
        a person. The sector comes from the title when it is known (agents lexicon,
        else the title's head word), else only the country."""
        if self.lang != "en":
            return
        states = {
            c.end: c
            for c in resolved
            if c.source == "name" and c.actor is not None and c.actor.type == "state"
        }
        people = [c for c in resolved if c.actor is not None and c.actor.type == "person"]
        for person in people:
            k, first = person.start - 1, None
            while k >= 0 and person.start - k <= 7 and self._title_token(k):
                first, k = k, k - 1
            if first is None or not self.doc[first].text[:1].isupper():
                continue
            if self.ent_label[person.start - 1] == "ORG":
                continue  # 'U.S. Central Command Joseph Votel'? an organisation, no title
            words = [self.pieces[i] or "" for i in range(first, person.start) if self.pieces[i]]
            key = " ".join(words)
            state = states.get(first)
            if state is not None and state.actor is not None:
                country, start = state.actor.country, state.start
            elif (
                k >= 0
                and self.covered[k] is None
                and (self.pieces[k] or "") in self.nationality
                and self.doc[k].text[:1].isupper()
            ):
                country, start = self.nationality[self.pieces[k] or ""], k
            else:
                continue
            if country is None:
                continue
            if key in self.roles:
                sector = "GOV"
            elif key in self.agents:
                sector = self.agents[key]
            else:
                head = words[: words.index("of")] if "of" in words else words
                sector = _TITLE_SECTORS.get(head[-1]) if head else None
            cand = _Cand(start, person.start, "title", "title", scope=country)
            cand.actor, cand.confidence = person.actor, CONF["title_appos"]
            if state is not None:
                state.actor = None  # the nationality, not the state as an actor
            if not self._historical_before(start):
                self._note_title(person.actor, country, sector, None)  # type: ignore[arg-type]
            self._claim(cand)
            resolved.append(cand)

    def _title_token(self, k: int) -> bool:
        """A word of an English title chain: capitalised (an organisation's words
        included: 'Foreign Ministry'), or a title head in lower case ('spokeswoman');
        'of' between capitalised words ('Secretary of Energy')."""
        piece = self.pieces[k] or ""
        if self.covered[k] is not None or not piece:
            return False
        tok = self.doc[k]
        if piece in ("of", "for"):
            return k > 0 and self.doc[k - 1].text[:1].isupper()
        if tok.is_sent_start or self.ent_label[k] not in (None, "ORG"):
            return False
        if not tok.text[:1].isupper():
            return piece in _TITLE_SECTORS
        return tok.pos_ in ("PROPN", "NOUN", "ADJ") and piece not in self.nationality

    def _after_locative(self, start: int, state: bool = False) -> bool:
        """'en Syrie', 'dans l'est de la Syrie', 'Da Nang, Vietnam': a place, not an actor.

        For a state, French 'à la' / 'à l'' is the dative ('une aide à la Syrie'): French
        says 'en Syrie' for 'in Syria' (a building keeps 'à la Maison-Blanche' a place)."""
        c = start - 1
        if c > 0 and self.doc[c].text == ",":  # 'Da Nang, Vietnam': qualifies a place
            label = self.ent_label[c - 1]
            if (
                label is not None
                and label in _PLACE | _PER
                and self.covered[c - 1] is None  # 'the US, Russia and ...' is a list
                and self._place_elsewhere(c - 1)
            ):
                return True
        j = self._prev_content(start)
        article = False
        while j is not None and self.pieces[j] in (_FR_DET | {"the"}):
            article = article or self.pieces[j] in ("la", "l")
            j = self._prev_content(j)
        if j is None:
            return False
        if state and self.pieces[j] == "a" and article and self.lang == "fr":
            return False
        if self.pieces[j] in _LOCATIVE:
            return True
        if self.pieces[j] in (_FR_PREP | {"of"}):
            k = self._prev_content(j)
            while k is not None and self.pieces[k] in (_FR_DET | {"the"}):
                k = self._prev_content(k)
            return k is not None and self.pieces[k] in _GEO_NOUNS
        return False

    def _place_elsewhere(self, i: int) -> bool:
        """Is the entity ending at token ``i`` labelled a place somewhere in the doc?"""
        ent = next((e for e in self.doc.ents if e.start <= i < e.end), None)
        if ent is None:
            return False
        key = key_of(ent.text)
        return any(e.label_ in _PLACE and key_of(e.text) == key for e in self.doc.ents)

    def _coordinated_with(self, start: int, acting_ends: set[int]) -> bool:
        """'Moscou et Washington': a capital joined to one that acts acts too."""
        j = self._prev_content(start)
        if j is None or self.pieces[j] not in ("et", "and", "ou", "or"):
            return False
        k = self._prev_content(j)
        return k is not None and k + 1 in acting_ends

    def _surname_span_ok(self, start: int, end: int) -> bool:
        """Not a place, and not part of a longer entity ('Le Pen' tagged ORG is fine,
        'Kerry County' is not)."""
        for ent in self.doc.ents:
            if ent.end <= start or ent.start >= end:
                continue
            if ent.label_ in _PLACE or ent.start < start or ent.end > end:
                return False
        return True

    def _register(self, registry: dict[str, _Person], actor: TableActor, text: str) -> None:
        person = registry.setdefault(actor.id, _Person(actor))
        idx = self.t.index.get(actor.id)
        if idx is not None:
            person.surnames |= self.t.surnames.get(idx, set())
        for name in (text, actor.name):
            words = key_of(name).split()
            if len(words) >= 2:
                person.surnames.add(words[-1])
                if words[-2] in _NAME_PARTICLES:
                    person.surnames.add(" ".join(words[-2:]))

    def _person_by_surname(self, cand: _Cand) -> TableActor | None:
        """'Sergueï Lavrov' unknown as a whole: the one table person with that surname."""
        words = cand.person_key.split()
        entries = self.t.aliases.get(words[-1], ())
        people = {
            self.t.actors[e.actor].id: self.t.actors[e.actor]
            for e in entries
            if e.kind == "s" and self.t.actors[e.actor].type == "person"
        }
        if len(people) != 1:
            return None
        actor = next(iter(people.values()))
        first = key_of(actor.name).split()[0]
        return actor if first[:1] == words[0][:1] else None

    def _plausible_name(self, cand: _Cand) -> bool:
        if self._is_plural(self.doc[cand.end - 1]):
            return False  # 'Bosnian Serbs', 'Kurds': a group, not a person
        for tok in self.doc[cand.start : cand.end]:
            piece = self.pieces[tok.i]
            if not piece:
                continue
            if any(ch.isdigit() for ch in tok.text):
                return False
            if not tok.text[:1].isupper() and piece not in _NAME_PARTICLES:
                return False
        return True

    def _unknown_person(self, cand: _Cand) -> TableActor:
        text = " ".join(self.doc[cand.start : cand.end].text.split())
        return TableActor(f"person:{slug(text)}", text, "person", None, None, (), ())

    def _scope_actor(self, scope: str | None, sector: str | None) -> TableActor | None:
        if not scope:
            return None
        if len(scope) == 3 and scope.isupper():
            if not sector:
                return self.t.state(scope)
            return self.t.sector(scope, [sector[i : i + 3] for i in range(0, len(sector), 3)])
        return self.t.by_id(scope)

    # -- titles

    def _holds(self, actor: TableActor, role: str, scope: str) -> bool | None:
        """Whether ``actor`` holds ``role`` in ``scope`` on the date (None: no tenure data)."""
        if not actor.roles:
            return None
        held = self.t.roles_at(actor, self.day)
        for r, s in held:
            if s != scope:
                continue
            if r == role or (
                role == "leader"
                and r in ("head_of_state", "head_of_government", "supreme_leader", "leader")
            ):
                return True
            if role == "minister" and r.endswith("_minister"):
                return True
        return False

    def _person_country(self, actor: TableActor) -> str | None:
        return self.t.country_of(actor, self.day)

    def _resolve_titles(
        self, titles: list[_Cand], resolved: list[_Cand], registry: dict[str, _Person]
    ) -> None:
        t = self.t
        person_mentions = sorted(
            [c for c in resolved if c.actor is not None and c.actor.type == "person"],
            key=lambda c: c.start,
        )
        by_start = {c.start: c for c in person_mentions}
        by_end = {c.end: c for c in person_mentions}
        bound: dict[tuple[str, str], TableActor] = {}
        last_title: _Cand | None = None
        for cand in titles:
            role, scope = cand.role or "", cand.scope
            if role == "counterpart":
                role = self._counterpart_role(cand, last_title, person_mentions)
                if not role or not scope:
                    continue
                cand.role = role
            actor, conf = self._apposition(cand, by_start, by_end, scope)
            if actor is None and scope and not cand.historical:
                actor = bound.get((scope, role))
                conf = CONF["title_bound"]
                if actor is None:
                    holders = [
                        p.actor for p in registry.values() if self._holds(p.actor, role, scope)
                    ]
                    if len(holders) == 1:
                        actor, conf = holders[0], CONF["title_tenure"]
                if actor is None:
                    actor, conf = self._recent_compatible(cand, person_mentions, role, scope)
                if actor is None and role in _GOV_ROLES and len(scope) == 3 and scope.isupper():
                    actor, conf = t.sector(scope, ["GOV"]), CONF["title_government"]
                    cand.kind = "description"
            if actor is None:
                continue
            cand.actor, cand.confidence = actor, conf
            if conf == CONF["title_appos"] and not cand.historical and actor.type == "person":
                self._note_title(actor, scope, "GOV", role)
            if actor.type == "person" and scope and not cand.historical:
                bound[(scope, role)] = actor
            resolved.append(cand)
            last_title = cand

    def _apposition(
        self, cand: _Cand, by_start: dict[int, _Cand], by_end: dict[int, _Cand], scope: str | None
    ) -> tuple[TableActor | None, float]:
        """'le président américain, Donald Trump' / 'Vladimir Putin, the Russian president'."""
        j = cand.end
        if j < self.n and self.doc[j].text == ",":
            j += 1
        person = by_start.get(j)
        if person is None:
            k = cand.start - 1
            while k >= 0 and self.pieces[k] in _APPOS_DET:
                k -= 1
            if k >= 0 and self.doc[k].text == ",":
                person = by_end.get(k)
        if person is None or person.actor is None:
            return None, 0.0
        if scope and len(scope) == 3 and scope.isupper():
            country = self._person_country(person.actor)
            if country is not None and country != scope:
                return None, 0.0
        return person.actor, CONF["title_appos"]

    def _recent_compatible(
        self, cand: _Cand, person_mentions: list[_Cand], role: str, scope: str
    ) -> tuple[TableActor | None, float]:
        compatible: dict[str, TableActor] = {}
        last: TableActor | None = None
        for p in person_mentions:
            if p.actor is None:
                continue
            if self._person_country(p.actor) != scope:
                continue
            if self._holds(p.actor, role, scope) is False:
                continue
            compatible[p.actor.id] = p.actor
            if p.start < cand.start:
                last = p.actor
        if last is not None and len(compatible) == 1:
            return last, CONF["title_recent"]
        return None, 0.0

    def _counterpart_role(
        self, cand: _Cand, last_title: _Cand | None, person_mentions: list[_Cand]
    ) -> str | None:
        """'son homologue russe': the office of the person/title just before it."""
        sent_start = self.doc[cand.start].sent.start if self.has_parse else 0
        if last_title is not None and last_title.start >= sent_start and last_title.role:
            return last_title.role
        before = [p for p in person_mentions if p.end <= cand.start and p.start >= sent_start]
        if not before or before[-1].actor is None:
            return None
        held = [r for r, _ in self.t.roles_at(before[-1].actor, self.day)]
        for role in _ROLE_RANK:
            if role in held:
                return role
        return None

    # -- output

    def _assemble(self, resolved: list[_Cand]) -> tuple[list[Actor], list[ActorMention]]:
        t = self.t
        resolved = [c for c in resolved if c.actor is not None]
        resolved.sort(key=lambda c: (c.start, -c.end))
        mentions: list[ActorMention] = []
        order: list[str] = []
        groups: dict[str, list[ActorMention]] = {}
        actors_by_id: dict[str, TableActor] = {}
        sources: dict[str, str] = {}
        last_end = -1
        for cand in resolved:
            span = self.doc[cand.start : cand.end]
            if span.start_char < last_end:
                continue  # never overlap (absorption already keeps this rare)
            actor = cand.actor
            assert actor is not None
            m = ActorMention(
                span.start_char,
                span.end_char,
                self.text[span.start_char : span.end_char],
                actor.id,
                cand.kind,
                round(cand.confidence, 3),
            )
            last_end = span.end_char
            mentions.append(m)
            if actor.id not in groups:
                order.append(actor.id)
                groups[actor.id] = []
                actors_by_id[actor.id] = actor
                sources[actor.id] = (
                    "ner"
                    if actor.id.startswith("person:")
                    else "alias-table"
                    if cand.source == "name"
                    else "rule"
                )
            groups[actor.id].append(m)
        actors = []
        for actor_id in order:
            ta = actors_by_id[actor_id]
            known = not actor_id.startswith("person:")
            info = self.title_info.get(actor_id)
            code = t.code_at(ta, self.day)
            if code is None and info is not None:
                code = info.code  # what the title in the article says
            roles = [r for r, _ in t.roles_at(ta, self.day)]
            if not known and info is not None:
                roles += [r for r, _ in info.roles]
            sector_role = t.sector_role(code) if ta.type == "person" else None
            if sector_role and sector_role not in roles:
                roles.append(sector_role)
            country = (
                ta.country
                or (info.country if info is not None else None)
                or split_code(code or "", t.country_codes)[0]
            )
            ms = groups[actor_id]
            actors.append(
                Actor(
                    id=actor_id,
                    name=ta.name,
                    type=ta.type,
                    cameo=code,
                    qid=ta.qid,
                    country=t.iso2(country),
                    roles=tuple(dict.fromkeys(roles)),
                    known=known,
                    confidence=max(m.confidence for m in ms),
                    source=sources[actor_id],
                    mentions=ms,
                )
            )
        return actors, mentions
