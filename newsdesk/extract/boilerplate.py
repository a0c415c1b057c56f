"""Verdicts on single lines of an extracted body: story text, or the page's own furniture.

Main-text extractors find the right container but keep what publishers put inside it
next to the story: newsletter and app pitches, "Read more:" cross-links, "Related"
teaser lists, reporter and photo credits, tag lines. These rules recognise such lines
by their wording and shape alone, never by site. Two shapes keep story text safe: a
pitch addresses the reader ("your inbox", "follow us"), and labels and headlines end
without a full stop, while a sentence that merely mentions a newsletter ends with one.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

# Furniture is short; a long paragraph that happens to contain "subscribe" is the story.
MAX_PROMPT_WORDS = 40
MAX_TEASER_WORDS = 30
MAX_CREDIT_WORDS = 45
# A line this much made of links to the same site is a teaser for another of its pages.
MIN_TEASER_LINK_SHARE = 0.6


class Verdict(StrEnum):
    """Why a line is not story text; the value is a fixed, loggable reason."""

    PROMPT = "prompt"
    CROSS_LINK = "cross_link"
    TEASER = "teaser"
    CREDIT = "credit"


_SOCIAL = r"(?:twitter|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky)"
# Pitches addressed to the reader: newsletters, social follows, apps, sharing, comments.
# Each speaks to the reader (an imperative, "our", "your"); "Readers subscribe to the
# council's newsletter" is about someone else and stays.
_PROMPT_RE = re.compile(
    rf"""
      (?:^|[.!?]\s)\W*(?:subscribe|sign\s+up)\b.{{0,80}}?\b(?:newsletters?|inbox|alerts|updates)\b
    | \b(?:subscribe|sign\s+up)\b.{{0,40}}?\bour\b.{{0,40}}?\bnewsletters?\b
    | \byour\s+inbox\b
    | \bnewsletters?\s*$
    | ^\W*follow\b.{{0,60}}?\bon\s+{_SOCIAL}\b
    | \bfollow\s+(?:us|him|her|them|me)\s+on\s+{_SOCIAL}\b
    | \b(?:click|tap)\s+here\b
    | ^\W*(?:share\s+(?:this|it)|like\s+this\s+(?:story|article))\b
    | ^\W*(?:get|download)\s+the\s+.{{0,30}}?\bapp\b
    | \bthanks\s+for\s+(?:signing\s+up|subscribing)\b
    | ^\W*have\s+a\s+(?:news\s+)?tip\s*\?
    | ^\W*also\s+on\s+[\w-]+\.[a-z]{{2,}}\b
    | ^\W*(?:you\s+(?:may|might)\s+also\s+like|don'?t\s+miss|tell\s+us\s+what\s+you\s+think
        |leave\s+a\s+comment|advertisement|comments?|sponsored(?:\s+content)?)[\W_]*$
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A label that introduces a link to elsewhere ("Read more: ...", "Related: ...") or files
# the story under a taxonomy ("Tags: ...", "Filed under: ..."). A bare "More" needs its
# colon: "More — and better — jobs" opens a sentence.
_CROSS_LINK_RE = re.compile(
    r"""^\W*(?:(?:read\s+more|related(?:\s+\w+)?|see\s+more|see\s+also|also\s+read
        |read\s+also|more\s+on\s+this|recommended|trending|most\s+popular|most\s+read
        |filed\s+under|tags?|topics?|categor(?:y|ies))\s*[:|\u2013\u2014-]
        |more\s*:)""",
    re.IGNORECASE | re.VERBOSE,
)
# Wire sign-offs: "(Reporting by X; Editing by Y)". "Reporting by the Guardian showed
# that ..." is a sentence, so the sign-off also needs its parenthesis, a semicolon, an
# editor or the missing full stop of a label.
_WIRE_CREDIT_RE = re.compile(
    r"^\W*(?:additional\s+)?(?:reporting|writing|editing)\s+by\b", re.IGNORECASE
)
_WIRE_CREDIT_SHAPE_RE = re.compile(r"^\s*\(|;|\bediting\s+by\b", re.IGNORECASE)
# Photo credits and copyright notices are labels ("Photo: Jane Roe", "© Agency 2019");
# "Copyright law changed in 1976." is a sentence and ends like one.
_LABEL_CREDIT_RE = re.compile(
    r"""^\W*(?:(?:photo|image|picture)s?\s+(?:credit|courtesy|by)\b
        |(?:photo|image|picture)s?\s*:|©|\(c\)\s|copyright\b)""",
    re.IGNORECASE | re.VERBOSE,
)
# Headlines end without a full stop (a question mark is common); story sentences end with one.
_FULL_STOP_RE = re.compile(r"\.[\"'\u201d\u2019)\]]*\s*$")
_WORD_RE = re.compile(r"\w+")


def verdict(text: str, *, site_link_share: float = 0.0) -> Verdict | None:
    """Return why the line is page furniture rather than story text, or None to keep it."""
    words = len(text.split())
    if words <= MAX_PROMPT_WORDS and _PROMPT_RE.search(text):
        return Verdict.PROMPT
    if words <= MAX_TEASER_WORDS and _CROSS_LINK_RE.search(text):
        return Verdict.CROSS_LINK
    # A fully linked sentence can be story text; a linked headline (no full stop) pointing
    # at the same site is the "more stories" box that got into the container.
    if (
        words <= MAX_TEASER_WORDS
        and site_link_share >= MIN_TEASER_LINK_SHARE
        and not ends_with_full_stop(text)
    ):
        return Verdict.TEASER
    if words <= MAX_CREDIT_WORDS and is_credit(text):
        return Verdict.CREDIT
    return None


def is_credit(text: str) -> bool:
    """Return True for a wire sign-off, photo credit or copyright line."""
    if _WIRE_CREDIT_RE.search(text):
        return bool(_WIRE_CREDIT_SHAPE_RE.search(text)) or not ends_with_full_stop(text)
    return bool(_LABEL_CREDIT_RE.search(text)) and not ends_with_full_stop(text)


def ends_with_full_stop(text: str) -> bool:
    """Return True when the text ends with a full stop, as sentences do and headlines do not."""
    return bool(_FULL_STOP_RE.search(text))


def fingerprint(text: str) -> str:
    """Return the text's words, case-folded and accent-stripped, for comparing lines."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return " ".join(_WORD_RE.findall(folded))


def repeats(line: str, reference: str | None, *, min_chars: int = 15) -> bool:
    """Return True when the line is the reference again, whole or as its main part.

    Titles carry extra parts the on-page headline lacks ("Opinion | ...", "... | Site"),
    so a headline contained in the title counts as a repeat.
    """
    if not reference:
        return False
    got, ref = fingerprint(line), fingerprint(reference)
    if not got:
        return False
    return got == ref or (len(got) >= min_chars and f" {got} " in f" {ref} ")
