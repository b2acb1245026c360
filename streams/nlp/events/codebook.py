"""The CAMEO codebook as Wirewatch uses it: code → description, root, QuadClass,
Goldstein score and PLOVER class.

The table is package data built by ``build_codebook.py`` (attribution in its
``meta``), so the component never needs the reference corpora at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CODEBOOK_FILE = Path(__file__).with_name("data") / "codebook.json"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    description: str
    root: str
    quad_class: int  # 1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict
    goldstein: float
    plover: str | None  # PLOVER event class (draft 0.8); None for CAMEO 01/02
    plover_mode: str | None
    plover_context: str | None


class Codebook:
    """Lookup of CAMEO event codes; unknown codes fall back to their parents."""

    def __init__(self, path: Path = CODEBOOK_FILE) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.meta: dict = raw["meta"]
        self.version: str = self.meta["version"]
        self._codes = {code: CodeInfo(code=code, **fields) for code, fields in raw["codes"].items()}

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __len__(self) -> int:
        return len(self._codes)

    def get(self, code: str) -> CodeInfo | None:
        """The entry for ``code``; a 4-digit code absent from the table takes its parent's."""
        for key in (code, code[:3], code[:2]):
            if key in self._codes:
                info = self._codes[key]
                return info if key == code else _relabel(info, code)
        return None

    def __getitem__(self, code: str) -> CodeInfo:
        info = self.get(code)
        if info is None:
            raise KeyError(code)
        return info

    def codes(self) -> list[str]:
        return list(self._codes)


def _relabel(info: CodeInfo, code: str) -> CodeInfo:
    return CodeInfo(
        code=code,
        description=info.description,
        root=info.root,
        quad_class=info.quad_class,
        goldstein=info.goldstein,
        plover=info.plover,
        plover_mode=info.plover_mode,
        plover_context=info.plover_context,
    )


@cache
def default_codebook() -> Codebook:
    return Codebook()


def is_cameo_code(code: str) -> bool:
    """Syntactically a CAMEO event code (root 01–20, 3 or 4 digits)."""
    return code.isdigit() and len(code) in (3, 4) and 1 <= int(code[:2]) <= 20
