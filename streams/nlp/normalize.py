"""Text normalisation for the models that never moves an offset.

Models trained on typeset text stumble on typography: with curly apostrophes
French elisions (n’, d’, qu’) come out as entities. We normalise such characters
before the models see the text, but only with one-character-for-one-character
substitutions, so the normalised text has exactly the length of the original and
every character offset found in it is also an offset into the original ``text``
that consumers receive. ``normalize`` asserts this invariant.
"""

from __future__ import annotations

import unicodedata

# Each key and value is a single code point: length-preserving by construction.
_SUBSTITUTIONS: dict[str, str] = {
    "\u2019": "'",  # right single quotation mark, the typographic apostrophe
    "\u2018": "'",  # left single quotation mark
    "\u02bc": "'",  # modifier letter apostrophe
    "\u2032": "'",  # prime, sometimes used as an apostrophe
    "\u00a0": " ",  # no-break space (French typography before « » : ; ! ?)
    "\u202f": " ",  # narrow no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u00ad": "-",  # soft hyphen (kept as a character so offsets do not move)
}


def _build_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _SUBSTITUTIONS.items()}
    # Control characters (C0/C1 except tab, newline, carriage return) become spaces:
    # models choke on them and they carry no meaning in news text.
    for cp in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
        if chr(cp) not in "\t\n\r":
            table[cp] = " "
    for cp in (0x2028, 0x2029):  # line/paragraph separators → newline
        table[cp] = "\n"
    for cp in (0x200B, 0x200C, 0x200D, 0xFEFF):  # zero-width characters → space
        table[cp] = " "
    assert all(len(v) == 1 for v in table.values())
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """Model-friendly text of exactly the same length as ``text``."""
    out = text.translate(_TABLE)
    assert len(out) == len(text), "normalisation must preserve length"
    return out


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"
