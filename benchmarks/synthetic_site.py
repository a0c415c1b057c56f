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
import random
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import synthetic_words as w
from synthetic_pages import BASE, Article, Event, FeedSpec, Outlet, render_page

WIRE_AGENCY = "Continental Wire Service"
STYLES = 3


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
        return article, render_page(rng, feed, article, body, target_bytes)

    def _write(self, path: str, text: str) -> None:
        dest = self.root / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")


def _cast(event: Event) -> dict[str, list[str]]:
    return {"people": event.people, "places": [event.place], "orgs": event.orgs}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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
