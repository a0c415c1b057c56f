"""Word lists for cleaning entity names, and country names to ISO 3166-1 alpha-2 codes.

pycountry supplies the official, short and common names ("Czechia", "Czech Republic",
"Viet Nam", "Vietnam"); ``COUNTRY_ALIASES`` adds the forms news copy uses instead. Cities
are never mapped, not even capitals: "Washington" or "Moscow said" name a government,
a state or a person as often as a place, and telling them apart needs a gazetteer.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pycountry


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words stripped from the front of a person's name ("Foreign Minister", "Mr."). Alone,
# they are fragments of a longer name ("Secretary of State" gives an ORG "State").
TITLES = _words(
    "president vice mr mrs ms miss mx dr prof professor sir dame sen senator rep gov"
    " governor mayor minister prime chancellor secretary general gen col capt lt sgt adm"
    " ambassador judge justice rev reverend coach chief deputy foreign interior defence"
    " defense finance health home of state attorney speaker councillor councilor alderman"
    " commissioner inspector detective superintendent sheriff"
)
# Dates and times the model tags as people or places. "May" stays out: Theresa May is
# tagged far more often than the month.
CALENDAR = _words(
    "january february march april june july august september october november december"
    " jan feb aug sept oct nov dec monday tuesday wednesday thursday friday saturday"
    " sunday today tonight yesterday tomorrow spring summer autumn winter noon midnight"
    " a.m. p.m."
)
# The small model tags unfamiliar names by their shape, so "Skerry Island" or "Brennick
# Public Library" come out as people. A multi-word name's head word is a better witness.
# Words that are also common surnames (Hill, Lane, Park, Street, Bay) are left out.
ORG_HEADS = _words(
    "association authority club union council committee society library museum"
    " university college school hospital party company corporation corp inc ltd group"
    " foundation institute agency ministry department commission federation league trust"
)
ORG_FIRST_WORDS = _words("university ministry department office council committee")
PLACE_HEADS = _words(
    "island islands point falls harbour harbor valley river creek mountain mountains"
    " peninsula strait sea ocean county province city town village district region"
    " road avenue square bridge"
)
PLACE_FIRST_WORDS = _words("port mount lake fort cape gulf isle")
# Everyday names pycountry lacks (it says "Russian Federation", "Türkiye"), the UK's
# nations (ISO 3166-1 has only GB) and demonyms, which spaCy tags NORP ("Russian
# troops"). Ambiguous forms stay out: "Korean" (which Korea?), "Georgian", "Congolese".
COUNTRY_ALIASES = """
US: U.S. | USA | U.S.A. | America | United States | American
GB: UK | U.K. | Britain | Great Britain | England | Scotland | Wales | Northern Ireland
GB: British | Briton | Scottish | Welsh
RU: Russia | Russian      TR: Turkey | Turkish      CN: Chinese      FR: French
DE: German      IT: Italian      ES: Spanish      JP: Japanese      UA: Ukrainian
IL: Israeli      PS: Palestine | Palestinian      IR: Iranian      IQ: Iraqi
SY: Syrian      LB: Lebanese      SA: Saudi      AE: UAE | U.A.E. | Emirati
EG: Egyptian      CA: Canadian      MX: Mexican      BR: Brazilian      AU: Australian
AR: Argentine | Argentinian      NL: Holland | Dutch      BE: Belgian      CH: Swiss
AT: Austrian      PL: Polish      SE: Swedish      NO: Norwegian      DK: Danish
FI: Finnish      IE: Irish      PT: Portuguese      GR: Greek      HU: Hungarian
CZ: Czech      RO: Romanian      RS: Serbian      BY: Belarusian      IN: Indian
PK: Pakistani      AF: Afghan      NG: Nigerian      ZA: South African      KE: Kenyan
ET: Ethiopian      VE: Venezuelan      CO: Colombian      CU: Cuban      CL: Chilean
KP: North Korean      KR: South Korean      TW: Taiwanese      VN: Vietnamese
TH: Thai      ID: Indonesian      PH: Filipino | Philippine      QA: Qatari
YE: Yemeni      LY: Libyan      MA: Moroccan      DZ: Algerian      JO: Jordanian
CD: DRC | DR Congo | Democratic Republic of Congo      CI: Ivory Coast      MM: Burma
MK: Macedonia      SZ: Swaziland      TL: East Timor      CV: Cape Verde      BN: Brunei
VA: Vatican | Vatican City      BA: Bosnia      KW: Kuwaiti      SD: Sudanese
"""
# ISO names that news copy mostly uses for something else: the US state, and whichever
# of the two Congos the writer did not spell out.
AMBIGUOUS_NAMES = frozenset({"georgia", "congo"})
_ALIAS_RE = re.compile(r"([A-Z]{2}): ([^:]+?)(?=\s+[A-Z]{2}:|\s*$)")


def country_code(name: str, *, demonym: bool = False) -> str | None:
    """Return the ISO 3166-1 alpha-2 code that a country name or alias denotes, or None."""
    key = _key(name)
    index = _index()
    code = index.get(key)
    if code is None and demonym and key.endswith("s"):
        code = index.get(key[:-1])  # plural demonyms: "Americans", "Britons"
    return code


def fold(text: str) -> str:
    """Return the text casefolded, without accents and with typographic apostrophes plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def edit_distance(a: str, b: str) -> int:
    """Return the Levenshtein distance between two strings."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _key(name: str) -> str:
    # "U.S." and "US", "the Netherlands" and "Netherlands", "Côte d'Ivoire" and "Cote..."
    return " ".join(fold(name).replace(".", "").split()).removeprefix("the ")


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and _key(value) not in AMBIGUOUS_NAMES:
                index[_key(value)] = country.alpha_2
    for code, names in _ALIAS_RE.findall(COUNTRY_ALIASES):
        for name in names.split("|"):
            index[_key(name)] = code
    return index
