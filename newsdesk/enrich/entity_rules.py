"""Label corrections for the small English NER model's common mistakes on news copy.

The model tags unfamiliar full names as organisations and unfamiliar country names as
people. The surrounding words often settle it: a name followed by "said" is a speaker,
a name after "from" or "in" is a place. These rules use only such context, never lists of
particular names.
"""

from __future__ import annotations

# Verbs that follow a speaker's name in news copy ("Sorvik told reporters").
SPEECH_VERBS = frozenset(
    {"said", "says", "told", "added", "asked", "argued", "warned", "explained", "noted", "insisted",
     "replied", "wrote", "stressed", "recalled", "urged"}
)  # fmt: skip
# Prepositions that put a bare name in a place role ("negotiators from Ostmark").
PLACE_PREPOSITIONS = frozenset({"in", "from", "to", "across", "near"})
ORG_HEAD_WORDS = frozenset(
    {"commission", "council", "ministry", "bank", "association", "party", "university",
     "company", "group", "agency", "union", "committee", "inc", "ltd", "corp", "authority",
     "department", "office", "institute", "federation", "club", "board", "court", "police"}
)  # fmt: skip


def relabel(labels: dict[str, str], speakers: set[str], place_objects: set[str]) -> None:
    """Correct ``labels`` (folded name -> person/org/place) in place using context clues."""
    _relabel_speakers(labels, speakers)
    _relabel_place_objects(labels, place_objects)
    _drop_partial_places(labels)


def _relabel_speakers(labels: dict[str, str], speakers: set[str]) -> None:
    """Make people of two- or three-word "organisations" whose surname alone speaks.

    The small model often tags unfamiliar full names as organisations ("Anneli Sorvik"),
    while "Sorvik told reporters" shows a person. A name with an organisation head word
    ("Northern Seas Commission said") is left alone, and so is a lone name that speaks
    ("Microsoft said"): only the surname of a longer name is evidence.
    """
    for key, label in list(labels.items()):
        words = key.split()
        if label != "org" or not 2 <= len(words) <= 3 or words[-1] not in speakers:
            continue
        if any(word in ORG_HEAD_WORDS for word in words):
            continue
        labels[key] = "person"
        if words[-1] in labels:
            labels[words[-1]] = "person"


def _relabel_place_objects(labels: dict[str, str], place_objects: set[str]) -> None:
    """Make places of one-word "people" that only ever appear without a first name
    and stand after a place preposition at least once."""
    full_names = {
        key.split()[-1] for key, label in labels.items() if " " in key and label == "person"
    }
    for key in place_objects:
        if labels.get(key) == "person" and " " not in key and key not in full_names:
            labels[key] = "place"


def _drop_partial_places(labels: dict[str, str]) -> None:
    """Drop one-word organisations that are the first word of a longer place ("Varen")."""
    firsts = {key.split()[0] for key, label in labels.items() if " " in key and label == "place"}
    for key in list(labels):
        if " " not in key and labels[key] == "org" and key in firsts:
            labels[key] = "dropped"
