"""Process stage: a fetched page becomes an Article (text, title, dates, language, agency).

When the page yields nothing usable (not HTML, a paywall stub, a script-only page) the
feed's own summary is indexed instead, marked ``body_source: feed`` with the reason, so
the article is still searchable.
"""

from __future__ import annotations

import re
from datetime import datetime

import htmldate

from newsdesk.errors import PermanentError
from newsdesk.extract.agency import detect_agency
from newsdesk.extract.article import Extracted, detect_language, extract_article, parse_page
from newsdesk.extract.authors import clean_authors
from newsdesk.extract.dates import DateChoice, choose_dates
from newsdesk.extract.metadata import PageMetadata, parse_datetime, read_page_metadata
from newsdesk.extract.text import decode_html, repair_text
from newsdesk.models import Article, FetchedPage
from newsdesk.urls import host_of

# Reasons for which the feed's summary stands in for the page's text.
FEED_FALLBACK_REASONS = frozenset(
    {"not_html", "extract_empty", "extract_too_short", "extract_error"}
)
# A summary shorter than this is a teaser line, not something worth indexing alone.
MIN_FEED_BODY_CHARS = 80
_DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Za-z\u00c0-\u017f.' -]{1,40}?[A-Z.])"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?\s*(?:\([^)]{1,40}\))?\s*(?:[\u2014\u2013:]|--?)\s"
)


def process_page(page: FetchedPage, html: bytes | None, *, min_body_chars: int) -> Article:
    """Return the Article for a fetched page; raise PermanentError when nothing is usable."""
    if html is None:
        return article_from_feed(page, reason=page.fetch_error or "no_page")
    text = decode_html(html, page.encoding)
    tree = parse_page(text)  # once, for the metadata and the extraction
    meta = read_page_metadata(tree, page.final_url)
    try:
        extracted = extract_article(text, page.final_url, min_body_chars=min_body_chars, tree=tree)
    except PermanentError as exc:
        if exc.reason in FEED_FALLBACK_REASONS and _usable_summary(page):
            return article_from_feed(page, reason=exc.reason, meta=meta)
        raise
    return _article(page, meta, extracted, text)


def article_from_feed(
    page: FetchedPage, *, reason: str, meta: PageMetadata | None = None
) -> Article:
    """Return an Article whose body is the feed entry's summary; raise if there is none."""
    entry = page.entry
    if not _usable_summary(page):
        raise PermanentError(
            f"{page.final_url}: page unusable ({reason}) and the feed has no summary",
            reason=reason,
        )
    meta = meta or PageMetadata()
    body = repair_text(entry.summary or "")
    dates = _structured_dates(page, meta)
    authors = clean_authors(entry.authors)
    agency = detect_agency(body=body, title=entry.title, authors=entry.authors, url=page.final_url)
    return Article(
        url=meta.canonical_url or entry.url,
        title=repair_text(entry.title or meta.title or ""),
        body=body,
        feed_ids=(entry.feed_id,),
        feed_names=(entry.feed_name,),
        source=meta.site_name or entry.feed_name or host_of(page.final_url),
        fetched_at=page.fetched_at,
        published_at=dates.published_at,
        published_at_source=dates.source,
        updated_at=dates.updated_at,
        language=detect_language(body) or meta.language or entry.language,
        authors=authors,
        tags=entry.tags,
        summary=entry.summary,
        link=entry.link,
        final_url=page.final_url,
        redirects=page.redirects,
        body_source="feed",
        body_source_reason=reason,
        agencies=agency.agencies if agency else (),
        agency_evidence=agency.evidence if agency else (),
    )


def _article(page: FetchedPage, meta: PageMetadata, extracted: Extracted, html: str) -> Article:
    entry = page.entry
    dates = _structured_dates(page, meta)
    if dates.source == "fetched":
        # Only now, with no structured date anywhere, are text heuristics worth a try.
        dates = choose_dates(
            fetched_at=page.fetched_at,
            text_date=_text_date(html, page),
            page_modified=meta.modified,
        )
    raw_authors = meta.authors or extracted.authors or entry.authors
    agency = detect_agency(
        body=extracted.body,
        title=extracted.title,
        authors=raw_authors,
        credit_lines=extracted.credits,
        site_name=meta.site_name,
        url=page.final_url,
    )
    agencies = agency.agencies if agency else ()
    # Declared languages are template defaults more often than not; trust the text when
    # there is enough of it, then the page's declaration, then the feed's setting.
    language = extracted.detected_language or meta.language or entry.language
    return Article(
        url=meta.canonical_url or entry.url,
        title=repair_text(extracted.title or entry.title or meta.title or ""),
        body=extracted.body,
        feed_ids=(entry.feed_id,),
        feed_names=(entry.feed_name,),
        source=meta.site_name or extracted.site_name or entry.feed_name or host_of(page.final_url),
        fetched_at=page.fetched_at,
        published_at=dates.published_at,
        published_at_source=dates.source,
        updated_at=dates.updated_at,
        language=language,
        authors=clean_authors(raw_authors, agencies=agencies),
        tags=entry.tags,
        summary=entry.summary or extracted.description,
        link=entry.link,
        final_url=page.final_url,
        redirects=page.redirects,
        agencies=agencies,
        agency_evidence=agency.evidence if agency else (),
        description=meta.description or extracted.description,
        image=meta.image,
        section=meta.section,
        dateline=_dateline(extracted.body),
    )


def _structured_dates(page: FetchedPage, meta: PageMetadata) -> DateChoice:
    """Return the date choice from the feed entry, the page's metadata and the URL."""
    return choose_dates(
        fetched_at=page.fetched_at,
        feed_published=page.entry.published_at,
        feed_updated=page.entry.updated_at,
        page_published=meta.published,
        page_modified=meta.modified,
        url=page.final_url,
    )


def _text_date(html: str, page: FetchedPage) -> datetime | None:
    found = htmldate.find_date(
        html,
        extensive_search=True,
        original_date=True,
        outputformat="%Y-%m-%d",
        max_date=page.fetched_at.strftime("%Y-%m-%d"),
    )
    return parse_datetime(found) if found else None


def _dateline(body: str) -> str | None:
    """Return the place of a wire-style dateline ("GENEVA (AP) —"), title-cased."""
    match = _DATELINE_RE.match(body[:120])
    if not match:
        return None
    place = match["place"].strip(" .")
    return place.title() if place.isupper() else place


def _usable_summary(page: FetchedPage) -> bool:
    return len((page.entry.summary or "").strip()) >= MIN_FEED_BODY_CHARS
