"""Word lists and sentence templates for the synthetic news site (benchmarks/synthetic_site.py).

Everything here is invented for the benchmark: place names are built from syllables,
people from made-up first and last names, and sentences from templates, so no real
news text ever enters a page. The lists are long enough that articles do not repeat
one another and spaCy/YAKE see the variety of real copy (names, numbers, quotes).
"""

from __future__ import annotations

import random


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Amara Bastian Celia Dorian Elspeth Farid Greta Halvard Ines Joaquin Katrin Leopold "
    "Mairead Nikolai Odile Perrin Quentin Rosalind Soren Tamsin Ulric Verity Wendell Ximena "
    "Yusuf Zelda Anselm Brigid Casimir Delphine Emrys Fenella Gideon Hester Ivo Juno Kasimir "
    "Liesel Marius Niamh Osric Petra Rufus Saskia Tobias Una Valentin Wilhelmina"
)
LAST_NAMES = _words(
    "Achterberg Blackwood Castellane Dunmore Eastwick Falconer Grimsby Hollins Ingleby "
    "Jardine Kettering Lowther Marchbanks Northcott Oakridge Penhallow Quarrington Redfern "
    "Saltash Thistlewood Underhill Vance Whitlock Yardley Ashdown Brackenridge Coldwell "
    "Dewhurst Elmore Fairweather Gallow Hargreave Ilford Jessop Kilbride Larchmont "
    "Mossop Netherby Orchard Pendry Rook Stainforth Treherne Upcott Wexford"
)
SYLLABLES = _words(
    "ald bar cal dor esk fen gar hol ist kel lan mor nor ost pen quar ros sal tor ull ven wes"
)
PLACE_SUFFIXES = ("ton", "bury", "mouth", "ford", "wick", "haven", "field", "stead", "by", "port")
ORG_KINDS = (
    "Council", "Harbour Authority", "Transit Board", "Health Trust", "Water Company",
    "Chamber of Commerce", "Teachers' Union", "Housing Association", "Port Company",
    "Energy Cooperative", "University", "Police Service", "Fire and Rescue Service",
    "Farmers' League", "Arts Foundation", "Rail Partnership", "Ferry Company",
)  # fmt: skip
ROLES = (
    "chief executive", "spokeswoman", "spokesman", "councillor", "chair", "director",
    "head of operations", "union representative", "senior engineer", "deputy mayor",
    "professor of economics", "local resident", "shop owner", "campaign organiser",
)  # fmt: skip
TOPICS = (
    "ferry timetable", "bridge repairs", "school budget", "housing plan", "water rates",
    "bus network", "harbour dredging", "hospital wing", "flood defences", "market hall",
    "rail upgrade", "library hours", "wind farm", "tram extension", "recycling contract",
    "street lighting", "coastal path", "fishing quota", "airport runway", "sports centre",
)  # fmt: skip
NOUNS = _words(
    "plan proposal budget contract survey report review scheme project programme deal "
    "decision inquiry vote consultation strike closure delay upgrade repair timetable "
    "grant investment shortfall deficit agreement petition audit tender forecast"
)
ADJECTIVES = _words(
    "revised long-awaited controversial ambitious modest delayed expanded temporary "
    "regional provisional annual independent detailed unexpected costly popular"
)
VERBS_PAST = _words(
    "approved rejected postponed announced criticised welcomed questioned confirmed "
    "defended outlined revised published scrapped extended halved doubled"
)
VERBS_FUTURE = _words(
    "cost raise cut delay improve replace extend reduce protect double affect reshape"
)
OBJECTS = (
    "waiting times", "ticket prices", "the number of sailings", "local jobs",
    "emergency response times", "rents in the old town", "the night service",
    "funding for smaller schools", "traffic on the ring road", "the season's catch",
    "opening hours", "maintenance costs", "the reserve fund", "visitor numbers",
)  # fmt: skip
UNITS = ("million dollars", "per cent", "households", "jobs", "passengers a day", "tonnes", "weeks")
MONTHS = _words(
    "January February March April May June July August September October November December"
)
QUOTE_CLAUSES = (
    "we have listened to people and this is the result",
    "nobody wanted to be in this position",
    "the figures simply do not add up",
    "this is the most important decision we will take this year",
    "we will keep pushing until it is fixed",
    "it is a step in the right direction, but only a step",
    "families here deserve better than another delay",
    "the work has to be done now or it will cost twice as much later",
    "we were given no warning at all",
    "there is still time to get this right",
)  # fmt: skip
SECTIONS = (
    "news", "politics", "business", "transport", "health", "environment", "culture", "sport",
)  # fmt: skip
OUTLET_WORDS = _words(
    "Gazette Courier Ledger Herald Chronicle Post Observer Tribune Sentinel Mercury "
    "Examiner Advertiser Bulletin Record Dispatch Clarion Beacon Star Pilot Journal"
)


def place_name(rng: random.Random) -> str:
    """Return an invented town name such as 'Calmorbury'."""
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2)))
    return (stem + rng.choice(PLACE_SUFFIXES)).capitalize()


def person_name(rng: random.Random) -> str:
    """Return an invented full name."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def sentence(rng: random.Random, people: list[str], places: list[str], orgs: list[str]) -> str:
    """Return one sentence of news copy about the given people, places and organisations."""
    person, place, org = rng.choice(people), rng.choice(places), rng.choice(orgs)
    number = rng.choice((rng.randint(2, 95), round(rng.uniform(1, 40), 1), rng.randint(100, 9000)))
    templates = (
        f"The {org} {rng.choice(VERBS_PAST)} the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
        f"on {rng.choice(('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'))}, "
        f"saying it would {rng.choice(VERBS_FUTURE)} {rng.choice(OBJECTS)} in {place}.",
        f"{person}, {rng.choice(ROLES)} at the {org}, said the {rng.choice(TOPICS)} "
        f"had already cost about {number} {rng.choice(UNITS)}.",
        f"“{rng.choice(QUOTE_CLAUSES).capitalize()},” said {person}.",
        f"Residents of {place} have waited since {rng.choice(MONTHS)} for a decision on the "
        f"{rng.choice(TOPICS)}, which was first proposed {rng.randint(2, 12)} years ago.",
        f"According to a {rng.choice(NOUNS)} published by the {org}, {number} "
        f"{rng.choice(UNITS)} could be affected by the end of {rng.choice(MONTHS)}.",
        f"Critics in {place} said the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} would "
        f"{rng.choice(VERBS_FUTURE)} {rng.choice(OBJECTS)} without solving the underlying problem.",
        f"{person} told a meeting in {place} that the {rng.choice(TOPICS)} "
        f"was {rng.choice(('on track', 'behind schedule', 'over budget', 'under review'))}.",
        f"The {rng.choice(NOUNS)} will be discussed again at the {org}'s meeting in "
        f"{rng.choice(MONTHS)}, when a final {rng.choice(NOUNS)} is expected.",
    )
    return rng.choice(templates)


def paragraphs(
    rng: random.Random, words: int, people: list[str], places: list[str], orgs: list[str]
) -> list[str]:
    """Return paragraphs of two to five sentences adding up to about ``words`` words."""
    out: list[str] = []
    count = 0
    while count < words:
        para = " ".join(sentence(rng, people, places, orgs) for _ in range(rng.randint(2, 5)))
        out.append(para)
        count += len(para.split())
    return out


def headline(rng: random.Random, place: str, org: str, topic: str) -> str:
    """Return a headline for an event."""
    return rng.choice(
        (
            f"{org} {rng.choice(VERBS_PAST)} {topic} plan for {place}",
            f"{place} {topic} {rng.choice(NOUNS)} {rng.choice(VERBS_PAST)} after long dispute",
            f"What the {topic} {rng.choice(NOUNS)} means for {place}",
            f"{place} waits on {org} over {topic}",
        )
    )


def filler_words(rng: random.Random, count: int) -> str:
    """Return ``count`` loosely joined words (comments, teasers, menu labels)."""
    pool = NOUNS + ADJECTIVES + VERBS_PAST + list(TOPICS)
    return " ".join(rng.choice(pool) for _ in range(count))
