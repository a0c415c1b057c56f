"""The address guard: every forbidden range refused before any connection is attempted.

No test here sends a packet: names resolve through resolvers written in the test, and
the backend below the guard only records what it was asked to connect to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpcore
import pytest

from newsdesk.errors import PermanentError, TransientError
from newsdesk.http.addresses import AddressPolicy, forbidden_category
from newsdesk.http.fetch import MAX_RETRY_AFTER_S, build_http_client, fetch, retry_after_s
from newsdesk.http.guard import (
    DeadlineStream,
    ForbiddenAddressError,
    GuardedBackend,
    check_url,
    request_deadline,
    system_resolver,
)
from newsdesk.settings import FetchLimits, Settings, SettingsError


class RecordingBackend(httpcore.NetworkBackend):
    """Records every connect it is asked for and never opens a socket."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.calls.append((host, port))
        raise httpcore.ConnectError("the recording backend never connects")


def resolving_to(*addresses: str) -> Any:
    """Return a resolver that answers ``addresses`` for any name, and logs the names asked."""

    def resolve(host: str, port: int) -> list[str]:
        resolve.asked.append(host)  # type: ignore[attr-defined]
        return list(addresses)

    resolve.asked = []  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, nothing binds
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("100.64.0.1", "shared address space (CGNAT)"),
        ("100.100.100.200", "shared address space (CGNAT)"),
        ("192.0.2.1", "private"),  # TEST-NET-1
        ("198.18.0.1", "private"),  # benchmarking
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("fc00::1", "private"),
        ("fd00:ec2::254", "private"),
        ("fec0::1", "site-local"),
        ("2001:db8::1", "private"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::1", "tunnels to 10.0.0.1 (private)"),  # 6to4
        ("::a00:1", "reserved"),  # IPv4-compatible, deprecated
    ],
)
def test_every_non_public_range_is_named(address: str, category: str) -> None:
    assert forbidden_category(ipaddress.ip_address(address)) == category


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_category(ipaddress.ip_address(address)) is None
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_allowed_ranges_open_exactly_what_they_name() -> None:
    policy = AddressPolicy.from_cidrs(["127.0.0.2/32", "10.0.0.0/8"])
    assert policy.refusal(ipaddress.ip_address("127.0.0.2")) is None
    assert policy.refusal(ipaddress.ip_address("::ffff:127.0.0.2")) is None
    assert policy.refusal(ipaddress.ip_address("10.200.0.9")) is None
    assert policy.refusal(ipaddress.ip_address("127.0.0.3")) == "loopback address"
    assert policy.refusal(ipaddress.ip_address("::1")) == "loopback address"


def test_link_local_and_metadata_can_never_be_allowed() -> None:
    everything = AddressPolicy.from_cidrs(["0.0.0.0/0", "::/0"])
    assert everything.refusal(ipaddress.ip_address("10.0.0.1")) is None
    for address in (
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
    ):
        refusal = everything.refusal(ipaddress.ip_address(address))
        assert refusal is not None and "never allowed" in refusal, address


def test_allow_networks_setting_is_validated_and_read_from_the_environment() -> None:
    settings = Settings.from_env({"NEWSDESK_FETCH_ALLOW_NETWORKS": "10.0.0.0/8, fd00::/8"})
    assert settings.fetch.allow_networks == ("10.0.0.0/8", "fd00::/8")
    assert Settings.from_env(settings.to_env()) == settings
    assert Settings.from_env({}).fetch.allow_networks == ()
    with pytest.raises(SettingsError, match=r"NEWSDESK_FETCH_ALLOW_NETWORKS.*never allowed"):
        FetchLimits(allow_networks=("169.254.169.254/32",))
    with pytest.raises(SettingsError, match="NEWSDESK_FETCH_ALLOW_NETWORKS"):
        Settings.from_env({"NEWSDESK_FETCH_ALLOW_NETWORKS": "intranet"})


@pytest.mark.parametrize("resolved", ["10.1.2.3", "169.254.169.254", "::ffff:10.0.0.1", "::1"])
def test_a_name_resolving_inside_is_refused_before_any_connect(resolved: str) -> None:
    recorder = RecordingBackend()
    resolver = resolving_to(resolved)
    backend = GuardedBackend(AddressPolicy(), resolver=resolver, inner=recorder)
    with pytest.raises(ForbiddenAddressError, match=resolved.removeprefix("::ffff:")):
        backend.connect_tcp("news.example", 443)
    assert resolver.asked == ["news.example"]
    assert recorder.calls == []


def test_one_bad_answer_condemns_the_host() -> None:
    # A rebinding resolver mixes a public answer with an internal one.
    recorder = RecordingBackend()
    resolver = resolving_to("93.184.215.14", "10.0.0.1")
    backend = GuardedBackend(AddressPolicy(), resolver=resolver, inner=recorder)
    with pytest.raises(ForbiddenAddressError, match=r"10\.0\.0\.1"):
        backend.connect_tcp("news.example", 80)
    assert recorder.calls == []


def test_a_public_name_is_connected_to_by_its_checked_address_not_its_name() -> None:
    recorder = RecordingBackend()
    resolver = resolving_to("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    backend = GuardedBackend(AddressPolicy(), resolver=resolver, inner=recorder)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("news.example", 80)
    # Both checked addresses were tried, the name itself never reached the socket layer.
    assert recorder.calls == [
        ("93.184.215.14", 80),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", 80),
    ]


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://intranet.example/feed.xml", "10.1.2.3"),
        ("https://metadata.example/latest/meta-data/", "169.254.169.254"),
        ("http://mapped.example:8080/", "::ffff:10.0.0.1"),
    ],
)
def test_fetch_refuses_with_the_url_and_address_and_no_connection(url: str, address: str) -> None:
    recorder = RecordingBackend()
    limits = FetchLimits()
    http = build_http_client(limits, resolver=resolving_to(address), network_backend=recorder)
    with http, pytest.raises(PermanentError) as info:
        fetch(http, url, limits, max_bytes=1000)
    assert info.value.reason == "forbidden_address"
    assert url in str(info.value) and address.removeprefix("::ffff:") in str(info.value)
    assert recorder.calls == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://127.0.0.1:6379/",
        "http://[::1]/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/",  # 127.0.0.1 in hex shorthand
    ],
)
def test_literal_and_disguised_addresses_are_refused(url: str) -> None:
    recorder = RecordingBackend()
    limits = FetchLimits()
    # The system resolver parses numeric forms itself: no DNS query is sent.
    http = build_http_client(limits, resolver=system_resolver, network_backend=recorder)
    with http, pytest.raises(PermanentError) as info:
        fetch(http, url, limits, max_bytes=1000)
    assert info.value.reason == "forbidden_address"
    assert recorder.calls == []


def test_url_scheme_and_length_are_checked_first() -> None:
    with pytest.raises(PermanentError) as info:
        check_url("http://news.example/" + "a" * 3000, 2048)
    assert info.value.reason == "url_too_long"
    for url in ("file:///etc/passwd", "gopher://news.example/", "javascript:alert(1)"):
        with pytest.raises(PermanentError) as info:
            check_url(url, 2048)
        assert info.value.reason == "bad_url"
    check_url("HTTPS://news.example/a", 2048)


def test_the_request_deadline_bounds_every_read() -> None:
    class SilentStream(httpcore.NetworkStream):
        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            self.timeout = timeout
            return b""

    inner = SilentStream()
    stream = DeadlineStream(inner)
    stream.read(10, timeout=15.0)
    assert inner.timeout == 15.0  # outside a fetch, the per-read timeout stands
    with request_deadline(2.0):
        stream.read(10, timeout=15.0)
        assert inner.timeout is not None and inner.timeout <= 2.0
    with request_deadline(0.0), pytest.raises(httpcore.ReadTimeout):
        stream.read(10, timeout=15.0)


def test_retry_after_accepts_seconds_and_dates_and_is_capped() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert retry_after_s("120") == 120.0
    assert retry_after_s(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert retry_after_s(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert retry_after_s("604800") == MAX_RETRY_AFTER_S
    assert retry_after_s("soon") is None
    assert retry_after_s("nan") is None
    assert retry_after_s(None) is None


def test_transient_errors_keep_retry_after() -> None:
    assert TransientError("x", reason="http_429", retry_after_s=3).retry_after_s == 3
