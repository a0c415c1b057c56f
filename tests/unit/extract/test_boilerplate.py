import pytest

from newsdesk.extract.boilerplate import Verdict, fingerprint, is_credit, repeats, verdict


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for our morning newsletter and get the day's news in your inbox.",
        "Get the latest updates right in your inbox.",
        "Weekend Briefing Newsletter",
        "Follow the Valley Post on Instagram and Facebook.",
        "She writes about transport. Follow her on Twitter @example.",
        "Click here to read the full report.",
        "Like this story? Share it with a friend!",
        "Download the Brindle Times app for breaking news.",
        "You may also like...",
        "DON'T MISS",
        "Advertisement",
        "Comments",
        "Have a tip? Write to the newsroom.",
    ],
)
def test_reader_pitches_are_prompts(line: str) -> None:
    assert verdict(line) is Verdict.PROMPT


@pytest.mark.parametrize(
    "line",
    [
        "Read more: New ferry timetable starts in May",
        "Related: Five things to know about the budget",
        "Related coverage: the long road to a new bridge",
        "SEE MORE: Floods close the coast road",
        "Filed under: Transport |",
        "Tags: ferries, harbour, council",
    ],
)
def test_labelled_links_elsewhere_are_cross_links(line: str) -> None:
    assert verdict(line) is Verdict.CROSS_LINK


@pytest.mark.parametrize(
    "line",
    [
        "(Reporting by Jane Roe; Editing by John Doe)",
        "Reporting by Jane Roe; additional reporting by Sam Poe",
        "Photo: Jane Roe/Valley Post",
        "© Brindle Times 2024",
    ],
)
def test_sign_offs_and_picture_credits_are_credits(line: str) -> None:
    assert verdict(line) is Verdict.CREDIT


@pytest.mark.parametrize(
    "line",
    [
        # Story sentences that mention the same words but are about someone else.
        "More than 40,000 readers subscribe to the council's printed newsletter, officials said.",
        "The company will let users sign up with an email address from next month.",
        "Reporting by the Guardian showed that the contract had never been put out to tender.",
        "Copyright law was last reformed in 1988.",
        "Don't miss the deadline, the tax office warned on Friday.",
        "He declined to share it with reporters.",
        "Nothing like this story has happened in the valley before.",
        "Investigators said the suspect had posted the photos on Facebook.",
    ],
)
def test_story_sentences_are_kept(line: str) -> None:
    assert verdict(line) is None


def test_a_linked_headline_to_the_same_site_is_a_teaser_but_a_linked_sentence_is_not() -> None:
    assert verdict("Library reopens after flood repairs", site_link_share=1.0) is Verdict.TEASER
    assert verdict("Could the tunnel be finished by 2030?", site_link_share=0.8) is Verdict.TEASER
    assert verdict("The library reopened on Monday.", site_link_share=1.0) is None
    assert verdict("Library reopens after flood repairs", site_link_share=0.2) is None


def test_long_paragraphs_are_never_furniture() -> None:
    long_line = "Sign up for the newsletter, the mayor joked, " + "and the hall laughed. " * 20
    assert verdict(long_line) is None


def test_credit_shapes() -> None:
    assert is_credit("Reporting by Jane Roe")
    assert not is_credit("Photos: the council published them on Monday.")


def test_fingerprints_ignore_case_accents_and_punctuation() -> None:
    assert fingerprint("Café “Olé” — OPEN!") == "cafe ole open"


def test_repeats_accepts_the_headline_inside_a_longer_title() -> None:
    assert repeats("Is Football Violence a Crime?", "Opinion | Is Football Violence a Crime?")
    assert repeats("Ferry fares frozen", "Ferry fares frozen | Brindle Times")
    assert not repeats("Ferry", "Ferry fares frozen | Brindle Times")  # too short to tell
    assert not repeats("Ferry fares frozen", None)


def test_a_sentence_opening_with_more_is_not_a_label() -> None:
    assert verdict("More \u2014 and better paid \u2014 jobs are coming, the minister said") is None
    assert verdict("More: Ferry timetable for the winter") is Verdict.CROSS_LINK
