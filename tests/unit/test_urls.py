"""Canonical URLs, article identity and the same-site approximation."""

from __future__ import annotations

import hashlib

import pytest

from newsdesk.urls import (
    TRACKING_PARAMS,
    canonicalize_url,
    host_of,
    same_site,
    url_id,
    url_identity,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # tracking parameters of every family go, real ones stay
        (
            "https://example.org/a?utm_source=rss&utm_medium=feed&id=7&fbclid=XYZ",
            "https://example.org/a?id=7",
        ),
        ("https://example.org/a?UTM_Campaign=x&Ref=home&GCLID=1", "https://example.org/a"),
        ("https://example.org/a?utm_whatever_new=1&p=2", "https://example.org/a?p=2"),
        (
            "https://example.org/a?CMP=share_btn_tw&xtor=RSS-1&ito=2&s_cid=3",
            "https://example.org/a",
        ),
        ("https://example.org/a?mc_cid=1&mc_eid=2&igshid=3&_ga=4", "https://example.org/a"),
        # an escaped underscore is still a tracking parameter
        ("https://example.org/a?utm%5Fsource=x&q=1", "https://example.org/a?q=1"),
        # fragment removed
        ("https://example.org/a#comments", "https://example.org/a"),
        ("https://example.org/a?b=1#", "https://example.org/a?b=1"),
        # scheme and host case; path case kept
        ("HTTPS://News.Example.ORG/Story/One", "https://news.example.org/Story/One"),
        # default ports dropped, others kept
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:80/a", "https://example.org:80/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        # stable sort: repeated keys keep their order, blank values and bare flags survive
        ("https://example.org/a?z=1&b=2&a=2&a=1", "https://example.org/a?a=2&a=1&b=2&z=1"),
        ("https://example.org/a?b=&a", "https://example.org/a?a&b="),
        ("https://example.org/a?&&b=1&", "https://example.org/a?b=1"),
        # empty path and dot segments
        ("https://example.org", "https://example.org/"),
        ("https://example.org?x=1", "https://example.org/?x=1"),
        ("https://example.org/a/./b/../c", "https://example.org/a/c"),
        ("https://example.org/a/b/..", "https://example.org/a/"),
        ("https://example.org/../../a", "https://example.org/a"),
        ("https://example.org/%2e%2E/a", "https://example.org/a"),
        # percent-encoding: uppercase hex, unreserved decoded, reserved kept, raw bytes escaped
        ("https://example.org/%7euser/%41%2fb", "https://example.org/~user/A%2Fb"),
        ("https://example.org/caf\u00e9 bar", "https://example.org/caf%C3%A9%20bar"),
        ("https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"),
        ("https://example.org/a?q=%e2%82%ac&r=50%", "https://example.org/a?q=%E2%82%AC&r=50%25"),
        # IDN to punycode, trailing dot removed, www kept
        ("https://b\u00fccher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://www.example.org/a", "https://www.example.org/a"),
        # feeds wrap long links over lines; browsers drop the newlines
        ("  https://example.org/long/\npath?x=1\t\n", "https://example.org/long/path?x=1"),
        # IPv6 literal
        ("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
    ],
)
def test_canonicalize_url(raw: str, canonical: str) -> None:
    assert canonicalize_url(raw) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://Example.org:80/a/./b?utm_source=x&b=2&a=1#f",
        "https://b\u00fccher.example/%7e/caf\u00e9?q=%e2%82%ac&z&y=",
        "https://example.org/a%zz%25/..//b",
    ],
)
def test_canonicalize_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_scheme_is_kept_not_upgraded() -> None:
    assert canonicalize_url("http://example.org/a").startswith("http://")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/file", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("mailto:desk@example.org", "only http and https"),
        ("example.org/a", "no scheme"),
        ("//example.org/a", "no scheme"),
        ("", "no scheme"),
        ("https:///path-only", "no host"),
        ("http://", "no host"),
        ("http://exa mple.org/", "invalid host"),
        ("http://a..b/", "invalid host"),
        ("http://example.org:99999/", "invalid port"),
        ("http://example.org:http/", "invalid port"),
    ],
)
def test_bad_urls_raise(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonicalize_url(url)


def test_url_identity_drops_the_scheme() -> None:
    assert url_identity("https://Example.org/a?b=1#x") == "//example.org/a?b=1"


def test_same_article_with_different_tracking_has_one_id() -> None:
    from_rss = "https://example.org/2024/story?utm_source=rss&utm_medium=feed"
    from_social = "https://example.org/2024/story?fbclid=abc123#top"
    from_newsletter = "https://example.org/2024/story?mc_cid=1&mc_eid=2"
    assert url_id(from_rss) == url_id(from_social) == url_id(from_newsletter)


def test_http_and_https_have_one_id() -> None:
    assert url_id("http://example.org/a") == url_id("https://example.org/a")
    assert url_id("http://example.org:80/a") == url_id("https://example.org:443/a")


def test_different_articles_have_different_ids() -> None:
    assert url_id("https://example.org/a?id=1") != url_id("https://example.org/a?id=2")
    assert url_id("https://example.org/a") != url_id("https://www.example.org/a")


def test_url_id_is_sha256_of_identity() -> None:
    expected = hashlib.sha256(b"//example.org/a").hexdigest()
    assert url_id("HTTPS://EXAMPLE.org/a#frag") == expected


def test_tracking_params_are_lowercase() -> None:
    assert all(name == name.lower() for name in TRACKING_PARAMS)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://News.Example.org:8443/a", "news.example.org"),
        ("http://example.org./", "example.org"),
        ("https://b\u00fccher.example/", "xn--bcher-kva.example"),
        ("http://[::1]:8080/", "::1"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


def test_host_of_rejects_bad_urls() -> None:
    with pytest.raises(ValueError, match="no scheme"):
        host_of("not a url")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://www.example.org/a", "http://example.org/b", True),
        ("https://example.org/a", "https://EXAMPLE.org./b", True),
        ("https://edition.example.com/a", "https://www.example.com/", True),
        ("https://news.bbc.co.uk/x", "bbc.co.uk", True),
        ("www.example.org", "example.org", True),
        # siblings are not matched: without the public suffix list they look like
        # a.blogspot.com and b.blogspot.com, which belong to different people
        ("https://a.example.com/", "https://b.example.com/", False),
        ("https://bbc.co.uk/", "https://guardian.co.uk/", False),
        ("https://example.com/", "https://com/", False),
        ("https://notexample.org/", "https://example.org/", False),
        ("http://10.0.0.1/", "http://0.0.1/", False),
    ],
)
def test_same_site(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected
    assert same_site(b, a) is expected


def test_same_site_rejects_bad_urls() -> None:
    with pytest.raises(ValueError, match="only http and https"):
        same_site("ftp://example.org/", "https://example.org/")
