"""Agency detection: datelines, credits, bylines, titles and sites; mentions do not count."""

from __future__ import annotations

import pytest

from newsdesk.extract.agency import (
    AGENCY_ALIASES,
    AGENCY_HOSTS,
    AgencyMatch,
    agency_for_name,
    detect_agency,
    split_agency,
)

pytestmark = pytest.mark.unit

REST = "\nThe harbour council met on Tuesday.\nThe ferry timetable changes next week."


def names(match: AgencyMatch | None) -> tuple[str, ...]:
    return match.agencies if match else ()


@pytest.mark.parametrize(
    ("opening", "agency"),
    [
        ("GENEVA (AP) — The council met.", "AP"),
        ("Lakeport (AP) - The council met.", "AP"),
        ("WASHINGTON (Reuters) - Senators met.", "Reuters"),
        ("PARIS, Jan 27 (AFP) - Ministers met.", "AFP"),
        ("BERLIN (dpa) - Der Rat tagte.", "dpa"),
        ("NEW DELHI, March 3 (PTI): The ministry said.", "PTI"),
        ("BEIJING, Jan. 5 (Xinhua) -- Officials said.", "Xinhua"),
        ("(Xinhua) -- Officials said.", "Xinhua"),
        ("(Bloomberg) -- Stocks rose in early trading.", "Bloomberg"),
        ("LONDON (PA) \u2013 Ministers met.", "PA Media"),  # en dash
        ("New Delhi [India], March 3 (ANI): The ministry said.", "ANI"),
        ("Madrid, 3 mar (EFE).- El gobierno aprobó.", "EFE"),
        ("ROMA, 12 feb (ANSA) - Il governo.", "ANSA"),
        ("TOKYO (Kyodo) -- The government said.", "Kyodo"),
        ("Jan. 5 (UPI) -- Officials said.", "UPI"),
        ("ST. LOUIS\u00a0(Associated Press)\u00a0—\u00a0Flooding closed roads.", "AP"),
    ],
)
def test_dateline_at_the_start_of_the_body(opening: str, agency: str) -> None:
    match = detect_agency(body=opening + REST)
    assert match is not None
    assert match.agencies == (agency,)
    assert match.evidence[0].startswith("dateline: ")


def test_dateline_after_a_caption_and_byline_paragraph() -> None:
    body = "A ferry at dawn. (AP Photo/Jane Roe)\nBy JANE ROE\nGENEVA (AP) — The council met."
    match = detect_agency(body=body)
    assert match == AgencyMatch(("AP",), ('dateline: "GENEVA (AP) —"',))


def test_dateline_deep_in_the_body_does_not_count() -> None:
    body = "One.\nTwo.\nThree.\nFour.\nGENEVA (AP) — Five.\nSix.\nSeven.\nEight.\nNine."
    assert detect_agency(body=body) is None


@pytest.mark.parametrize(
    ("ending", "agency"),
    [
        ("(Reuters)", "Reuters"),
        ("The minister said it was fine. — AFP", "AFP"),
        ("The minister said it was fine.—Reuters", "Reuters"),
        ("The minister said it was fine. (dpa)", "dpa"),
        ("— AFP/jj", "AFP"),
        ("With files from AFP", "AFP"),
        ("Additional reporting by Bloomberg", "Bloomberg"),
        ("Source: PTI", "PTI"),
        ("(Esta Media Network/Reuters)", "Reuters"),
        ("(Reporting by Jane Roe in Lakeport; Editing by Tom Fell)", "Reuters"),
        ("--With assistance from Tom Fell.", "Bloomberg"),
        ("To contact the reporter on this story: Jane Roe in Lakeport", "Bloomberg"),
        ("Copyright 2026 The Associated Press. All rights reserved.", "AP"),
        ("© 2026 Xinhua", "Xinhua"),
        ("— PA Media", "PA Media"),
        ("(ANI)", "ANI"),
        ("Agencia EFE", "EFE"),
        ("-- ANSA", "ANSA"),
        ("(Kyodo News)", "Kyodo"),
        ("— United Press International", "UPI"),
    ],
)
def test_credit_lines_at_the_end(ending: str, agency: str) -> None:
    match = detect_agency(body="The harbour council met on Tuesday.\n" + ending)
    assert match is not None
    assert match.agencies == (agency,)
    assert match.evidence[0].startswith("credit: ")


def test_credit_evidence_leaves_out_the_sentence_end() -> None:
    match = detect_agency(body="The council met. — AFP")
    assert match is not None
    assert match.evidence == ('credit: "— AFP"',)


def test_credit_lines_passed_separately() -> None:
    assert names(
        detect_agency(body="The council met.", credit_lines=["With reporting from dpa"])
    ) == ("dpa",)


def test_syndicated_disclaimer_names_the_agency_when_given() -> None:
    body = "The council met.\n(Auto-generated from a syndicated feed of PTI.)"
    match = detect_agency(body=body)
    assert match is not None
    assert match.agencies == ("PTI",)
    assert match.evidence[0].startswith("syndicated: ")


def test_syndicated_disclaimer_without_an_agency_is_evidence_without_a_name() -> None:
    body = (
        "The council met.\n(This story has not been edited by Lakeside Post staff and is "
        "auto-generated from a syndicated feed.)"
    )
    match = detect_agency(body=body)
    assert match is not None
    assert match.agencies == ()
    assert match.evidence[0].startswith("syndicated: ")


def test_syndicated_disclaimer_with_a_dateline() -> None:
    body = "NEW DELHI (PTI): The ministry said.\n(Auto-generated from a syndicated feed.)"
    match = detect_agency(body=body)
    assert match is not None
    assert match.agencies == ("PTI",)
    assert len(match.evidence) == 2


@pytest.mark.parametrize(
    ("author", "agency"),
    [
        ("By Reuters Staff", "Reuters"),
        ("Reuters", "Reuters"),
        ("AFP", "AFP"),
        ("AP", "AP"),
        ("Associated Press", "AP"),
        ("The Associated Press", "AP"),
        ("Jane Roe, Associated Press", "AP"),
        ("JANE ROE, AP BUSINESS WRITER", "AP"),
        ("Jane Roe | Reuters", "Reuters"),
        ("Jane Roe AP", "AP"),
        ("Bloomberg News", "Bloomberg"),
        ("PA Reporters", "PA Media"),
        ("Press Trust of India", "PTI"),
        ("Deutsche Presse-Agentur", "dpa"),
        ("Agence France-Presse", "AFP"),
    ],
)
def test_bylines(author: str, agency: str) -> None:
    match = detect_agency(body="The council met.", authors=[author])
    assert match is not None
    assert match.agencies == (agency,)
    assert match.evidence == (f'byline: "{author}"',)


def test_byline_line_at_the_top_of_the_body() -> None:
    assert names(detect_agency(body="By JANE ROE Associated Press\nThe council met.")) == ("AP",)


def test_title_suffix_and_site_name() -> None:
    assert names(detect_agency(body="x", title="Ferry timetable changes | AP News")) == ("AP",)
    assert names(detect_agency(body="x", title="Ferry timetable changes - Reuters")) == ("Reuters",)
    assert names(detect_agency(body="x", site_name="Bloomberg.com")) == ("Bloomberg",)
    assert names(detect_agency(body="x", site_name="Kyodo News")) == ("Kyodo",)


@pytest.mark.parametrize(("host", "agency"), sorted(AGENCY_HOSTS.items()))
def test_agency_sites(host: str, agency: str) -> None:
    match = detect_agency(body="The council met.", url=f"https://www.{host}/story/1")
    assert match == AgencyMatch((agency,), (f"site: {host}",))


def test_subdomain_and_bare_host() -> None:
    assert names(detect_agency(body="x", url="https://english.news.cn/20260105/a.htm")) == (
        "Xinhua",
    )
    assert names(detect_agency(body="x", url="apnews.com/article/x")) == ("AP",)
    assert names(detect_agency(body="x", url="https://notreuters.com/a")) == ()
    assert names(detect_agency(body="x", url="http://[broken")) == ()


def test_several_agencies_in_order_of_evidence() -> None:
    body = "GENEVA (AP/Reuters) — The council met.\nIt was fine.\nWith files from AFP"
    match = detect_agency(body=body, authors=["Jane Roe, dpa"], url="https://lakeside.example/a")
    assert match is not None
    # Dateline first, then byline, then the closing credit.
    assert match.agencies == ("AP", "Reuters", "dpa", "AFP")


def test_same_agency_twice_is_listed_once_with_both_evidence() -> None:
    match = detect_agency(body="GENEVA (AP) — The council met.\n(AP)", url="https://apnews.com/x")
    assert match is not None
    assert match.agencies == ("AP",)
    assert len(match.evidence) == 3


@pytest.mark.parametrize(
    "body",
    [
        "The council met on Tuesday, AP reported.\nThe ferry timetable changes next week.",
        "The mayor told Reuters the ferry would run.\nNothing else changed.",
        "The ferry will run, according to AFP.\nNothing else changed.",
        "Reuters reported the ferry would run.\nThe council met.",
        "The council met.\nThe mayor said, according to the Associated Press (AP).",
        "The AP Stylebook now allows the word.\nEditors use AP style.",
        "Students sat the AP exam on Tuesday.\nThe AP Calculus scores rose.",
        # A photo credit alone: outlets illustrate their own stories with wire pictures.
        "A ferry crosses the lake. (AP Photo/Jane Roe)\nThe council met.",
        "The council met.\nPhoto: AFP",
        "The council met.\nREUTERS/Jane Roe",
        "The council met.\nA ferry at dawn. Jane Roe/AFP via Getty Images",
        "The council met.\n(Photo by Jane Roe/Reuters)",
        # An article about Reuters the company.
        "Thomson Reuters (TRI.TO) reported higher revenue on Tuesday.\n"
        "Reuters, the news agency owned by the group, grew.\n"
        "Shares rose 3%, the company said.\nThomson Reuters declined to comment.",
        "Stocks fell.\n2026 Reuters poll shows growth.",
    ],
)
def test_mentions_are_not_agency_stories(body: str) -> None:
    assert detect_agency(body=body) is None


def test_mentions_in_metadata_are_not_agency_stories() -> None:
    assert detect_agency(body="x", authors=["AP Stylebook editors"]) is None
    assert detect_agency(body="x", authors=["Michael Bloomberg"]) is None
    assert detect_agency(body="x", title="Why I left Reuters") is None
    assert detect_agency(body="x", site_name="The Lakeside Post") is None
    assert detect_agency(body="") is None


def test_agency_for_name_and_split_agency() -> None:
    assert agency_for_name("the associated press") == "AP"
    assert agency_for_name("REUTERS") == "Reuters"
    # Short acronyms match only in their own case: "ap" and "Pa" are not agencies.
    assert agency_for_name("ap") is None
    assert agency_for_name("Pa") is None
    assert split_agency("Jane Roe Associated Press") == ("Jane Roe", "AP")
    assert split_agency("Michael Bloomberg") == ("Michael Bloomberg", None)


def test_every_canonical_name_is_its_own_alias() -> None:
    for name, aliases in AGENCY_ALIASES.items():
        assert name in aliases
        assert agency_for_name(name) == name
