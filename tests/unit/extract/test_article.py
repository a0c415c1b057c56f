import pytest

from newsdesk.errors import PermanentError
from newsdesk.extract.article import detect_language, extract_article

STORY = [
    "The Brindle County water board approved a plan on Tuesday to replace forty kilometres "
    "of ageing pipes, ending a dispute that had stalled repairs for almost two years.",
    "Board chair Marta Olsen said the first crews would start in the northern districts, "
    "where leaks have cost the county an estimated third of its treated water.",
    "Residents who spoke at the meeting asked for clear notice before their streets are dug "
    "up, and the board agreed to publish a weekly map of the works on its website.",
]
PAGE = f"""<html lang="en"><head><title>Water board backs pipe plan</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Water board backs pipe plan</h1>
{"".join(f"<p>{p}</p>" for p in STORY)}
</article>
<aside><h2>Most popular</h2><ul><li><a href="/1">Cat rescued from roof</a></li></ul></aside>
<footer>Copyright Brindle Times</footer></body></html>"""


def test_extracts_paragraphs_without_the_headline_or_menus() -> None:
    got = extract_article(PAGE, "https://brindle.example/water", min_body_chars=100)
    assert got.title == "Water board backs pipe plan"
    assert got.body.split("\n\n") == STORY
    assert "Most popular" not in got.body
    assert got.detected_language == "en"


def test_empty_page_is_a_permanent_error_with_a_reason() -> None:
    with pytest.raises(PermanentError) as info:
        extract_article(
            "<html><body><nav>Home</nav></body></html>", "https://x.example/", min_body_chars=100
        )
    assert info.value.reason in {"extract_empty", "extract_too_short"}


def test_short_text_is_rejected() -> None:
    page = "<html><body><article><p>Only a line of text here.</p></article></body></html>"
    with pytest.raises(PermanentError) as info:
        extract_article(page, "https://x.example/", min_body_chars=500)
    assert "x.example" in str(info.value)


def test_language_detection_needs_enough_text() -> None:
    assert detect_language("Bonjour") is None
    french = (
        "Le conseil municipal a voté hier soir la rénovation complète de la piscine "
        "couverte, fermée depuis trois ans, pour un montant de quatre millions d'euros. "
    ) * 3
    assert detect_language(french) == "fr"


FERRY = [
    "The harbour council voted on Monday to freeze ferry fares until next autumn, after a "
    "year in which ticket prices rose twice and passenger numbers fell by a fifth.",
    "Councillor Ada Brennan said the freeze would cost the ferry company about two hundred "
    "thousand pounds, which the council will cover from its transport reserve.",
    "Commuters who spoke at the meeting welcomed the decision but asked for the evening "
    "crossings, cut last winter, to be restored before the tourist season begins.",
]
FERRY_PAGE = f"""<html lang="en"><head>
<title>Harbour ferry fares frozen for a year | Brindle Times</title>
<meta name="description" content="The council will cover the cost from its transport reserve.">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>Harbour ferry fares frozen for a year</h1>
<h2>The council will cover the cost from its transport reserve.</h2>
<p>{FERRY[0]}</p>
<p>Read more: <a href="/news/ferry-timetable">New ferry timetable starts in May</a></p>
<p>{FERRY[1]}</p>
<p>Sign up for our morning newsletter and get the day's news in your inbox.</p>
<p>{FERRY[2]}</p>
<p>(Reporting by Jane Roe; Editing by John Doe)</p>
</article>
<footer>Copyright Brindle Times</footer></body></html>"""


def test_headline_standfirst_and_furniture_leave_the_body_and_credits_are_kept() -> None:
    got = extract_article(FERRY_PAGE, "https://brindle.example/news/ferry", min_body_chars=100)
    assert got.title == "Harbour ferry fares frozen for a year"
    assert got.body.split("\n\n") == FERRY
    assert got.credits == ("(Reporting by Jane Roe; Editing by John Doe)",)


def test_a_lede_copied_into_the_meta_description_stays_in_the_body() -> None:
    standfirst = "The council will cover the cost from its transport reserve."
    page = FERRY_PAGE.replace(f"<h2>{standfirst}</h2>", "").replace(standfirst, FERRY[0])
    got = extract_article(page, "https://brindle.example/news/ferry", min_body_chars=100)
    assert got.description == FERRY[0]
    assert got.body.split("\n\n") == FERRY


TRAINS = [
    "The regional rail operator announced on Thursday that it would replace its entire fleet "
    "of diesel trains on the coastal line with battery units by the end of 2027.",
    "The first twelve trains, built at the operator's own works in the valley, will enter "
    "service next spring on the short branch between the port and the university.",
    "Engineers said the batteries would be charged at the two terminal stations, where "
    "overhead wires already exist, so that no new electrification would be needed.",
    "Passenger groups welcomed the plan but warned that the line's single-track sections, "
    "not its trains, were the real cause of the delays that commuters face daily.",
    "The operator said it was talking to the national rail agency about passing loops, and "
    "that a decision on funding would follow the spending review in the autumn.",
    "Unions said they had been consulted and that no jobs would be lost, since drivers "
    "would be trained on the new units during the two-year changeover period.",
]


def _chunk(paragraphs: list[str]) -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f'<div class="chunk"><div class="story-body">{text}</div><aside>Advert</aside></div>'


def test_a_story_split_into_sibling_chunks_is_extracted_whole() -> None:
    page = f"""<html lang="en"><head><title>Battery trains for the coast</title></head><body>
    <header><a href="/">Valley Post</a></header>
    <main><h1>Battery trains for the coast</h1><div class="chunks">
    {_chunk(TRAINS[:3])}{_chunk(TRAINS[3:])}
    </div></main><footer>Valley Post</footer></body></html>"""
    got = extract_article(page, "https://valley.example/news/trains", min_body_chars=100)
    assert got.body.split("\n\n") == TRAINS


def test_mojibake_and_odd_spaces_are_repaired() -> None:
    garbled = [p.replace("café", "cafÃ©").replace(" the ", " the\u00a0\u00a0") for p in CAFE]
    page = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in garbled) + "</article>"
    got = extract_article(page + "</body></html>", "https://x.example/cafe", min_body_chars=100)
    assert got.body.split("\n\n") == CAFE


CAFE = [
    "The café on the quay will close for the winter on Sunday, its owners said, after "
    "storms twice flooded the kitchen and the insurer raised its premium.",
    "Regulars have started a collection to help the café reopen in March, and the harbour "
    "trust has offered a rent holiday for the first three months of the new lease.",
]
