"""Articles whose text the page splits into several sibling containers.

Some layouts cut the story into chunks of identical markup with ad slots or pull
quotes between them (``<div class="body-chunk">`` x 3). Extractors pick the best single
container and so stop after the first chunk. Here the container of the last extracted
paragraph is found in the page, and later siblings of the same kind that hold more
paragraph text are folded into it, so a second extraction sees the whole story.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement

from newsdesk.extract.boilerplate import fingerprint

# How far above the paragraph's own container the repeated chunk may sit.
MAX_CHUNK_DEPTH = 5
# Continuations must add at least this much paragraph text to be worth a second pass.
MIN_CONTINUATION_CHARS = 200
# Paragraphs are matched on their first words; shorter ones are too ambiguous.
MIN_ANCHOR_CHARS = 60
ANCHOR_PREFIX_CHARS = 80
# Above these the sibling is the page's layout or a next article, not a chunk.
_LAYOUT_TAGS = frozenset({"html", "body", "main", "article"})


def merge_continuations(tree: HtmlElement, extracted: etree._Element) -> bool:
    """Fold sibling chunks continuing the extracted text into its container; True if any."""
    anchor = _anchor(tree, extracted)
    if anchor is None:
        return False
    box = anchor.getparent()
    if box is None:
        return False
    level: HtmlElement | None = box
    for _ in range(MAX_CHUNK_DEPTH):
        if level is None or level.tag in _LAYOUT_TAGS:
            return False
        chunks = _continuations(level, box)
        if sum(_paragraph_chars(chunk) for chunk in chunks) >= MIN_CONTINUATION_CHARS:
            # Extractors pick one container, so the chunks' text has to move into it;
            # what else a chunk holds (its ad slot, its rail) is left behind with it.
            for chunk in chunks:
                for part in _boxes_like(chunk, box):
                    box.extend(list(part))
                chunk.drop_tree()
            return True
        level = level.getparent()
    return False


def _anchor(tree: HtmlElement, extracted: etree._Element) -> HtmlElement | None:
    """Return the page's <p> that the last substantial extracted paragraph came from."""
    last = None
    for paragraph in extracted.iter("p"):
        text = " ".join(paragraph.itertext())
        if len(text) >= MIN_ANCHOR_CHARS:
            last = text
    if last is None:
        return None
    key = fingerprint(last)[:ANCHOR_PREFIX_CHARS]
    for candidate in tree.iter("p"):
        text = candidate.text_content()
        if len(text) >= MIN_ANCHOR_CHARS and fingerprint(text)[:ANCHOR_PREFIX_CHARS] == key:
            return candidate
    return None


def _continuations(level: HtmlElement, box: HtmlElement) -> list[HtmlElement]:
    """Return later siblings built like ``level`` that hold a container like ``box``."""
    css_class = level.get("class")
    if not css_class:
        return []  # bare <div>s are everywhere; only a named chunk class is evidence
    found = []
    for sibling in level.itersiblings():
        if sibling.tag != level.tag or sibling.get("class") != css_class:
            continue
        # A next article brings its own headline; a chunk of this one does not.
        if sibling.find(".//h1") is not None or sibling.find(".//article") is not None:
            continue
        if _boxes_like(sibling, box):
            found.append(sibling)
    return found


def _boxes_like(chunk: HtmlElement, box: HtmlElement) -> list[HtmlElement]:
    """Return the chunk's outermost containers built like ``box`` (the chunk itself, maybe)."""
    css_class = box.get("class")
    found: list[HtmlElement] = []
    for element in chunk.iter(box.tag):
        if element.get("class") == css_class and not any(
            ancestor in found for ancestor in element.iterancestors()
        ):
            found.append(element)
    return found


def _paragraph_chars(element: HtmlElement) -> int:
    return sum(len(paragraph.text_content()) for paragraph in element.iter("p"))
