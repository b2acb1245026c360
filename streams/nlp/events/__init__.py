"""CAMEO event coding (``ww_events``), natively in French and English.

Importing this package registers the ``ww_events`` spaCy factory. Package data
(``data/``): the CAMEO codebook with Goldstein scores and PLOVER classes
(``build_codebook.py``), the English verb lexicon built from PETRARCH-2's
CAMEO.2.0 dictionary (``build_lexicon_en.py``), and the hand-written English
grammar and French lexicon.
"""

from .codebook import Codebook, CodeInfo, default_codebook
from .component import EventsComponent, make_events
from .lexicon import Lexicon, load_lexicon

__all__ = [
    "CodeInfo",
    "Codebook",
    "EventsComponent",
    "Lexicon",
    "default_codebook",
    "load_lexicon",
    "make_events",
]
