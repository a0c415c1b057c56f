"""The bundled demo site over real HTTP on loopback: content, validators, hostile routes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import httpx
import lxml.html
import pytest
import trafilatura
import yaml

from newsdesk.demo.content import SITE_ROOT
from newsdesk.demo.server import LoopbackSite, render_feeds_yaml

MANIFEST: dict[str, Any] = json.loads((SITE_ROOT / "manifest.json").read_text(encoding="utf-8"))
ARTICLES: list[dict[str, Any]] = MANIFEST["articles"]
QUIRKS: list[dict[str, Any]] = MANIFEST["feed_quirks"]
MISSING_LINKS = {q["link"] for q in QUIRKS if q["kind"] == "not_found"}
NOT_HTML_LINKS = {q["link"] for q in QUIRKS if q["kind"] == "not_html"}
OUTLET_FEEDS = [o["feed"] for o in MANIFEST["outlets"]]
MIN_WORDS = 150


@pytest.fixture(scope="module")
def demo() -> Iterator[LoopbackSite]:
    """A private site per module, so mutations and request logs do not leak into other tests."""
    with LoopbackSite() as site:
        yield site


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as http:
        yield http


def _path_of(url: str, base_url: str) -> str:
    return url.removeprefix(base_url).split("#", 1)[0]


def _feeds_config(base_url: str, tmp_path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(render_feeds_yaml(base_url, tmp_path).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/harbor-gazette/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/valley-courier/feed.xml", "application/atom+xml; charset=utf-8"),
        ("/metro-ledger/feed.xml", "application/rdf+xml; charset=utf-8"),
        ("/northwire/feed.xml", "application/rss+xml; charset=utf-8"),
        (ARTICLES[0]["path"], "text/html; charset=utf-8"),
        ("/metro-ledger/documents/draft-budget-2027-summary.pdf", "application/pdf"),
        ("/not-html", "application/pdf"),
        ("/feeds.yaml.template", "application/yaml; charset=utf-8"),
    ],
)
def test_content_types(
    demo: LoopbackSite, client: httpx.Client, path: str, content_type: str
) -> None:
    response = client.get(demo.url(path))
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type


def test_base_url_is_substituted_at_serve_time(demo: LoopbackSite, client: httpx.Client) -> None:
    feed = client.get(demo.url("/northwire/feed.xml")).text
    assert "{base_url}" not in feed
    assert f"<link>{demo.base_url}/northwire/</link>" in feed
    page = client.get(demo.url(ARTICLES[0]["path"])).text
    assert f'<link rel="canonical" href="{demo.url(ARTICLES[0]["path"])}">' in page


def test_if_none_match_gets_304_until_the_file_changes(
    demo: LoopbackSite, client: httpx.Client
) -> None:
    path = "/valley-courier/feed.xml"
    first = client.get(demo.url(path))
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(demo.url(path), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert demo.requests_for(path)[-1][2]["if-none-match"] == etag
    try:
        demo.mutate(path, first.text.replace("Valley Courier", "The Valley Courier", 1))
        changed = client.get(demo.url(path), headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert "The Valley Courier" in changed.text
    finally:
        demo.reset(path)
    assert client.get(demo.url(path), headers={"If-None-Match": etag}).status_code == 304


def test_if_modified_since_gets_304(demo: LoopbackSite, client: httpx.Client) -> None:
    path = "/metro-ledger/feed.xml"
    last_modified = client.get(demo.url(path)).headers["last-modified"]
    response = client.get(demo.url(path), headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(demo.url(path), headers={"If-Modified-Since": old}).status_code == 200


def test_gzip_only_when_accepted(demo: LoopbackSite, client: httpx.Client) -> None:
    url = demo.url("/harbor-gazette/feed.xml")
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert "<rss" in zipped.text
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == zipped.text
    assert plain.headers["etag"] != zipped.headers["etag"]


def test_status_route(demo: LoopbackSite, client: httpx.Client) -> None:
    response = client.get(demo.url("/status/503"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert client.get(demo.url("/status/404")).status_code == 404


def test_gone_feed_is_410(demo: LoopbackSite, client: httpx.Client) -> None:
    assert client.get(demo.url("/gone/feed.xml")).status_code == 410


def test_redirect_chain_lands_on_an_article(demo: LoopbackSite, client: httpx.Client) -> None:
    response = client.get(demo.url("/redirect/3"), follow_redirects=True)
    assert response.status_code == 200
    assert len(response.history) == 3
    assert "Late-night bus pilot" in response.text
    target = ARTICLES[0]["path"]
    to_article = client.get(demo.url(f"/redirect/2?to={target}"), follow_redirects=True)
    assert len(to_article.history) == 2
    assert str(to_article.url) == demo.url(target)


def test_redirect_loop_never_ends(demo: LoopbackSite, client: httpx.Client) -> None:
    with pytest.raises(httpx.TooManyRedirects):
        client.get(demo.url("/redirect-loop"), follow_redirects=True)


def test_drop_closes_without_a_response(demo: LoopbackSite, client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(demo.url("/drop"))


def test_slow_route_trips_a_read_timeout(demo: LoopbackSite) -> None:
    with httpx.Client(timeout=0.3) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(demo.url("/slow?seconds=2"))


def test_huge_streams_the_requested_size(demo: LoopbackSite, client: httpx.Client) -> None:
    response = client.get(demo.url("/huge?mb=2"))
    assert len(response.content) == 2 * 1024 * 1024
    assert response.headers["content-length"] == str(2 * 1024 * 1024)
    unsized = client.get(demo.url("/huge?mb=1&length=0"))
    assert "content-length" not in unsized.headers
    assert len(unsized.content) == 1024 * 1024


def test_gzip_bomb_is_small_on_the_wire(demo: LoopbackSite, client: httpx.Client) -> None:
    with client.stream("GET", demo.url("/gzip-bomb?mb=8")) as response:
        wire_bytes = sum(len(chunk) for chunk in response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert wire_bytes < 8 * 1024 * 1024 // 100


def test_path_traversal_is_refused(demo: LoopbackSite, client: httpx.Client) -> None:
    assert client.get(demo.base_url + "/%2e%2e/server.py").status_code == 404


def test_hits_and_request_log(demo: LoopbackSite, client: httpx.Client) -> None:
    demo.clear_log()
    client.get(demo.url("/northwire/feed.xml?x=1"))
    client.head(demo.url("/northwire/feed.xml"))
    assert demo.hits("/northwire/feed.xml") == 2
    assert demo.hits("/northwire/feed.xml?x=1") == 1
    assert [method for method, _, _ in demo.request_log] == ["GET", "HEAD"]


def test_outlet_feeds_parse_with_at_least_four_entries(
    demo: LoopbackSite, client: httpx.Client, tmp_path: Path
) -> None:
    config = _feeds_config(demo.base_url, tmp_path)
    healthy = [f for f in config["feeds"] if "broken" not in f["tags"] and f.get("enabled", True)]
    assert len(healthy) == 4
    for feed in healthy:
        parsed = feedparser.parse(client.get(feed["url"]).content)
        assert not parsed.bozo, feed["name"]
        assert len(parsed.entries) >= 4, feed["name"]


def test_broken_and_disabled_feeds(
    demo: LoopbackSite, client: httpx.Client, tmp_path: Path
) -> None:
    feeds = {f["name"]: f for f in _feeds_config(demo.base_url, tmp_path)["feeds"]}
    malformed = feedparser.parse(client.get(feeds["Carrow Evening Bulletin"]["url"]).content)
    assert malformed.bozo
    assert malformed.entries == []
    assert client.get(feeds["Aldwin Weekly Advertiser"]["url"]).status_code == 410
    assert feeds["Calder Radio News"]["enabled"] is False


def test_feed_links_resolve_except_the_broken_ones(
    demo: LoopbackSite, client: httpx.Client
) -> None:
    article_paths = {a["path"] for a in ARTICLES}
    seen: set[str] = set()
    for feed_path in OUTLET_FEEDS:
        for entry in feedparser.parse(client.get(demo.url(feed_path)).content).entries:
            path = _path_of(entry.link, demo.base_url)
            response = client.get(demo.base_url + path)
            bare = path.split("?", 1)[0]
            seen.add(bare)
            if bare in MISSING_LINKS:
                assert response.status_code == 404, path
            elif bare in NOT_HTML_LINKS:
                assert response.headers["content-type"] == "application/pdf", path
            else:
                assert response.status_code == 200, path
                assert response.headers["content-type"].startswith("text/html"), path
                assert bare in article_paths, path
    assert article_paths <= seen
    assert seen >= MISSING_LINKS | NOT_HTML_LINKS


def test_harbor_feed_lists_one_story_twice_with_tracking(
    demo: LoopbackSite, client: httpx.Client
) -> None:
    quirk = next(q for q in QUIRKS if q["kind"] == "duplicate_with_tracking")
    entries = feedparser.parse(client.get(demo.url(quirk["feed"])).content).entries
    links = [e.link.removeprefix(demo.base_url) for e in entries]
    assert links.count(quirk["same_as"]) == 1
    assert quirk["link"] in links


@pytest.mark.parametrize("article", ARTICLES, ids=[a["key"] for a in ARTICLES])
def test_extraction_keeps_the_story_and_drops_boilerplate(
    demo: LoopbackSite, client: httpx.Client, article: dict[str, Any]
) -> None:
    page = client.get(demo.url(article["path"])).text
    assert article["title"] in unescape(page)
    text = trafilatura.extract(page, url=demo.url(article["path"]), include_comments=False)
    assert text is not None
    assert len(text.split()) >= MIN_WORDS
    popular = lxml.html.fromstring(page).xpath('//*[contains(@class, "most-popular")]//li')
    assert len(popular) == 5
    assert "Most popular" not in text
    for item in popular:
        assert item.text_content().strip() not in text


def test_page_metadata_quirks(demo: LoopbackSite, client: httpx.Client) -> None:
    by_key = {a["key"]: a for a in ARTICLES}
    foreign = client.get(demo.url(by_key["ml-rents"]["path"])).text
    assert '<link rel="canonical" href="https://www.metroledger.example/' in foreign
    bare = client.get(demo.url(by_key["vc-library"]["path"])).text
    assert 'rel="canonical"' not in bare
    assert 'property="og:url"' not in bare
    german = client.get(demo.url(by_key["nw-bahnticket"]["path"])).text
    assert '<html lang="de">' in german
    for article in ARTICLES:
        page = client.get(demo.url(article["path"])).text
        # Captions carry an older date on purpose; the publication date must still be on the page.
        assert article["published"] in page, article["key"]
        assert re.search(r"<figcaption>|class=\"(caption|ml-caption)\"", page), article["key"]


def test_syndicated_copies_share_the_wire_text(demo: LoopbackSite, client: httpx.Client) -> None:
    by_key = {a["key"]: a for a in ARTICLES}
    wire_page = client.get(demo.url(by_key["nw-ambulance"]["path"])).text
    wire_body = lxml.html.fromstring(wire_page).xpath('//div[@class="nw-text"]/p')
    original = {p.text_content().strip() for p in wire_body}
    copies = [a for a in ARTICLES if a["syndicated_from"] == "nw-ambulance"]
    assert {a["syndication"] for a in copies} == {"verbatim", "trimmed"}
    for copy in copies:
        page = client.get(demo.url(copy["path"])).text
        text = trafilatura.extract(page, include_comments=False) or ""
        shared = {line.strip() for line in text.splitlines()} & original
        if copy["syndication"] == "verbatim":
            assert shared == original
        else:
            assert 0 < len(shared) < len(original)


def test_render_feeds_yaml_into_a_directory(tmp_path: Path) -> None:
    written = render_feeds_yaml("http://127.0.0.1:9", tmp_path)
    assert written == tmp_path / "feeds.yaml"
    config = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert config["defaults"] == {"interval": "5m", "language": "en", "tags": ["demo"]}
    assert all(f["url"].startswith("http://127.0.0.1:9/") for f in config["feeds"])


def test_module_entry_point_reports_its_address() -> None:
    command = [sys.executable, "-m", "newsdesk.demo.server"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
            with httpx.Client(timeout=5.0) as http:
                assert http.get(base_url + "/northwire/feed.xml").status_code == 200
        finally:
            process.terminate()
            assert process.wait(timeout=10) == 0
