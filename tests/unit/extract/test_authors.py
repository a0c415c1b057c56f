"""Author cleaning: prefixes, roles, contacts, splitting, agencies, casing, junk and duplicates."""

from __future__ import annotations

import pytest

from newsdesk.extract.authors import MAX_NAME_CHARS, clean_authors

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Jane Roe", ("Jane Roe",)),
        ("BY: Jane Roe", ("Jane Roe",)),
        ("Von Anna Schmidt", ("Anna Schmidt",)),
        ("Par Jean Dupont", ("Jean Dupont",)),
        ("Por María López", ("María López",)),
        ("Written by Jane Roe", ("Jane Roe",)),
        # Particles and names that only look like prefixes stay whole.
        ("Von Miller", ("Von Miller",)),
        ("Ursula von der Leyen", ("Ursula von der Leyen",)),
        ("Byron Smith", ("Byron Smith",)),
        ("Parker Lee", ("Parker Lee",)),
    ],
)
def test_byline_prefixes(raw: str, expected: tuple[str, ...]) -> None:
    assert clean_authors([raw]) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane Roe, Staff Writer", ("Jane Roe",)),
        ("Jane Roe Staff Writer", ("Jane Roe",)),
        ("Jane Roe, Senior Correspondent", ("Jane Roe",)),
        ("Jane Roe, Business Editor", ("Jane Roe",)),
        ("Jane Roe | Reuters", ("Jane Roe",)),
        ("Jane Roe, AP", ("Jane Roe",)),
        ("JANE ROE, AP BUSINESS WRITER", ("Jane Roe",)),
        ("Jane Roe Associated Press", ("Jane Roe",)),
        ("Jane Roe/AFP", ("Jane Roe",)),
        ("Jane Roe in Lakeport", ("Jane Roe",)),
        # One word left after the title could be a surname, so nothing is taken off.
        ("Jane Editor", ("Jane Editor",)),
    ],
)
def test_roles_agencies_and_places_come_off(raw: str, expected: tuple[str, ...]) -> None:
    assert clean_authors([raw]) == expected


def test_contacts_are_removed() -> None:
    raw = [
        "Jane Roe (@janeroe) jane.roe@example.com https://lakeside.example/staff/jane",
        "Tom Fell Follow @tomfell on Twitter",
        "Email: ana@example.com Ana Vale",
    ]
    assert clean_authors(raw) == ("Jane Roe", "Tom Fell", "Ana Vale")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane Roe and Tom Fell", ("Jane Roe", "Tom Fell")),
        ("Jane Roe, Tom Fell & Ana Vale", ("Jane Roe", "Tom Fell", "Ana Vale")),
        ("Jane Roe; Tom Fell", ("Jane Roe", "Tom Fell")),
        ("Anna Schmidt und Max Vogel", ("Anna Schmidt", "Max Vogel")),
        ("María López y José Ruiz", ("María López", "José Ruiz")),
        ("By JANE ROE and Tom Fell, Staff Writers | Reuters", ("Jane Roe", "Tom Fell")),
        ("Jane Roe, Jr., and Tom Fell", ("Jane Roe Jr.", "Tom Fell")),
        # Reuters' credit block: the editor is not an author.
        ("Reporting by Jane Roe in Lakeport; Editing by Tom Fell", ("Jane Roe",)),
        ("Story by Jane Roe; Photos by Tom Fell", ("Jane Roe",)),
    ],
)
def test_splitting(raw: str, expected: tuple[str, ...]) -> None:
    assert clean_authors([raw]) == expected


@pytest.mark.parametrize(
    "raw",
    ["AP", "Associated Press", "By Reuters Staff", "AFP", "dpa", "PA Media", "Bloomberg News"],
)
def test_agency_only_bylines_give_no_authors(raw: str) -> None:
    assert clean_authors([raw]) == ()


def test_extra_agencies_from_the_caller() -> None:
    assert clean_authors(["Jane Roe, IANS"]) == ("Jane Roe", "IANS")
    assert clean_authors(["Jane Roe, IANS"], agencies=["IANS"]) == ("Jane Roe",)


def test_surnames_that_are_agency_names_stay() -> None:
    assert clean_authors(["Michael Bloomberg"]) == ("Michael Bloomberg",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JANE ROE", "Jane Roe"),
        ("JEAN-PAUL O'NEIL", "Jean-Paul O'Neil"),
        ("JAN VAN DER BERG", "Jan van der Berg"),
        ("LI WEI", "Li Wei"),
        # A short all-caps token is an acronym, mixed case is the writer's own choice.
        ("BBC", "BBC"),
        ("DJ Okafor", "DJ Okafor"),
        ("Ilse de Vries", "Ilse de Vries"),
    ],
)
def test_casing(raw: str, expected: str) -> None:
    assert clean_authors([raw]) == (expected,)


def test_junk_is_dropped_and_editorial_board_kept() -> None:
    raw = ["", "   ", "Staff", "Newsroom", "12345", "--", "x" * (MAX_NAME_CHARS + 1)]
    assert clean_authors([*raw, "Editorial Board", "The Lakeside Post Editorial Board"]) == (
        "Editorial Board",
        "The Lakeside Post Editorial Board",
    )


def test_duplicates_keep_the_first_form_and_order() -> None:
    raw = ["Tom Fell", "Jane Roe", "jane  roe", "JANE ROE", "By Tom Fell"]
    assert clean_authors(raw) == ("Tom Fell", "Jane Roe")


def test_non_breaking_spaces_and_sentence_dots() -> None:
    assert clean_authors(["By\u00a0Jane\u00a0Roe.", "J. Roe"]) == ("Jane Roe", "J. Roe")
