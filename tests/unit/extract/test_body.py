from lxml import etree

from newsdesk.extract.body import clean_body
from newsdesk.extract.boilerplate import fingerprint

URL = "https://brindle.example/news/ferry"
LEDE = (
    "The harbour council voted on Monday to freeze ferry fares until next autumn, after a "
    "year in which ticket prices rose twice."
)
SECOND = (
    "Councillor Ada Brennan said the freeze would cost the ferry company about two hundred "
    "thousand pounds, paid from the transport reserve."
)


def _options(**kwargs: object) -> dict:
    return {"url": URL, "title": "Ferry fares frozen", "description": None, **kwargs}


def _clean(xml: str, **kwargs: object) -> list[str]:
    body = etree.fromstring(f"<body>{xml}</body>")
    return list(clean_body(body, **_options(**kwargs)).paragraphs)


def test_paragraphs_are_separated_by_blank_lines() -> None:
    body = etree.fromstring(f"<body><p>{LEDE}</p><p>{SECOND}</p></body>")
    got = clean_body(body, url=URL, title=None, description=None)
    assert got.text == f"{LEDE}\n\n{SECOND}"


def test_kicker_and_repeated_headline_above_the_story_go_with_their_reasons() -> None:
    xml = f'<p>Transport</p><head rend="h1">Ferry fares frozen</head><p>{LEDE}</p>'
    got = clean_body(etree.fromstring(f"<body>{xml}</body>"), **_options())
    assert got.paragraphs == (LEDE,)
    assert got.removed == (("kicker", "Transport"), ("headline", "Ferry fares frozen"))


def test_a_heading_repeating_the_description_is_a_standfirst() -> None:
    standfirst = "The council will pay for the freeze from its transport reserve"
    xml = f'<head rend="h2">{standfirst}</head><p>{LEDE}</p>'
    assert _clean(xml, description=standfirst) == [LEDE]


def test_a_list_of_headlines_linking_to_the_site_is_a_teaser_box() -> None:
    xml = (
        f"<p>{LEDE}</p><head>More from Brindle Times</head><list>"
        '<item><ref target="https://brindle.example/a">Library reopens after repairs</ref></item>'
        '<item>Could the tunnel open in 2030? <ref target="/b">Engineers doubt it</ref></item>'
        "</list>"
    )
    assert _clean(xml) == [LEDE]


def test_a_list_linking_out_or_made_of_sentences_stays() -> None:
    out = (
        f"<p>{LEDE}</p><list>"
        '<item><ref target="https://elsewhere.example/report">Full council report</ref></item>'
        "</list>"
    )
    assert _clean(out) == [LEDE, "- Full council report"]


def test_a_pull_quote_repeating_a_nearby_sentence_goes() -> None:
    quote = "the freeze would cost the ferry company about two hundred thousand pounds"
    xml = f"<p>{LEDE}</p><quote>{quote}</quote><p>{SECOND}</p>"
    assert _clean(xml) == [LEDE, SECOND]


def test_a_line_repeating_an_image_description_is_a_caption() -> None:
    caption = "Passengers queue for the morning ferry at the harbour"
    body = etree.fromstring(f"<body><p>{LEDE}</p><p>{caption}</p><p>{SECOND}</p></body>")
    got = clean_body(
        body, url=URL, title=None, description=None, image_alts=frozenset({fingerprint(caption)})
    )
    assert got.paragraphs == (LEDE, SECOND)
    assert got.captions == (caption,)


def test_links_cut_out_of_their_sentence_are_put_back() -> None:
    xml = (
        "<p>The council will </p><ref target='/x'>freeze ferry fares</ref>"
        "<p>, its leader said on Monday.</p>"
    )
    assert _clean(xml) == ["The council will freeze ferry fares, its leader said on Monday."]


def test_hard_wrapped_lines_are_joined_into_their_paragraph() -> None:
    xml = f"<p>The harbour council voted<lb/>on Monday to freeze fares.<lb/>{SECOND}</p>"
    assert _clean(xml) == ["The harbour council voted on Monday to freeze fares.", SECOND]


def test_a_heading_is_never_joined_to_the_paragraph_below() -> None:
    xml = '<head rend="h2">Apple results</head><p>iPhone sales rose by a tenth in the quarter.</p>'
    assert _clean(xml, title=None) == [
        "Apple results",
        "iPhone sales rose by a tenth in the quarter.",
    ]
