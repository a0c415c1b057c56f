"""The hostile corpus: every nasty feed or page ends in exactly one recorded reason, the
process stays small, and no test traffic ever leaves loopback.

Stage functions run against the real loopback site and Redis; one run goes through
``ingest_once`` and the real worker to show that hostile feeds leave others unharmed.
Clients built here sit on :class:`LoopbackOnlyBackend`, so even a broken guard could
not reach 169.254.169.254.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator
from html import escape
from pathlib import Path

import httpx
import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch
from hostile_support import ConnectionRecorder, LoopbackOnlyBackend, PeakRss

from newsdesk.demo.hostile import gzip_bomb_body
from newsdesk.demo.server import LoopbackSite
from newsdesk.errors import NewsdeskError
from newsdesk.feeds.config import Feed
from newsdesk.http.fetch import build_http_client
from newsdesk.models import FeedEntry
from newsdesk.outcomes import read_totals
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.stages.fetch import fetch_page
from newsdesk.stages.poll import poll_feed
from newsdesk.stages.process import process_page
from newsdesk.state.redis_state import load_page
from workers.ingest import ingest_once

FIXTURE_FEED = Path(__file__).resolve().parents[1] / "fixtures" / "site" / "feeds" / "examiner.xml"
# Memory the whole hostile run may add to the test process. Extraction models and the
# in-process worker take about 270 MiB; the hostile bodies, held or inflated, would add
# gigabytes (a 1 GiB page, a 256 MiB gzip bomb, a 10 GB entity expansion).
MAX_RSS_GROWTH_MIB = 700
LONG_URL_PATH = "/misc/small-article.html?q=" + "a" * 3000


@pytest.fixture(scope="module", autouse=True)
def peak_rss(request: pytest.FixtureRequest) -> Iterator[PeakRss]:
    """Measure the test process's peak RSS over this module, and print it."""
    meter = PeakRss()
    meter.start()
    yield meter
    peak_mib = meter.stop()
    line = (
        f"hostile inputs: peak RSS of the test process {peak_mib:.0f} MiB "
        f"(was {meter.start_mib:.0f} MiB before the hostile run)"
    )
    # Shown even without -s: the figure is part of what this module reports.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


@pytest.fixture(scope="module", autouse=True)
def _gzip_bomb_built() -> None:
    """Build the 256 MiB bomb before any timed request: its making (about a second of
    zlib on a busy machine) is the site's work, not the client's, and must not count
    against the client's short deadlines."""
    gzip_bomb_body(256)


@pytest.fixture
def settings(base_settings: Settings) -> Settings:
    """Return the session settings with a short total deadline, for the drip routes."""
    fetch = dataclasses.replace(base_settings.fetch, total_timeout_s=2.0, read_timeout_s=1.5)
    return base_settings.with_overrides(fetch=fetch)


@pytest.fixture
def loopback() -> LoopbackOnlyBackend:
    return LoopbackOnlyBackend()


@pytest.fixture
def http(settings: Settings, loopback: LoopbackOnlyBackend) -> Iterator[httpx.Client]:
    with build_http_client(settings.fetch, network_backend=loopback) as client:
        yield client
    assert loopback.escaped == []


@pytest.fixture(scope="module")
def listener() -> Iterator[ConnectionRecorder]:
    """A loopback address outside every allowed range: any connection to it is a leak."""
    with ConnectionRecorder("127.0.0.3") as recorder:
        yield recorder
    assert recorder.connections == []


def _rss(links: Iterable[str]) -> str:
    """Return an RSS document with one item per link."""
    items = "".join(
        f"<item><title>Item {n}</title><link>{escape(url)}</link></item>"
        for n, url in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def _page_outcome(url: str, http: httpx.Client, r: redis.Redis, settings: Settings) -> str:
    """Return the single outcome label of fetching and processing one article URL."""
    entry = FeedEntry(url=url, link=url, feed_id="hostile", feed_name="Hostile", feed_url=url)
    try:
        page = fetch_page(entry, http=http, r=r, settings=settings)
        html = load_page(r, page.body_key) if page.body_key else None
        process_page(page, html, min_body_chars=settings.min_body_chars)
    except NewsdeskError as exc:
        return f"failed:{exc.reason}"
    return "processed"


FEED_CASES = [
    ("/xml-bomb", "poll_failed:xml_entities"),
    ("/quadratic-blowup?kb=50&refs=200000", "poll_failed:xml_entities"),
    ("/html-feed", "poll_failed:malformed_feed"),
    ("/empty?type=application/rss%2Bxml", "poll_failed:not_a_feed"),
    ("/huge?mb=1024", "poll_failed:too_large"),
    ("/huge?mb=1024&length=0", "poll_failed:too_large"),
    ("/gzip-bomb?mb=256", "poll_failed:too_large"),
    ("/drip", "poll_failed:timeout"),
    ("/drip?part=headers", "poll_failed:timeout"),
    ("/redirect-to?url=http://169.254.169.254/latest/meta-data/", "poll_failed:forbidden_address"),
    ("/redirect-to?url=file:///etc/passwd", "poll_failed:bad_url"),
    ("/redirect-loop", "poll_failed:too_many_redirects"),
    ("/hostile/path-as-body.xml", "poll_failed:malformed_feed"),
]


@pytest.mark.parametrize(("path", "expected"), FEED_CASES)
def test_each_hostile_feed_ends_in_one_recorded_reason(
    path: str,
    expected: str,
    *,
    r: redis.Redis,
    http: httpx.Client,
    site: LoopbackSite,
    settings: Settings,
) -> None:
    # A body naming a local feed file: feedparser given bytes would open and parse it.
    site.mutate("/hostile/path-as-body.xml", str(FIXTURE_FEED))
    feed = Feed(name="Hostile Feed", url=site.url(path), interval_s=60)
    started = time.monotonic()
    result = poll_feed(feed, http=http, r=r, settings=settings)
    elapsed_s = time.monotonic() - started
    assert f"{result.outcome}:{result.reason}" == expected
    assert read_totals(r).polls == {expected: 1}
    assert result.new_entries == []
    # Nothing holds a worker past the request deadline (plus one read timeout).
    assert elapsed_s < settings.fetch.total_timeout_s + settings.fetch.read_timeout_s + 1


PAGE_CASES = [
    ("/lying-content-type", "failed:not_html"),  # a PDF served as text/html
    ("/lying-content-type?body=html", "failed:not_html"),  # HTML served as image/jpeg
    ("/empty", "failed:extract_empty"),
    ("/deep-nesting", "failed:extract_empty"),
    ("/mixed-encoding", "processed"),
    ("/huge?mb=1024", "failed:too_large"),
    ("/huge?mb=1024&length=0", "failed:too_large"),
    ("/gzip-bomb?mb=256", "failed:too_large"),
    ("/drip", "failed:timeout"),
    ("/drip?part=headers", "failed:timeout"),
    ("/redirect-to?url=http://169.254.169.254/latest/meta-data/", "failed:forbidden_address"),
    ("/redirect-to?url=http://[::ffff:169.254.169.254]/", "failed:forbidden_address"),
    ("/redirect-to?url=file:///etc/passwd", "failed:bad_url"),
    (LONG_URL_PATH, "failed:url_too_long"),
]


@pytest.mark.parametrize(("path", "expected"), PAGE_CASES)
def test_each_hostile_page_ends_in_one_reason(
    path: str,
    expected: str,
    *,
    r: redis.Redis,
    http: httpx.Client,
    site: LoopbackSite,
    settings: Settings,
) -> None:
    started = time.monotonic()
    assert _page_outcome(site.url(path), http, r, settings) == expected
    assert time.monotonic() - started < settings.fetch.total_timeout_s + 5


def test_redirects_to_other_loopback_hosts_are_refused_too(
    r: redis.Redis,
    http: httpx.Client,
    site: LoopbackSite,
    settings: Settings,
    listener: ConnectionRecorder,
) -> None:
    # 127.0.0.3 is loopback, but only 127.0.0.1/32 is opened for the test site.
    target = site.url(f"/redirect-to?url={listener.base_url}/internal-admin")
    assert _page_outcome(target, http, r, settings) == "failed:forbidden_address"
    assert (
        _page_outcome(listener.base_url + "/direct", http, r, settings)
        == "failed:forbidden_address"
    )
    assert listener.connections == []


def test_test_traffic_never_leaves_the_allowed_loopback_address(
    r: redis.Redis, base_settings: Settings, loopback: LoopbackOnlyBackend, site: LoopbackSite
) -> None:
    fetch = dataclasses.replace(base_settings.fetch, allow_networks=("127.0.0.2/32",))
    settings = base_settings.with_overrides(fetch=fetch)
    with (
        LoopbackSite(host="127.0.0.2") as allowed,
        ConnectionRecorder("127.0.0.3") as v4,
        ConnectionRecorder("::1") as v6,
        build_http_client(settings.fetch, network_backend=loopback) as http,
    ):
        links = {
            f"{allowed.base_url}/misc/small-article.html": "processed",
            f"{v4.base_url}/story": "failed:forbidden_address",
            f"{v6.base_url}/story": "failed:forbidden_address",
            f"http://localhost:{v4.port}/story": "failed:forbidden_address",
            allowed.url(f"/redirect-to?url={v4.base_url}/hop"): "failed:forbidden_address",
            allowed.url(f"/redirect-to?url={v6.base_url}/hop"): "failed:forbidden_address",
            site.url("/misc/small-article.html"): "failed:forbidden_address",  # 127.0.0.1
        }
        allowed.mutate("/hostile/links.xml", _rss(links))
        feed = Feed(name="Links Out", url=allowed.url("/hostile/links.xml"), interval_s=60)
        result = poll_feed(feed, http=http, r=r, settings=settings)
        assert result.outcome == "polled" and len(result.new_entries) == len(links)
        outcomes = {e.link: _page_outcome(e.link, http, r, settings) for e in result.new_entries}
        refused_feed = Feed(name="Inside", url=f"{v4.base_url}/feed.xml", interval_s=60)
        refused = poll_feed(refused_feed, http=http, r=r, settings=settings)
    assert outcomes == links
    assert refused.reason == "forbidden_address"
    assert v4.connections == [] and v6.connections == []
    assert loopback.escaped == []


@pytest.mark.usefixtures("worker")
def test_hostile_feeds_leave_other_feeds_unharmed(
    celery_app: Celery,
    r: redis.Redis,
    es: Elasticsearch,
    site: LoopbackSite,
    listener: ConnectionRecorder,
) -> None:
    pages = {
        "/lying-content-type": "not_html",
        "/lying-content-type?body=html": "not_html",
        "/empty": "extract_empty",
        "/deep-nesting": "extract_empty",
        "/huge?length=0&mb=1024": "too_large",  # query in canonical order: URLs are compared
        "/gzip-bomb?mb=256": "too_large",
        f"/redirect-to?url={listener.base_url}/admin": "forbidden_address",
        "/redirect-to?url=file:///etc/passwd": "bad_url",
        LONG_URL_PATH: "url_too_long",
        "/mixed-encoding": None,  # indexed
    }
    site.mutate("/hostile/traps.xml", _rss([site.url(p) for p in pages]))
    hostile = ["/xml-bomb", "/quadratic-blowup?kb=50&refs=200000", "/html-feed", "/huge?mb=1024"]
    feeds = [
        Feed(name=f"Hostile {n}", url=site.url(p), interval_s=60) for n, p in enumerate(hostile)
    ]
    feeds += [
        Feed(name="Traps", url=site.url("/hostile/traps.xml"), interval_s=60),
        Feed(name="Northwire", url=site.url("/northwire/feed.xml"), interval_s=60),
    ]
    ensure_index(es, "articles")
    try:
        summary = ingest_once(celery_app, r, es, "articles", feeds, timeout_s=240)
    finally:
        site.reset("/hostile/traps.xml")

    assert summary.polls == {
        "polled": 2,
        "poll_failed:xml_entities": 2,
        "poll_failed:malformed_feed": 1,
        "poll_failed:too_large": 1,
    }
    failed = {f["url"].removeprefix(site.base_url): f["reason"] for f in summary.failures}
    expected_failures = {p: why for p, why in pages.items() if why}
    assert {p: failed.get(p) for p in expected_failures} == expected_failures
    # Five Northwire stories and the mixed-encoding page; every item has one outcome.
    assert summary.articles == {
        "indexed": 6,
        **{
            f"failed:{why}": list(expected_failures.values()).count(why)
            for why in set(expected_failures.values())
        },
    }
    assert summary.pending == 0
    assert listener.connections == []


def test_memory_stayed_bounded(peak_rss: PeakRss) -> None:
    peak_mib = peak_rss.stop()
    assert peak_mib - peak_rss.start_mib < MAX_RSS_GROWTH_MIB, f"peak {peak_mib:.0f} MiB"
