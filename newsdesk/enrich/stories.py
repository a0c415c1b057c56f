"""Story clusters: different reports of the same event share a ``story_id``, assigned online.

Each article is compared with the articles published within 72 hours of it that share
some of its rarest terms (a Redis index of each article's top terms, so articles still
waiting for the bulk flush are seen too, which Elasticsearch's more_like_this would
miss). The score blends the cosine of tf-idf term vectors with the overlap of the names
both articles mention (their extracted entities when there are any, else the capitalised
names the spinning detector reads), discounted with the distance in time: a second
round of talks in the same city eleven days later shares most words and names with the
first but falls outside the window.

Every member of a story holds the same ``story_id`` and ``story_size``, and they change
only when the size crosses a step: exact up to ``EXACT_STORY_SIZE``, then rounded down
to 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, ... At each step the story id becomes
its earliest-published article's id, so an earlier report that arrives late in a big
story takes over the id at the next step. Both only change together because each
change rewrites every member: a story growing to n articles costs O(n) rewrites in all,
where an exact size, or an id following each late arrival, cost O(n²) (feeds list the
newest first, so a story is often fetched backwards).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from redis.client import Pipeline

from newsdesk.enrich.syndication import (
    DIRTY_KEY,
    KEY_PREFIX,
    TOP_LUA,
    Reader,
    doc_key,
    hex_id,
    raw_id,
)

WINDOW_S = 72 * 3600
TOP_TERMS = 40
DF_LOOKUPS = 3 * TOP_TERMS
TITLE_WEIGHT = 2  # a headline word counts as two body words
MIN_SHARED_TERMS = 3
MAX_CANDIDATES = 30
MAX_PER_TERM = 500  # a term on more articles than this adds nothing to the candidate list
MIN_SIMILARITY = 0.25
NAME_WEIGHT = 0.4  # share of the score given to the overlap of names
# Pseudo-documents in the idf: until the index holds many articles, every term weighs
# about the same, so a burst of copies of one story cannot make its own words look common.
IDF_PRIOR_DOCS = 50
MAX_STORY_ARTICLES = 500
EXACT_STORY_SIZE = 10
STORY_SIZE_STEPS = (10, 12, 15, 20, 25, 30, 40, 50, 60, 80)  # then the same times 10, 100, ...

# Article ids are their 32 bytes (see newsdesk.enrich.syndication).
TERM_KEY = KEY_PREFIX + b"terms:"  # + term: zset of article id -> published epoch
DOCS_KEY = KEY_PREFIX + b"story:docs"  # zset: article id -> time indexed (the idf denominator)
STORY_DOC_KEY = KEY_PREFIX + b"story:doc:"  # + article id: hash of terms, names, published
STORY_OF_KEY = KEY_PREFIX + b"story:of:"  # + article id: its story's key (an article id)
STORY_MEMBERS_KEY = KEY_PREFIX + b"story:members:"  # + story key: zset id -> published
STORY_SHOWN_KEY = KEY_PREFIX + b"story:shown:"  # + story key: hash of the id and size shown

# Join a story atomically: the story of the best match (first writer wins), then this
# article's (a redelivery keeps its first), then the members. The (id, size) documents
# hold is kept apart and moves only when the size shown crosses a step: the id becomes
# the earliest member then. Those are the moments every member is queued for
# rewriting, in the same script so that a crash cannot lose them; ARGV[7..] are other
# articles to queue. Its shown() is shown_story_size() (a test holds them equal).
_STEPS_LUA = ", ".join(map(str, STORY_SIZE_STEPS))
_JOIN_LUA = (
    f"local EXACT, STEPS = {EXACT_STORY_SIZE}, {{{_STEPS_LUA}}}"
    + """
local function shown(n)
  if n <= EXACT then return n end
  local scale = 1
  while n >= 10 * STEPS[1] * scale do scale = scale * 10 end
  local size = STEPS[1] * scale
  for _, step in ipairs(STEPS) do
    if step * scale <= n then size = step * scale end
  end
  return size
end
local function get_or_set(key, value)
  local v = redis.call('GET', key)
  if v then return v end
  redis.call('SET', key, value, 'EX', ARGV[4])
  return value
end
local doc, best, ttl = ARGV[1], ARGV[3], ARGV[4]
local cluster = doc
if best ~= '' then cluster = get_or_set(KEYS[1], best) end
cluster = get_or_set(KEYS[2], cluster)
local members, held_key = ARGV[5] .. cluster, ARGV[6] .. cluster
redis.call('ZADD', members, ARGV[2], doc)
local best_added = 0
if best ~= '' then
  local published = redis.call('HGET', KEYS[3], 'published')
  if published then best_added = redis.call('ZADD', members, published, best) end
end
local size = shown(redis.call('ZCARD', members))
local held = redis.call('HMGET', held_key, 'id', 'size')
local dirty = {}
if tonumber(held[2]) ~= size then
  held[1] = redis.call('ZRANGE', members, 0, 0)[1]
  redis.call('HSET', held_key, 'id', held[1], 'size', size)
  dirty = redis.call('ZRANGE', members, 0, -1)
elseif best_added == 1 then
  dirty = {best}
end
redis.call('EXPIRE', members, ttl)
redis.call('EXPIRE', held_key, ttl)
for i = 7, #ARGV do dirty[#dirty + 1] = ARGV[i] end
local batch = {}
for _, member in ipairs(dirty) do
  if member ~= doc then batch[#batch + 1] = member end
  if #batch == 1000 then redis.call('SADD', KEYS[4], unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('SADD', KEYS[4], unpack(batch)) end
return {cluster, held[1], size}
"""
)
# Index an article's story profile and terms, then vote over the articles that share
# its terms within the window (read after writing: two reports processed at once see
# each other); return the best-voted with their profiles. KEYS: the article's profile,
# the idf document list, then one key per term.
_INDEX_LUA = (
    TOP_LUA
    + """
local doc, ttl, published, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', KEYS[1], 'terms', ARGV[5], 'published', published, 'names', ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now, doc)
redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, now - ttl)
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], published, doc)
  redis.call('EXPIRE', KEYS[i], ttl)
end
local votes, order = {}, {}
for i = 3, #KEYS do
  -- A term on this many articles in the window adds nothing to the candidate list.
  if redis.call('ZCOUNT', KEYS[i], ARGV[7], ARGV[8]) < tonumber(ARGV[9]) then
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i], ARGV[7], ARGV[8])) do
      if member ~= doc then vote(votes, order, member) end
    end
  end
end
local out = {}
for _, member in ipairs((top(votes, order, tonumber(ARGV[10]), tonumber(ARGV[11])))) do
  local profile = redis.call('HMGET', ARGV[12] .. member, 'terms', 'published', 'names')
  out[#out + 1] = {member, unpack(profile)}
end
return out
"""
)
# Sizes of many sorted sets in one command: a term lookup per word was most of the cost.
_ZCARDS_LUA = """
local sizes = {}
for i, key in ipairs(KEYS) do sizes[i] = redis.call('ZCARD', key) end
return sizes
"""
_TERM_RE = re.compile(r"[^\W\d_]{3,}")
# Function words of the languages the demo and tests carry; idf handles the rest.
_STOPWORDS_TEXT = """
the and for are but not you all any can had her was one our out has his how its may new now
old see two way who did get him let say she too use that with have this will your from they
been more when were what said says also than them then into over only some such after about
could would there their which other these those while where being because before under again
last first year years told just like very most made week monday tuesday wednesday thursday
friday saturday sunday der die das und ist nicht mit den dem des ein eine einer sich auf für
von zum zur les une est pas pour dans qui que sur avec par plus sont del los las por con una
para como
"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class StoryDoc:
    """What the story scorer knows of one article."""

    terms: dict[str, float]  # unit-length tf-idf vector of its top terms
    published_s: float
    names: frozenset[str] = frozenset()  # people, organisations and places, casefolded


def term_counts(title: str, body: str) -> Counter[str]:
    """Return the content-word counts of an article, headline words counted double."""
    counts: Counter[str] = Counter()
    for text, weight in ((title, TITLE_WEIGHT), (body, 1)):
        for term in _TERM_RE.findall(text.casefold()):
            if term not in _STOPWORDS:
                counts[term] += weight
    return counts


def term_vector(counts: Counter[str], df: dict[str, int], n_docs: int) -> dict[str, float]:
    """Return the unit-length tf-idf vector of the ``TOP_TERMS`` heaviest terms."""
    weights = {
        term: (1 + math.log(tf))
        * (1 + math.log((n_docs + IDF_PRIOR_DOCS) / (df.get(term, 0) + IDF_PRIOR_DOCS)))
        for term, tf in counts.items()
    }
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {term: round(w / norm, 4) for term, w in top}


def story_similarity(a: StoryDoc, b: StoryDoc, *, window_s: float = WINDOW_S) -> float:
    """Return how likely two articles report the same event (0-1; 0 outside the window)."""
    gap_s = abs(a.published_s - b.published_s)
    if gap_s > window_s:
        return 0.0
    score = sum(w * b.terms.get(term, 0.0) for term, w in a.terms.items())
    if a.names and b.names:
        shared = len(a.names & b.names) / len(a.names | b.names)
        score = (1 - NAME_WEIGHT) * score + NAME_WEIGHT * shared
    # Halved at the window's edge: events days apart need more in common to be one story.
    return score * (1 - 0.5 * gap_s / window_s)


def queue_story_doc(
    pipe: Pipeline, title: str, body: str, published_s: float, names: Iterable[str] = ()
) -> Reader[StoryDoc]:
    """Queue the look-up of term frequencies; the reader returns the article's profile."""
    counts = term_counts(title, body)
    # Only the most frequent words can make the top terms once weighted: look those up.
    terms = sorted(sorted(counts, key=lambda t: (-counts[t], t))[:DF_LOOKUPS])
    keys = [DOCS_KEY, *(TERM_KEY + term.encode() for term in terms)]
    pipe.eval(_ZCARDS_LUA, len(keys), *keys)
    casefolded = frozenset(n.casefold() for n in names)

    def read(replies: Iterator[Any]) -> StoryDoc:
        n_docs, *dfs = next(replies)
        df = dict(zip(terms, dfs, strict=True))
        vector = term_vector(Counter({t: counts[t] for t in terms}), df, int(n_docs))
        return StoryDoc(vector, published_s, casefolded)

    return read


def queue_index_terms(
    pipe: Pipeline, doc_id: str, doc: StoryDoc, *, ttl_s: int
) -> Reader[list[tuple[str, StoryDoc]]]:
    """Queue indexing an article's story profile; the reader returns its best candidates."""
    now_s = time.time()
    keys = [doc_key(STORY_DOC_KEY, doc_id), DOCS_KEY, *(TERM_KEY + t.encode() for t in doc.terms)]
    low, high = doc.published_s - WINDOW_S, doc.published_s + WINDOW_S
    pipe.eval(
        _INDEX_LUA, len(keys), *keys, raw_id(doc_id), ttl_s, repr(doc.published_s), repr(now_s),
        json.dumps(doc.terms), json.dumps(sorted(doc.names)), repr(low), repr(high),
        MAX_PER_TERM, MIN_SHARED_TERMS, MAX_CANDIDATES, STORY_DOC_KEY,
    )  # fmt: skip

    def read(replies: Iterator[Any]) -> list[tuple[str, StoryDoc]]:
        return [
            (
                hex_id(cand),
                StoryDoc(json.loads(terms), float(published), frozenset(json.loads(names))),
            )
            for cand, terms, published, names in next(replies)
            if terms is not None
        ]

    return read


def best_match(doc: StoryDoc, candidates: Iterable[tuple[str, StoryDoc]]) -> str | None:
    """Return the candidate most likely to report the same event, if likely enough."""
    scored = [
        (round(story_similarity(doc, other), 6), -other.published_s, cand)
        for cand, other in candidates
    ]
    if not scored or max(scored)[0] < MIN_SIMILARITY:
        return None
    return max(scored)[2]


def shown_story_size(size: int) -> int:
    """Return the story size documents hold: exact up to 10, else rounded down to a step."""
    if size <= EXACT_STORY_SIZE:
        return size
    scale = 1
    while size >= 10 * STORY_SIZE_STEPS[0] * scale:
        scale *= 10
    return max(step * scale for step in STORY_SIZE_STEPS if step * scale <= size)


def queue_join(
    pipe: Pipeline,
    doc_id: str,
    doc: StoryDoc,
    best: str | None,
    *,
    also_dirty: Iterable[str] = (),
    ttl_s: int,
) -> Reader[tuple[str, int]]:
    """Queue joining ``best``'s story (or starting one); the reader returns its id and size.

    The members whose story fields changed, and ``also_dirty``, are queued for rewriting.
    """
    keys = [doc_key(STORY_OF_KEY, best or doc_id), doc_key(STORY_OF_KEY, doc_id)]
    keys += [doc_key(STORY_DOC_KEY, best or doc_id), DIRTY_KEY]
    pipe.eval(
        _JOIN_LUA, len(keys), *keys, raw_id(doc_id), repr(doc.published_s),
        raw_id(best) if best else b"", ttl_s, STORY_MEMBERS_KEY, STORY_SHOWN_KEY,
        *sorted(map(raw_id, set(also_dirty))),
    )  # fmt: skip

    def read(replies: Iterator[Any]) -> tuple[str, int]:
        _, story_id, size = next(replies)
        return hex_id(story_id), int(size)

    return read


def queue_story_of(pipe: Pipeline, doc_ids: Sequence[str]) -> Reader[dict[str, str]]:
    """Queue reading which story each article is in (the key of its cluster)."""
    for doc_id in doc_ids:
        pipe.get(doc_key(STORY_OF_KEY, doc_id))
    return lambda replies: {d: hex_id(c) for d in doc_ids if (c := next(replies))}


def queue_shown(pipe: Pipeline, clusters: Sequence[str]) -> Reader[dict[str, tuple[str, int]]]:
    """Queue reading the ``(story_id, story_size)`` each story's documents hold."""
    for cluster in clusters:
        pipe.hmget(doc_key(STORY_SHOWN_KEY, cluster), "id", "size")

    def read(replies: Iterator[Any]) -> dict[str, tuple[str, int]]:
        found = {c: next(replies) for c in clusters}
        return {c: (hex_id(i), int(n)) for c, (i, n) in found.items() if i is not None}

    return read


def list_story(es: Elasticsearch, alias: str, story_or_doc_id: str) -> list[dict[str, Any]]:
    """Return the indexed articles of a story (given its id or any member's), earliest first."""
    story_id = story_or_doc_id
    try:
        doc = es.get(index=alias, id=story_or_doc_id, source_includes=["story_id"])
        story_id = doc["_source"].get("story_id") or story_id
    except NotFoundError:
        pass
    response = es.search(
        index=alias,
        query={"term": {"story_id": story_id}},
        sort=[{"published_at": {"order": "asc", "missing": "_last"}}, {"url": {"order": "asc"}}],
        size=MAX_STORY_ARTICLES,
        source_excludes=["body", "summary", "description"],
    )
    return [{"doc_id": h["_id"], **h["_source"]} for h in response["hits"]["hits"]]
