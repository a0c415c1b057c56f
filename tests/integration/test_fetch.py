"""Bounded fetches against hostile routes of a real loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from newsdesk.demo.server import LoopbackSite
from newsdesk.errors import PermanentError, TransientError
from newsdesk.http.fetch import FetchResult, Validators, build_http_client, fetch
from newsdesk.settings import FetchLimits

LIMITS = FetchLimits(
    connect_timeout_s=2,
    read_timeout_s=1.5,
    total_timeout_s=3,
    max_redirects=4,
    allow_networks=("127.0.0.1/32",),
)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with build_http_client(LIMITS) as http:
        yield http


def _get(
    client: httpx.Client,
    url: str,
    *,
    html_only: bool = False,
    validators: Validators | None = None,
) -> FetchResult:
    return fetch(
        client, url, LIMITS, max_bytes=1_000_000, html_only=html_only, validators=validators
    )


@pytest.mark.parametrize(
    ("path", "error", "reason"),
    [
        ("/status/404", PermanentError, "http_404"),
        ("/status/410", PermanentError, "http_410"),
        ("/status/503", TransientError, "http_503"),
        ("/status/429", TransientError, "http_429"),
        ("/drop", TransientError, "connection_error"),
        ("/slow?seconds=5", TransientError, "timeout"),
        ("/redirect-loop", PermanentError, "too_many_redirects"),
        ("/redirect/9", PermanentError, "too_many_redirects"),
        ("/huge?mb=3", PermanentError, "too_large"),
        ("/huge?mb=3&length=0", PermanentError, "too_large"),
        ("/gzip-bomb?mb=8", PermanentError, "too_large"),
    ],
)
def test_hostile_routes_map_to_the_taxonomy(
    client: httpx.Client, site: LoopbackSite, path: str, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as info:
        _get(client, site.url(path))
    assert getattr(info.value, "reason", None) == reason
    assert site.base_url in str(info.value)


def test_retry_after_is_kept(client: httpx.Client, site: LoopbackSite) -> None:
    with pytest.raises(TransientError) as info:
        _get(client, site.url("/status/503"))
    assert info.value.retry_after_s == 1.0


def test_not_html_is_refused_only_when_html_is_required(
    client: httpx.Client, site: LoopbackSite
) -> None:
    with pytest.raises(PermanentError, match="application/pdf"):
        _get(client, site.url("/not-html"), html_only=True)
    assert _get(client, site.url("/not-html")).content_type == "application/pdf"


def test_redirects_are_followed_and_recorded(client: httpx.Client, site: LoopbackSite) -> None:
    result = _get(client, site.url("/redirect/3"), html_only=True)
    assert result.status_code == 200
    assert len(result.redirects) == 3


def test_conditional_get_answers_304_with_an_empty_body(
    client: httpx.Client, site: LoopbackSite
) -> None:
    first = _get(client, site.url("/northwire/feed.xml"))
    assert first.body and first.validators.etag
    second = _get(client, site.url("/northwire/feed.xml"), validators=first.validators)
    assert second.not_modified and second.body == b""
    changed = _get(client, site.url("/northwire/feed.xml"), validators=Validators(etag='"old"'))
    assert changed.status_code == 200


def test_unreachable_host_is_transient(client: httpx.Client) -> None:
    with pytest.raises(TransientError) as info:
        _get(client, "http://127.0.0.1:1/feed.xml")
    assert info.value.reason == "connect_error"


def test_non_http_scheme_is_permanent(client: httpx.Client) -> None:
    with pytest.raises(PermanentError) as info:
        _get(client, "ftp://127.0.0.1/feed.xml")
    assert info.value.reason == "bad_url"
