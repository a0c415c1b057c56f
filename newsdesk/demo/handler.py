"""Request handler for the demo site: static files with validators, plus hostile routes."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, quote, urlsplit

from newsdesk.demo.content import SiteContent, accepts_gzip, is_not_modified, normalize_path
from newsdesk.demo.hostile import (
    HOSTILE_ROUTES,
    HUGE_MIN_BYTES,
    huge_body_chunks,
)

logger = logging.getLogger(__name__)

MAX_SLOW_S = 30.0
MAX_HUGE_MB = 2048.0
MAX_REDIRECTS = 50
SMALL_ARTICLE_PATH = "/misc/small-article.html"
_MIB = 1024 * 1024
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_NO_BODY_CODES = frozenset({204, 304})


class SiteState(Protocol):
    """What the handler needs from the running site."""

    content: SiteContent

    @property
    def base_url(self) -> str:
        """Return the site's base URL."""
        ...

    def record_request(self, method: str, path: str, headers: dict[str, str]) -> None:
        """Record one request for the tests' request log."""
        ...


class SiteServer(ThreadingHTTPServer):
    """Threaded server whose handlers can reach the site state."""

    daemon_threads = True
    # The hostile routes open many short connections at once in tests.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], site: SiteState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, SiteHandler)
        self.site = site
        self.counters: dict[str, int] = {}
        self.counters_lock = threading.Lock()


class SiteHandler(BaseHTTPRequestHandler):
    """Serves the demo site; hostile routes are looked up before static files."""

    protocol_version = "HTTP/1.1"
    server_version = "NewsdeskDemo/1.0"
    # Idle keep-alive connections time out instead of pinning a thread forever.
    timeout = 30
    # Headers and body go out in separate writes; without TCP_NODELAY each response waits ~40 ms.
    disable_nagle_algorithm = True
    server: SiteServer
    _send_body: bool = True

    def do_GET(self) -> None:
        """Answer a GET request."""
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        """Answer a HEAD request with the GET headers and no body."""
        self._dispatch(send_body=False)

    def handle(self) -> None:
        """Serve the connection; a client hanging up between requests is not an error."""
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            # Fetchers close connections with unread data (redirect bodies, size caps).
            self.close_connection = True

    @property
    def base_url(self) -> str:
        """Return the site's base URL (for hostile routes)."""
        return self.server.site.base_url

    @property
    def request_headers(self) -> Mapping[str, str]:
        """Return the request headers with lower-case names (for hostile routes)."""
        return {name.lower(): value for name, value in self.headers.items()}

    def send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a complete response (for hostile routes)."""
        self._send(status, body, content_type, headers)

    def write_raw(self, data: bytes) -> None:
        """Write bytes to the socket unframed, and flush (for hostile routes)."""
        self.close_connection = True
        if self._send_body:
            self.wfile.write(data)
            self.wfile.flush()

    def bump(self, name: str) -> int:
        """Return a per-site counter after adding one (for hostile routes)."""
        with self.server.counters_lock:
            self.server.counters[name] = self.server.counters.get(name, 0) + 1
            return self.server.counters[name]

    def log_message(self, format: str, *args: object) -> None:
        """Send access logs to logging instead of stderr."""
        logger.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self, send_body: bool) -> None:
        site = self.server.site
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        site.record_request(self.command, self.path, headers)
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        self._send_body = send_body
        try:
            route = self._route_for(split.path)
            if route is None:
                self._static(split.path)
            else:
                route(split.path, query)
        except (BrokenPipeError, ConnectionResetError):
            # Clients that give up mid-body (size caps, timeouts) are expected here.
            self.close_connection = True

    def _route_for(self, path: str) -> Callable[[str, Mapping[str, str]], None] | None:
        exact: dict[str, Callable[[str, Mapping[str, str]], None]] = {
            "/slow": self._slow,
            "/drop": self._drop,
            "/huge": self._huge,
            "/redirect-loop": self._redirect_loop,
            "/gone/feed.xml": self._gone,
        }
        if path in exact:
            return exact[path]
        hostile = HOSTILE_ROUTES.get(path)
        if hostile is not None:
            return lambda _path, query: hostile(self, query)
        if path.startswith("/status/"):
            return self._status
        if path.startswith("/redirect/"):
            return self._redirect_chain
        return None

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if status not in _NO_BODY_CODES:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self._send_body and status not in _NO_BODY_CODES:
            self.wfile.write(body)

    def _send_text(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8", headers)

    def _static(self, url_path: str) -> None:
        site = self.server.site
        path = normalize_path(url_path)
        resource = site.content.get(path, site.base_url) if path else None
        if resource is None:
            self._send(
                404,
                b"<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>\n",
                "text/html; charset=utf-8",
            )
            return
        gzipped = resource.compressible and accepts_gzip(self.headers.get("Accept-Encoding", ""))
        headers = {"ETag": resource.etag(gzipped), "Last-Modified": resource.last_modified}
        if resource.compressible:
            headers["Vary"] = "Accept-Encoding"
        if is_not_modified(
            resource, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        ):
            self._send(304, b"", resource.content_type, headers)
            return
        body = resource.body
        if gzipped:
            body = site.content.gzipped(resource)
            headers["Content-Encoding"] = "gzip"
        self._send(200, body, resource.content_type, headers)

    def _small_article(self) -> None:
        self._static(SMALL_ARTICLE_PATH)

    def _status(self, path: str, query: Mapping[str, str]) -> None:
        code_text = path.removeprefix("/status/").strip("/")
        if not code_text.isdigit() or not 200 <= int(code_text) <= 599:
            self._send_text(400, "status must be a number from 200 to 599\n")
            return
        code = int(code_text)
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Unknown"
        headers: dict[str, str] = {}
        if code in (429, 503):
            headers["Retry-After"] = query.get("retry_after", "1")
        if code in _REDIRECT_CODES:
            headers["Location"] = self.server.site.base_url + SMALL_ARTICLE_PATH
        self._send_text(code, f"{code} {phrase}\n", headers)

    def _slow(self, path: str, query: Mapping[str, str]) -> None:
        try:
            delay_s = min(max(float(query.get("seconds", "5")), 0.0), MAX_SLOW_S)
        except ValueError:
            self._send_text(400, "seconds must be a number\n")
            return
        time.sleep(delay_s)
        self._small_article()

    def _drop(self, path: str, query: Mapping[str, str]) -> None:
        # No status line at all: the client sees the connection close before any response.
        self.close_connection = True

    def _huge(self, path: str, query: Mapping[str, str]) -> None:
        try:
            size_mb = min(max(float(query.get("mb", "10")), 0.0), MAX_HUGE_MB)
        except ValueError:
            self._send_text(400, "mb must be a number\n")
            return
        total = max(int(size_mb * _MIB), HUGE_MIN_BYTES)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if query.get("length", "1") == "0":
            # Without Content-Length only a streaming size cap protects the client.
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        if not self._send_body:
            return
        for piece in huge_body_chunks(total):
            self.wfile.write(piece)

    def _redirect_chain(self, path: str, query: Mapping[str, str]) -> None:
        hops_text = path.removeprefix("/redirect/").strip("/")
        if not hops_text.isdigit():
            self._send_text(404, "not found\n")
            return
        hops = min(int(hops_text), MAX_REDIRECTS)
        target = query.get("to", "")
        if not target.startswith("/") or target.startswith("//"):
            target = ""  # Only same-site targets: this server must never point clients elsewhere.
        if hops == 0:
            self._small_article()
            return
        base = self.server.site.base_url
        if hops == 1 and target:
            location = base + target
        else:
            suffix = f"?to={quote(target, safe='/')}" if target else ""
            location = f"{base}/redirect/{hops - 1}{suffix}"
        self._send_text(302, "redirecting\n", {"Location": location})

    def _redirect_loop(self, path: str, query: Mapping[str, str]) -> None:
        # Two URLs pointing at each other, so a client must count hops, not only spot self-loops.
        nxt = "/redirect-loop" if "step" in query else "/redirect-loop?step=2"
        self._send_text(302, "redirecting\n", {"Location": self.server.site.base_url + nxt})

    def _gone(self, path: str, query: Mapping[str, str]) -> None:
        self._send_text(410, "410 Gone: this feed has been discontinued.\n")
