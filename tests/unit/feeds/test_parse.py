from datetime import UTC, datetime

import pytest

from newsdesk.errors import PermanentError
from newsdesk.feeds.config import Feed
from newsdesk.feeds.parse import parse_feed

FEED = Feed(
    name="Lakeside Post", url="https://lakeside.example/rss.xml", interval_s=300,
    tags=("local",), language="en", enabled=True,
)  # fmt: skip

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Lakeside Post</title><link>https://lakeside.example/</link>
<item><title>Ferry &amp; bus timetable changes</title>
<link>https://lakeside.example/news/ferry?utm_source=rss&amp;utm_medium=feed#top</link>
<pubDate>Tue, 03 Feb 2026 09:30:00 +0100</pubDate><category>Transport</category>
<description>&lt;p&gt;New winter times start &lt;b&gt;Monday&lt;/b&gt;.&lt;/p&gt;
</description></item>
<item><title>Same story, tracked differently</title>
<link>https://LAKESIDE.example/news/ferry?utm_campaign=x</link></item>
<item><title>Relative link</title><link>/news/library</link></item>
<item><title>No link at all</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><title>Harbour strike ends</title><id>urn:uuid:1</id>
<link rel="alternate" href="https://wire.example/a/1"/>
<updated>2026-02-05T10:00:00Z</updated><published>2026-02-05T09:00:00Z</published>
<author><name>Desk One</name></author>
<content type="html">&lt;p&gt;Dock workers returned.&lt;/p&gt;</content>
</entry></feed>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://old.example/"><title>Old</title><link>https://old.example/</link></channel>
<item rdf:about="https://old.example/x"><title>RDF item</title><link>https://old.example/x</link>
<dc:date>2026-01-01T00:00:00Z</dc:date></item></rdf:RDF>"""


def test_rss2_entries_are_canonicalized_and_deduplicated() -> None:
    entries = parse_feed(RSS2, FEED, run_id="r1")
    assert [e.url for e in entries] == [
        "https://lakeside.example/news/ferry",
        "https://lakeside.example/news/library",
    ]
    first = entries[0]
    assert first.title == "Ferry & bus timetable changes"
    assert first.summary == "New winter times start Monday ."
    assert first.published_at == datetime(2026, 2, 3, 8, 30, tzinfo=UTC)
    assert first.tags == ("local", "Transport")
    assert first.feed_id == FEED.feed_id and first.run_id == "r1"
    assert first.link.startswith("https://lakeside.example/news/ferry?utm_source")


def test_atom_entry_keeps_dates_author_and_content() -> None:
    (entry,) = parse_feed(ATOM, FEED)
    assert entry.url == "https://wire.example/a/1"
    assert entry.published_at == datetime(2026, 2, 5, 9, 0, tzinfo=UTC)
    assert entry.updated_at == datetime(2026, 2, 5, 10, 0, tzinfo=UTC)
    assert entry.authors == ("Desk One",)
    assert entry.summary == "Dock workers returned."


def test_rss1_rdf_is_read() -> None:
    (entry,) = parse_feed(RSS1, FEED)
    assert entry.url == "https://old.example/x"
    assert entry.published_at == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("body", [b"<rss><channel><item><title>cut off", b"\x00\x01 not xml", b""])
def test_unreadable_feed_names_the_feed(body: bytes) -> None:
    with pytest.raises(PermanentError) as info:
        parse_feed(body, FEED)
    assert "Lakeside Post" in str(info.value)
    assert info.value.reason in {"malformed_feed", "not_a_feed"}


def test_html_page_instead_of_a_feed_is_rejected() -> None:
    with pytest.raises(PermanentError):
        parse_feed(b"<html><body><p>Welcome to our site</p></body></html>", FEED)
