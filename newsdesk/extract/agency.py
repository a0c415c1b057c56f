"""News agency (wire service) detection from the places where wires sign their copy.

Only structural positions count: the dateline that opens the body, the credit line
that closes it, the byline, a title suffix, the site name and the agency's own host.
A name in running text ("told Reuters", "the AP reported", "AP Stylebook") is
reporting *about* an agency, not *by* it. A photo credit ("AP Photo/...", "Photo:
AFP", "REUTERS/Jane Roe") alone never makes a story an agency story, because outlets
illustrate their own reporting with wire pictures every day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from newsdesk.urls import host_of

# Canonical display name -> the spellings wires and outlets use. All-caps acronyms and
# names of three letters or fewer match case-sensitively ("AP", "PA", "dpa"), so the
# words "ap" or "pa" never count; longer names match in any case ("REUTERS").
AGENCY_ALIASES: dict[str, tuple[str, ...]] = {
    "AP": ("AP", "Associated Press"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "Reuters": ("Reuters", "Thomson Reuters"),
    "dpa": ("dpa", "DPA", "dpa-AFX", "Deutsche Presse-Agentur", "Deutsche Presse Agentur"),
    "Bloomberg": ("Bloomberg", "Bloomberg News"),
    "PA Media": ("PA", "PA Media", "PA Wire", "Press Association"),
    "ANI": ("ANI", "Asian News International"),
    "PTI": ("PTI", "Press Trust of India"),
    "Xinhua": ("Xinhua", "Xinhua News Agency", "Xinhuanet"),
    "EFE": ("EFE", "Agencia EFE"),
    "ANSA": ("ANSA", "Agenzia ANSA"),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "UPI": ("UPI", "United Press International"),
}
# The agencies' own sites; subdomains (english.news.cn, www.reuters.com) match too.
AGENCY_HOSTS: dict[str, str] = {
    "apnews.com": "AP",
    "ap.org": "AP",
    "reuters.com": "Reuters",
    "afp.com": "AFP",
    "dpa.com": "dpa",
    "dpa-international.com": "dpa",
    "bloomberg.com": "Bloomberg",
    "pa.media": "PA Media",
    "aninews.in": "ANI",
    "ptinews.com": "PTI",
    "xinhuanet.com": "Xinhua",
    "news.cn": "Xinhua",
    "efe.com": "EFE",
    "ansa.it": "ANSA",
    "kyodonews.net": "Kyodo",
    "upi.com": "UPI",
}
# Words that may follow an agency name in a byline or site name without changing whose
# copy it is ("Reuters Staff", "AP News", "PA Reporters", "AP Business Writer"); the beat
# words are a closed list so "AP Stylebook editors" stays a mention of the stylebook.
GENERIC_SUFFIXES = ("staff", "newsroom", "news", "wires?", "english", "desk")
BEATS = (
    "business|sports|science|medical|health|political|diplomatic|economics|technology|"
    "legal|religion|entertainment|national|global|chief|senior|special|staff"
)
HEAD_PARAGRAPHS = 3  # a caption or "By ..." line often comes before the dateline
TAIL_PARAGRAPHS = 4  # credits sit below the last sentence, sometimes under a caption
MAX_EVIDENCE_CHARS = 80

# Written as escapes because the en dash, em dash and curly quotes look like ASCII.
_DASHES = "\\-\u2013\u2014"
_QUOTES = '"\u201c\u201d\u2019'
_ALL_ALIASES = [alias for aliases in AGENCY_ALIASES.values() for alias in aliases]
_LOOKUP = {alias.casefold(): name for name, aliases in AGENCY_ALIASES.items() for alias in aliases}


def _alias_re(alias: str) -> str:
    words = r"\s+".join(re.escape(word) for word in alias.split())
    return f"(?-i:{words})" if alias.isupper() or len(alias) <= 3 else words


# Longest first, so "Associated Press" wins over "AP" and "dpa-AFX" over "dpa".
_AGENCY = (
    r"(?<!\w)(?:the\s+)?(?:"
    + "|".join(_alias_re(a) for a in sorted(_ALL_ALIASES, key=len, reverse=True))
    + r")(?!\w)"
)
_AGENCY_LIST = rf"{_AGENCY}(?:\s*(?:/|,|&|\+|\band\b)\s*{_AGENCY})*"
_AGENCY_RE = re.compile(_AGENCY, re.IGNORECASE)
_ROLE = rf"(?:(?:{BEATS})\s+)?(?:writer|correspondent|reporter|editor)s?"
_SUFFIX = rf"(?:\s+(?:{'|'.join(GENERIC_SUFFIXES)}|{_ROLE}))*"
_NAME_RE = re.compile(rf"^\W*(?:by\s+)?({_AGENCY}){_SUFFIX}\W*$", re.IGNORECASE)
# "By JANE ROE Associated Press": only acronyms and multi-word names may trail a person's
# name without a separator, because Bloomberg, Reuter(s) and Kyodo are also surnames.
_TRAILING_RE = re.compile(
    r"\s("
    + "|".join(_alias_re(a) for a in _ALL_ALIASES if " " in a or a.isupper() or len(a) <= 3)
    + rf"){_SUFFIX}\W*$",
    re.IGNORECASE,
)

# "GENEVA (AP) —", "PARIS, Jan 27 (AFP) -", "New Delhi [India], March 3 (ANI):",
# "(Xinhua) --", "Madrid, 3 mar (EFE).-": a short place-and-date prefix without sentence
# punctuation, the agencies in parentheses, then the dash or colon wires put there.
_DATELINE_RE = re.compile(
    rf"^(?:[^()\n!?;{_QUOTES}]{{0,60}}?)\s*\((?P<agencies>{_AGENCY_LIST})\)"
    rf"\s*(?:\.?\s*(?:-{{1,2}}|[{_DASHES}:]))",
    re.IGNORECASE,
)
# Photo credits are cut out before credit lines are read, so "Photo: AFP" or a caption's
# "(AP Photo/Jane Roe)" or "REUTERS/Jane Roe" cannot pass for a story credit.
_PHOTO_RES = (
    re.compile(rf"\(?{_AGENCY}\s+(?:photo|picture|image|video|graphic)s?\b[^)\n]{{0,60}}\)?", re.I),
    re.compile(
        r"\b(?:file\s+)?(?:photo(?:graph)?|picture|pic|image|video|foto)s?\s*"
        r"(?:by\b|credit\b|courtesy\b|:)[^.;\n]{0,60}",
        re.IGNORECASE,
    ),
    # Capital after the slash: "REUTERS/Jane Roe" is a photographer, "AFP/jj" a desk.
    re.compile(rf"{_AGENCY}\s*/\s*(?!{_AGENCY})(?-i:[A-Z])[\w.' -]*", re.IGNORECASE),
    re.compile(rf"{_AGENCY}\s*(?:/|\bvia\b)\s*Getty(?:\s+Images)?", re.IGNORECASE),
)
# Credits that name the agency: a whole line ("(Reuters)", "— AFP", "With files from
# AFP", "Source: dpa", "AFP/jj"), the end of the last sentence ("... he said. — AFP"),
# a partner's credit ("(Esta Media Network/Reuters)") and a copyright line.
_CREDIT_RES = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^[\W_]*(?:(?:with(?:\s+(?:files|reporting|input)\s+from)?|additional\s+reporting"
        rf"\s+by|sources?|via|from)\s*:?\s*)?(?:{_AGENCY_LIST}){_SUFFIX}(?:/[a-z]{{1,3}})*[\W_]*$",
        rf"[.!?{_QUOTES}]\s*(?:[{_DASHES}]+\s*(?:with\s+files\s+from\s+)?"
        rf"(?:{_AGENCY_LIST})(?:/[a-z]{{1,3}})*\.?|\((?:{_AGENCY_LIST})\))\s*$",
        rf"^\([^()]{{1,60}}?/\s*(?:{_AGENCY_LIST})\)\W*$",
        rf"^\W*(?:©|\(c\)|copyright)(?:©|\(c\)|copyright|\d{{4}}|\s)*(?:{_AGENCY_LIST})",
    )
)
# House styles that identify the agency without naming it: Reuters signs "(Reporting by
# X; Editing by Y)"; Bloomberg ends "--With assistance from X" and "To contact the
# reporter on this story: ...".
_HOUSE_STYLE_RES = (
    (re.compile(r"\b(?:reporting|writing)\s+by\b[^\n]*?;[^\n]*?\bediting\s+by\b", re.I), "Reuters"),
    (re.compile(r"^\W*with\s+assistance\s+from\b", re.IGNORECASE), "Bloomberg"),
    (
        re.compile(
            r"\bto\s+contact\s+the\s+(?:reporters?|authors?|editors?)\s+(?:on|responsible\s+for)"
            r"\s+this\s+story\b",
            re.IGNORECASE,
        ),
        "Bloomberg",
    ),
)
# Indian outlets' disclaimer on wire copy ("... auto-generated from a syndicated feed");
# it names the agency only sometimes, so the agency comes from the same paragraph if at all.
_SYNDICATED_RE = re.compile(
    r"\bsyndicated\s+feed\b|\bfrom\s+(?:a|the)\s+(?:wire|news)\s+agency\s+feed\b", re.IGNORECASE
)
_TITLE_RE = re.compile(rf"\s[|{_DASHES}]\s*(?:{_AGENCY_LIST}){_SUFFIX}\s*$", re.IGNORECASE)
_BYLINE_SPLIT_RE = re.compile(rf"\s*(?:[,;|/()&]|\s[{_DASHES}]\s|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class AgencyMatch:
    """Agencies a story comes from, in order of first evidence, with what showed it.

    ``agencies`` is empty only when the sole evidence is a syndication disclaimer that
    names no agency; ``evidence`` holds short ``kind: "text"`` strings for review.
    """

    agencies: tuple[str, ...]
    evidence: tuple[str, ...]


def detect_agency(
    *,
    body: str,
    title: str | None = None,
    authors: Sequence[str] = (),
    credit_lines: Sequence[str] = (),
    site_name: str | None = None,
    url: str | None = None,
) -> AgencyMatch | None:
    """Return the agencies a story is credited to by structure, or None when there is none."""
    found: list[tuple[str | None, str]] = []
    paragraphs = _paragraphs(body)
    for paragraph in paragraphs[:HEAD_PARAGRAPHS]:
        found.extend(_dateline(paragraph))
    head = paragraphs[0] if paragraphs else ""
    in_body_byline = (head,) if head.lower().startswith("by ") and len(head) <= 100 else ()
    for author in (*authors, *in_body_byline):
        found.extend((name, f"byline: {_quote(author)}") for name in _byline(author))
    for line in (*paragraphs[-TAIL_PARAGRAPHS:], *credit_lines):
        found.extend(_credits(line))
    if title and (match := _TITLE_RE.search(_clean(title))):
        found.extend((n, f"title: {_quote(match[0].strip())}") for n in _names(match[0]))
    if site_name and (name := agency_for_name(site_name.removesuffix(".com"))):
        found.append((name, f"site_name: {_quote(site_name)}"))
    if url and (host_match := _host_agency(url)):
        found.append(host_match)
    if not found:
        return None
    agencies = tuple(dict.fromkeys(name for name, _ in found if name))
    return AgencyMatch(agencies, tuple(dict.fromkeys(evidence for _, evidence in found)))


def agency_for_name(name: str) -> str | None:
    """Return the canonical agency when a whole name is one ("The AP", "Reuters Staff")."""
    match = _NAME_RE.match(_clean(name))
    return _canonical(match[1]) if match else None


def split_agency(name: str) -> tuple[str, str | None]:
    """Return the name without a trailing agency and that agency ("Jane Roe AP" -> "AP")."""
    cleaned = _clean(name)
    match = _TRAILING_RE.search(cleaned)
    if not match:
        return cleaned, None
    return cleaned[: match.start()].strip(), _canonical(match[1])


def _clean(text: str) -> str:
    # Non-breaking and zero-width spaces are everywhere in CMS output around datelines.
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def _paragraphs(body: str) -> list[str]:
    return [line for line in (_clean(part) for part in body.splitlines()) if line]


def _quote(text: str) -> str:
    text = text if len(text) <= MAX_EVIDENCE_CHARS else text[: MAX_EVIDENCE_CHARS - 1] + "…"
    return f'"{text}"'


def _canonical(alias: str) -> str:
    return _LOOKUP[re.sub(r"^the\s+", "", _clean(alias), flags=re.IGNORECASE).casefold()]


def _names(text: str) -> list[str]:
    return [_canonical(m[0]) for m in _AGENCY_RE.finditer(text)]


def _without_photo_credits(text: str) -> str:
    for pattern in _PHOTO_RES:
        text = pattern.sub(" ", text)
    return _clean(text)


def _dateline(paragraph: str) -> list[tuple[str | None, str]]:
    match = _DATELINE_RE.match(paragraph)
    if not match:
        return []
    return [(name, f"dateline: {_quote(match[0])}") for name in _names(match["agencies"])]


def _byline(author: str) -> list[str]:
    parts = _BYLINE_SPLIT_RE.split(_clean(author))
    return [name for part in parts if (name := agency_for_name(part) or split_agency(part)[1])]


def _credits(line: str) -> list[tuple[str | None, str]]:
    text = _without_photo_credits(line)
    found: list[tuple[str | None, str]] = []
    for pattern in _CREDIT_RES:
        if match := pattern.search(text):
            # Shown without the sentence end the credit was anchored on (". — AFP").
            shown = _quote(match[0].strip().lstrip(".!?" + _QUOTES).strip())
            found.extend((name, f"credit: {shown}") for name in _names(match[0]))
            break  # one credit per line: the patterns overlap on "— AFP" style endings
    for pattern, agency in _HOUSE_STYLE_RES:
        if pattern.search(text):
            found.append((agency, f"credit: {_quote(text)}"))
    if _SYNDICATED_RE.search(text):
        evidence = f"syndicated: {_quote(text)}"
        found.extend([(name, evidence) for name in _names(text)] or [(None, evidence)])
    return found


def _host_agency(url: str) -> tuple[str, str] | None:
    try:
        host = host_of(url if "://" in url else f"http://{url}")
    except ValueError:
        return None
    labels = host.split(".")
    for start in range(len(labels) - 1):
        if name := AGENCY_HOSTS.get(".".join(labels[start:])):
            return name, f"site: {host.removeprefix('www.')}"
    return None
