"""Main text and title of an article page, extracted with trafilatura and cleaned.

trafilatura runs first in precision mode, which leaves out more of the page's
furniture than its default. Two second opinions cover what that mode gets wrong:

- when the story is split into sibling chunks of identical markup, the chunks are
  merged and the page is extracted again (see ``continuation``);
- when precision mode finds nothing or very little, trafilatura's default mode (with
  its readability and jusText fallbacks) runs too, and the longer text wins.

Then the body is cleaned line by line (see ``body``): headline and standfirst repeats,
newsletter pitches, cross-links, teasers and pull quotes go; credit and caption lines
are kept aside as metadata; mojibake and odd whitespace are repaired.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import py3langid
import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import Document
from trafilatura.utils import load_html

from newsdesk.errors import PermanentError
from newsdesk.extract.body import Body, clean_body
from newsdesk.extract.boilerplate import fingerprint
from newsdesk.extract.continuation import merge_continuations
from newsdesk.extract.text import repair_text

# Language identification on a few hundred characters is unreliable; below this we
# keep the page's or feed's declared language instead.
MIN_CHARS_FOR_LANGUAGE_ID = 200
# Below this, precision mode may have pruned the story itself: ask the default mode.
SECOND_OPINION_BELOW_CHARS = 1000
# Image descriptions shorter than this ("Keyboard", "Photo") also name subheadings.
MIN_CAPTION_WORDS = 4


@dataclass(frozen=True)
class Extracted:
    """Title and main text of a page, plus the few metadata trafilatura adds."""

    title: str | None
    body: str
    site_name: str | None
    authors: tuple[str, ...]
    description: str | None
    detected_language: str | None
    # Lines taken out of the body: reporter and photo credits, image captions.
    credits: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()


def parse_page(html: str) -> HtmlElement | None:
    """Return the page's HTML tree as trafilatura parses it, or None when it is not HTML."""
    tree = load_html(html)
    return tree if isinstance(tree, HtmlElement) else None


def extract_article(
    html: str, url: str, *, min_body_chars: int, tree: HtmlElement | None = None
) -> Extracted:
    """Return the page's title and main text; raise PermanentError when there is no article.

    ``tree`` is the page already parsed by :func:`parse_page`, to save parsing it again;
    it may be changed (split articles are merged in it).
    """
    tree = tree if tree is not None else parse_page(html)
    if tree is None:
        raise PermanentError(f"{url}: not parseable as HTML", reason="extract_empty")
    meta = page_metadata(tree, url)
    alts = _image_alts(tree)
    doc = _extract(tree, url, precision=True)
    body = _clean(doc, url, meta, alts)
    # The tree itself takes the merge: trafilatura works on a copy of what it is given.
    if doc is not None and merge_continuations(tree, doc.body):
        body = _longer(body, _clean(_extract(tree, url, precision=True), url, meta, alts))
    if len(body.text) < SECOND_OPINION_BELOW_CHARS:
        # Precision mode drops whole sections when a page's markup looks like furniture;
        # the default mode (with readability and jusText as fallbacks) is less strict.
        fallback = _extract(tree, url, precision=False)
        body = _longer(body, _clean(fallback, url, meta, alts))
    if not body.paragraphs:
        raise PermanentError(f"{url}: no main text found", reason="extract_empty")
    if len(body.text) < min_body_chars:
        raise PermanentError(
            f"{url}: main text has {len(body.text)} characters, below {min_body_chars}",
            reason="extract_too_short",
        )
    authors = tuple(a.strip() for a in (meta.author or "").split(";") if a.strip())
    return Extracted(
        title=_title(meta),
        body=body.text,
        site_name=meta.sitename or None,
        authors=authors,
        description=meta.description or None,
        detected_language=detect_language(body.text),
        credits=body.credits,
        captions=body.captions,
    )


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of the text's language, or None when it is too short."""
    if len(text) < MIN_CHARS_FOR_LANGUAGE_ID:
        return None
    code, _score = py3langid.classify(text[:5_000])
    return str(code)


def page_metadata(tree: HtmlElement, url: str) -> Document:
    """Return trafilatura's title, description, site name and authors for the page.

    This is ``trafilatura.metadata.extract_metadata`` without the parts Newsdesk takes
    elsewhere (dates, categories, tags, licence), which cost as much as the rest.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a single word in <meta name=author> is a handle or a site
    # Broken JSON-LD is common; the <meta> tags still count.
    with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    site = (meta.sitename or extract_sitename(tree) or "").lstrip("@")
    if site and "." not in site and not site[0].isupper():
        site = site.title()  # a Twitter handle or a lower-case brand: "nj" -> "Nj"
    meta.sitename = site or _host(url)
    meta.clean_and_trim()
    return meta


def _extract(tree: HtmlElement, url: str, *, precision: bool) -> Document | None:
    """Return trafilatura's document for the tree (left unchanged), or None when it finds none."""
    try:
        doc = trafilatura.bare_extraction(
            tree,
            # No base URL: trafilatura would resolve every link against it (≈ 6 % of
            # process_page), and the teaser test reads relative links as internal anyway.
            url=None,
            favor_precision=precision,
            # Precision mode runs alone; the default mode brings readability and jusText.
            fast=precision,
            include_comments=False,
            include_tables=True,
            include_images=False,
            # Links stay in the tree so that teaser lines can be told by their link share.
            include_links=True,
            deduplicate=False,
        )
    except (ValueError, TypeError, RecursionError) as exc:
        raise PermanentError(f"{url}: extraction crashed: {exc!r}", reason="extract_error") from exc
    return doc if isinstance(doc, Document) and doc.body is not None else None


def _clean(doc: Document | None, url: str, meta: Document, alts: frozenset[str]) -> Body:
    if doc is None:
        return Body(())
    return clean_body(
        doc.body, url=url, title=meta.title, description=meta.description, image_alts=alts
    )


def _image_alts(tree: HtmlElement) -> frozenset[str]:
    """Return fingerprints of the page's image descriptions long enough to be captions."""
    alts = (fingerprint(alt) for alt in tree.xpath("//img/@alt"))
    return frozenset(alt for alt in alts if alt.count(" ") + 1 >= MIN_CAPTION_WORDS)


def _host(url: str) -> str | None:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def _longer(first: Body, second: Body) -> Body:
    """Return the second opinion only when it holds more text than the first."""
    return second if len(second.text) > len(first.text) else first


def _title(meta: Document) -> str | None:
    title = repair_text(meta.title or "")
    return " ".join(title.split()) or None
