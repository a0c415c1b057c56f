"""Main text and title of an article page, extracted with trafilatura."""

from __future__ import annotations

import re
from dataclasses import dataclass

import py3langid
import trafilatura

from newsdesk.errors import PermanentError

# Language identification on a few hundred characters is unreliable; below this we
# keep the page's or feed's declared language instead.
MIN_CHARS_FOR_LANGUAGE_ID = 200
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b]+")


@dataclass(frozen=True)
class Extracted:
    """Title and main text of a page, plus the few metadata trafilatura adds."""

    title: str | None
    body: str
    site_name: str | None
    authors: tuple[str, ...]
    description: str | None
    detected_language: str | None


def extract_article(html: str, url: str, *, min_body_chars: int) -> Extracted:
    """Return the page's title and main text; raise PermanentError when there is no article."""
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            deduplicate=False,
        )
    except (ValueError, TypeError, RecursionError) as exc:
        raise PermanentError(f"{url}: extraction crashed: {exc!r}", reason="extract_error") from exc
    if doc is None or isinstance(doc, dict) or not doc.text:
        raise PermanentError(f"{url}: no main text found", reason="extract_empty")
    title = _clean_line(doc.title) if doc.title else None
    body = _paragraphs(doc.text, title)
    if len(body) < min_body_chars:
        raise PermanentError(
            f"{url}: main text has {len(body)} characters, below {min_body_chars}",
            reason="extract_too_short",
        )
    authors = tuple(a.strip() for a in (doc.author or "").split(";") if a.strip())
    return Extracted(
        title=title,
        body=body,
        site_name=doc.sitename or None,
        authors=authors,
        description=doc.description or None,
        detected_language=detect_language(body),
    )


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of the text's language, or None when it is too short."""
    if len(text) < MIN_CHARS_FOR_LANGUAGE_ID:
        return None
    code, _score = py3langid.classify(text[:5_000])
    return str(code)


def _paragraphs(text: str, title: str | None) -> str:
    """Keep one paragraph per block, separated by blank lines, without the repeated headline."""
    lines = [_clean_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    # trafilatura often starts the text with the headline; the title is its own field.
    if lines and title and lines[0].casefold() == title.casefold():
        lines = lines[1:]
    return "\n\n".join(lines)


def _clean_line(line: str) -> str:
    return _SPACES_RE.sub(" ", line).strip()
