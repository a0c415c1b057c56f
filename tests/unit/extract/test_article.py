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
