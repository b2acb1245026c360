"""The built alias table, loaded once per process and queried per mention.

Holds what ``build_aliases`` wrote (actors with date-ranged CAMEO codes and role
tenures, the alias index, offices, per-language lexicons) plus prefix sets so the
resolver can walk token runs with dict look-ups only, and answers the date-aware
questions: which code, roles and country an actor has on the article date.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from .common import SECTOR_ROLES, SECTOR_TYPES, SECTORS, sector_actor_id, split_code

DEFAULT_TABLE = Path(__file__).with_name("data") / "actors.json.gz"
_FAR_PAST = date.min
_FAR_FUTURE = date.max


@dataclass(frozen=True, slots=True)
class TableActor:
    id: str
    name: str
    type: str
    country: str | None  # CAMEO country code
    qid: str | None
    codes: tuple[tuple[str, date | None, date | None, bool], ...]  # code, from, to, default
    roles: tuple[tuple[str, str, date | None, date | None], ...]  # role, scope, from, to


@dataclass(frozen=True, slots=True)
class AliasEntry:
    actor: int  # index into ActorTable.actors
    kind: str  # n(ame) a(lias) s(urname) m(etonym) d(escription)
    hand: bool
    lower_ok: bool
    case: tuple[str, ...]  # non-empty: the text must be one of these ('UN', not 'Un')
    caps: tuple[int, ...]  # word positions that must be capitalised ('Islamic State')


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _prefixes(keys: Any) -> frozenset[str]:
    out: set[str] = set()
    for key in keys:
        words = key.split()
        for i in range(1, len(words)):
            out.add(" ".join(words[:i]))
    return frozenset(out)


class ActorTable:
    def __init__(self, data: dict[str, Any]) -> None:
        self.provenance: dict[str, Any] = data["provenance"]
        self.countries: dict[str, tuple[str | None, str, str, str | None]] = {
            code: tuple(v) for code, v in data["countries"].items()
        }
        self.country_codes = frozenset(self.countries)
        self.actors: list[TableActor] = []
        for row in data["actors"]:
            actor_id, name, typ, country, qid, codes, roles = row
            self.actors.append(
                TableActor(
                    actor_id,
                    name,
                    typ,
                    country,
                    qid,
                    tuple(
                        (c[0], None, None, True)
                        if len(c) == 1
                        else (c[0], _d(c[1]), _d(c[2]), False)
                        for c in codes
                    ),
                    tuple((r[0], r[1], _d(r[2]), _d(r[3])) for r in roles),
                )
            )
        self.index = {a.id: i for i, a in enumerate(self.actors)}
        self.aliases: dict[str, tuple[AliasEntry, ...]] = {
            key: tuple(
                AliasEntry(
                    e[0],
                    e[1],
                    bool(e[2] & 1),
                    bool(e[2] & 2),
                    tuple(e[3].split("|")) if e[3] else (),
                    tuple(int(x) for x in e[4].split(",") if x),
                )
                for e in entries
            )
            for key, entries in data["aliases"].items()
        }
        self.offices: dict[str, tuple[str, str, str]] = {
            k: tuple(v) for k, v in data["offices"].items()
        }
        self.name_prefixes = _prefixes(self.aliases) | _prefixes(self.offices)
        self.surnames: dict[int, set[str]] = {}
        for key, entries in self.aliases.items():
            for e in entries:
                if e.kind == "s":
                    self.surnames.setdefault(e.actor, set()).add(key)
        self.nationality: dict[str, dict[str, str]] = data["nationality"]
        self.demonyms: dict[str, dict[str, str]] = data["demonyms"]
        self.capitals: dict[str, str] = data["capitals"]
        self.capital_prefixes = _prefixes(self.capitals)
        self.roles: dict[str, dict[str, Any]] = data["roles"]
        self.agents: dict[str, dict[str, str]] = data["agents"]
        self.agent_prefixes = {
            lang: _prefixes(set(self.roles.get(lang, {})) | set(self.agents.get(lang, {})))
            for lang in set(self.roles) | set(self.agents)
        }
        self._sector_cache: dict[str, TableActor] = {}

    # -- date-aware facts

    @staticmethod
    def code_at(actor: TableActor, day: date | None) -> str | None:
        """The CAMEO code valid on ``day``; None = latest (a current range, else default)."""
        dated = [c for c in actor.codes if not c[3]]
        defaults = [c for c in actor.codes if c[3]]
        if day is not None:
            valid = [c for c in dated if (c[1] or _FAR_PAST) <= day <= (c[2] or _FAR_FUTURE)]
            if valid:
                return max(valid, key=lambda c: c[1] or _FAR_PAST)[0]
            return defaults[-1][0] if defaults else None
        current = [c for c in dated if c[2] is None]
        if current:
            return max(current, key=lambda c: c[1] or _FAR_PAST)[0]
        if defaults:
            return defaults[-1][0]
        if dated:
            return max(dated, key=lambda c: c[2] or _FAR_FUTURE)[0]
        return None

    @staticmethod
    def roles_at(actor: TableActor, day: date | None) -> list[tuple[str, str]]:
        """(role, scope) held on ``day`` (None: the roles still held, i.e. open-ended)."""
        out = []
        for role, scope, start, end in actor.roles:
            if day is None:
                if end is None:
                    out.append((role, scope))
            elif (start or _FAR_PAST) <= day <= (end or _FAR_FUTURE):
                out.append((role, scope))
        return out

    def sector_role(self, code: str | None) -> str | None:
        if not code:
            return None
        _, sectors = split_code(code, self.country_codes)
        return SECTOR_ROLES.get(sectors[0]) if sectors else None

    def country_of(self, actor: TableActor, day: date | None) -> str | None:
        """CAMEO country code: the actor's own, else the one its code names at ``day``."""
        if actor.country:
            return actor.country
        code = self.code_at(actor, day)
        country, _ = split_code(code or "", self.country_codes)
        return country

    def iso2(self, country: str | None) -> str | None:
        info = self.countries.get(country or "")
        return info[0] if info else None

    # -- derived actors

    def state(self, country: str) -> TableActor | None:
        info = self.countries.get(country)
        if info is None:
            return None
        idx = self.index.get(info[2])
        return self.actors[idx] if idx is not None else None

    def sector(self, country: str, sectors: list[str]) -> TableActor | None:
        """'RUS', ['MIL'] → the Russian military actor (from the table or made here)."""
        info = self.countries.get(country)
        if info is None or not sectors:
            return None
        actor_id = sector_actor_id(info[2], sectors)
        idx = self.index.get(actor_id)
        if idx is not None:
            return self.actors[idx]
        cached = self._sector_cache.get(actor_id)
        if cached is None:
            label = " ".join(SECTORS.get(s, s.lower()).replace("-", " ") for s in sectors)
            cached = TableActor(
                actor_id,
                f"{info[1]} ({label})",
                SECTOR_TYPES.get(sectors[0], "group"),
                country,
                None,
                ((country + "".join(sectors), None, None, True),),
                (),
            )
            self._sector_cache[actor_id] = cached
        return cached

    def by_id(self, actor_id: str) -> TableActor | None:
        idx = self.index.get(actor_id)
        if idx is not None:
            return self.actors[idx]
        return self._sector_cache.get(actor_id)


@lru_cache(maxsize=4)
def load_table(path: str | None = None) -> ActorTable:
    """The table at ``path`` (default: the one shipped in the package), cached."""
    target = Path(path) if path else DEFAULT_TABLE
    opener = gzip.open if target.suffix == ".gz" else open
    with opener(target, "rt", encoding="utf-8") as fh:
        return ActorTable(json.load(fh))
