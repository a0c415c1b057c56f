"""Context rules that correct the small NER model's labels."""

import pytest

from newsdesk.enrich.entity_rules import relabel

pytestmark = pytest.mark.unit


def test_a_full_name_whose_surname_speaks_is_a_person() -> None:
    labels = {"anneli sorvik": "org", "sorvik": "org", "northern seas commission": "org"}
    relabel(labels, speakers={"sorvik", "northern seas commission"}, place_objects=set())
    assert labels == {
        "anneli sorvik": "person",
        "sorvik": "person",
        "northern seas commission": "org",
    }


def test_a_lone_speaking_organisation_stays_one() -> None:
    labels = {"microsoft": "org"}
    relabel(labels, speakers={"microsoft"}, place_objects=set())
    assert labels == {"microsoft": "org"}


def test_a_bare_name_after_from_is_a_place_unless_it_is_a_surname() -> None:
    labels = {"ostmark": "person", "reyland": "person", "tomas reyland": "person"}
    relabel(labels, speakers=set(), place_objects={"ostmark", "reyland"})
    assert labels["ostmark"] == "place"
    assert labels["reyland"] == "person"


def test_the_first_word_of_a_longer_place_is_dropped_as_an_organisation() -> None:
    labels = {"varen": "org", "varen islands": "place"}
    relabel(labels, speakers=set(), place_objects=set())
    assert labels["varen"] == "dropped"
