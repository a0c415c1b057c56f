"""URL canonicalization, the article identity derived from it, and a same-site test.

Every article's document id is a hash of its canonical URL, so two links to the same
story that differ only in tracking noise, letter case, default ports, fragments or
``http`` versus ``https`` must collapse to one identity. All functions here are pure.
"""

from __future__ import annotations

import hashlib
import re
import string
from urllib.parse import SplitResult, quote, urlsplit

import idna

# Exact query parameter names (compared lower-cased) that only say how a reader
# arrived. They never change the page, but every share button adds different ones.
# fmt: off
TRACKING_PARAMS: frozenset[str] = frozenset({
    # ad-click ids: Meta, Google, Microsoft, Yandex, X, TikTok, LinkedIn, Instagram, Pinterest
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
    "twclid", "ttclid", "li_fat_id", "igshid", "epik", "rb_clickid", "ef_id", "s_kwcid",
    # newsletters and marketing automation: Mailchimp, HubSpot, Marketo, Vero
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id",
    # analytics suites: Google, AT Internet, comScore, Adobe, Webtrends, Matomo/Piwik
    "_ga", "_gl", "xtor", "at_medium", "at_campaign", "at_custom1", "at_custom2",
    "ns_source", "ns_mchannel", "ns_campaign", "ns_linkname", "ns_fee", "s_cid",
    "wt.mc_id", "pk_campaign", "pk_kwd", "pk_source", "pk_medium", "pk_content",
    # publishers' own share and referral tags (Guardian, NYT, BBC, MSN, Yahoo, ...)
    "ref", "ref_src", "ref_url", "cmp", "cmpid", "ocid", "icid", "ncid", "ito", "smid",
    "smtyp", "sr_share", "soc_src", "soc_trk", "guccounter", "guce_referrer",
    "guce_referrer_sig", "oly_anon_id", "oly_enc_id",
})
# fmt: on
# Whole families of tracking parameters (Google Analytics UTM, Matomo), any suffix.
TRACKING_PARAM_PREFIXES: tuple[str, ...] = ("utm_", "mtm_")

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

_UNRESERVED = r"A-Za-z0-9._~\-"
# Characters that may appear literally in a path or in one query key/value (RFC 3986).
_PATH_SAFE = "!$&'()*+,;=:@/"
_QUERY_SAFE = "!$'()*+,;=:@/?"
_HEX = frozenset("0123456789abcdefABCDEF")
_UNRESERVED_CHARS = frozenset(string.ascii_letters + string.digits + "._~-")
_ASCII_HOST_RE = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
# WHATWG URL parsing drops these anywhere in a URL; feeds that wrap long <link>
# values over several lines depend on browsers doing so.
_STRIP_ANYWHERE_RE = re.compile(r"[\t\r\n]")


def _percent_fixer(safe: str) -> re.Pattern[str]:
    """Return a pattern matching %XX escapes and characters that must be escaped."""
    return re.compile(r"%[0-9A-Fa-f]{2}|[^" + _UNRESERVED + re.escape(safe) + "]")


_PATH_FIX_RE = _percent_fixer(_PATH_SAFE)
_QUERY_FIX_RE = _percent_fixer(_QUERY_SAFE)


def _fix_match(match: re.Match[str]) -> str:
    """Return the normal form of one escape or one character needing an escape."""
    token = match.group(0)
    if len(token) == 3 and token[0] == "%" and token[1] in _HEX and token[2] in _HEX:
        char = chr(int(token[1:], 16))
        # %7E and %7e are the same as "~"; reserved characters like %2F stay escaped
        # because decoding them would change where the path splits.
        return char if char in _UNRESERVED_CHARS else token.upper()
    # Raw spaces, non-ASCII letters and stray "%" signs all occur in real feeds.
    return quote(token, safe="")


def _normalize_percent(text: str, pattern: re.Pattern[str]) -> str:
    """Return text with uppercase escapes, decoded unreserved characters, and raw bytes escaped."""
    return pattern.sub(_fix_match, text)


def _remove_dot_segments(path: str) -> str:
    """Return an absolute path with "." and ".." segments resolved as in RFC 3986 5.2.4."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments and segments[-1] in (".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


def _is_tracking_param(name: str) -> bool:
    """Return True when a query parameter name is known tracking noise."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PARAM_PREFIXES)


def _canonical_query(query: str) -> str:
    """Return the query without tracking parameters, sorted stably by name."""
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        key = _normalize_percent(key, _QUERY_FIX_RE)
        if _is_tracking_param(key):
            continue
        # Keep "a" and "a=" apart: some CMSs route on the bare flag.
        pairs.append((key, eq + _normalize_percent(value, _QUERY_FIX_RE)))
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(key + rest for key, rest in pairs)


def _parse(url: str) -> SplitResult:
    """Return the split URL, raising ValueError unless it is http(s) with a host."""
    cleaned = _STRIP_ANYWHERE_RE.sub("", url.strip())
    parts = urlsplit(cleaned)
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValueError(f"URL {url!r} has no scheme; expected http:// or https://")
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"URL {url!r} has scheme {scheme!r}; only http and https are supported")
    if not parts.hostname:
        raise ValueError(f"URL {url!r} has no host")
    return parts


def _canonical_host(parts: SplitResult, url: str) -> str:
    """Return the lowercased, punycoded host without trailing dot or IPv6 brackets."""
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        return host  # an IPv6 literal; urlsplit already removed the brackets
    if not host.isascii():
        try:
            # UTS 46 non-transitional, as browsers do: "faß.de" stays distinct from "fass.de".
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"URL {url!r} has an invalid international host: {exc}") from exc
    if not _ASCII_HOST_RE.match(host):
        raise ValueError(f"URL {url!r} has an invalid host {host!r}")
    return host


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL; raises ValueError for any other URL."""
    parts = _parse(url)
    scheme = parts.scheme.lower()
    host = _canonical_host(parts, url)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"URL {url!r} has an invalid port: {exc}") from exc
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(_normalize_percent(parts.path, _PATH_FIX_RE) or "/")
    query = _canonical_query(parts.query)
    # The fragment never reaches the server, so it cannot name a different article.
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def url_identity(url: str) -> str:
    """Return the canonical URL minus its scheme, e.g. "//example.org/a?b=1"; raises ValueError."""
    # Sites serve the same story over http and https and feeds mix both, so the
    # scheme is kept in the canonical URL but left out of the identity.
    return "//" + canonicalize_url(url).partition("://")[2]


def url_id(url: str) -> str:
    """Return the sha256 hex digest of the URL's identity, used as the article document id."""
    return hashlib.sha256(url_identity(url).encode("utf-8")).hexdigest()


def host_of(url: str) -> str:
    """Return the URL's canonical host (lowercase, punycode, no port); raises ValueError."""
    return _canonical_host(_parse(url), url)


def _site_host(value: str) -> str:
    """Return the host of a URL or bare host name, minus one leading "www."."""
    host = host_of(value if "://" in value else f"http://{value}")
    return host.removeprefix("www.")


def same_site(a: str, b: str) -> bool:
    """Return True when two URLs (or bare hosts) belong to one site; raises ValueError for bad URLs.

    Approximation without the public suffix list: hosts are equal after dropping a
    leading "www.", or one is a subdomain of the other and both have at least two
    labels. Sibling subdomains ("a.example.com", "b.example.com") do not match,
    because without the list "a.blogspot.com" and "b.blogspot.com" (different owners)
    look exactly like them.
    """
    host_a, host_b = _site_host(a), _site_host(b)
    if host_a == host_b:
        return True
    shorter, longer = sorted((host_a, host_b), key=len)
    if ":" in shorter or re.fullmatch(r"[0-9.]+", shorter):
        return False  # IP addresses have no subdomains
    return shorter.count(".") >= 1 and longer.endswith("." + shorter)
