"""A realistic synthetic news site on disk: many outlets, RSS feeds, heavy pages, wire copies.

The generator is deterministic for a seed (dates are anchored at generation time so
that none lies in the future). Pages are 40-150 KB like real article pages: most of
the weight is inline CSS, an inline JSON "app state" script, a mega-menu, related and
trending lists, comments and a fat footer, around 350-1,400 words of article text in
one of three page templates, with JSON-LD and Open Graph metadata. About a tenth of
the articles are wire copies: the same body on several outlets, each in its own
template and boilerplate. Reports of the same invented event share its people, places
and organisations, so story clustering has work to do. No real news text is used.

Each outlet lives under ``/<outlet>/`` and is meant to be served on its own loopback
address (``host`` on the outlet), so per-host politeness limits apply per outlet as
they would on the internet. Links use the ``{base_url}`` placeholder that LoopbackSite
replaces with its own address.

    .venv/bin/python benchmarks/synthetic_site.py DIR [--articles N] [--feeds N] [--hosts N]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import synthetic_words as w

BASE = "{base_url}"
WIRE_AGENCY = "Continental Wire Service"
STYLES = 3


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


class SyntheticSite:
    """Generates the site under ``root``; serve it with LoopbackSite(root, host=outlet.host)."""

    def __init__(
        self,
        root: Path,
        *,
        articles: int = 2_000,
        feeds: int = 50,
        hosts: int = 25,
        seed: int = 7,
        wire_share: float = 0.1,
        size_kb: tuple[int, int] = (40, 150),
    ) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.size_kb = size_kb
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.outlets = [self._outlet(i) for i in range(min(hosts, feeds))]
        self.feeds = [self._feed(i) for i in range(feeds)]
        self.events = [self._event() for _ in range(max(1, articles // 3))]
        self.articles: list[Article] = []
        self.page_bytes = 0
        self._target_articles = articles
        self._wire_share = wire_share
        self._added = 0

    def generate(self) -> SyntheticSite:
        """Write every page and feed to disk and return self."""
        while len(self.articles) < self._target_articles:
            event = self.rng.choice(self.events)
            if self.rng.random() < self._wire_share / 3:
                # One wire story picked up by 2-4 outlets: ~wire_share of all articles.
                copies = self.rng.sample(range(len(self.feeds)), self.rng.randint(2, 4))
                body = w.paragraphs(self.rng, self.rng.randint(350, 900), **_cast(event))
                title = w.headline(self.rng, event.place, event.orgs[0], event.topic)
                for feed_index in copies[: self._target_articles - len(self.articles)]:
                    self._write_article(feed_index, event, title=title, body=body, wire=True)
            else:
                self._write_article(self.rng.randrange(len(self.feeds)), event)
        for feed in self.feeds:
            feed.items.sort(key=lambda a: a.published, reverse=True)
            self._write(feed.path, self.feed_xml(feed))
        return self

    def feeds_yaml(self, base_urls: dict[str, str], interval: str = "15m") -> str:
        """Return a feeds.yaml for the feeds, each on its outlet's base URL."""
        lines = ["defaults:", f"  interval: {interval}", "  language: en", "feeds:"]
        for feed in self.feeds:
            url = base_urls[feed.outlet.host].rstrip("/") + feed.path
            lines += [f'  - name: "{feed.name}"', f'    url: "{url}"']
            lines.append(f"    tags: [{feed.section}]")
        return "\n".join(lines) + "\n"

    def add_article(self, feed_index: int) -> tuple[Article, str, str]:
        """Return a new article for a feed, its page HTML and the feed's new XML (not written)."""
        self._added += 1
        event = self.rng.choice(self.events)
        article, html = self._render(feed_index, event, fresh=self._added)
        self.feeds[feed_index].items.insert(0, article)
        return article, html, self.feed_xml(self.feeds[feed_index])

    def feed_xml(self, feed: FeedSpec) -> str:
        """Return the RSS 2.0 document of a feed."""
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
            f"<title>{escape(feed.name)}</title><link>{BASE}/{feed.outlet.slug}/</link>",
            f"<description>Latest {feed.section} from {escape(feed.outlet.name)}</description>",
            "<language>en</language>",
        ]
        for a in feed.items:
            link = BASE + a.path
            parts.append(
                f"<item><title>{escape(a.title)}</title><link>{link}</link>"
                f'<guid isPermaLink="true">{link}</guid>'
                f"<pubDate>{format_datetime(a.published)}</pubDate>"
                f"<dc:creator>{escape(a.author)}</dc:creator><category>{feed.section}</category>"
                f"<description>{escape(a.summary)}</description></item>"
            )
        parts.append("</channel></rss>\n")
        return "\n".join(parts)

    # -- generation ------------------------------------------------------------------

    def _outlet(self, index: int) -> Outlet:
        place = w.place_name(self.rng)
        name = f"{place} {self.rng.choice(w.OUTLET_WORDS)}"
        slug = f"{_slug(name)}-{index}"
        return Outlet(name, slug, f"127.0.0.{2 + index}", index % STYLES)

    def _feed(self, index: int) -> FeedSpec:
        outlet = self.outlets[index % len(self.outlets)]
        section = w.SECTIONS[(index // len(self.outlets)) % len(w.SECTIONS)]
        if index >= len(self.outlets) * len(w.SECTIONS):
            section = f"{section}-{index}"
        path = f"/{outlet.slug}/{section}/feed.xml"
        return FeedSpec(f"{outlet.name} {section.title()}", outlet, section, path)

    def _event(self) -> Event:
        place = w.place_name(self.rng)
        people = [w.person_name(self.rng) for _ in range(self.rng.randint(2, 4))]
        orgs = [f"{place} {self.rng.choice(w.ORG_KINDS)}", f"{w.place_name(self.rng)} Council"]
        return Event(place, people, orgs, self.rng.choice(w.TOPICS))

    def _write_article(
        self,
        feed_index: int,
        event: Event,
        *,
        title: str | None = None,
        body: list[str] | None = None,
        wire: bool = False,
    ) -> None:
        article, html = self._render(feed_index, event, title=title, body=body, wire=wire)
        self.feeds[feed_index].items.append(article)
        self.articles.append(article)
        self._write(article.path, html)
        self.page_bytes += len(html.encode())

    def _render(
        self,
        feed_index: int,
        event: Event,
        *,
        title: str | None = None,
        body: list[str] | None = None,
        wire: bool = False,
        fresh: int = 0,
    ) -> tuple[Article, str]:
        rng, feed = self.rng, self.feeds[feed_index]
        title = title or w.headline(rng, event.place, event.orgs[0], event.topic)
        body = list(body or w.paragraphs(rng, rng.randint(350, 1_400), **_cast(event)))
        if wire:
            body[0] = f"{event.place.upper()} ({WIRE_AGENCY}) — {body[0]}"
            body.append(f"— {WIRE_AGENCY}")
        published = self.now - timedelta(minutes=rng.randint(30, 70 * 60))
        if fresh:
            published = datetime.now(UTC).replace(microsecond=0)
        author = WIRE_AGENCY if wire else w.person_name(rng)
        slug = _slug(title)[:60] + f"-{len(self.articles) + fresh * 100_000}"
        path = f"/{feed.outlet.slug}/{feed.section}/{published:%Y/%m/%d}/{slug}.html"
        summary = body[0].split(". ")[0][:240] + "."
        article = Article(path, feed_index, title, summary, author, published, wire)
        target_bytes = rng.randint(*self.size_kb) * 1024
        return article, _page(rng, feed, article, body, target_bytes)

    def _write(self, path: str, text: str) -> None:
        dest = self.root / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")


def _cast(event: Event) -> dict[str, list[str]]:
    return {"people": event.people, "places": [event.place], "orgs": event.orgs}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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


def _page(
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


def main() -> None:
    """Generate the site into DIR and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    site = SyntheticSite(
        args.dir, articles=args.articles, feeds=args.feeds, hosts=args.hosts, seed=args.seed
    ).generate()
    wire = sum(a.wire for a in site.articles)
    print(
        f"{len(site.articles)} articles ({wire} wire copies), {len(site.feeds)} feeds, "
        f"{len(site.outlets)} outlets; "
        f"{site.page_bytes / len(site.articles) / 1024:.0f} KB per page"
    )


if __name__ == "__main__":
    main()
