"""From trafilatura's body tree to the article's paragraphs, with the page's furniture set aside.

trafilatura returns its own XML (``<p>``, ``<head>``, ``<list><item>``, ``<quote>``,
``<ref target>``...). Working on that tree rather than on the flattened text keeps two
facts that plain text loses: which lines are headings and how much of a line is a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree
from trafilatura.xml import xmltotxt

from newsdesk.extract.boilerplate import Verdict, ends_with_full_stop, fingerprint, repeats, verdict
from newsdesk.extract.text import repair_text
from newsdesk.urls import same_site

# Headings and kickers above the first paragraph are where headline and standfirst
# repeats sit; a line this short before the headline is a kicker or a breadcrumb.
MAX_KICKER_WORDS = 6
# Pull quotes repeat a sentence of the story a few paragraphs away; shorter excerpts
# ("Also at Walmart") are too common to be evidence.
MIN_REPEAT_CHARS = 60
PULL_QUOTE_WINDOW = 3
_SPACES_RE = re.compile(r"\s+")
_INLINE_TAGS = frozenset({"ref", "hi"})
_CLAUSE_END_RE = re.compile(r"[.!?:]$")
_CONTINUES_RE = re.compile(r"\s*[,;:.)\]\u2019\u201d]|\s*[a-z]")
_SENTENCE_END_RE = re.compile(r"[.!?:\u2026][\"'\u201d\u2019)\]]*$")


@dataclass(frozen=True)
class Body:
    """The story's paragraphs, the credit and caption lines taken out of them, and why each
    other removed line went, as (reason, line) pairs."""

    paragraphs: tuple[str, ...]
    credits: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    removed: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        """Return the paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)


def clean_body(
    body: etree._Element,
    *,
    url: str,
    title: str | None,
    description: str | None,
    image_alts: frozenset[str] = frozenset(),
) -> Body:
    """Return the body's paragraphs without repeated headline, furniture and pull quotes.

    ``image_alts`` holds fingerprints of the page's image descriptions: a line that
    repeats one is that image's caption. The tree is modified in place.
    """
    credits: list[str] = []
    captions: list[str] = []
    removed: list[tuple[str, str]] = []
    kickers: list[tuple[etree._Element, str]] = []
    story_started = False
    _rejoin_split_sentences(body)
    for teasers in [child for child in body if child.tag == "list" and _is_teaser_list(child, url)]:
        removed.extend((Verdict.TEASER.value, _text(item)) for item in teasers.iter("item"))
        _remove(teasers)
    for block in list(_blocks(body)):
        text = _text(block)
        if not text:
            continue
        reason: str | None = None
        if not story_started and _repeats_heading(block, text, title, description):
            reason = "headline"
            # Whatever short lines sat above the repeated headline were page chrome.
            for kicker, kicker_text in kickers:
                _remove(kicker)
                removed.append(("kicker", kicker_text))
            kickers.clear()
        elif fingerprint(text) in image_alts:
            reason = "caption"
            captions.append(text)
        elif found := verdict(text, site_link_share=_site_link_share(block, url, len(text))):
            reason = found.value
            if found is Verdict.CREDIT:
                credits.append(text)
        elif not story_started:
            if block.tag != "head" and len(text.split()) > MAX_KICKER_WORDS:
                story_started = True
            else:
                kickers.append((block, text))
        if reason:
            _remove(block)
            removed.append((reason, text))
    _drop_trailing_headings(body, removed)
    etree.strip_tags(body, "ref")
    headings = {fingerprint(_text(heading)) for heading in body.iter("head")}
    lines = repair_text(xmltotxt(body, include_formatting=False)).split("\n")
    paragraphs, repeated = _without_repeats(_rejoin_wrapped_lines(lines, headings))
    removed.extend(("repeat", line) for line in repeated)
    return Body(tuple(paragraphs), tuple(credits), tuple(captions), tuple(removed))


def _blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Yield the body's paragraphs, headings and quotes, and each item of its lists."""
    for child in container:
        if child.tag == "list":
            yield from child.iter("item")
        elif child.tag == "div":
            yield from _blocks(child)
        else:
            yield child


def _rejoin_split_sentences(container: etree._Element) -> None:
    """Put links and emphasis that ended up between paragraphs back into their sentence.

    The readability fallback turns a ``<div>`` of text runs into paragraphs and cuts
    them at each inline element: "<p>... will </p><ref>move</ref><p>, including ...</p>".
    """
    for element in list(container):
        if element.tag == "div":
            _rejoin_split_sentences(element)
            continue
        if element.tag not in _INLINE_TAGS or element.getparent() is not container:
            continue
        previous = element.getprevious()
        if previous is None or previous.tag != "p" or _CLAUSE_END_RE.search(_text(previous)):
            continue
        previous.append(element)
        following = previous.getnext()
        if (
            following is not None
            and following.tag == "p"
            and _CONTINUES_RE.match(following.text or "")
        ):
            element.tail = (element.tail or "") + (following.text or "")
            previous.extend(list(following))
            container.remove(following)


def _text(element: etree._Element) -> str:
    return _SPACES_RE.sub(" ", " ".join(element.itertext())).strip()


def _repeats_heading(
    block: etree._Element, text: str, title: str | None, description: str | None
) -> bool:
    # A paragraph equal to the description is usually the lede itself (sites copy it
    # into <meta name=description>), so only a heading counts as a standfirst repeat.
    if repeats(text, title):
        return True
    return block.tag == "head" and repeats(text, description)


def _is_teaser_list(element: etree._Element, url: str) -> bool:
    """Return True for a list of headlines, each linking to another page of the site."""
    items = [item for item in element.iter("item") if _text(item)]
    return bool(items) and all(
        _site_link_share(item, url, len(_text(item))) > 0 and not ends_with_full_stop(_text(item))
        for item in items
    )


def _site_link_share(block: etree._Element, url: str, text_chars: int) -> float:
    """Return the share of the block's text that links to the page's own site."""
    linked = 0
    for ref in block.iter("ref"):
        target = ref.get("target")
        if not target:
            continue  # an anchor without a target leads nowhere
        scheme = target.partition(":")[0].lower() if ":" in target.split("/", 1)[0] else ""
        try:
            # Relative links stay on the site; mailto:, tel: and the like are contacts.
            internal = not scheme or (scheme in ("http", "https") and same_site(target, url))
        except ValueError:
            internal = False  # a malformed href is nobody's teaser
        if internal:
            linked += len(_text(ref))
    return linked / text_chars if text_chars else 0.0


def _remove(element: etree._Element) -> None:
    """Detach the element but keep its tail text, which belongs to the parent's flow."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _drop_trailing_headings(body: etree._Element, removed: list[tuple[str, str]]) -> None:
    # Once a "Related" box below it is gone, its heading is left heading nothing.
    while len(body) and body[-1].tag == "head" and not (body[-1].tail or "").strip():
        removed.append(("trailing_heading", _text(body[-1])))
        body.remove(body[-1])


def _rejoin_wrapped_lines(lines: Iterable[str], headings: set[str]) -> list[str]:
    """Join lines that continue the previous one's sentence into one paragraph.

    Old CMSes hard-wrap text with ``<br>`` and some pages cut a sentence at each link,
    so a line that starts in lower case after one that ends mid-sentence is a fragment.
    Headings end without punctuation too ("Apple results" above "iPhone sales rose"),
    so a line never joins a heading.
    """
    joined: list[str] = []
    for line in filter(None, lines):
        if (
            joined
            and _CONTINUES_RE.match(line)
            and not _SENTENCE_END_RE.search(joined[-1])
            and fingerprint(joined[-1]) not in headings
        ):
            glue = "" if line[0] in ",;:.)]\u2019\u201d" else " "
            joined[-1] = f"{joined[-1]}{glue}{line}"
        else:
            joined.append(line)
    return joined


def _without_repeats(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split lines into those kept and pull quotes: excerpts of a longer line close by."""
    prints = [f" {fingerprint(line)} " for line in lines]
    kept: list[str] = []
    dropped: list[str] = []
    for i, (line, mark) in enumerate(zip(lines, prints, strict=True)):
        # Interviews and recipes repeat whole lines on purpose, so only an excerpt of a
        # neighbouring paragraph counts, which is how layouts place pull quotes.
        nearby = prints[max(0, i - PULL_QUOTE_WINDOW) : i + PULL_QUOTE_WINDOW + 1]
        if len(mark) >= MIN_REPEAT_CHARS and any(
            len(other) > len(mark) and mark in other for other in nearby
        ):
            dropped.append(line)
        else:
            kept.append(line)
    return kept, dropped
