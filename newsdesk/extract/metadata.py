"""Structured page metadata: canonical URL, site name, declared language, dates, authors.

Only machine-readable sources are read here (``<link>``, ``<meta>``, JSON-LD,
``<html lang>``, ``<time>`` in the article header), never the body text: a date
or name in a caption says nothing about the article itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from newsdesk.urls import canonicalize_url, same_site

PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
)
MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
ARTICLE_JSONLD_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "webpage",
}


@dataclass(frozen=True)
class PageMetadata:
    """Machine-readable facts a page declares about itself."""

    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    description: str | None = None
    image: str | None = None
    section: str | None = None
    # (source, datetime) pairs in page order: source is "jsonld", "meta" or "time_tag".
    published: tuple[tuple[str, datetime], ...] = ()
    modified: tuple[tuple[str, datetime], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def read_page_metadata(html: str | bytes | HtmlElement | None, page_url: str) -> PageMetadata:
    """Return the metadata declared in a page's head and JSON-LD (empty when unparseable).

    Takes the page's HTML, or the tree already parsed from it (left unchanged).
    """
    if html is None:
        return PageMetadata()
    if isinstance(html, HtmlElement):
        tree = html
    else:
        try:
            tree = lxml.html.fromstring(html)
        except (etree.ParserError, ValueError):
            return PageMetadata()
    metas = _meta_map(tree)
    jsonld = list(_jsonld_articles(tree))
    published: list[tuple[str, datetime]] = []
    modified: list[tuple[str, datetime]] = []
    authors: list[str] = []
    for obj in jsonld:
        _append_date(published, "jsonld", obj.get("datePublished"))
        _append_date(modified, "jsonld", obj.get("dateModified"))
        authors.extend(_jsonld_names(obj.get("author")))
    for name in PUBLISHED_META:
        _append_date(published, "meta", metas.get(name))
    for name in MODIFIED_META:
        _append_date(modified, "meta", metas.get(name))
    # <time datetime> counts only inside the article header, not in captions or lists.
    for node in tree.xpath(
        "//article//header//time[@datetime] | //header[contains(@class,'article')]//time[@datetime]"
    ):
        _append_date(published, "time_tag", node.get("datetime"))
    if not authors and metas.get("author"):
        authors.append(metas["author"])
    return PageMetadata(
        canonical_url=_canonical(tree, metas, page_url),
        site_name=metas.get("og:site_name") or _jsonld_publisher(jsonld),
        language=_language(tree, metas),
        title=metas.get("og:title") or _first_text(tree, "//title"),
        authors=tuple(dict.fromkeys(a.strip() for a in authors if a and a.strip())),
        published=tuple(published),
        modified=tuple(modified),
        description=metas.get("og:description") or metas.get("description"),
        image=_absolute(page_url, metas.get("og:image") or metas.get("twitter:image")),
        section=metas.get("article:section") or _jsonld_text(jsonld, "articleSection"),
    )


def parse_datetime(value: Any) -> datetime | None:
    """Return an aware UTC datetime from an ISO-8601 string (naive values taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _append_date(out: list[tuple[str, datetime]], source: str, value: Any) -> None:
    parsed = parse_datetime(value)
    if parsed is not None:
        out.append((source, parsed))


def _meta_map(tree: Any) -> dict[str, str]:
    metas: dict[str, str] = {}
    for node in tree.xpath("//meta[@content]"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        content = (node.get("content") or "").strip()
        if key and content and key not in metas:
            metas[key] = content
    return metas


def _jsonld_articles(tree: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue  # broken JSON-LD is common; the other sources still count
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if not isinstance(obj, dict):
                continue
            stack.extend(obj.get("@graph", []) if isinstance(obj.get("@graph"), list) else [])
            types = obj.get("@type", [])
            types = types if isinstance(types, list) else [types]
            if any(str(t).lower() in ARTICLE_JSONLD_TYPES for t in types):
                found.append(obj)
    return found


def _jsonld_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
        elif isinstance(item, str):
            names.append(item)
    return names


def _jsonld_text(jsonld: list[dict[str, Any]], key: str) -> str | None:
    for obj in jsonld:
        value = obj.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _absolute(page_url: str, value: str | None) -> str | None:
    if not value:
        return None
    absolute = urljoin(page_url, value.strip())
    return absolute if absolute.startswith(("http://", "https://")) else None


def _jsonld_publisher(jsonld: list[dict[str, Any]]) -> str | None:
    for obj in jsonld:
        names = _jsonld_names(obj.get("publisher"))
        if names:
            return names[0]
    return None


def _canonical(tree: Any, metas: dict[str, str], page_url: str) -> str | None:
    """Prefer rel=canonical, then og:url, but only when it stays on the page's own site."""
    candidates = [n.get("href") for n in tree.xpath("//link[@rel='canonical'][@href]")]
    candidates.append(metas.get("og:url"))
    for candidate in candidates:
        if not candidate:
            continue
        absolute = urljoin(page_url, candidate.strip())
        try:
            canonical = canonicalize_url(absolute)
        except ValueError:
            continue
        # A canonical on another host is a syndication partner or a mistake, not this page.
        if same_site(canonical, page_url):
            return canonical
    return None


def _language(tree: Any, metas: dict[str, str]) -> str | None:
    for value in (
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        metas.get("og:locale"),
        metas.get("content-language"),
        metas.get("language"),
    ):
        if value:
            code = value.strip().replace("_", "-").split("-")[0].lower()
            if 2 <= len(code) <= 3 and code.isalpha():
                return code
    return None


def _first_text(tree: Any, xpath: str) -> str | None:
    nodes = tree.xpath(xpath)
    if nodes:
        text = " ".join((nodes[0].text_content() or "").split())
        return text or None
    return None
