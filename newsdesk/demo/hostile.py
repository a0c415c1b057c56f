"""Hostile routes of the demo site: documents built to hurt a careless fetcher or parser.

Each route is a plain function of a :class:`Responder` and the query string, so the
request handler only looks them up. They serve loopback tests and ``newsdesk demo``;
``/redirect-to`` points anywhere on purpose, to prove that the fetcher refuses it.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

MAX_DRIP_S = 120
MAX_GZIP_BOMB_MB = 1024
MAX_NESTING = 1_000_000
MAX_BLOWUP_REFS = 2_000_000
_MIB = 1024 * 1024
_RSS_HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'
_RSS_TYPE = "application/rss+xml; charset=utf-8"
_HTML_TYPE = "text/html; charset=utf-8"

# Just enough of a PDF for sniffers and magic-number checks; the point is "not HTML".
NOT_HTML_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)

_HUGE_PROLOGUE = (
    b"<!DOCTYPE html>\n<html><head><title>Very long page</title></head><body><article>\n"
)
_HUGE_LINE = (
    b"<p>This paragraph repeats to make the page enormous; a careful fetcher stops reading.</p>\n"
)
_HUGE_EPILOGUE = b"</article></body></html>\n"
HUGE_MIN_BYTES = len(_HUGE_PROLOGUE) + len(_HUGE_EPILOGUE)
_CHUNK_BYTES = 64 * 1024

_gzip_bomb_cache: dict[int, bytes] = {}
_gzip_bomb_lock = threading.Lock()


class Responder(Protocol):
    """What a hostile route needs from the request handler."""

    @property
    def base_url(self) -> str:
        """Return the site's base URL."""
        ...

    @property
    def request_headers(self) -> Mapping[str, str]:
        """Return the request headers, names in lower case."""
        ...

    def send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a complete response."""
        ...

    def write_raw(self, data: bytes) -> None:
        """Write bytes to the connection as they are, and flush them."""
        ...

    def bump(self, name: str) -> int:
        """Return a per-site counter after adding one to it."""
        ...


def gzip_bomb_body(size_mb: int) -> bytes:
    """Return (and cache) a small gzip body that inflates to size_mb MiB of HTML."""
    with _gzip_bomb_lock:
        cached = _gzip_bomb_cache.get(size_mb)
        if cached is None:
            compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31 = gzip container
            parts = [compressor.compress(b"<!DOCTYPE html><html><body><p>")]
            block = b" " * _MIB
            parts.extend(compressor.compress(block) for _ in range(size_mb))
            parts.append(compressor.flush())
            cached = _gzip_bomb_cache[size_mb] = b"".join(parts)
        return cached


def huge_body_chunks(total_bytes: int) -> Iterator[bytes]:
    """Yield an HTML page of exactly ``total_bytes`` (at least HUGE_MIN_BYTES) in 64 KiB pieces."""
    yield _HUGE_PROLOGUE
    remaining = total_bytes - HUGE_MIN_BYTES
    chunk = _HUGE_LINE * (_CHUNK_BYTES // len(_HUGE_LINE))
    while remaining > 0:
        piece = chunk if remaining >= len(chunk) else b" " * remaining
        yield piece
        remaining -= len(piece)
    yield _HUGE_EPILOGUE


def _int(query: Mapping[str, str], name: str, default: int, top: int) -> int:
    try:
        return min(max(int(query.get(name, default)), 0), top)
    except ValueError:
        return default


def _rss(title: bytes, items: bytes = b"", doctype: bytes = b"") -> bytes:
    return (
        _RSS_HEAD + doctype + b'<rss version="2.0"><channel><title>' + title + b"</title>"
        b"<link>http://example.invalid/</link>" + items + b"</channel></rss>\n"
    )


def gzip_bomb(out: Responder, query: Mapping[str, str]) -> None:
    """Serve ``?mb=`` MiB (default 64) of HTML gzipped, whatever the client accepts."""
    size_mb = max(_int(query, "mb", 64, MAX_GZIP_BOMB_MB), 1)
    out.send(200, gzip_bomb_body(size_mb), _HTML_TYPE, {"Content-Encoding": "gzip"})


def not_html(out: Responder, query: Mapping[str, str]) -> None:
    """Serve a PDF, honestly labelled."""
    out.send(200, NOT_HTML_PDF, "application/pdf")


def xml_bomb(out: Responder, query: Mapping[str, str]) -> None:
    """Serve "billion laughs": ten levels of entities, each ten copies of the one below."""
    decls = [b'<!ENTITY lol0 "lol">']
    decls += [b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)]
    doctype = b"<!DOCTYPE rss [\n" + b"\n".join(decls) + b"\n]>\n"
    item = b"<item><title>&lol9;</title><link>http://example.invalid/a</link></item>"
    out.send(200, _rss(b"&lol9;", item, doctype), _RSS_TYPE)


def quadratic_blowup(out: Responder, query: Mapping[str, str]) -> None:
    """Serve one large entity referenced many times (no nesting: feedparser keeps it)."""
    value = b"a" * (_int(query, "kb", 50, 1024) * 1024)
    refs = b"&big;" * _int(query, "refs", 100_000, MAX_BLOWUP_REFS)
    doctype = b'<!DOCTYPE rss [\n<!ENTITY big "' + value + b'">\n]>\n'
    item = b"<item><title>" + refs + b"</title><link>http://example.invalid/a</link></item>"
    out.send(200, _rss(b"Quadratic", item, doctype), _RSS_TYPE)


def lying_content_type(out: Responder, query: Mapping[str, str]) -> None:
    """Serve a PDF labelled text/html (``?body=pdf``, default) or HTML labelled image/jpeg."""
    if query.get("body", "pdf") == "pdf":
        out.send(200, NOT_HTML_PDF, query.get("type", _HTML_TYPE))
        return
    html = b"<!DOCTYPE html><html><body><article><p>An HTML page.</p></article></body></html>"
    out.send(200, html, query.get("type", "image/jpeg"))


def empty(out: Responder, query: Mapping[str, str]) -> None:
    """Answer 200 with an empty body (``?type=`` sets the content type)."""
    out.send(200, b"", query.get("type", _HTML_TYPE))


def deep_nesting(out: Responder, query: Mapping[str, str]) -> None:
    """Serve HTML whose text sits ``levels`` (default 100,000) nested elements deep."""
    levels = _int(query, "levels", 100_000, MAX_NESTING)
    text = b"<p>" + b"Deep inside the page there is a paragraph of text. " * 20 + b"</p>"
    body = b"<!DOCTYPE html><html><body>" + b"<div>" * levels + text + b"</div>" * levels
    out.send(200, body + b"</body></html>", _HTML_TYPE)


def mixed_encoding(out: Responder, query: Mapping[str, str]) -> None:
    """Serve a page declared UTF-8 whose paragraphs alternate UTF-8 and Latin-1 bytes."""
    sentence = "The caf\u00e9 on the quay serves cr\u00e8me br\u00fbl\u00e9e to na\u00efve guests. "
    paragraphs = b"".join(
        b"<p>" + (sentence * 4).encode("utf-8" if i % 2 else "latin-1") + b"</p>" for i in range(8)
    )
    head = b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Caf\xc3\xa9 news</title>'
    body = head + b"</head><body><article><h1>Quay caf\xe9</h1>" + paragraphs
    out.send(200, body + b"</article></body></html>", _HTML_TYPE)


def html_feed(out: Responder, query: Mapping[str, str]) -> None:
    """Serve an outlet's home page where a feed was expected (a common feeds.yaml mistake)."""
    body = (
        b"<!DOCTYPE html><html><head><title>Outlet home</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/northwire/feed.xml">'
        b'</head><body><h1>Latest news</h1><a href="/a">A story</a></body></html>'
    )
    out.send(200, body, query.get("type", _HTML_TYPE))


def redirect_to(out: Responder, query: Mapping[str, str]) -> None:
    """Redirect to ``?url=`` whatever it is: a metadata address, file://, another host."""
    target = query.get("url", "")
    out.send(302, b"redirecting\n", "text/plain", {"Location": target})


def drip(out: Responder, query: Mapping[str, str]) -> None:
    """Send one byte every ``interval_ms`` (default 1000) of the body, or of the headers."""
    interval_s = _int(query, "interval_ms", 1000, 10_000) / 1000
    count = _int(query, "bytes", MAX_DRIP_S, 100_000)
    if query.get("part") == "headers":
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * count
        for i in range(len(head)):
            out.write_raw(head[i : i + 1])
            time.sleep(interval_s)
        return
    out.write_raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
    for _ in range(count):
        out.write_raw(b" ")
        time.sleep(interval_s)


def lying_304(out: Responder, query: Mapping[str, str]) -> None:
    """Answer every conditional request 304, while the feed gains an item per plain GET."""
    headers = out.request_headers
    if "if-none-match" in headers or "if-modified-since" in headers:
        out.send(304, b"", _RSS_TYPE, {"ETag": '"forever"'})
        return
    version = out.bump("lying-304")
    items = b"".join(
        b"<item><title>Story %d</title><link>%s/misc/small-article.html?v=%d</link></item>"
        % (n, out.base_url.encode(), n)
        for n in range(1, version + 1)
    )
    out.send(200, _rss(b"Lying 304", items), _RSS_TYPE, {"ETag": '"forever"'})


HOSTILE_ROUTES: dict[str, Callable[[Responder, Mapping[str, str]], None]] = {
    "/gzip-bomb": gzip_bomb,
    "/not-html": not_html,
    "/xml-bomb": xml_bomb,
    "/quadratic-blowup": quadratic_blowup,
    "/lying-content-type": lying_content_type,
    "/empty": empty,
    "/deep-nesting": deep_nesting,
    "/mixed-encoding": mixed_encoding,
    "/html-feed": html_feed,
    "/redirect-to": redirect_to,
    "/drip": drip,
    "/lying-304": lying_304,
}
