"""The connection layer under every fetch: checked addresses and a hard request deadline.

A URL that names a public host can still lead inside: its DNS may answer 10.0.0.5, or
answer differently on the second lookup (DNS rebinding), or a redirect may point at
169.254.169.254. So the check happens where the socket is opened: httpcore hands the
host name to :class:`GuardedBackend`, which resolves it once, refuses the whole host if
any answer is forbidden, and connects to the checked IP itself, never to the name. TLS
still uses the name for SNI and certificate checks, since httpcore passes it to
``start_tls``. The resolver and the inner backend are plain parameters, so tests can
resolve names to any address and record whether a connect was attempted.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx

from newsdesk.errors import PermanentError
from newsdesk.http.addresses import AddressPolicy, IPAddress, effective_address, parse_address

Resolver = Callable[[str, int], list[str]]
# httpx's own pool defaults, which its transport would otherwise have applied.
POOL_MAX_CONNECTIONS = 100
POOL_MAX_KEEPALIVE = 20
POOL_KEEPALIVE_EXPIRY_S = 5.0
SocketOption = Any  # httpcore's SOCKET_OPTION union, not exported publicly

# Monotonic deadline of the request running in this thread (None outside a fetch).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "newsdesk_fetch_deadline", default=None
)


class ForbiddenAddressError(PermanentError):
    """A host resolved to an address the policy refuses; no connection was attempted."""

    reason = "forbidden_address"


def system_resolver(host: str, port: int) -> list[str]:
    """Return every address the system resolver gives for ``host`` (raises OSError)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@contextlib.contextmanager
def request_deadline(total_s: float) -> Iterator[None]:
    """Bound every connect, read and write inside the block to ``total_s`` seconds overall."""
    token = _DEADLINE.set(time.monotonic() + total_s)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, what: str) -> float | None:
    """Return ``timeout`` shortened to the request's deadline; raise once it has passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left_s = deadline - time.monotonic()
    if left_s <= 0:
        # Per-read timeouts alone let a server dripping one byte a second hold a worker
        # for hours; the deadline also covers the status line and headers.
        raise httpcore.ReadTimeout(f"total fetch time exceeded while {what}")
    return left_s if timeout is None else min(timeout, left_s)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation also respects the request deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Return up to ``max_bytes`` bytes; raise ReadTimeout past the deadline."""
        return self._inner.read(max_bytes, _bounded(timeout, "reading"))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer``; raise ReadTimeout past the deadline."""
        self._inner.write(buffer, _bounded(timeout, "writing"))

    def close(self) -> None:
        """Close the underlying stream."""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Return the TLS stream, still bound by the deadline."""
        tls = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, "in TLS"))
        return DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        """Return socket details from the underlying stream."""
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address against the policy, then connects to a checked IP."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver = system_resolver,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = inner or httpcore.SyncBackend()

    def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Return the addresses to try for host; raise ForbiddenAddressError if any is refused."""
        try:
            literal: IPAddress | None = parse_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            texts = [str(literal)]
        else:
            try:
                texts = self.resolver(host, port)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[IPAddress] = []
        for text in texts:
            try:
                addr = parse_address(text)
            except ValueError:
                raise ForbiddenAddressError(f"{host} resolved to {text!r}, not an IP") from None
            why = self.policy.refusal(addr)
            # One bad answer condemns the host: a rebinding resolver mixes good and bad ones.
            if why is not None:
                real = effective_address(addr)
                shown = f"{addr} ({real})" if real != addr else str(addr)
                target = host if literal is not None else f"{host} resolves to {shown}, which"
                raise ForbiddenAddressError(f"{target} is a {why}")
            addresses.append(addr)
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolved to no address")
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        """Return a stream connected to the first reachable checked address of ``host``."""
        addresses = self.checked_addresses(host, port)
        last_error: Exception | None = None
        for addr in addresses:
            try:
                stream = self.inner.connect_tcp(
                    str(addr),
                    port,
                    timeout=_bounded(timeout, "connecting"),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return DeadlineStream(stream)
        raise last_error or httpcore.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        """Refuse: fetches only ever go to TCP hosts."""
        raise ForbiddenAddressError(f"unix socket {path} is not a fetch target")

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore uses it between connection retries)."""
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool opened through a GuardedBackend."""

    def __init__(self, backend: GuardedBackend, *, max_url_chars: int) -> None:
        super().__init__(trust_env=False)
        self.max_url_chars = max_url_chars
        # httpx has no public parameter for the network backend: the pool it built is
        # replaced by the same kind of pool over the guarded backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=POOL_MAX_CONNECTIONS,
            max_keepalive_connections=POOL_MAX_KEEPALIVE,
            keepalive_expiry=POOL_KEEPALIVE_EXPIRY_S,
            network_backend=backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request (a redirect hop too); name the URL when its target is refused."""
        url = str(request.url)
        check_url(url, self.max_url_chars)
        try:
            return super().handle_request(request)
        except ForbiddenAddressError as exc:
            raise ForbiddenAddressError(f"{url}: {exc.detail}") from None


def check_url(url: str, max_url_chars: int) -> None:
    """Raise PermanentError unless ``url`` is http(s) and at most ``max_url_chars`` long."""
    if len(url) > max_url_chars:
        raise PermanentError(
            f"{url[:200]}… is {len(url)} characters long, above the cap of {max_url_chars}",
            reason="url_too_long",
        )
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise PermanentError(f"{url}: only http and https URLs are fetched", reason="bad_url")


def build_guarded_transport(
    allow_networks: Iterable[str],
    *,
    max_url_chars: int,
    resolver: Resolver = system_resolver,
    inner: httpcore.NetworkBackend | None = None,
) -> GuardedTransport:
    """Return a transport that connects only to public addresses and ``allow_networks``."""
    backend = GuardedBackend(
        AddressPolicy.from_cidrs(allow_networks), resolver=resolver, inner=inner
    )
    return GuardedTransport(backend, max_url_chars=max_url_chars)
