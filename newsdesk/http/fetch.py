"""Bounded HTTP GETs that map every failure onto the error taxonomy.

Feeds and article pages come from servers we do not control: they stall, drip bytes,
send gigabytes, loop redirects, lie about content types or point inside our network.
Every request here is capped in time, bytes and hops, every hop is checked (scheme,
length, and the address at connect time, see ``newsdesk.http.guard``), and every
exception leaves as a TransientError or PermanentError with a fixed reason code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from newsdesk.errors import PermanentError, TransientError
from newsdesk.http.decode import decoded_chunks
from newsdesk.http.guard import (
    Resolver,
    build_guarded_transport,
    check_url,
    request_deadline,
    system_resolver,
)
from newsdesk.settings import HTML_CONTENT_TYPES, RETRY_HTTP_CODES, FetchLimits

# Below the broker's visibility timeout (2 h), so a delayed retry is not redelivered early.
MAX_RETRY_AFTER_S = 3_600.0
SNIFF_BYTES = 1_024
# Bodies that claim to be HTML but are not: the first bytes of common binary formats.
BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
)


@dataclass(frozen=True)
class Validators:
    """Conditional-request validators remembered from the last successful fetch."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """Return the If-None-Match / If-Modified-Since headers for these validators."""
        out: dict[str, str] = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class FetchResult:
    """What a GET produced: final URL, status, body (empty on 304) and redirect chain."""

    url: str
    status_code: int
    content_type: str
    body: bytes
    encoding: str | None = None
    redirects: tuple[str, ...] = ()
    validators: Validators = field(default_factory=Validators)

    @property
    def not_modified(self) -> bool:
        """Return True when the server answered 304 Not Modified."""
        return self.status_code == 304


def build_http_client(
    limits: FetchLimits,
    *,
    resolver: Resolver = system_resolver,
    network_backend: httpcore.NetworkBackend | None = None,
) -> httpx.Client:
    """Return an httpx client with Newsdesk's timeouts, user agent and address guard.

    Redirects are followed by :func:`fetch` itself, one checked hop at a time. Proxies
    from the environment are not used: the guard must see the real target's address.
    """
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=limits.connect_timeout_s,
            read=limits.read_timeout_s,
            write=limits.read_timeout_s,
            pool=limits.connect_timeout_s,
        ),
        follow_redirects=False,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
        transport=build_guarded_transport(
            limits.allow_networks,
            max_url_chars=limits.max_url_chars,
            resolver=resolver,
            inner=network_backend,
        ),
    )


def fetch(
    client: httpx.Client,
    url: str,
    limits: FetchLimits,
    *,
    max_bytes: int,
    validators: Validators | None = None,
    accept: str = "*/*",
    html_only: bool = False,
) -> FetchResult:
    """Return the response for ``url``; raise TransientError or PermanentError with a reason."""
    headers = {"Accept": accept, **(validators.headers() if validators else {})}
    try:
        check_url(url, limits.max_url_chars)
        with request_deadline(limits.total_timeout_s):
            return _fetch_following(
                client, url, headers, limits, max_bytes=max_bytes, html_only=html_only
            )
    except (TransientError, PermanentError):
        raise
    except httpx.TooManyRedirects as exc:
        raise PermanentError(f"{url}: {exc}", reason="too_many_redirects") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise PermanentError(f"{url}: {exc}", reason="bad_url") from exc
    except httpx.TimeoutException as exc:
        why = str(exc) or type(exc).__name__
        raise TransientError(f"{url}: timed out ({why})", reason="timeout") from exc
    except httpx.ConnectError as exc:
        raise TransientError(f"{url}: cannot connect: {exc}", reason="connect_error") from exc
    except httpx.DecodingError as exc:
        raise PermanentError(f"{url}: bad content encoding: {exc}", reason="bad_encoding") from exc
    except httpx.TransportError as exc:
        # Dropped connections and protocol errors are usually a server restart mid-response.
        raise TransientError(
            f"{url}: connection failed: {exc!r}", reason="connection_error"
        ) from exc


def _fetch_following(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    limits: FetchLimits,
    *,
    max_bytes: int,
    html_only: bool,
) -> FetchResult:
    """Follow redirects one checked hop at a time and return the final response."""
    request = client.build_request("GET", url, headers=headers)
    hops: list[str] = []
    while True:
        check_url(str(request.url), limits.max_url_chars)
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            if response.next_request is None:
                return _result(response, url, tuple(hops), max_bytes, html_only)
            # The redirect's own body is never read: httpx would buffer all of it.
            hops.append(str(response.url))
            if len(hops) > limits.max_redirects:
                raise PermanentError(
                    f"{url}: more than {limits.max_redirects} redirects (last {response.url})",
                    reason="too_many_redirects",
                )
            request = response.next_request
        finally:
            response.close()


def _result(
    response: httpx.Response, url: str, redirects: tuple[str, ...], max_bytes: int, html_only: bool
) -> FetchResult:
    _raise_for_status(response, url)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if response.status_code != 304 and html_only and content_type not in HTML_CONTENT_TYPES:
        raise PermanentError(
            f"{url} is {content_type or 'of unknown type'}, not HTML", reason="not_html"
        )
    body = b"" if response.status_code == 304 else _read_capped(response, max_bytes)
    if html_only and body:
        _refuse_binary(body, url, content_type)
    return FetchResult(
        url=str(response.url),
        status_code=response.status_code,
        content_type=content_type,
        body=body,
        encoding=response.charset_encoding,
        redirects=redirects,
        validators=Validators(
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        ),
    )


def _refuse_binary(body: bytes, url: str, content_type: str) -> None:
    """Raise not_html when a body declared as HTML is really a PDF, an image or an archive."""
    head = body[:SNIFF_BYTES]
    kind = next((name for magic, name in BINARY_MAGIC if head.startswith(magic)), None)
    if kind is None and b"\x00" in head:
        kind = "binary data"
    if kind is not None:
        raise PermanentError(
            f"{url} is served as {content_type} but the body is {kind}", reason="not_html"
        )


def _raise_for_status(response: httpx.Response, url: str) -> None:
    code = response.status_code
    if code < 400 or code == 304:
        return
    reason = f"http_{code}"
    if code in RETRY_HTTP_CODES:
        raise TransientError(
            f"{url} answered HTTP {code}",
            reason=reason,
            retry_after_s=retry_after_s(response.headers.get("retry-after")),
        )
    raise PermanentError(f"{url} answered HTTP {code}", reason=reason)


def retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return a Retry-After header (seconds or HTTP date) as seconds, capped; None if unusable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    # A server asking for a week must not park a message past the broker's visibility timeout.
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """Read the decoded body, failing on a size cap (the deadline is enforced per read)."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PermanentError(
            f"{response.url} declares {declared} bytes, above the cap of {max_bytes}",
            reason="too_large",
        )
    chunks: list[bytes] = []
    size = 0
    # Decompressed slice by slice as data arrives: a gzip bomb hits the cap after a few
    # 64 KiB slices, and a slow drip meets the request deadline at its next read.
    encoding = response.headers.get("content-encoding", "")
    for chunk in decoded_chunks(response.iter_raw(), encoding, str(response.url)):
        size += len(chunk)
        if size > max_bytes:
            raise PermanentError(
                f"{response.url} sent more than {max_bytes} bytes", reason="too_large"
            )
        chunks.append(chunk)
    return b"".join(chunks)
