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
import re
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from redis.client import Pipeline

from newsdesk.enrich.syndication import KEY_PREFIX, TOP_LUA, Reader, doc_key, hex_id, raw_id

WINDOW_S = 72 * 3600  # a spun copy appears within days of its source, not weeks
# An anchor in more articles than this within the window ("Monday", "2026") is not rare.
MAX_ANCHOR_DF = 50
MIN_SHARED_ANCHORS = 4
MAX_CANDIDATES = 20
# Read with the votes: the group members excluded afterwards rarely take more places.
SPARE_CANDIDATES = 10
FULL_CONFIDENCE_ANCHORS = 12  # fewer anchors than this make any match less certain
MIN_CONFIDENCE = 0.7  # follow-ups by the same desk reuse names in order too: about 0.5
MAX_QUOTE_WORDS = 8

ANCHOR_DIGEST_BYTES = 8
ANCHOR_KEY = KEY_PREFIX + b"anchor:"  # + anchor digest: zset of article id -> published
# + article id: its anchor sequence as digests (the comparison only asks which are equal)
ANCHORS_OF_KEY = KEY_PREFIX + b"anchors:"
SPUN_KEY = KEY_PREFIX + b"spun:"  # + article id: hash of (source id), confidence

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
# Index an article's anchors (unless ARGV[9] is '0': a second look, read only) and vote
# over the articles that share them within the window, atomically (read after writing);
# return how many articles share enough anchors, then the first ARGV[8] of them with
# their published times. KEYS: the article's anchor list, then one key per anchor.
_INDEX_LUA = (
    TOP_LUA
    + """
local doc, ttl, published = ARGV[1], ARGV[2], ARGV[3]
if ARGV[9] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ttl)
  for i = 2, #KEYS do
    redis.call('ZADD', KEYS[i], published, doc)
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
local votes, order, times = {}, {}, {}
for i = 2, #KEYS do
  if redis.call('ZCOUNT', KEYS[i], ARGV[5], ARGV[6]) <= tonumber(ARGV[7]) then
    local found = redis.call('ZRANGEBYSCORE', KEYS[i], ARGV[5], ARGV[6], 'WITHSCORES')
    for j = 1, #found, 2 do
      if found[j] ~= doc then
        vote(votes, order, found[j])
        times[found[j]] = found[j + 1]
      end
    end
  end
end
local picked, qualified = top(votes, order, MIN_SHARED, tonumber(ARGV[8]))
local out = {qualified}
for _, member in ipairs(picked) do out[#out + 1] = {member, times[member]} end
return out
""".replace("MIN_SHARED", str(MIN_SHARED_ANCHORS))
)
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
class SpinVotes:
    """The articles sharing enough anchors with one, most first, and their published times."""

    candidates: list[tuple[str, float]]
    qualified: int  # how many shared enough anchors: more than listed when cut short

    def top(self, exclude: Collection[str] = ()) -> list[tuple[str, float]]:
        """Return the best candidates that are not excluded."""
        return [c for c in self.candidates if c[0] not in exclude][:MAX_CANDIDATES]

    def short(self, exclude: Collection[str]) -> bool:
        """Return True if leaving out ``exclude`` leaves fewer candidates than there are."""
        listed = len(self.candidates)
        return len(self.top(exclude)) < MAX_CANDIDATES and self.qualified > listed


@dataclass(frozen=True)
class SpinCandidate:
    """An earlier or later article the text may have been spun from, or into."""

    doc_id: str
    published_s: float
    source: str | None  # what it reads as a spin of itself, if anything
    anchors: list[bytes]  # digests


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


def sequence_similarity(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Return the ordered similarity of two anchor sequences (0-1, matching blocks in order)."""
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def spun_confidence(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Return how sure it is that one anchor sequence was spun from the other (0-1)."""
    coverage = min(1.0, min(len(a), len(b)) / FULL_CONFIDENCE_ANCHORS)
    return round(sequence_similarity(a, b) * coverage, 3)


def queue_anchors(
    pipe: Pipeline,
    doc_id: str,
    anchors: Sequence[str],
    published_s: float,
    *,
    ttl_s: int,
    without: Collection[str] = (),
) -> Reader[SpinVotes]:
    """Queue indexing an article's anchors; the reader returns the articles sharing them.

    With ``without`` it only votes again, for a list long enough to leave those out.
    """
    count = MAX_CANDIDATES + (len(without) if without else SPARE_CANDIDATES)
    digests = _digests(anchors)
    keys = [doc_key(ANCHORS_OF_KEY, doc_id), *(ANCHOR_KEY + d for d in dict.fromkeys(digests))]
    low, high = published_s - WINDOW_S, published_s + WINDOW_S
    pipe.eval(
        _INDEX_LUA, len(keys), *keys, raw_id(doc_id), ttl_s, repr(published_s),
        b"".join(digests), repr(low), repr(high), MAX_ANCHOR_DF, count, "0" if without else "1",
    )  # fmt: skip

    def read(replies: Iterator[Any]) -> SpinVotes:
        qualified, *found = next(replies)
        return SpinVotes([(hex_id(c), float(t)) for c, t in found], int(qualified))

    return read


def queue_candidates(
    pipe: Pipeline, candidates: Sequence[tuple[str, float]]
) -> Reader[list[SpinCandidate]]:
    """Queue reading each candidate's own spin source and its anchor sequence."""
    for doc_id, _ in candidates:
        pipe.hget(doc_key(SPUN_KEY, doc_id), "of")
    if candidates:
        pipe.mget([doc_key(ANCHORS_OF_KEY, d) for d, _ in candidates])

    def read(replies: Iterator[Any]) -> list[SpinCandidate]:
        sources = [next(replies) for _ in candidates]
        sequences = next(replies) if candidates else []
        return [
            SpinCandidate(d, t, hex_id(of) if of is not None else None, _split(seq or b""))
            for (d, t), of, seq in zip(candidates, sources, sequences, strict=True)
        ]

    return read


def choose_spin(
    doc_id: str,
    anchors: list[str],
    published_s: float,
    candidates: Iterable[SpinCandidate],
    *,
    related: Collection[str],
) -> SpunLink | None:
    """Return the spun-copy link the candidates make likeliest, if any is likely enough.

    The later-published article of a pair is the spun copy, whichever arrived first. A
    spin of one of ``related`` (the article and its copies) is a sibling, not a source.
    """
    mine = _digests(anchors)
    scored = [
        (spun_confidence(mine, c.anchors), -c.published_s, c.doc_id)
        for c in candidates
        if c.source not in related and c.anchors
    ]
    if not scored:
        return None
    confidence, earlier, best = max(scored)  # ties go to the earliest-published source
    if confidence < MIN_CONFIDENCE:
        return None
    if -earlier <= published_s:
        return SpunLink(doc_id, best, confidence)
    return SpunLink(best, doc_id, confidence)


def queue_record(pipe: Pipeline, link: SpunLink, *, ttl_s: int) -> Reader[bool]:
    """Queue recording a spun-copy link; the reader says if it won over one recorded before."""
    pipe.eval(
        _SET_STRONGER_LUA, 1, doc_key(SPUN_KEY, link.doc_id), raw_id(link.source_id),
        link.confidence, ttl_s,
    )  # fmt: skip
    return lambda replies: bool(next(replies))


def queue_spun_links(pipe: Pipeline, doc_ids: Sequence[str]) -> Reader[dict[str, SpunLink]]:
    """Queue reading the recorded spun-copy link of each article that has one."""
    for doc_id in doc_ids:
        pipe.hmget(doc_key(SPUN_KEY, doc_id), "of", "confidence")

    def read(replies: Iterator[Any]) -> dict[str, SpunLink]:
        found = {d: next(replies) for d in doc_ids}
        return {
            d: SpunLink(d, hex_id(of), float(confidence))
            for d, (of, confidence) in found.items()
            if of is not None
        }

    return read


def _digests(anchors: Iterable[str]) -> list[bytes]:
    return [hashlib.blake2b(a.encode(), digest_size=ANCHOR_DIGEST_BYTES).digest() for a in anchors]


def _split(sequence: bytes) -> list[bytes]:
    size = ANCHOR_DIGEST_BYTES
    return [sequence[i : i + size] for i in range(0, len(sequence), size)]
