"""Which IP addresses a fetch may connect to: the public internet plus configured ranges.

Feed and article URLs come from outside, so any of them may point at the worker's own
network: Redis on 127.0.0.1, an admin panel on 10.x, the cloud metadata service on
169.254.169.254. Pure functions over ``ipaddress`` objects; the connection layer in
``newsdesk.http.guard`` applies them to every address it is about to connect to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from newsdesk.settings import NEVER_ALLOWED_NETWORKS

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges that ``ipaddress`` does not flag (or flags only as "not global") named here so
# the refusal says why: shared address space is where carriers and clouds put internals.
_NAMED_IPV4 = (
    (ipaddress.IPv4Network("100.64.0.0/10"), "shared address space (CGNAT)"),
    (ipaddress.IPv4Network("192.0.0.0/24"), "IETF protocol assignments"),
    (ipaddress.IPv4Network("198.18.0.0/15"), "benchmarking"),
)
# IPv6 prefixes that embed an IPv4 address a gateway will connect to on our behalf.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_NEVER_ALLOWED = tuple(ipaddress.ip_network(n) for n in NEVER_ALLOWED_NETWORKS)


def parse_address(text: str) -> IPAddress:
    """Return the address in ``text`` (IPv6 zone ids dropped); raise ValueError if it is none."""
    return ipaddress.ip_address(text.split("%", 1)[0].strip("[]"))


def effective_address(addr: IPAddress) -> IPAddress:
    """Return the IPv4 address that ``addr`` really reaches when it wraps one, else ``addr``.

    ``::ffff:10.0.0.1`` (IPv4-mapped) and ``64:ff9b::a00:1`` (NAT64) both end up at
    10.0.0.1, so they are judged, and allowed, exactly as 10.0.0.1 is.
    """
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if any(addr in net for net in _NAT64):
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def forbidden_category(addr: IPAddress) -> str | None:
    """Return why ``addr`` is not a public internet address (e.g. "loopback"), or None."""
    addr = effective_address(addr)
    checks = (
        (addr.is_unspecified, "unspecified"),
        (addr.is_loopback, "loopback"),
        (addr.is_link_local, "link-local"),
        (addr.is_multicast, "multicast"),
        (addr.is_reserved, "reserved"),
        (addr.is_private, "private"),
        (isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local, "site-local"),
    )
    for hit, category in checks:
        if hit:
            return category
    if isinstance(addr, ipaddress.IPv4Address):
        for net, category in _NAMED_IPV4:
            if addr in net:
                return category
    else:
        # 6to4 and Teredo tunnel to the IPv4 address inside them.
        embedded = [addr.sixtofour, *(addr.teredo or ())]
        for inner in embedded:
            if inner is not None and forbidden_category(inner):
                return f"tunnels to {inner} ({forbidden_category(inner)})"
    if not addr.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """The public internet, plus ``allowed`` ranges minus link-local and metadata ranges."""

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str]) -> AddressPolicy:
        """Return the policy opening ``cidrs``; raise ValueError for a malformed range."""
        return cls(tuple(ipaddress.ip_network(c) for c in cidrs))

    def refusal(self, addr: IPAddress) -> str | None:
        """Return why a connection to ``addr`` is refused, or None when it is allowed."""
        real = effective_address(addr)
        if any(real in net for net in _NEVER_ALLOWED):
            return "link-local or cloud metadata address, never allowed"
        if any(real in net for net in self.allowed):
            return None
        category = forbidden_category(real)
        return f"{category} address" if category else None
