"""Helpers shared by the table builder and the resolver, so both sides agree.

The builder turns dictionary phrases into lookup keys and the resolver turns token
runs of an article into keys with the same function (``key_of``); ids and dates are
computed here for the same reason: a table built today and a resolver running later
must produce the same ids for the same actors.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Characters that only glue the parts of a name together ("Al-Assad", "d'État",
# "U.S."): a token made only of them is skipped, not a break, when keys are built.
JOINERS = frozenset("-'.’‘‐‑_")
_FOLD = str.maketrans({"’": "'", "‘": "'", "œ": "oe", "æ": "ae", "ß": "ss", "ı": "i", "ø": "o"})
_NON_WORD = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lowercase, strip accents: 'Sergueï' → 'serguei', 'État' → 'etat'."""
    text = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def key_of(text: str) -> str:
    """The lookup key of a phrase: folded words separated by single spaces.

    Periods vanish (``U.S.`` → ``us``), hyphens, apostrophes and underscores separate
    words (``d'État`` → ``d etat``), so spelling variants of one name meet.
    """
    folded = fold(text).replace(".", "")
    return " ".join(_NON_WORD.split(folded)).strip()


def surface_words(text: str) -> list[str]:
    """The words of a phrase as written, aligned with ``key_of`` (for case checks)."""
    return _WORD.findall(text.replace(".", ""))


def alias_key(text: str) -> str:
    """``key_of`` without a leading article: 'The United Nations' is found as 'United
    Nations', so the mention starts at the name, not at the article."""
    key = key_of(text)
    return key[4:] if key.startswith("the ") and len(key) > 4 else key


def is_joiner(token_text: str) -> bool:
    """A token that glues name parts ('-', "'"); a lone '.' ends a sentence instead."""
    return bool(token_text) and "." not in token_text and all(c in JOINERS for c in token_text)


def slug(text: str) -> str:
    """'Bashar al-Assad' → 'bashar-al-assad' (stable id part)."""
    return key_of(text).replace(" ", "-")


def parse_iso_date(value: str | None) -> date | None:
    """'2017-11-11', '2017-11-11T08:00:00Z' (RFC 3339) → date; None when absent/invalid."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# CAMEO sector codes (3 letters after a country code, or after "~" in agents) → the
# word used in ids and names of sector actors ("RUSMIL" → "russia-military").
SECTORS: dict[str, str] = {
    "GOV": "government",
    "MIL": "military",
    "REB": "rebels",
    "OPP": "opposition",
    "COP": "police",
    "SPY": "intelligence",
    "JUD": "judiciary",
    "LEG": "legislature",
    "PTY": "political-party",
    "ELI": "elites",
    "BUS": "business",
    "MED": "media",
    "CVL": "civilians",
    "INS": "insurgents",
    "UAF": "armed-forces-unaligned",
    "IMG": "militant-group",
    "SEP": "separatists",
    "LAB": "labour",
    "EDU": "education",
    "HLH": "health",
    "REF": "refugees",
    "HRI": "human-rights",
    "NGO": "ngos",
    "REL": "religious",
    "CRM": "criminals",
    "DEV": "development",
    "AGR": "agriculture",
    "ENV": "environment",
    "MOD": "moderates",
    "RAD": "radicals",
    "SPL": "separatists",
}

# Actor type of a sector actor, by its first sector code.
SECTOR_TYPES: dict[str, str] = {
    "GOV": "government",
    "JUD": "government",
    "LEG": "government",
    "COP": "government",
    "SPY": "government",
    "MIL": "military",
    "REB": "armed_group",
    "INS": "armed_group",
    "UAF": "armed_group",
    "IMG": "armed_group",
    "SEP": "armed_group",
    "SPL": "armed_group",
}

# Roles read off a CAMEO code: the first sector after the country names the kind of
# position ("RUSGOV" → government); precise offices come from role tenures.
SECTOR_ROLES: dict[str, str] = {
    "GOV": "government",
    "MIL": "military",
    "ELI": "elite",
    "LEG": "legislator",
    "JUD": "judiciary",
    "COP": "police",
    "SPY": "intelligence",
    "OPP": "opposition",
    "PTY": "party",
    "REB": "rebel",
    "INS": "insurgent",
    "BUS": "business",
    "MED": "media",
}


def split_code(code: str, countries: set[str] | frozenset[str]) -> tuple[str | None, list[str]]:
    """'RUSGOVMIL' → ('RUS', ['GOV', 'MIL']); 'IGOUNO' → (None, ['IGO', 'UNO'])."""
    head = code[:3]
    country = head if head in countries else None
    rest = code[3:] if country else code
    return country, [rest[i : i + 3] for i in range(0, len(rest), 3) if rest[i : i + 3]]


def sector_actor_id(country_slug: str, sectors: list[str]) -> str:
    words = [SECTORS.get(s, s.lower()) for s in sectors]
    return "-".join([country_slug, *words])
