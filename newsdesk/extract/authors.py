"""Author names cleaned from bylines, feed entries and page metadata.

Bylines arrive as "By JANE ROE and Tom Fell, Staff Writers | Reuters", with emails,
handles and job titles mixed in. Agency names are dropped here because they belong in
the article's agency field (:mod:`newsdesk.extract.agency`), not among its people.

Decisions: "Editorial Board" is kept, since a board is the accountable author of an
outlet's editorials and readers filter opinion pieces by it; bare "Staff", "Newsroom"
and similar credits are dropped because they name nobody. "Doe, Jane" is read as two
names: a byline cannot tell it apart from two one-word names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsdesk.extract.agency import BEATS, agency_for_name, split_agency

MAX_NAME_CHARS = 60  # longer "names" are sentences or whole credit blocks
# Credits that name no person; compared case-insensitively after cleaning.
GENERIC_NAMES = frozenset(
    {
        "staff",
        "staff writer",
        "staff writers",
        "staff reporter",
        "our correspondent",
        "correspondent",
        "reporter",
        "editor",
        "editors",
        "newsroom",
        "news desk",
        "web desk",
        "desk",
        "admin",
        "administrator",
        "agencies",
        "wires",
        "wire services",
        "news service",
        "guest",
        "unknown",
        "anonymous",
        "none",
        "null",
    }
)
# Lower-case name particles restored after title-casing an ALL-CAPS byline.
PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "du", "del", "la", "dos"})
NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})

_DASHES = "\u2013\u2014"  # en and em dash, escaped because they look like "-"
_CONTACT_RE = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.-]+|(?<!\w)@\w{1,30}"
    r"|\bfollow(?:\s+(?:her|him|them|me))?\b|\bon\s+(?:twitter|x|bluesky)\b|\be-?mail\b:?",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(
    # The conjunction may follow a comma: "A, B, and C".
    rf"\s*(?:[,;|/()\[\]•·&]\s*(?:(?:and|und|et)\s)?|\s[-{_DASHES}]\s|\s(?:and|und|et)\s"
    r"|\s(?-i:y)\s)\s*",
    re.IGNORECASE,
)
# "Von" is stripped only before two more words: "Von Anna Schmidt" is a German byline,
# "Von Miller" and "von der Leyen" are names.
_PREFIX_RE = re.compile(
    r"^(?:(?:(?:additional\s+)?reporting|written|reported|compiled|story|words|text)\s+by"
    r"|by|par|por|von(?=\s+(?!der\b|dem\b|den\b|zu\b)\S+\s+\S))\b\s*:?\s*",
    re.IGNORECASE,
)
# Credits for pictures or editing in the same byline field are not authorship.
_NOT_AUTHOR_RE = re.compile(
    r"^(?:photo(?:graph)?s?|photography|pictures?|video|graphics?|illustrations?|"
    r"edit(?:ed|ing)|produced)\s+by\b",
    re.IGNORECASE,
)
_ROLE_RE = re.compile(
    rf"(?:\s+(?:(?:{BEATS}|associate|deputy|foreign|contributing)\s+)*"
    r"(?:staff\s+writer|staff\s+reporter|writer|reporter|correspondent|columnist|contributor|"
    r"editor|journalist)s?)+$",
    re.IGNORECASE,
)
# Reuters credits "Jane Roe in Geneva"; the place is not part of the name.
_PLACE_RE = re.compile(r"\s+in\s+(?-i:[A-Z])[\w .'-]*$")
_TRIM = " ,;:|*\"'()[]-\u201c\u201d\u2018\u2019" + _DASHES


def clean_authors(raw: Sequence[str], *, agencies: Sequence[str] = ()) -> tuple[str, ...]:
    """Return person (or board) names from raw bylines, in order, without agencies or junk."""
    extra_agencies = {" ".join(a.split()).casefold() for a in agencies}
    names: list[str] = []
    for byline in raw:
        for part in _SPLIT_RE.split(_CONTACT_RE.sub(" ", " ".join(byline.split()))):
            name = _clean_part(part, extra_agencies)
            if name is None:
                continue
            # "Jane Roe, Jr." was split at the comma; the suffix goes back on its name.
            if name.casefold() in NAME_SUFFIXES and names:
                names[-1] = f"{names[-1]} {name}"
            elif name.casefold() not in NAME_SUFFIXES:
                names.append(name)
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.casefold(), name)
    return tuple(unique.values())


def _clean_part(part: str, extra_agencies: set[str]) -> str | None:
    text = part.strip(_TRIM)
    if _NOT_AUTHOR_RE.match(text):
        return None
    text = _PREFIX_RE.sub("", text).strip(_TRIM)
    text = _PLACE_RE.sub("", text)
    # "Jane Roe Staff Writer" loses the title; "Jane Editor" keeps what may be a surname.
    stripped = _ROLE_RE.sub("", f" {text}").strip(_TRIM)
    if not stripped or len(stripped.split()) >= 2 or stripped.casefold() in GENERIC_NAMES:
        text = stripped
    if not text or agency_for_name(text) or text.casefold() in extra_agencies:
        return None
    text = split_agency(text)[0].strip(_TRIM) or text
    text = _drop_sentence_dot(text)
    if (
        len(text) > MAX_NAME_CHARS
        or not any(ch.isalpha() for ch in text)
        or text.casefold() in GENERIC_NAMES
    ):
        return None
    return _title_case(text) if text.isupper() and _is_name_like(text) else text


def _drop_sentence_dot(text: str) -> str:
    last = text.rsplit(" ", 1)[-1]
    # Keep the dot of an initial ("J.") or a suffix ("Jr."); drop one that ends a sentence.
    if text.endswith(".") and len(last) > 2 and last.casefold() not in NAME_SUFFIXES:
        return text[:-1]
    return text


def _is_name_like(text: str) -> bool:
    # A lone short all-caps token is an acronym ("BBC"), not a shouted name.
    return len(text.split()) >= 2 or len(text) > 4


def _title_case(text: str) -> str:
    words = text.title().split()
    return " ".join(
        w.lower() if i > 0 and w.casefold() in PARTICLES else w for i, w in enumerate(words)
    )
