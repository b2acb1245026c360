"""Build ``data/codebook.json``: every CAMEO event code with what Wirewatch needs.

    python -m streams.nlp.events.build_codebook --corpora ../shared/corpora

Per code: description, root, QuadClass, Goldstein score and the PLOVER mapping.

Sources (attribution is written into the output's ``meta``):

* Descriptions and the PLOVER event/mode/context of codes 03–20 come from
  ``events/CAMEO2PLOVER-2021.txt`` (openeventdata/PLOVER, PLOVER manual draft 0.8,
  © Open Event Data Alliance, CC BY-SA 4.0). The built file is an adaptation of it
  and is therefore itself CC BY-SA 4.0.
* That table stops at 03: PLOVER dropped CAMEO's "make public statement" (01) and
  "appeal" (02) roots, so their descriptions below are the code names from the
  CAMEO codebook (Gerner, Schrodt & Yilmaz, *CAMEO Conflict and Mediation Event
  Observations Codebook*, v1.1b3, 2012) and their ``plover`` is null.
* Goldstein scores: the CAMEO-code version of J. S. Goldstein, "A Conflict-Cooperation
  Scale for WEIS Events Data", *Journal of Conflict Resolution* 36(2), 1992, 369-385,
  as published with CAMEO by the KEDS/Parus project (and redistributed by GDELT as
  ``CAMEO.goldsteinscale.txt``). Written here from that published table; four-digit
  codes take their three-digit parent's value unless the table gives its own.
* QuadClass is CAMEO's standard grouping of roots: 01–05 verbal cooperation, 06–09
  material cooperation, 10–14 verbal conflict, 15–20 material conflict.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")
OUTPUT = DATA_DIR / "codebook.json"
SOURCE_FILE = "events/CAMEO2PLOVER-2021.txt"

ROOT_NAMES = {
    "01": "Make public statement",
    "02": "Appeal",
    "03": "Express intent to cooperate",
    "04": "Consult",
    "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation",
    "07": "Provide aid",
    "08": "Yield",
    "09": "Investigate",
    "10": "Demand",
    "11": "Disapprove",
    "12": "Reject",
    "13": "Threaten",
    "14": "Protest",
    "15": "Exhibit force posture",
    "16": "Reduce relations",
    "17": "Coerce",
    "18": "Assault",
    "19": "Fight",
    "20": "Use unconventional mass violence",
}

# Codes the PLOVER table does not cover (roots 01 and 02), named as in the CAMEO codebook.
CAMEO_01_02 = {
    "010": "Make statement, not specified below",
    "011": "Decline comment",
    "012": "Make pessimistic comment",
    "013": "Make optimistic comment",
    "014": "Consider policy option",
    "015": "Acknowledge or claim responsibility",
    "016": "Deny responsibility",
    "017": "Engage in symbolic act",
    "018": "Make empathetic comment",
    "019": "Express accord",
    "020": "Make an appeal or request, not specified below",
    "021": "Appeal for material cooperation",
    "0211": "Appeal for economic cooperation",
    "0212": "Appeal for military cooperation",
    "0213": "Appeal for judicial cooperation",
    "0214": "Appeal for intelligence",
    "022": "Appeal for diplomatic cooperation (such as policy support)",
    "023": "Appeal for material aid",
    "0231": "Appeal for economic aid",
    "0232": "Appeal for military aid",
    "0233": "Appeal for humanitarian aid",
    "0234": "Appeal for military protection or peacekeeping",
    "024": "Appeal for political reform",
    "0241": "Appeal for change in leadership",
    "0242": "Appeal for policy change",
    "0243": "Appeal for rights",
    "0244": "Appeal for change in institutions, regime",
    "025": "Appeal to yield",
    "0251": "Appeal for easing of administrative sanctions",
    "0252": "Appeal for easing of popular dissent",
    "0253": "Appeal for release of persons or property",
    "0254": "Appeal for easing of economic sanctions, boycott, or embargo",
    "0255": "Appeal for target to allow international involvement (non-mediation)",
    "0256": "Appeal for de-escalation of military engagement",
    "026": "Appeal to others to meet or negotiate",
    "027": "Appeal to others to settle dispute",
    "028": "Appeal to others to engage in or accept mediation",
}

# Goldstein (1992) conflict-cooperation weights as published for CAMEO codes.
# Keys are three-digit codes (and the four-digit codes that have their own value).
GOLDSTEIN: dict[str, float] = {
    # 01 make public statement
    "010": 0.0, "011": -0.1, "012": -0.4, "013": 0.4, "014": 0.0, "015": 0.0,
    "016": 3.4, "017": 0.0, "018": 3.4, "019": 3.4,
    # 02 appeal
    "020": 3.0, "021": 3.4, "022": 3.2, "023": 3.4, "024": -0.3, "025": -0.3,
    "026": 4.0, "027": 4.0, "028": 4.0,
    # 03 express intent to cooperate
    "030": 4.0, "031": 5.2, "032": 4.5, "033": 5.2, "0334": 6.0, "034": 7.0, "035": 7.0,
    "036": 4.0, "037": 5.0, "038": 7.0, "039": 5.0,
    # 04 consult
    "040": 1.0, "041": 1.0, "042": 1.9, "043": 2.8, "044": 2.5, "045": 5.0, "046": 7.0,
    # 05 engage in diplomatic cooperation
    "050": 3.5, "051": 3.4, "052": 3.5, "053": 3.8, "054": 7.5, "055": 7.0, "056": 7.0,
    "057": 8.0,
    # 06 engage in material cooperation
    "060": 6.0, "061": 6.4, "062": 7.4, "063": 7.4, "064": 7.0,
    # 07 provide aid
    "070": 7.0, "071": 7.4, "072": 8.3, "073": 7.4, "074": 8.5, "075": 7.0,
    # 08 yield
    "080": 5.0, "081": 5.0, "082": 5.0, "083": 5.0, "084": 7.0, "085": 7.0, "086": 9.0,
    "087": 9.0, "0874": 10.0,
    # 09 investigate
    "090": -2.0, "091": -2.0, "092": -2.0, "093": -2.0, "094": -2.0,
    # 10 demand
    "100": -5.0, "101": -5.0, "102": -5.0, "103": -5.0, "104": -5.0, "105": -5.0,
    "106": -5.0, "107": -5.0, "108": -5.0,
    # 11 disapprove
    "110": -2.0, "111": -2.0, "112": -2.0, "113": -2.0, "114": -2.0, "115": -2.0,
    "116": -2.0,
    # 12 reject
    "120": -4.0, "121": -4.0, "122": -4.0, "123": -4.0, "124": -5.0, "125": -5.0,
    "126": -5.0, "127": -5.0, "128": -5.0, "129": -5.0,
    # 13 threaten
    "130": -4.4, "131": -5.8, "132": -5.8, "133": -5.8, "134": -5.8, "135": -5.8,
    "136": -7.0, "137": -7.0, "138": -7.0, "139": -7.0,
    # 14 protest
    "140": -6.5, "141": -6.5, "142": -6.5, "143": -6.5, "144": -7.5, "145": -7.5,
    # 15 exhibit force posture
    "150": -7.2, "151": -7.2, "152": -7.2, "153": -7.2, "154": -7.2,
    # 16 reduce relations
    "160": -4.0, "161": -4.0, "162": -5.6, "163": -8.0, "164": -7.0, "165": -7.0,
    "166": -7.0,
    # 17 coerce
    "170": -7.0, "171": -9.2, "172": -5.0, "173": -5.0, "174": -5.0, "175": -9.0,
    # 18 assault
    "180": -9.0, "181": -9.0, "182": -9.5, "1821": -9.0, "1822": -9.0, "1823": -10.0,
    "183": -10.0, "184": -8.0, "185": -8.0, "186": -10.0,
    # 19 fight
    "190": -10.0, "191": -9.5, "192": -9.5, "193": -10.0, "194": -10.0, "195": -10.0,
    "196": -9.5,
    # 20 use unconventional mass violence
    "200": -10.0, "201": -9.5, "202": -10.0, "203": -10.0, "204": -10.0,
}  # fmt: skip


def quad_class(root: str) -> int:
    """CAMEO's QuadClass of a two-digit root."""
    n = int(root)
    if not 1 <= n <= 20:
        raise ValueError(f"not a CAMEO root: {root!r}")
    return 1 if n <= 5 else 2 if n <= 9 else 3 if n <= 14 else 4


def goldstein(code: str) -> float:
    """The code's own value, else its three-digit parent's, else the root's x0 code."""
    for key in (code, code[:3], code[:2] + "0"):
        if key in GOLDSTEIN:
            return GOLDSTEIN[key]
    raise KeyError(code)


# Spelling slips in the source table, corrected in the built file (noted in meta).
_SPELLING = {"Apolgize": "Apologize", "Ostruct": "Obstruct", "adminstrative": "administrative"}

_LINE = re.compile(r"^(\d{2,4}):\s*([^#]*?)\s*(?:#\s*(.*))?$")


def parse_cameo2plover(text: str) -> dict[str, dict[str, Any]]:
    """``code: EVENT, mode, context # description`` lines → {code: fields}.

    Root header lines (``03: AGREE``) carry only the PLOVER event. A root can appear
    twice (08 is split between CONCEDE and RETREAT); the first header wins for the root.
    """
    out: dict[str, dict[str, Any]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "~")):
            continue
        m = _LINE.match(line)
        if not m:
            continue
        code, fields, comment = m.group(1), m.group(2), (m.group(3) or "").strip()
        parts = [p.strip() for p in fields.split(",")]
        event = parts[0] or None
        mode = parts[1] if len(parts) > 1 and parts[1] else None
        context = parts[2] if len(parts) > 2 and parts[2] else None
        description = re.split(r"\s{2,}\d", comment)[0].strip() or None
        for wrong, right in _SPELLING.items():
            description = description.replace(wrong, right) if description else None
        if code in out:  # duplicate root header or repeated line: keep the first
            continue
        out[code] = {
            "plover": event,
            "plover_mode": mode,
            "plover_context": context.replace(" ", "") if context else None,
            "description": description,
        }
    return out


def build(corpora: Path) -> dict[str, Any]:
    source = corpora / SOURCE_FILE
    plover = parse_cameo2plover(source.read_text(encoding="utf-8"))
    codes = set(GOLDSTEIN) | set(CAMEO_01_02) | {c for c in plover if len(c) >= 3}
    # every root, and every code whose parent we know
    codes |= set(ROOT_NAMES)
    table: dict[str, dict[str, Any]] = {}
    for code in sorted(codes, key=lambda c: (c[:2], c)):
        root = code[:2]
        p = plover.get(code, {})
        if len(code) == 2:
            description = ROOT_NAMES[root]
        else:
            description = p.get("description") or CAMEO_01_02.get(code)
            if description is None:
                raise ValueError(f"no description for CAMEO code {code}")
        table[code] = {
            "description": description,
            "root": root,
            "quad_class": quad_class(root),
            "goldstein": goldstein(code if len(code) > 2 else root + "0"),
            "plover": p.get("plover"),
            "plover_mode": p.get("plover_mode"),
            "plover_context": p.get("plover_context"),
        }
    digest = hashlib.sha256(json.dumps(table, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "meta": {
            "name": "wirewatch-cameo-codebook",
            "version": f"cameo-1.1b3+plover-0.8+goldstein-1992/{digest}",
            "built_by": "streams/nlp/events/build_codebook.py",
            "sources": [
                {
                    "file": SOURCE_FILE,
                    "what": "CAMEO descriptions (03-20) and PLOVER event/mode/context",
                    "origin": "https://github.com/openeventdata/PLOVER",
                    "copyright": "Open Event Data Alliance",
                    "license": "CC BY-SA 4.0",
                    "changes": "parsed to JSON; whitespace normalised; three spelling "
                    "slips corrected; merged with the fields below",
                },
                {
                    "what": "names of CAMEO codes 01x/02x and of the 20 roots",
                    "origin": "CAMEO Codebook v1.1b3 (Gerner, Schrodt, Yilmaz 2012)",
                },
                {
                    "what": "Goldstein scores",
                    "origin": "Goldstein, J. S. (1992), A Conflict-Cooperation Scale for "
                    "WEIS Events Data, Journal of Conflict Resolution 36(2):369-385; "
                    "CAMEO version published with the CAMEO codebook",
                },
            ],
            "license": "CC BY-SA 4.0 (adaptation of CAMEO2PLOVER-2021.txt)",
        },
        "codes": table,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data = build(args.corpora)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {len(data['codes'])} codes to {args.output}")


if __name__ == "__main__":
    main()
