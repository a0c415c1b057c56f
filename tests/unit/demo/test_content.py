"""The demo site's content store: gzip representations are made once per distinct body."""

from __future__ import annotations

import gzip
from pathlib import Path

from newsdesk.demo.content import SiteContent


def _site(tmp_path: Path) -> SiteContent:
    (tmp_path / "a.html").write_text("<html><body>" + "word " * 2000 + "</body></html>")
    return SiteContent(tmp_path)


def test_gzipped_round_trips_and_is_reused(tmp_path: Path) -> None:
    content = _site(tmp_path)
    first = content.get("/a.html", "http://x")
    assert first is not None
    body = content.gzipped(first)
    assert gzip.decompress(body) == first.body
    again = content.get("/a.html", "http://x")  # a new Resource for the same bytes
    assert again is not None
    assert content.gzipped(again) is body


def test_changed_body_gets_its_own_gzip(tmp_path: Path) -> None:
    content = _site(tmp_path)
    before = content.get("/a.html", "http://x")
    content.mutate("/a.html", "<html><body>changed</body></html>")
    after = content.get("/a.html", "http://x")
    assert before is not None and after is not None
    assert gzip.decompress(content.gzipped(after)) == b"<html><body>changed</body></html>"
    assert gzip.decompress(content.gzipped(before)) == before.body
