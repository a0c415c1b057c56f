"""Spun copies: a rewritten text whose names, numbers and quotes still come in the same order.

Content farms run wire stories through synonym spinners ("officials" becomes
"authorities", "said" becomes "stated"), which breaks nearly every word 5-gram, so the
shingle fingerprints see two unrelated texts. What a spinner leaves alone is what it
cannot rewrite without changing the facts: names, numbers and quoted words. The ordered
sequence of those "anchors" is compared with the earlier articles that share several
rare anchors within a few days; two independent reports of the same event share names
too, but not their order, their numbers and their quotes all at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

import redis

from newsdesk.enrich.syndication import RELATIONS_TTL_S, add_everywhere, as_text
from newsdesk.state.redis_state import PREFIX

WINDOW_S = 72 * 3600  # a spun copy appears within days of its source, not weeks
# An anchor in more articles than this within the window ("Monday", "2026") is not rare.
MAX_ANCHOR_DF = 50
MIN_SHARED_ANCHORS = 4
MAX_CANDIDATES = 20
FULL_CONFIDENCE_ANCHORS = 12  # fewer anchors than this make any match less certain
MIN_CONFIDENCE = 0.7  # follow-ups by the same desk reuse names in order too: about 0.5
MAX_QUOTE_WORDS = 8

ANCHOR_KEY = PREFIX + "anchor:{}"  # zset: doc id -> published epoch
ANCHORS_OF_KEY = PREFIX + "anchors:{}"  # JSON list: one article's anchor sequence
SPUN_KEY = PREFIX + "spun:{}"  # hash: of, confidence

# Capitalised words that open sentences without naming anything.
_FUNCTION_WORDS_TEXT = """
a an the this that these those he she it they we i you his her its their our but and or so
if in on at of for to by with from as after before when while where there here what who why
how not no yes mr mrs ms dr
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_TOKEN_RE = re.compile(
    r"(?P<quote>[\"\u201c][^\"\u201c\u201d]{3,400}[\"\u201d])"
    r"|(?P<num>\d(?:[\d,.]*\d)?)"
    r"|(?P<word>[^\W\d_][\w'\u2019-]*)"
    r"|(?P<stop>[.!?\n:;\u2014]|\s[-\u2013]\s)"
    r"|(?P<brk>[(),\[\]/])"
)
_CONNECTORS = frozenset({"of", "de", "van", "von", "la", "del", "al"})
# Only replaces a weaker link: a redelivered task writes the same values again.
_SET_STRONGER_LUA = """
local old = tonumber(redis.call('HGET', KEYS[1], 'confidence') or '-1')
if tonumber(ARGV[2]) > old or redis.call('HGET', KEYS[1], 'of') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'of', ARGV[1], 'confidence', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class SpunLink:
    """``doc_id`` reads as a spun copy of ``source_id`` with this confidence."""

    doc_id: str
    source_id: str
    confidence: float


def extract_anchors(text: str) -> list[str]:
    """Return the text's names, numbers and quotes in order, as ``n:``/``#:``/``q:`` strings."""
    tokens: list[tuple[str, str, bool]] = []  # kind, text, opens a sentence
    start = True
    for match in _TOKEN_RE.finditer(text):
        kind, value = match.lastgroup or "", match.group()
        tokens.append((kind, value, start))
        if kind == "quote":
            start = value[:-1].rstrip().endswith((".", "!", "?"))
        elif kind != "brk":
            start = kind == "stop"
    # A capitalised word seen only at sentence starts is ordinary ("Officials said"); one
    # also capitalised mid-sentence is a name ("Lakeport ..." and "... in Lakeport").
    mid_caps = {v.casefold() for k, v, at in tokens if k == "word" and not at and v[0].isupper()}
    anchors: list[str] = []
    run: list[str] = []
    run_at_start = False

    def flush() -> None:
        while run and run[-1].casefold() in _CONNECTORS:
            run.pop()
        while run and run[0].casefold() in _FUNCTION_WORDS:
            run.pop(0)
        if len(run) > 1 or (run and (not run_at_start or run[0].casefold() in mid_caps)):
            anchors.append("n:" + " ".join(run).casefold())
        run.clear()

    for kind, value, at_start in tokens:
        if kind == "word" and (value[0].isupper() or (run and value in _CONNECTORS)):
            if not run:
                run_at_start = at_start
            run.append(value)
            continue
        flush()
        if kind == "num":
            anchors.append("#:" + value.replace(",", "").rstrip("."))
        elif kind == "quote":
            quoted = re.findall(r"[^\W_]+", value.casefold())[:MAX_QUOTE_WORDS]
            anchors.append("q:" + " ".join(quoted))
    flush()
    return anchors


def sequence_similarity(a: list[str], b: list[str]) -> float:
    """Return the ordered similarity of two anchor sequences (0-1, matching blocks in order)."""
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def spun_confidence(a: list[str], b: list[str]) -> float:
    """Return how sure it is that one anchor sequence was spun from the other (0-1)."""
    coverage = min(1.0, min(len(a), len(b)) / FULL_CONFIDENCE_ANCHORS)
    return round(sequence_similarity(a, b) * coverage, 3)


def link_spun(
    r: redis.Redis,
    doc_id: str,
    anchors: list[str],
    published_s: float,
    *,
    exclude: Collection[str] = (),
    ttl_s: int = RELATIONS_TTL_S,
) -> SpunLink | None:
    """Index an article's anchors; record and return its spun-copy link if one is found.

    The later-published article of a pair is the spun copy, whichever arrived first.
    """
    keys = [ANCHOR_KEY.format(_digest(a)) for a in dict.fromkeys(anchors)]
    pipe = r.pipeline(transaction=True)
    pipe.set(ANCHORS_OF_KEY.format(doc_id), json.dumps(anchors), ex=ttl_s)
    add_everywhere(pipe, keys, doc_id, ttl_s, score=published_s)
    pipe.execute()
    pipe = r.pipeline(transaction=False)
    low, high = published_s - WINDOW_S, published_s + WINDOW_S
    for key in keys:
        pipe.zrangebyscore(key, low, high, start=0, num=MAX_ANCHOR_DF + 1, withscores=True)
    votes: Counter[str] = Counter()
    published: dict[str, float] = {}
    for members in pipe.execute():
        if len(members) <= MAX_ANCHOR_DF:
            for member, score in members:
                votes[member.decode()] += 1
                published[member.decode()] = float(score)
    for skipped in (doc_id, *exclude):
        votes.pop(skipped, None)
    candidates = [c for c, n in votes.most_common(MAX_CANDIDATES) if n >= MIN_SHARED_ANCHORS]
    # A spin of one of this article's own copies is its sibling, not its source.
    related = {doc_id, *exclude}
    sources = _sources(r, candidates)
    candidates = [c for c, of in zip(candidates, sources, strict=True) if of not in related]
    scored = [
        (spun_confidence(anchors, theirs), -published[cand], cand)
        for cand, theirs in zip(candidates, _load_anchors(r, candidates), strict=True)
        if theirs
    ]
    if not scored:
        return None
    confidence, _, best = max(scored)  # ties go to the earliest-published source
    if confidence < MIN_CONFIDENCE:
        return None
    if published[best] <= published_s:
        link = SpunLink(doc_id, best, confidence)
    else:
        link = SpunLink(best, doc_id, confidence)
    stored = r.eval(
        _SET_STRONGER_LUA, 1, SPUN_KEY.format(link.doc_id), link.source_id, confidence, ttl_s
    )
    return link if stored else None


def spun_links(r: redis.Redis, doc_ids: Iterable[str]) -> dict[str, SpunLink]:
    """Return the recorded spun-copy link of each article that has one."""
    ids = list(dict.fromkeys(doc_ids))
    pipe = r.pipeline(transaction=False)
    for doc_id in ids:
        pipe.hmget(SPUN_KEY.format(doc_id), "of", "confidence")
    return {
        doc_id: SpunLink(doc_id, of.decode(), float(confidence))
        for doc_id, (of, confidence) in zip(ids, pipe.execute(), strict=True)
        if of is not None
    }


def _sources(r: redis.Redis, doc_ids: list[str]) -> list[str | None]:
    pipe = r.pipeline(transaction=False)
    for doc_id in doc_ids:
        pipe.hget(SPUN_KEY.format(doc_id), "of")
    return [as_text(of) if of is not None else None for of in pipe.execute()]


def _load_anchors(r: redis.Redis, doc_ids: list[str]) -> list[list[str]]:
    if not doc_ids:
        return []
    raw = r.mget([ANCHORS_OF_KEY.format(d) for d in doc_ids])
    return [json.loads(value) if value else [] for value in raw]


def _digest(anchor: str) -> str:
    return hashlib.blake2b(anchor.encode(), digest_size=8).hexdigest()
