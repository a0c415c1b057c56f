"""Process stage: a fetched page becomes an Article (text, title, dates, language, source)."""

from __future__ import annotations

from newsdesk.extract.article import extract_article
from newsdesk.extract.dates import choose_published_at
from newsdesk.extract.metadata import read_page_metadata
from newsdesk.models import Article, FetchedPage
from newsdesk.urls import host_of


def process_page(page: FetchedPage, html: bytes, *, min_body_chars: int) -> Article:
    """Return the Article built from a fetched page; raise PermanentError when it has no text."""
    entry = page.entry
    meta = read_page_metadata(html, page.final_url)
    extracted = extract_article(
        html.decode(page.encoding or "utf-8", errors="replace") if page.encoding else _sniff(html),
        page.final_url,
        min_body_chars=min_body_chars,
    )
    published_at, published_source = choose_published_at(
        entry.published_at, meta.published, page.fetched_at
    )
    updated_at = entry.updated_at or (meta.modified[0][1] if meta.modified else None)
    # Declared languages are template defaults more often than not; trust the text when
    # there is enough of it, then the page's declaration, then the feed's setting.
    language = extracted.detected_language or meta.language or entry.language
    return Article(
        url=meta.canonical_url or entry.url,
        title=extracted.title or entry.title or meta.title or "",
        body=extracted.body,
        feed_ids=(entry.feed_id,),
        feed_names=(entry.feed_name,),
        source=meta.site_name or extracted.site_name or host_of(page.final_url),
        fetched_at=page.fetched_at,
        published_at=published_at,
        published_at_source=published_source,
        updated_at=updated_at if updated_at and updated_at >= published_at else None,
        language=language,
        authors=meta.authors or extracted.authors or entry.authors,
        tags=entry.tags,
        summary=entry.summary or extracted.description,
        link=entry.link,
        final_url=page.final_url,
        redirects=page.redirects,
    )


def _sniff(html: bytes) -> str:
    """Decode a page whose server declared no charset, trusting a BOM or <meta charset>."""
    head = html[:4096].lower()
    for marker in (b'charset="', b"charset='", b"charset="):
        start = head.find(marker)
        if start >= 0:
            rest = head[start + len(marker) :]
            name = rest.split(b'"')[0].split(b"'")[0].split(b";")[0].split(b">")[0].strip()
            try:
                return html.decode(name.decode("ascii"), errors="replace")
            except (LookupError, UnicodeDecodeError):
                break
    return html.decode("utf-8", errors="replace")
