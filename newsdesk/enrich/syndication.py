"""Copies and versions of one text: MinHash/LSH and paragraph fingerprints shared in Redis.

Outlets republish wire copy under their own menus, trim the last paragraphs, drop the
credit, or run the agency's update that reuses most paragraphs and adds two. Word
shingles catch all of these (see ``newsdesk.enrich.fingerprints``); the bands of their
MinHash find candidates in constant time, and paragraph hashes find the short overlaps
that banding misses (a version whose Jaccard similarity is well below the LSH
threshold). Candidates are only candidates: a pair joins a group after its shingle sets
are compared exactly, and the group's original is chosen again whenever it grows.

Everything lives in Redis, shared by all workers, under keys with a TTL. Every write is
a set member or a first-writer-wins value, so a redelivered task never counts twice.
datasketch's own Redis storage for MinHashLSH is not used: it opens its own connection,
sets no TTL (the index would grow forever), pickles keys, and checks for an existing key
before writing it, which two workers can both pass. The Lua scripts here and in the
other relation modules read the records of the candidates they find, keys not passed
in KEYS: fine on one Redis server, which is what Newsdesk runs, not on a cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import redis
from redis.client import Pipeline

from newsdesk.enrich.fingerprints import (
    PARA_DIGEST_BYTES,
    VERSION_SHARE,
    Fingerprint,
    relation_to,
    shared_share,
)
from newsdesk.state.redis_state import PREFIX

MAX_CANDIDATES = 50
MAX_BUCKET_DOCS = 200
RELATIONS_TTL_S = 7 * 86_400

# Keys are a family prefix and binary digests, article ids their 32 bytes (half their
# hex): an article puts its id into some 150 sets, and on Redis 7.0 a one-member set
# costs 280 bytes where a one-member sorted set costs 120, so buckets are sorted sets.
KEY_PREFIX = PREFIX.encode()
FP_KEY = KEY_PREFIX + b"fp:"  # hash: shingles, paragraphs and metadata of one article
LSH_KEY = KEY_PREFIX + b"lsh:"  # + band number + band digest: zset of article ids
PARA_KEY = KEY_PREFIX + b"para:"  # + paragraph digest: zset of article ids
GROUP_OF_KEY = KEY_PREFIX + b"syn:group-of:"
MEMBERS_KEY = KEY_PREFIX + b"syn:members:"  # set of article ids
# Set: indexed articles whose relation fields changed (see newsdesk.enrich.relations).
DIRTY_KEY = KEY_PREFIX + b"relations:dirty"
META_FIELDS = ("url", "published", "agencies", "own_site")
RAW_ID_BYTES = 32

# Reads of several modules share one round trip: each queues its commands on the
# pipeline and gets back a reader that takes its replies, in order, from the results.
T = TypeVar("T")
Reader = Callable[[Iterator[Any]], T]

# Votes in Lua: only the candidates cross the wire, not every article in every bucket
# (parsing those replies was most of the relation step's time). TOP returns the members
# with at least ``least`` votes, most votes first, ties in order of first appearance
# (what Counter.most_common does), at most ``n`` of them, and how many qualified.
TOP_LUA = """
local function vote(votes, order, member)
  if votes[member] == nil then votes[member] = 0; order[#order + 1] = member end
  votes[member] = votes[member] + 1
end
local function top(votes, order, least, n)
  local rank, picked = {}, {}
  for i, member in ipairs(order) do
    rank[member] = i
    if votes[member] >= least then picked[#picked + 1] = member end
  end
  table.sort(picked, function(a, b)
    if votes[a] ~= votes[b] then return votes[a] > votes[b] end
    return rank[a] < rank[b]
  end)
  local qualified = #picked
  for i = #picked, n + 1, -1 do picked[i] = nil end
  return picked, qualified
end
"""
# Index a fingerprint and read back what it may be a copy of, atomically (two copies
# processed at once by two workers still see each other): write the fingerprint, add the
# article to its band and paragraph buckets (TTLs refreshed), vote over the buckets and
# return the article's earlier group (a redelivery keeps it) and the candidates with
# their shingles and paragraphs. KEYS: fingerprint, group-of, buckets.
_INDEX_LUA = (
    TOP_LUA
    + """
local doc, ttl, max_bucket = ARGV[1], ARGV[2], tonumber(ARGV[3])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[1], ttl)
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], 0, doc)
  redis.call('EXPIRE', KEYS[i], ttl)
end
local votes, order = {}, {}
for i = 3, #KEYS do
  -- A paragraph on hundreds of articles is boilerplate ("Sign up for ..."), a band
  -- shared by as many is a near-empty text: neither says anything about a copy.
  if redis.call('ZCARD', KEYS[i]) <= max_bucket then
    for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
      if member ~= doc then vote(votes, order, member) end
    end
  end
end
local out = {redis.call('GET', KEYS[2])}
for _, member in ipairs((top(votes, order, 1, tonumber(ARGV[4])))) do
  local fp = redis.call('HMGET', ARGV[5] .. member, 'shingles', 'paras')
  out[#out + 1] = {member, fp[1], fp[2]}
end
return out
"""
)
# Join the best candidate's group (first writer wins, for it and then for this article)
# or, with no candidate, find the group a redelivered article joined before; return the
# group, whether the article is new in it, and every member with its metadata.
# KEYS: group-of(best) (or of the article), group-of(article).
_JOIN_LUA = """
local doc, best, ttl = ARGV[1], ARGV[2], ARGV[3]
local function get_or_set(key, value)
  local v = redis.call('GET', key)
  if v then return v end
  redis.call('SET', key, value, 'EX', ttl)
  return value
end
local group = redis.call('GET', KEYS[2])
if best ~= '' then group = get_or_set(KEYS[2], get_or_set(KEYS[1], best)) end
if not group then return false end
local key, joined = ARGV[4] .. group, 0
if best ~= '' then
  redis.call('SADD', key, best)
  joined = redis.call('SADD', key, doc)
  redis.call('EXPIRE', key, ttl)
end
local out = {group, joined}
for _, member in ipairs(redis.call('SMEMBERS', key)) do
  out[#out + 1] = {member, unpack(redis.call('HMGET', ARGV[5] .. member, unpack(ARGV, 6)))}
end
return out
"""


@dataclass(frozen=True)
class DocMeta:
    """What choosing an original and inheriting a credit need to know about an article."""

    url: str
    published_s: float
    agencies: tuple[str, ...] = ()
    own_site: bool = False  # published on the agency's own site


@dataclass(frozen=True)
class GroupView:
    """One article's place in its syndication group, as of now."""

    group: str
    original: str
    relation: str  # original, copy or version
    copies_count: int | None  # on the original only: the other members
    shared_passages: int | None  # on copies and versions: paragraphs shared with the original


@dataclass(frozen=True)
class GroupJoin:
    """The syndication group an article belongs to once its fingerprint is indexed."""

    group: str
    members: frozenset[str]  # the article included
    joined: bool  # False when it was a member already (a redelivery, a reprocess)
    metas: Mapping[str, DocMeta]  # of the members still in Redis


@dataclass(frozen=True)
class CopyCandidates:
    """What indexing an article's fingerprint found: its earlier group and look-alikes."""

    earlier_group: str | None  # a redelivered or reprocessed article keeps its group
    candidates: list[tuple[str, Fingerprint]]


def original_rank(doc_id: str, meta: DocMeta) -> tuple[int, int, float, str]:
    """Return the sort key that puts a group's original first.

    The agency's own site beats a credited copy, which beats an uncredited one; then
    the earliest publication; the id breaks ties so every worker picks the same one.
    """
    return (0 if meta.own_site else 1, 0 if meta.agencies else 1, meta.published_s, doc_id)


def choose_original(members: Iterable[str], metas: Mapping[str, DocMeta]) -> str | None:
    """Return the member that is the group's original (None if none is still in Redis)."""
    ranked = [(original_rank(m, metas[m]), m) for m in members if m in metas]
    return min(ranked)[1] if ranked else None


def as_text(value: object) -> str:
    """Return a Redis reply as text (bytes are UTF-8)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def raw_id(doc_id: str) -> bytes:
    """Return an article id (a hex SHA-256) as the 32 bytes Redis holds."""
    return bytes.fromhex(doc_id)


def hex_id(raw: bytes) -> str:
    """Return the article id of 32 bytes read from Redis."""
    return raw.hex()


def doc_key(prefix: bytes, doc_id: str) -> bytes:
    """Return the key of one article's record in a family."""
    return prefix + raw_id(doc_id)


def queue_fingerprint(
    pipe: Pipeline, doc_id: str, fp: Fingerprint, meta: DocMeta, *, ttl_s: int
) -> Reader[CopyCandidates]:
    """Queue indexing an article's fingerprint; the reader returns what it may copy."""
    buckets = [LSH_KEY + bytes([i]) + bytes.fromhex(h) for i, h in enumerate(fp.band_hashes())]
    buckets += [PARA_KEY + bytes.fromhex(h) for h in fp.paragraphs]
    keys = [doc_key(FP_KEY, doc_id), doc_key(GROUP_OF_KEY, doc_id), *buckets]
    fields = [item for pair in _fp_fields(fp, meta).items() for item in pair]
    pipe.eval(
        _INDEX_LUA, len(keys), *keys, raw_id(doc_id), ttl_s, MAX_BUCKET_DOCS, MAX_CANDIDATES,
        FP_KEY, *fields,
    )  # fmt: skip

    def read(replies: Iterator[Any]) -> CopyCandidates:
        group, *found = next(replies)
        return CopyCandidates(
            hex_id(group) if group else None,
            [(hex_id(cand), _decode_fp(sh, paras)) for cand, sh, paras in found if sh],
        )

    return read


def best_copy(fp: Fingerprint, candidates: Iterable[tuple[str, Fingerprint]]) -> str | None:
    """Return the candidate sharing the most text with the fingerprint, if enough of it."""
    verified = [(shared_share(fp, other), cand) for cand, other in candidates]
    verified = [(share, cand) for share, cand in verified if share >= VERSION_SHARE]
    return max(verified)[1] if verified else None


def queue_join(
    pipe: Pipeline, doc_id: str, best: str | None, *, ttl_s: int
) -> Reader[GroupJoin | None]:
    """Queue joining ``best``'s group (or, with None, finding the article's earlier one)."""
    keys = [doc_key(GROUP_OF_KEY, best or doc_id), doc_key(GROUP_OF_KEY, doc_id)]
    pipe.eval(
        _JOIN_LUA, len(keys), *keys, raw_id(doc_id), raw_id(best) if best else b"", ttl_s,
        MEMBERS_KEY, FP_KEY, *META_FIELDS,
    )  # fmt: skip

    def read(replies: Iterator[Any]) -> GroupJoin | None:
        reply = next(replies)
        if not reply:
            return None
        group, joined, *members = reply
        metas = {hex_id(m[0]): meta for m in members if (meta := _decode_meta(m[1:]))}
        ids = frozenset(hex_id(m[0]) for m in members)
        return GroupJoin(hex_id(group), ids, bool(joined), metas)

    return read


def changed_by_join(doc_id: str, join: GroupJoin) -> set[str]:
    """Return the other members whose group fields changed when ``doc_id`` joined.

    The original's count changes with every new member; the others only point at
    another original when the newcomer outranks it. A member already there (a redelivery,
    a reprocess that may have changed its credit or date) may have changed anything.
    """
    others = join.members - {doc_id}
    if not join.joined:
        return set(others)
    before = choose_original(others, join.metas)
    after = choose_original(join.members, join.metas)
    if before != after:
        return set(others)
    return {after} if after is not None else set()


def queue_group_of(pipe: Pipeline, doc_ids: Sequence[str]) -> Reader[dict[str, str]]:
    """Queue reading which group each article is in; the reader leaves out the lone ones."""
    for doc_id in doc_ids:
        pipe.get(doc_key(GROUP_OF_KEY, doc_id))
    return lambda replies: {d: hex_id(g) for d in doc_ids if (g := next(replies))}


def queue_members(pipe: Pipeline, groups: Sequence[str]) -> Reader[dict[str, frozenset[str]]]:
    """Queue reading the members of each group."""
    for group in groups:
        pipe.smembers(doc_key(MEMBERS_KEY, group))
    return lambda replies: {g: frozenset(map(hex_id, next(replies))) for g in groups}


def queue_meta(pipe: Pipeline, doc_ids: Sequence[str]) -> Reader[dict[str, DocMeta]]:
    """Queue reading the stored metadata of articles; the reader skips the expired ones."""
    for doc_id in doc_ids:
        pipe.hmget(doc_key(FP_KEY, doc_id), *META_FIELDS)
    return lambda replies: {d: m for d in doc_ids if (m := _decode_meta(next(replies)))}


def queue_fingerprints(pipe: Pipeline, doc_ids: Sequence[str]) -> Reader[dict[str, Fingerprint]]:
    """Queue reading the stored fingerprints of articles; the reader skips the expired ones."""
    for doc_id in doc_ids:
        pipe.hmget(doc_key(FP_KEY, doc_id), "shingles", "paras")

    def read(replies: Iterator[Any]) -> dict[str, Fingerprint]:
        found = {d: next(replies) for d in doc_ids}
        return {d: _decode_fp(sh, paras) for d, (sh, paras) in found.items() if sh is not None}

    return read


def read_meta(r: redis.Redis, doc_ids: Iterable[str]) -> dict[str, DocMeta]:
    """Return the stored metadata of the given articles (those still in Redis)."""
    pipe = r.pipeline(transaction=False)
    read = queue_meta(pipe, list(dict.fromkeys(doc_ids)))
    return read(iter(pipe.execute()))


def group_view(
    doc_id: str,
    group: str,
    members: Collection[str],
    metas: Mapping[str, DocMeta],
    fps: Mapping[str, Fingerprint],
) -> GroupView | None:
    """Return an article's place in its group, or None while that cannot be told.

    The group needs an original still in Redis and another member; a copy or version
    needs its own fingerprint and the original's.
    """
    original = choose_original(members, metas)
    count = len(members) - 1
    if original is None or count < 1:
        return None
    if doc_id == original:
        return GroupView(group, original, "original", count, None)
    mine, theirs = fps.get(doc_id), fps.get(original)
    if mine is None or theirs is None:
        return None
    relation, shared = relation_to(mine, theirs)
    return GroupView(group, original, relation, None, shared)


def _fp_fields(fp: Fingerprint, meta: DocMeta) -> dict[str, Any]:
    # No MinHash signature: only an article's own is used, to find its buckets.
    return {
        "shingles": fp.shingles.astype("<u4").tobytes(),
        "paras": b"".join(bytes.fromhex(h) for h in fp.paragraphs),
        "url": meta.url,
        "published": repr(meta.published_s),
        "agencies": json.dumps(list(meta.agencies)),
        "own_site": "1" if meta.own_site else "0",
    }


def _decode_fp(shingles: bytes, paras: bytes) -> Fingerprint:
    # Only the shingles and paragraphs of a stored text are ever compared.
    return Fingerprint(
        np.frombuffer(shingles, dtype="<u4").astype(np.uint32),
        tuple(
            paras[i : i + PARA_DIGEST_BYTES].hex() for i in range(0, len(paras), PARA_DIGEST_BYTES)
        ),
        np.zeros(0, dtype=np.uint32),
    )


def _decode_meta(fields: Sequence[Any]) -> DocMeta | None:
    url, published, agencies, own = fields
    if url is None:
        return None  # expired since it was indexed
    return DocMeta(as_text(url), float(published), tuple(json.loads(agencies)), own == b"1")
