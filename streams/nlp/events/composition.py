"""How a verb with a clausal complement codes: CAMEO's parallel sub-codes.

CAMEO builds several roots on one pattern — what is appealed for (02), demanded
(10), promised (03), refused (12) or threatened (13): material cooperation, aid,
reform, yielding, meeting, settling, mediating. "Urge X to negotiate" is 026, "vow
to negotiate" 036, "refuse to negotiate" 125. So a complement is first reduced to a
*topic* (from its own code or its head noun), then each frame maps the topic to its
code. Topics are dotted (``aid.hum``): a family without the specific entry falls
back to the general one (``aid``), then to the family's default.
"""

from __future__ import annotations

# Complement code → topic. Longest matching prefix wins.
_CODE_TOPICS: dict[str, str] = {
    # intents (03): "urged X to agree to a ceasefire" is about the ceasefire
    "031": "coop",
    "0311": "coop.econ",
    "0312": "coop.mil",
    "0313": "coop.judicial",
    "0314": "coop.intel",
    "032": "diplo",
    "033": "aid",
    "0331": "aid.econ",
    "0332": "aid.mil",
    "0333": "aid.hum",
    "0334": "aid.pk",
    "034": "reform",
    "0341": "reform.leadership",
    "0342": "reform.policy",
    "0343": "reform.rights",
    "0344": "reform.institutions",
    "035": "yield",
    "0351": "yield.admin",
    "0352": "yield.dissent",
    "0353": "yield.release",
    "0354": "yield.econ_sanctions",
    "0355": "yield.intl",
    "0356": "yield.deescalate",
    "036": "meet",
    "04": "meet",
    "045": "mediate",
    "046": "meet",
    "037": "settle",
    "057": "settle",
    "038": "mediate",
    "039": "mediate",
    "05": "diplo",
    "06": "coop",
    "061": "coop.econ",
    "062": "coop.mil",
    "063": "coop.judicial",
    "064": "coop.intel",
    "07": "aid",
    "071": "aid.econ",
    "072": "aid.mil",
    "073": "aid.hum",
    "074": "aid.pk",
    "075": "aid.hum",
    "08": "yield",
    "081": "yield.admin",
    "082": "yield.dissent",
    "083": "reform",
    "0831": "reform.leadership",
    "0832": "reform.policy",
    "0833": "reform.rights",
    "0834": "reform.institutions",
    "084": "yield.release",
    "085": "yield.econ_sanctions",
    "086": "yield.intl",
    "087": "yield.deescalate",
    # harmful acts: what can be threatened (13)
    "14": "harm.protest",
    "15": "harm.force",
    "160": "harm.relations",
    "161": "harm.relations",
    "162": "harm.stop_aid",
    "163": "harm.sanctions",
    "164": "harm.halt_negotiations",
    "165": "harm.halt_mediation",
    "166": "harm.expel",
    "17": "harm.admin",
    "171": "harm.force",
    "175": "harm.repression",
    "18": "harm.force.unconventional",
    "186": "harm.force.assassinate",
    "19": "harm.force",
    "191": "harm.force.blockade",
    "192": "harm.force.occupation",
    "193": "harm.force.conventional",
    "194": "harm.force.conventional",
    "195": "harm.force.conventional",
    "20": "harm.force",
    "204": "harm.force.wmd",
}

FAMILIES: dict[str, dict[str, str]] = {
    "appeal": {
        "": "020",
        "coop": "021",
        "coop.econ": "0211",
        "coop.mil": "0212",
        "coop.judicial": "0213",
        "coop.intel": "0214",
        "diplo": "022",
        "aid": "023",
        "aid.econ": "0231",
        "aid.mil": "0232",
        "aid.hum": "0233",
        "aid.pk": "0234",
        "reform": "024",
        "reform.leadership": "0241",
        "reform.policy": "0242",
        "reform.rights": "0243",
        "reform.institutions": "0244",
        "yield": "025",
        "yield.admin": "0251",
        "yield.dissent": "0252",
        "yield.release": "0253",
        "yield.econ_sanctions": "0254",
        "yield.intl": "0255",
        "yield.deescalate": "0256",
        "meet": "026",
        "settle": "027",
        "mediate": "028",
    },
    "demand": {
        "": "100",
        "coop": "101",
        "coop.econ": "1011",
        "coop.mil": "1012",
        "coop.judicial": "1013",
        "coop.intel": "1014",
        "diplo": "102",
        "aid": "103",
        "aid.econ": "1031",
        "aid.mil": "1032",
        "aid.hum": "1033",
        "aid.pk": "1034",
        "reform": "104",
        "reform.leadership": "1041",
        "reform.policy": "1042",
        "reform.rights": "1043",
        "reform.institutions": "1044",
        "yield": "105",
        "yield.admin": "1051",
        "yield.dissent": "1052",
        "yield.release": "1053",
        "yield.econ_sanctions": "1054",
        "yield.intl": "1055",
        "yield.deescalate": "1056",
        "meet": "106",
        "settle": "107",
        "mediate": "108",
    },
    "intent": {
        "": "030",
        "coop": "031",
        "coop.econ": "0311",
        "coop.mil": "0312",
        "coop.judicial": "0313",
        "coop.intel": "0314",
        "diplo": "032",
        "aid": "033",
        "aid.econ": "0331",
        "aid.mil": "0332",
        "aid.hum": "0333",
        "aid.pk": "0334",
        "reform": "034",
        "reform.leadership": "0341",
        "reform.policy": "0342",
        "reform.rights": "0343",
        "reform.institutions": "0344",
        "yield": "035",
        "yield.admin": "0351",
        "yield.dissent": "0352",
        "yield.release": "0353",
        "yield.econ_sanctions": "0354",
        "yield.intl": "0355",
        "yield.deescalate": "0356",
        "meet": "036",
        "settle": "037",
        "mediate": "039",
    },
    "reject": {
        "": "120",
        "coop": "121",
        "coop.econ": "1211",
        "coop.mil": "1212",
        "coop.judicial": "1213",
        "coop.intel": "1214",
        "aid": "122",
        "aid.econ": "1221",
        "aid.mil": "1222",
        "aid.hum": "1223",
        "aid.pk": "1224",
        "reform": "123",
        "reform.leadership": "1231",
        "reform.policy": "1232",
        "reform.rights": "1233",
        "reform.institutions": "1234",
        "yield": "124",
        "yield.admin": "1241",
        "yield.dissent": "1242",
        "yield.release": "1243",
        "yield.econ_sanctions": "1244",
        "yield.intl": "1245",
        "yield.deescalate": "1246",
        "meet": "125",
        "mediate": "126",
        "settle": "127",
    },
    "threaten": {
        "": "130",
        "harm": "130",
        "harm.stop_aid": "1311",
        "harm.sanctions": "1312",
        "harm.relations": "1313",
        "harm.admin": "132",
        "harm.protest": "133",
        "harm.halt_negotiations": "134",
        "harm.halt_mediation": "135",
        "harm.expel": "136",
        "harm.repression": "137",
        "harm.force": "138",
        "harm.force.blockade": "1381",
        "harm.force.occupation": "1382",
        "harm.force.unconventional": "1383",
        "harm.force.assassinate": "1383",
        "harm.force.conventional": "1384",
        "harm.force.wmd": "1385",
    },
}


def topic_of_code(code: str | None) -> str | None:
    """The topic a complement's own code stands for (longest matching prefix)."""
    if not code:
        return None
    for n in range(len(code), 1, -1):
        topic = _CODE_TOPICS.get(code[:n])
        if topic:
            return topic
    return None


def is_harm(topic: str | None) -> bool:
    return bool(topic) and topic.split(".")[0] == "harm"


def family_code(family: str, topic: str | None) -> str | None:
    """Code of ``family`` for ``topic``; None when the family has no reading for it.

    Harmful topics under intent-like frames become threats ("vow to retaliate" is a
    threat, CAMEO 138); under appeal/demand/reject they get the family's default.
    """
    if is_harm(topic) and family == "intent":
        family = "threaten"
    table = FAMILIES[family]
    if topic is None:
        return table[""]
    if is_harm(topic) and family != "threaten":
        return table[""] if family in ("appeal", "demand") else None
    parts = topic.split(".")
    for n in range(len(parts), 0, -1):
        code = table.get(".".join(parts[:n]))
        if code:
            return code
    return table[""] if family != "threaten" else None
