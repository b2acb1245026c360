"""The alias-table builder: TABARI/PETRARCH parsing, table building, the shipped table."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from streams.nlp.actors import build_aliases as ba
from streams.nlp.actors.table import ActorTable, load_table

# A tiny dictionary in the Phoenix format, with the quirks the real files have.
COUNTRIES = """\
# TABARI-formatted .actor file
<!-- an XML comment
   spanning lines -->
RUSSIA_  [RUS]
+RUSSIAN_FEDERATION_
+SOCHI_
+VOLGA_RIVER_
	[SUN <911225]

# Russian institutions
KREMLIN_
+RUSSIAN_WHITE_HOUSE
	[RUSGOV]
FEDERAL_SECURITY_SERVICE_
+FSB_  # hmm
	[RUSCOP] # Or SPY?
VLADIMIR_PUTIN_  # CountryInfo.txt
+PUTIN_
+PRESIDENT_PUTIN_
	[RUSELI 700101-990809]
	[RUSGOV 991231-080507]
	[RUSGOV >080508]
	[RUSELI]
BORIS_YELTSIN_  # CountryInfo.txt
BORIS_N._YELTSIN
PRESIDENT_BORIS_YELTSIN
	[RUSGOV 910710-991231]
	[RUSELI 991231-070423]
IVAN_PETROV_  # CountryInfo.txt
	[RUSGOV 1920030320-20060520]
	[RUSGOV 2004017-20061201]

# U.S. Presidents
UNITED_STATES_OF_AMERICA_  [USA]
PRESIDENT_OF_THE_UNITED_STATES_
+US_PRESIDENT_
+POTUS_
	[USAGOV]
JOHN_DOE_  # CountryInfo.txt
+PRESIDENT_DOE
	[USAELI 640101-930120]
	[USAGOV 930120-010120]
	[USAELI]
BUSH_GOVERNMENT_ALIAS_TEST_  # CountryInfo.txt
+BUSH_ADMINISTRATION
	[USAGOV 010120-090120]
"""
INTERNATIONAL = """\
######   The United Nations  #######
THE_UNITED_NATIONS_ [IGOUNO]
KOFI_ANNAN_	[IGOUNO 970101-061231] [ELI]# IGOrulers.txt
GROUP_OF_EIGHT_	[IGOBUSGOE]# NGO_Actors
+G_8_
	[IGOGOE]
"""
MILNONSTATE = """\
HAMAS_  #  kkl 21 Mar 13
+ISLAMIC_RESISTANCE_MOVEMENT
+ABU_SOMEONE_ # (killed in 2005)
+ARMY_ONE+_ARMY_TWO_
	[PSEREB]
"""
AGENTS = """\
!MINIST! = MINISTER, MINISTERS
TROOP {} [~MIL] # ab
OFFICIAL [~GOV]
ATTORNEY_GENERAL {ATTORNEYS_GENERAL} [~GOVATG]
!MINIST!_OF_WAR [~MIL]
FARMER [~AGR]
HUMAN_RIGHTS_BODY  [NGO~]
"""


@pytest.fixture
def phoenix_dir(tmp_path: Path) -> Path:
    for name, text in [
        ("Phoenix.Countries.actors.txt", COUNTRIES),
        ("Phoenix.International.actors.txt", INTERNATIONAL),
        ("Phoenix.MilNonState.actors.txt", MILNONSTATE),
        ("Phoenix.agents.txt", AGENTS),
    ]:
        (tmp_path / name).write_text(text)
    return tmp_path


# ------------------------------------------------------------------ format parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("080508", date(2008, 5, 8)),
        ("991231", date(1999, 12, 31)),
        ("19240101", date(1924, 1, 1)),
        ("20040309", date(2004, 3, 9)),
        ("780231", date(1978, 2, 28)),  # impossible day: last day of the month
        ("1920030320", date(2003, 3, 20)),  # repaired: 10 digits
        ("201005011", date(2010, 5, 1)),  # repaired: 9 digits
        ("2004017", date(2004, 1, 17)),  # repaired: 7 digits, month 00 clamped
        ("abc", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert ba.parse_date(text) == expected


def test_parse_restriction() -> None:
    r = ba.parse_restriction("RUSGOV >080508")
    assert (r.code, r.start, r.end, r.default) == ("RUSGOV", date(2008, 5, 8), None, False)
    r = ba.parse_restriction("USAGOV > 999999")  # a space after '>' occurs in the files
    assert r.start == date(1999, 12, 31)
    r = ba.parse_restriction("YUGMNE <920427")
    assert (r.start, r.end) == (None, date(1992, 4, 27))
    r = ba.parse_restriction("USAGOV 930120-010120")
    assert (r.start, r.end) == (date(1993, 1, 20), date(2001, 1, 20))
    assert ba.parse_restriction("MNEGOV 20121204").start == date(2012, 12, 4)
    assert ba.parse_restriction("RUSELI").default
    assert ba.parse_restriction("---") is None  # PETRARCH's null code
    assert ba.parse_restriction("") is None


def test_parse_actor_lines_handles_the_format_and_its_quirks() -> None:
    stats = ba.ParseStats()
    records = {r.primary: r for r in ba.parse_actor_lines(COUNTRIES.splitlines(), "C", stats)}
    russia = records["RUSSIA_"]
    assert russia.aliases == ["RUSSIAN_FEDERATION_", "SOCHI_", "VOLGA_RIVER_"]
    assert [c.to_json() for c in russia.codes] == [["RUS"], ["SUN", None, "1991-12-25"]]
    fsb = records["FEDERAL_SECURITY_SERVICE_"]
    assert fsb.aliases == ["FSB_"] and fsb.codes[0].code == "RUSCOP"  # comments stripped
    assert fsb.section == "Russian institutions"
    putin = records["VLADIMIR_PUTIN_"]
    assert "countryinfo" in putin.comment.lower()
    assert [c.to_json() for c in putin.codes] == [
        ["RUSELI", "1970-01-01", "1999-08-09"],
        ["RUSGOV", "1999-12-31", "2008-05-07"],
        ["RUSGOV", "2008-05-08", None],
        ["RUSELI"],
    ]
    # Primary lines written without '+' before one code block are one record.
    yeltsin = records["BORIS_YELTSIN_"]
    assert yeltsin.aliases == ["BORIS_N._YELTSIN", "PRESIDENT_BORIS_YELTSIN"]
    assert len(yeltsin.codes) == 2
    assert "BORIS_N._YELTSIN" not in records
    assert stats.merged_lines == 2
    assert [c.start for c in records["IVAN_PETROV_"].codes] == [
        date(2003, 3, 20),
        date(2004, 1, 17),
    ]
    assert stats.repaired_dates == 2
    assert records["JOHN_DOE_"].section == "U.S. Presidents"

    intl = {r.primary: r for r in ba.parse_actor_lines(INTERNATIONAL.splitlines())}
    annan = intl["KOFI_ANNAN_"]  # several codes on the primary line, comment glued to ']'
    assert [c.to_json() for c in annan.codes] == [["IGOUNO", "1997-01-01", "2006-12-31"], ["ELI"]]
    g8 = intl["GROUP_OF_EIGHT_"]
    assert [c.code for c in g8.codes] == ["IGOBUSGOE", "IGOGOE"] and g8.aliases == ["G_8_"]
    hamas = next(iter(ba.parse_actor_lines(MILNONSTATE.splitlines())))
    assert hamas.aliases[-2:] == ["ARMY_ONE", "_ARMY_TWO_"]  # 'A+B' on one line: two
    assert hamas.alias_notes == {1: "(killed in 2005)"}


def test_parse_agent_lines() -> None:
    agents = {a.phrase: a for a in ba.parse_agent_lines(AGENTS.splitlines())}
    assert agents["TROOP"].forms == ["TROOP"]  # '{}' : no plural
    assert agents["OFFICIAL"].forms == ["OFFICIAL", "OFFICIALS"]
    assert agents["ATTORNEY GENERAL"].forms == ["ATTORNEY GENERAL", "ATTORNEYS GENERAL"]
    assert {"MINISTER OF WAR", "MINISTERS OF WAR"} <= set(agents)
    assert agents["OFFICIAL"].code == "GOV"
    assert "HUMAN RIGHTS BODY" not in agents  # 'NGO~' prefixes name organisations


# ------------------------------------------------------------------ building a table


def test_build_table_from_a_tiny_dictionary(phoenix_dir: Path, tmp_path: Path) -> None:
    table = ba.build_table(phoenix_dir)
    out = tmp_path / "table.json.gz"
    ba.write_table(table, out)
    t = load_table(str(out))
    assert isinstance(t, ActorTable)

    def entries(key: str) -> list[tuple[str, str]]:
        return [(t.actors[e.actor].id, e.kind) for e in t.aliases.get(key, ())]

    # Countries keep their names, not the places listed under them.
    assert entries("russian federation") == [("russia", "n")]  # also a hand name
    assert entries("sochi") == [] and entries("volga river") == []
    # Institutions coded GOV stand for the government actor.
    assert entries("kremlin") == [("russia-government", "m")]
    assert entries("russian white house") == [("russia-government", "m")]
    # A hand actor claims its Phoenix record; hand codes (when given) win.
    assert ("vladimir-putin", "n") in entries("vladimir putin")
    assert ("vladimir-putin", "s") in entries("putin")
    assert entries("fsb") == [("federal-security-service", "a")]
    # Phoenix-only people: their own ids, codes and roles from '# U.S. Presidents'.
    doe = t.by_id("john-doe")
    assert doe is not None and doe.type == "person"
    assert t.code_at(doe, date(1995, 1, 1)) == "USAGOV"
    assert t.code_at(doe, date(1980, 1, 1)) == "USAELI"
    assert t.code_at(doe, date(2005, 1, 1)) == "USAELI"  # default after the ranges
    assert t.code_at(doe, None) == "USAELI"
    assert ("head_of_state", "USA") in t.roles_at(doe, date(1995, 1, 1))
    assert t.roles_at(doe, date(2005, 1, 1)) == []
    # A person's '... ADMINISTRATION' alias is the government, not the person.
    assert entries("bush administration") == [("united-states-government", "m")]
    # Office records become titles, not actors.
    assert t.offices["us president"][:2] == ("USA", "head_of_state")
    assert t.offices["potus"][:2] == ("USA", "head_of_state")
    assert t.by_id("president-of-the-united-states") is None
    # Leaders listed under a group are not the group.
    assert entries("abu someone") == []
    assert entries("islamic resistance movement") == [("hamas", "a")]
    # Agents from Phoenix (political sectors only) join the hand vocabulary.
    assert t.agents["en"]["troop"] == "MIL" and t.agents["en"]["officials"] == "GOV"
    assert "farmer" not in t.agents["en"]
    assert t.agents["fr"]["commandement militaire"] == "MIL"
    prov = t.provenance
    assert set(prov["sources"]) == {*ba.PHOENIX_FILES, ba.AGENTS_FILE, "extra_actors.json"}
    assert len(prov["version"]) == 16


def test_hand_data_alone_builds_a_usable_table(tmp_path: Path) -> None:
    table = ba.build_table(None)
    t = ActorTable(json.loads(json.dumps(table)))
    putin = t.by_id("vladimir-putin")
    assert putin is not None and putin.qid == "Q7747"
    assert t.code_at(t.by_id("donald-trump"), date(2017, 6, 1)) == "USAGOV"
    assert t.nationality["fr"]["americaines"] == "USA"
    assert t.capitals["moscou"] == "RUS"


def test_build_is_deterministic(phoenix_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    ba.main(["--phoenix", str(phoenix_dir), "--out", str(a)])
    ba.main(["--phoenix", str(phoenix_dir), "--out", str(b)])
    assert a.read_bytes() == b.read_bytes()


# ------------------------------------------------------------------ the real dictionaries


@pytest.mark.shared
def test_real_phoenix_dictionaries(shared_corpora: Path, tmp_path: Path) -> None:
    table = ba.build_table(shared_corpora / "actors")
    stats = table["provenance"]["stats"]
    assert stats["records"] > 25_000
    assert stats["dropped_ranges"] == 0
    t = ActorTable(table)
    lavrov = t.by_id("sergey-lavrov")
    assert lavrov is not None
    assert t.code_at(lavrov, date(2017, 11, 11)) == "RUSGOV"
    assert t.by_id("barack-obama") is not None
    assert {t.actors[e.actor].id for e in t.aliases["kremlin"]} == {"russia-government"}
    assert {t.actors[e.actor].id for e in t.aliases["un"]} == {"united-nations"}
    # The shipped table is the one these inputs and this builder make (rebuild it after
    # changing either).
    shipped = json.loads(gzip.decompress(ba.DEFAULT_OUT.read_bytes()))
    assert shipped["provenance"]["version"] == table["provenance"]["version"]
    assert shipped == json.loads(json.dumps(table, ensure_ascii=False))
    assert ba.DEFAULT_OUT.stat().st_size < 3_000_000


def test_shipped_table_loads_without_shared_corpora() -> None:
    t = load_table()
    assert t.provenance["builder"] == ba.BUILDER
    assert t.by_id("united-nations") is not None
