"""Keywords of an article with YAKE: statistical, per document, with no model and no corpus.

YAKE scores each 1-3 word candidate from the text alone (position, frequency, spread
across sentences, casing), with the stopword list of the text's language. Its raw output
still needs cleaning for use as a facet:

- a line break before a capital letter ends a sentence, because YAKE joins lines with a
  space and a headline without a full stop would otherwise run into the text ("Council
  approves parking Visitors"); hard-wrapped lines inside a sentence stay joined;
- phrases are lowercased, deduplicated, and dropped when a word has no letter ("2026",
  "1,500"), a word is a calendar word ("Wednesday afternoon"), or they contain, or are
  contained in, a phrase already kept ("parking" after "parking charges");
- in English, phrases the text only ever capitalises are left out: they are names, and
  the entity facets already carry them. Elsewhere they stay: NER runs on English only,
  and German capitalises every noun anyway;
- languages YAKE has no stopword list for get no keywords, since phrases made of "of
  the" and "and a" are worse than none; nor do those written without spaces between
  words (Chinese, Japanese, Thai...), where YAKE's "word" is a whole sentence.
"""

from __future__ import annotations

import re
from functools import cache

import yake

from newsdesk.enrich.names import CALENDAR

# Keywords come from the headline and the first paragraphs anyway; YAKE's time grows
# with the number of candidates, so a long transcript would cost much and add little.
MAX_TEXT_CHARS = 20_000
MAX_WORDS = 3
# Candidates asked from YAKE per keyword returned, so that filtering still leaves enough.
CANDIDATES_PER_KEYWORD = 10
# YAKE's own near-duplicate filter (string similarity); lower merges more variants.
DEDUP_THRESHOLD = 0.8
DEFAULT_LANGUAGE = "en"
# YAKE names a few stopword lists by country rather than by ISO 639-1 language code.
_YAKE_LANGUAGE = {"cs": "cz", "nb": "no", "nn": "no"}
_UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo"})
_WORD_RE = re.compile(r"\w+(?:-\w+)*")
_EDGE_PUNCT = "'\u2019\".,;:-"
_LINE_END_RE = re.compile(r"(?<![.!?:;])[ \t]*\n\s*(?=(\S))")


def extract_keywords(text: str, *, language: str | None, max_keywords: int = 5) -> tuple[str, ...]:
    """Return up to ``max_keywords`` lowercase keyphrases of 1-3 words, the most relevant first.

    A language of None counts as English; a language without a stopword list gets ().
    """
    code = (language or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    stopwords = _stopwords(_YAKE_LANGUAGE.get(code, code))
    if not stopwords or code in _UNSPACED_LANGUAGES or not text.strip() or max_keywords <= 0:
        return ()
    if len(text) > MAX_TEXT_CHARS and not text[MAX_TEXT_CHARS].isspace():
        text = text[:MAX_TEXT_CHARS].rsplit(None, 1)[0]  # no half word at the cut
    text = text[:MAX_TEXT_CHARS]
    text = _LINE_END_RE.sub(lambda m: ". " if m[1].isupper() else " ", text.strip())
    # A new extractor per call: the object caches similarities between calls, which is
    # not safe to share across threads, and building one with a ready stopword set is cheap.
    extractor = yake.KeywordExtractor(
        lan=code,
        n=MAX_WORDS,
        dedup_lim=DEDUP_THRESHOLD,
        top=max_keywords * CANDIDATES_PER_KEYWORD,
        stopwords=stopwords,
    )
    names = _name_words(text) if code == "en" else frozenset()
    kept: list[str] = []
    for phrase, _score in extractor.extract_keywords(text):
        words = [word.strip(_EDGE_PUNCT) for word in phrase.lower().split()]
        keyword = " ".join(words)
        if (
            not words
            or len(words) > MAX_WORDS
            or any(not any(c.isalpha() for c in word) for word in words)
            or any(word in CALENDAR or word.removesuffix("s") in CALENDAR for word in words)
            or any(_overlaps(keyword, other) for other in kept)
            or any(word in names for word in words)
        ):
            continue
        kept.append(keyword)
        if len(kept) == max_keywords:
            break
    return tuple(kept)


def _overlaps(a: str, b: str) -> bool:
    # Whole-word containment either way: "parking" and "parking charges" overlap,
    # "park" and "parking charges" do not.
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def _name_words(text: str) -> frozenset[str]:
    """Return the words of the text, lowercased, that it never writes in lowercase."""
    words = _WORD_RE.findall(text)
    lowercase = {word for word in words if word.islower()}
    return frozenset(word.lower() for word in words if word.lower() not in lowercase)


@cache
def _stopwords(yake_code: str) -> frozenset[str]:
    # YAKE reads only two letters ("fil" would get Finnish) and falls back to its empty
    # "noLang" list for a language it does not know.
    if len(yake_code) != 2 or not yake_code.isalpha():
        return frozenset()
    words = yake.KeywordExtractor(lan=yake_code).stopword_set
    return frozenset(word for word in words if word)
