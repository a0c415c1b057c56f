"""Static content of the demo site: file lookup, in-memory overrides, validators, media types."""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

SITE_ROOT = Path(__file__).resolve().parent / "site"
BASE_URL_PLACEHOLDER = "{base_url}"
TEMPLATED_SUFFIXES = frozenset({".xml", ".html", ".yaml", ".template"})

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".yaml": "application/yaml; charset=utf-8",
    ".template": "application/yaml; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Like a web server's precompressed files: each representation is gzipped once, at the
# level servers commonly use, and kept for the next request of the same bytes.
GZIP_LEVEL = 6
GZIP_CACHE_ENTRIES = 4096
_COMPRESSIBLE_PREFIXES = (
    "text/",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "application/yaml",
    "application/json",
    "image/svg+xml",
)
# Feeds all end in .xml, so the root element decides between the three feed media types.
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]")
_FEED_TYPES = {
    b"rss": "application/rss+xml",
    b"feed": "application/atom+xml",
    b"rdf:RDF": "application/rdf+xml",
}


@dataclass(frozen=True)
class Resource:
    """One servable body with the validators a conditional GET needs."""

    body: bytes
    content_type: str
    etag_hash: str
    last_modified_s: int

    @property
    def compressible(self) -> bool:
        """Return True if gzip would help this content type."""
        return self.content_type.startswith(_COMPRESSIBLE_PREFIXES)

    def etag(self, gzipped: bool) -> str:
        """Return the strong ETag of the identity or gzip representation."""
        # Strong ETags must differ between content codings (RFC 9110 8.8.3).
        return f'"{self.etag_hash}-gzip"' if gzipped else f'"{self.etag_hash}"'

    @property
    def last_modified(self) -> str:
        """Return the Last-Modified header value."""
        return formatdate(self.last_modified_s, usegmt=True)


def content_type_for(path: str, body: bytes) -> str:
    """Return the Content-Type for a site path, sniffing the feed flavour of .xml files."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".xml":
        match = _FEED_ROOT.search(body[:4096])
        media = _FEED_TYPES[match.group(1)] if match else "application/xml"
        return f"{media}; charset=utf-8"
    return _CONTENT_TYPES.get(suffix, "application/octet-stream")


def normalize_path(url_path: str) -> str | None:
    """Return a clean absolute site path, or None if it tries to escape the site root."""
    decoded = unquote(url_path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    clean = "/" + "/".join(parts)
    return clean + "/" if decoded.endswith("/") and clean != "/" else clean


def accepts_gzip(accept_encoding: str) -> bool:
    """Return True if an Accept-Encoding header allows gzip (honouring q=0)."""
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = params.strip().lower()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def is_not_modified(
    resource: Resource, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Return True if the request's validators match, so a 304 is the right answer."""
    if if_none_match is not None:
        # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or bool(wanted & {resource.etag(False), resource.etag(True)})
    if if_modified_since is None:
        return False
    try:
        since_s = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError, IndexError):
        return False
    return resource.last_modified_s <= since_s


class SiteContent:
    """Files under a root directory plus a thread-safe in-memory overlay that tests can change."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = threading.Lock()
        self._overlay: dict[str, tuple[str | None, int]] = {}
        self._gzipped: OrderedDict[str, bytes] = OrderedDict()

    def mutate(self, path: str, new_text: str | None) -> None:
        """Serve new_text at path from now on (None makes it 404), with a newer Last-Modified."""
        key = normalize_path("/" + path.lstrip("/")) or "/"
        with self._lock:
            previous_s = self._overlay.get(key, (None, 0))[1]
            file_s = self._file_mtime_s(key)
            # Bump at least one second past the old value so If-Modified-Since sees the change.
            stamp_s = max(int(time.time()), previous_s + 1, file_s + 1)
            self._overlay[key] = (new_text, stamp_s)

    def reset(self, path: str | None = None) -> None:
        """Drop one overlay entry, or all of them when path is None."""
        with self._lock:
            if path is None:
                self._overlay.clear()
            else:
                self._overlay.pop(normalize_path("/" + path.lstrip("/")) or "/", None)

    def get(self, path: str, base_url: str) -> Resource | None:
        """Return the resource at a normalized site path with {base_url} filled in, or None."""
        with self._lock:
            overlaid = self._overlay.get(path)
        if overlaid is not None:
            text, stamp_s = overlaid
            if text is None:
                return None
            return self._resource(
                path, text.replace(BASE_URL_PLACEHOLDER, base_url).encode(), stamp_s
            )
        file_path = self._file_for(path)
        if file_path is None:
            return None
        body = file_path.read_bytes()
        if file_path.suffix.lower() in TEMPLATED_SUFFIXES:
            # surrogateescape keeps deliberately broken bytes intact instead of failing the request.
            text = body.decode("utf-8", errors="surrogateescape")
            body = text.replace(BASE_URL_PLACEHOLDER, base_url).encode(
                "utf-8", errors="surrogateescape"
            )
        return self._resource(file_path.name, body, int(file_path.stat().st_mtime))

    def gzipped(self, resource: Resource) -> bytes:
        """Return the resource's gzip representation, compressed once per distinct body."""
        with self._lock:
            cached = self._gzipped.get(resource.etag_hash)
            if cached is not None:
                self._gzipped.move_to_end(resource.etag_hash)
                return cached
        body = gzip.compress(resource.body, compresslevel=GZIP_LEVEL, mtime=0)
        with self._lock:
            self._gzipped[resource.etag_hash] = body
            while len(self._gzipped) > GZIP_CACHE_ENTRIES:
                self._gzipped.popitem(last=False)
        return body

    def _resource(self, name: str, body: bytes, stamp_s: int) -> Resource:
        return Resource(
            body=body,
            content_type=content_type_for(name, body),
            etag_hash=hashlib.sha256(body).hexdigest()[:32],
            last_modified_s=stamp_s,
        )

    def _file_for(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _file_mtime_s(self, path: str) -> int:
        file_path = self._file_for(path)
        return int(file_path.stat().st_mtime) if file_path else 0
