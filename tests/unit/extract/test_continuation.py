import lxml.html
from lxml import etree

from newsdesk.extract.continuation import merge_continuations

PARAGRAPHS = [
    f"Paragraph {n} of the story about the new coastal railway, long enough to be matched "
    "reliably against the page it came from."
    for n in range(1, 7)
]


def _chunk(paragraphs: list[str], css_class: str = "chunk", extra: str = "") -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f'<div class="{css_class}">{extra}<div class="story-body">{text}</div></div>'


def _extracted(paragraphs: list[str]) -> etree._Element:
    return etree.fromstring("<body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body>")


def _page(chunks: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body><main><div>{chunks}</div></main></body></html>")


def _story_text(tree: lxml.html.HtmlElement) -> list[str]:
    return [p.text_content() for p in tree.xpath("//div[@class='story-body']//p")]


def test_sibling_chunks_are_folded_into_the_first() -> None:
    tree = _page(_chunk(PARAGRAPHS[:3]) + _chunk(PARAGRAPHS[3:]))
    assert merge_continuations(tree, _extracted(PARAGRAPHS[:3]))
    assert len(tree.xpath("//div[@class='story-body']")) == 1
    assert _story_text(tree) == PARAGRAPHS


def test_nothing_changes_when_the_extraction_already_has_every_chunk() -> None:
    tree = _page(_chunk(PARAGRAPHS))
    assert not merge_continuations(tree, _extracted(PARAGRAPHS))


def test_a_next_article_with_its_own_headline_is_not_a_chunk() -> None:
    tree = _page(_chunk(PARAGRAPHS[:3]) + _chunk(PARAGRAPHS[3:], extra="<h1>Next story</h1>"))
    assert not merge_continuations(tree, _extracted(PARAGRAPHS[:3]))


def test_containers_without_a_class_are_not_evidence_of_chunks() -> None:
    plain = "".join(
        "<div>" + "".join(f"<p>{p}</p>" for p in part) + "</div>"
        for part in (PARAGRAPHS[:3], PARAGRAPHS[3:])
    )
    tree = lxml.html.fromstring(f"<html><body><div class='page'>{plain}</div></body></html>")
    assert not merge_continuations(tree, _extracted(PARAGRAPHS[:3]))
