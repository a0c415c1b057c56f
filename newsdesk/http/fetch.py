"""Bounded HTTP GETs that map every failure onto the error taxonomy.

Feeds and article pages come from servers we do not control: they stall, drip bytes,
send gigabytes, loop redirects or drop the connection. Every request here is capped in
time and bytes, and every exception leaves as a TransientError or PermanentError with
a fixed reason code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from newsdesk.errors import PermanentError, TransientError
from newsdesk.settings import HTML_CONTENT_TYPES, RETRY_HTTP_CODES, FetchLimits

CHUNK_BYTES = 64 * 1024


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


def build_http_client(limits: FetchLimits) -> httpx.Client:
    """Return an httpx client with Newsdesk's timeouts, redirect cap and user agent."""
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=limits.connect_timeout_s,
            read=limits.read_timeout_s,
            write=limits.read_timeout_s,
            pool=limits.connect_timeout_s,
        ),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
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
    deadline = time.monotonic() + limits.total_timeout_s
    try:
        with client.stream("GET", url, headers=headers) as response:
            redirects = tuple(str(r.url) for r in response.history)
            _raise_for_status(response, url)
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if response.status_code != 304 and html_only and content_type not in HTML_CONTENT_TYPES:
                raise PermanentError(
                    f"{url} is {content_type or 'of unknown type'}, not HTML", reason="not_html"
                )
            body = (
                b"" if response.status_code == 304 else _read_capped(response, max_bytes, deadline)
            )
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
    except (TransientError, PermanentError):
        raise
    except httpx.TooManyRedirects as exc:
        raise PermanentError(f"{url}: {exc}", reason="too_many_redirects") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise PermanentError(f"{url}: {exc}", reason="bad_url") from exc
    except httpx.TimeoutException as exc:
        raise TransientError(f"{url}: timed out ({type(exc).__name__})", reason="timeout") from exc
    except httpx.ConnectError as exc:
        raise TransientError(f"{url}: cannot connect: {exc}", reason="connect_error") from exc
    except httpx.DecodingError as exc:
        raise PermanentError(f"{url}: bad content encoding: {exc}", reason="bad_encoding") from exc
    except httpx.TransportError as exc:
        # Dropped connections and protocol errors are usually a server restart mid-response.
        raise TransientError(
            f"{url}: connection failed: {exc!r}", reason="connection_error"
        ) from exc


def _raise_for_status(response: httpx.Response, url: str) -> None:
    code = response.status_code
    if code < 400 or code == 304:
        return
    reason = f"http_{code}"
    if code in RETRY_HTTP_CODES:
        raise TransientError(
            f"{url} answered HTTP {code}",
            reason=reason,
            retry_after_s=_retry_after_s(response.headers.get("retry-after")),
        )
    raise PermanentError(f"{url} answered HTTP {code}", reason=reason)


def _retry_after_s(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: the task's own backoff is good enough


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """Read the decoded body, failing on a size cap or the total deadline."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PermanentError(
            f"{response.url} declares {declared} bytes, above the cap of {max_bytes}",
            reason="too_large",
        )
    chunks: list[bytes] = []
    size = 0
    # iter_bytes yields *decompressed* data, so a gzip bomb hits the cap early.
    for chunk in response.iter_bytes(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise PermanentError(
                f"{response.url} sent more than {max_bytes} bytes", reason="too_large"
            )
        if time.monotonic() > deadline:
            # A slow-drip server must not hold a worker beyond the total budget.
            raise TransientError(f"{response.url}: total fetch time exceeded", reason="timeout")
        chunks.append(chunk)
    return b"".join(chunks)
