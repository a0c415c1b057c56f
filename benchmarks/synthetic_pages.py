"""Page templates of the synthetic news site: the records it is made of and their HTML.

Three templates (WordPress-like, div soup with inline promos, HTML5 with an aside inside
the story) wrap the article text in what makes real pages heavy: a mega-menu, related,
trending and "most read" lists, comments, a fat footer, inline CSS and an inline JSON
"app state" script that pads each page to its target size.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

import synthetic_words as w

BASE = "{base_url}"


@dataclass(frozen=True)
class Event:
    """An invented happening that several articles report on."""

    place: str
    people: list[str]
    orgs: list[str]
    topic: str


@dataclass(frozen=True)
class Article:
    """One article page: where it is, what the feed says about it."""

    path: str  # site path, starting with "/"
    feed_index: int
    title: str
    summary: str
    author: str
    published: datetime
    wire: bool


@dataclass
class Outlet:
    """A fictional news outlet with its own page template and loopback address."""

    name: str
    slug: str
    host: str
    style: int


@dataclass
class FeedSpec:
    """One RSS feed (an outlet's section) and its items, newest first."""

    name: str
    outlet: Outlet
    section: str
    path: str
    items: list[Article] = field(default_factory=list)


def _links(rng: random.Random, outlet: Outlet, count: int, words: tuple[int, int]) -> list[str]:
    return [
        f'<a href="{BASE}/{outlet.slug}/{rng.choice(w.SECTIONS)}/">'
        f"{w.filler_words(rng, rng.randint(*words)).title()}</a>"
        for _ in range(count)
    ]


def _head(rng: random.Random, feed: FeedSpec, a: Article, target_bytes: int) -> str:
    url, o = BASE + a.path, feed.outlet
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": a.published.isoformat(),
        "dateModified": a.published.isoformat(),
        "author": [{"@type": "Person", "name": a.author}],
        "publisher": {"@type": "Organization", "name": o.name},
        "mainEntityOfPage": url,
        "articleSection": feed.section,
        "inLanguage": "en",
    }
    css = "\n".join(
        f".{o.slug}-c{i} .blk-{rng.randrange(999)}{{margin:{rng.randrange(40)}px;"
        f"color:#{rng.randrange(16**6):06x};font-size:{rng.randrange(9, 30)}px}}"
        for i in range(target_bytes // 400)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(a.title)} | {escape(o.name)}</title>"
        f'<meta name="description" content="{escape(a.summary)}">'
        f'<meta name="author" content="{escape(a.author)}">'
        f'<link rel="canonical" href="{url}"><meta property="og:url" content="{url}">'
        f'<meta property="og:site_name" content="{escape(o.name)}">'
        f'<meta property="og:type" content="article"><meta property="og:title" '
        f'content="{escape(a.title)}"><meta property="article:published_time" '
        f'content="{a.published.isoformat()}"><meta property="article:section" '
        f'content="{feed.section}"><script type="application/ld+json">{json.dumps(ld)}</script>'
        f"<style>{css}</style></head>"
    )


def render_page(
    rng: random.Random, feed: FeedSpec, a: Article, body: list[str], target_bytes: int
) -> str:
    """Return a full article page of about ``target_bytes`` in the outlet's template."""
    o = feed.outlet
    menu = "".join(f"<li>{link}</li>" for link in _links(rng, o, rng.randint(60, 160), (1, 3)))
    related_links = _links(rng, o, rng.randint(5, 12), (5, 10))
    related = "".join(f"<li>{link}</li>" for link in related_links)
    trending = "".join(f"<li>{link}</li>" for link in _links(rng, o, 10, (5, 9)))
    footer = " ".join(_links(rng, o, rng.randint(40, 90), (1, 3)))
    comments = "".join(
        f'<li class="comment"><p class="comment-author">{w.person_name(rng)} said:</p>'
        f"<p>{w.filler_words(rng, rng.randint(12, 70)).capitalize()}.</p>"
        '<a class="reply" href="#respond">Reply</a></li>'
        for _ in range(rng.randint(0, 30))
    )
    byline = (
        f'<div class="byline">By <a rel="author" href="{BASE}/{o.slug}/">{escape(a.author)}</a>'
        f' <time datetime="{a.published.isoformat()}">{a.published:%B %d, %Y %H:%M}</time></div>'
    )
    paras = [f"<p>{escape(p)}</p>" for p in body]
    ad = '<div class="ad-slot" data-unit="mid"><span>Advertisement</span></div>'
    if o.style == 0:  # WordPress-like
        for i in range(3, len(paras), 5):
            paras[i] += ad
        article = (
            f'<article class="post"><header class="entry-header"><h1 class="entry-title">'
            f"{escape(a.title)}</h1>{byline}</header>"
            f'<div class="entry-content">{"".join(paras)}</div></article>'
            f'<section class="related-posts"><h2>Related stories</h2><ul>{related}</ul></section>'
        )
    elif o.style == 1:  # div soup with inline promos
        for i in range(4, len(paras), 6):
            paras[i] += f'<div class="promo"><strong>Read more:</strong> {related_links[0]}</div>'
        article = (
            f'<div class="story"><div class="story-head"><h1>{escape(a.title)}</h1>{byline}'
            f'</div><div class="story-body"><div class="text-block">{"".join(paras)}</div></div>'
            f'<div class="more-from"><h3>More from {escape(o.name)}</h3><ul>{related}</ul>'
            "</div></div>"
        )
    else:  # HTML5 with an aside inside the story
        mid = len(paras) // 2
        aside = f'<aside class="most-read"><h2>Most read</h2><ol>{trending}</ol></aside>'
        article = (
            f'<main><article><h1 itemprop="headline">{escape(a.title)}</h1>{byline}'
            f'<section itemprop="articleBody">{"".join(paras[:mid])}{aside}'
            f'{"".join(paras[mid:])}</section></article><section class="related"><ul>{related}'
            "</ul></section></main>"
        )
    page = (
        f'<body class="{o.slug}"><div class="cookie-banner"><p>We use cookies to improve '
        f'your experience.</p><button>Accept all</button></div><header><a class="logo" '
        f'href="{BASE}/{o.slug}/">{escape(o.name)}</a><nav class="mega-menu"><ul>{menu}</ul>'
        f'</nav></header>{article}<div class="trending"><h2>Trending</h2><ol>{trending}</ol>'
        f'</div><section id="comments"><h2>Comments</h2><ol>{comments}</ol></section>'
        f'<footer class="site-footer"><p>{footer}</p><p>© {escape(o.name)}</p></footer>'
    )
    head = _head(rng, feed, a, target_bytes)
    # Real pages carry their weight in inline scripts: pad with an "app state" blob.
    pad = max(0, target_bytes - len(head) - len(page) - 40)
    state = {"ads": [rng.randrange(10**9) for _ in range(pad // 11)]}
    script = f"<script>window.__STATE__={json.dumps(state)}</script>" if pad else ""
    return f"{head}{page}{script}</body></html>\n"
