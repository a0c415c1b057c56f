"""Feeds declaring XML entities are refused before parsing; honest feeds are not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsdesk.errors import PermanentError
from newsdesk.feeds.config import Feed
from newsdesk.feeds.parse import parse_feed, parse_feed_document
from newsdesk.feeds.xml_guard import entity_declarations, prolog_end

FEED = Feed(name="Hostile Herald", url="https://hostile.example/rss.xml", interval_s=300)
ROOT = Path(__file__).resolve().parents[3]
ITEM = b"<item><title>t</title><link>https://hostile.example/a</link></item>"


def _rss(doctype: bytes = b"", title: bytes = b"x", encoding: str = "utf-8") -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode()
    return (
        head
        + doctype
        + b'<rss version="2.0"><channel><title>'
        + title
        + b"</title>"
        + ITEM
        + (b"</channel></rss>")
    )


def _laughs(separator: bytes) -> bytes:
    decls = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    ]
    return b"<!DOCTYPE rss [" + separator + separator.join(decls) + separator + b"]>"


QUADRATIC = b'<!DOCTYPE rss [\n<!ENTITY big "' + b"a" * 50_000 + b'">\n]>'


@pytest.mark.parametrize(
    "document",
    [
        _rss(_laughs(b"\n"), b"&lol9;"),
        _rss(_laughs(b""), b"&lol9;"),  # one line: feedparser's own stripping misses it
        _rss(QUADRATIC, b"&big;" * 200_000),
        _rss(QUADRATIC, b"&big;" * 1000).decode().replace("utf-8", "utf-16").encode("utf-16"),
        _rss(b'<!DOCTYPE rss [<!-- <x --> <!ENTITY big "aaaa">]>'),  # a tag inside a comment
        _rss(b'<!DOCTYPE rss [<!ENTITY a "<b>markup</b>">]>'),
        b'<?xml version="1.0"?>\nnoise\n<!DOCTYPE rss [\n<!ENTITY a "aaa">\n]>' + _rss()[22:],
        _rss(b'<!DOCTYPE rss [<!ENTITY ext SYSTEM "file:///etc/passwd">]>', b"&ext;"),
        _rss(b'<!DOCTYPE rss [<!ENTITY % pe "x">]>'),
        _rss(b'<!doctype rss [<!entity a "aaa">]>'),
    ],
)
def test_entity_declarations_are_refused_quickly(document: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(PermanentError) as info:
        parse_feed(document, FEED)
    assert info.value.reason == "xml_entities"
    assert 'feed "Hostile Herald"' in str(info.value) and FEED.url in str(info.value)
    assert time.monotonic() - started < 2


def test_character_reference_entities_and_public_doctypes_are_accepted() -> None:
    nbsp = b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;"> <!ENTITY copy "&#xA9;">]>'
    entries = parse_feed(_rss(nbsp, b"A&nbsp;B &copy;"), FEED)
    assert [e.url for e in entries] == ["https://hostile.example/a"]
    netscape = (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    )
    assert entity_declarations(_rss(netscape)) == []
    # A story about XML inside CDATA is content, not a declaration.
    cdata = b"<description><![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>]]></description>"
    assert entity_declarations(_rss().replace(b"</item>", cdata + b"</item>")) == []


def test_every_bundled_feed_passes() -> None:
    feeds = [*ROOT.glob("tests/fixtures/**/*.xml"), *ROOT.glob("newsdesk/demo/site/**/*.xml")]
    assert feeds
    for path in feeds:
        assert entity_declarations(path.read_bytes()) == [], path


def test_prolog_ends_at_the_root_element() -> None:
    doc = b'<?xml version="1.0"?><!-- <rss> --><!DOCTYPE rss [<!ENTITY a "]>">]><rss/>'
    assert doc[prolog_end(doc) :] == b"<rss/>"
    assert prolog_end(b"no markup at all") == len(b"no markup at all")


def test_a_body_that_looks_like_a_file_path_is_not_opened(tmp_path: Path) -> None:
    # feedparser.parse(bytes) tries the bytes as a local file name first.
    local = tmp_path / "local.xml"
    local.write_bytes(_rss())
    with pytest.raises(PermanentError) as info:
        parse_feed(str(local).encode(), FEED)
    # The path itself is parsed, as text that is not XML; the file's entry never appears.
    assert info.value.reason == "malformed_feed"


def test_entries_per_poll_are_capped() -> None:
    items = b"".join(
        b"<item><title>%d</title><link>https://hostile.example/%d</link></item>" % (i, i)
        for i in range(30)
    )
    doc = _rss().replace(ITEM, items)
    assert len(parse_feed_document(doc, FEED, max_entries=7).entries) == 7
