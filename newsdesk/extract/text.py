"""Decoding and repair of page text: charsets, mojibake, odd whitespace."""

from __future__ import annotations

import codecs
import re

import ftfy

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


def decode_html(html: bytes, declared: str | None = None) -> str:
    """Return the page as text: BOM, then the HTTP charset, then ``<meta charset>``, then UTF-8.

    Pages that claim UTF-8 but are really windows-1252 (common on older CMSes) fall back
    to windows-1252 when UTF-8 decoding fails.
    """
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if html.startswith(bom):
            return html.decode(name, errors="replace")
    candidates = []
    if declared:
        candidates.append(declared)
    match = _META_CHARSET_RE.search(html[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8", "windows-1252"]
    for name in candidates:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue  # an unknown charset label: try the next guess
        # Browsers treat latin-1 labels as windows-1252; so do we (curly quotes in 0x80-0x9f).
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"
        try:
            return html.decode(codec)
        except UnicodeDecodeError:
            continue
    return html.decode("utf-8", errors="replace")


def repair_text(text: str) -> str:
    """Return text with mojibake fixed, zero-width characters dropped and spaces normalised."""
    # Typographic quotes are real text, not damage: keep them curly.
    fixed = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False)
    fixed = _ZERO_WIDTH_RE.sub("", fixed)
    lines = [_SPACES_RE.sub(" ", line).strip() for line in fixed.split("\n")]
    return "\n".join(lines).strip()
