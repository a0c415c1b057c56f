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
before writing it, which two workers can both pass.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis

from newsdesk.enrich.fingerprints import VERSION_SHARE, Fingerprint, relation_to, shared_share
from newsdesk.state.redis_state import PREFIX

MAX_CANDIDATES = 50
MAX_BUCKET_DOCS = 200
RELATIONS_TTL_S = 7 * 86_400

FP_KEY = PREFIX + "fp:{}"
LSH_KEY = PREFIX + "lsh:{}:{}"
PARA_KEY = PREFIX + "para:{}"
GROUP_OF_KEY = PREFIX + "syn:group-of:{}"
MEMBERS_KEY = PREFIX + "syn:members:{}"
# Set: indexed articles whose relation fields changed (see newsdesk.enrich.relations).
DIRTY_KEY = PREFIX + "relations:dirty"

# First writer wins; the value already there is returned (SET NX GET needs Redis 7).
_GET_OR_SET_LUA = """
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
"""
# One member into many sets (or sorted sets, with a score), each key's TTL refreshed: one
# command instead of two per key, which is most of the client's time on a busy index.
_ADD_EVERYWHERE_LUA = """
for _, key in ipairs(KEYS) do
  if ARGV[3] == '' then redis.call('SADD', key, ARGV[1])
  else redis.call('ZADD', key, ARGV[3], ARGV[1]) end
  redis.call('EXPIRE', key, ARGV[2])
end
return #KEYS
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


def get_or_set(r: redis.Redis, key: str, value: str, ttl_s: int) -> str:
    """Return the value stored at ``key``, storing ``value`` first if there is none."""
    return as_text(r.eval(_GET_OR_SET_LUA, 1, key, value, ttl_s))


def add_everywhere(
    client: redis.Redis | redis.client.Pipeline,
    keys: Sequence[str],
    member: str,
    ttl_s: int,
    *,
    score: float | None = None,
) -> None:
    """Add ``member`` to every set in ``keys`` (sorted sets when a score is given)."""
    if keys:
        extra = "" if score is None else repr(score)
        client.eval(_ADD_EVERYWHERE_LUA, len(keys), *keys, member, ttl_s, extra)


def link_copies(
    r: redis.Redis, doc_id: str, fp: Fingerprint, meta: DocMeta, *, ttl_s: int = RELATIONS_TTL_S
) -> GroupJoin | None:
    """Index an article's fingerprint; return the syndication group it is in, or None if alone."""
    bands = [LSH_KEY.format(i, h) for i, h in enumerate(fp.band_hashes())]
    paras = [PARA_KEY.format(h) for h in fp.paragraphs]
    pipe = r.pipeline(transaction=True)
    pipe.hset(FP_KEY.format(doc_id), mapping=_fp_fields(fp, meta))
    pipe.expire(FP_KEY.format(doc_id), ttl_s)
    add_everywhere(pipe, [*bands, *paras], doc_id, ttl_s)
    pipe.execute()
    # Read after writing: two copies processed at once by two workers still see each other.
    pipe = r.pipeline(transaction=False)
    for key in (*bands, *paras):
        pipe.smembers(key)
    votes: Counter[str] = Counter()
    for members in pipe.execute():
        # A paragraph on hundreds of articles is boilerplate ("Sign up for ..."), a band
        # shared by as many is a near-empty text: neither says anything about a copy.
        if len(members) <= MAX_BUCKET_DOCS:
            votes.update(as_text(m) for m in members)
    votes.pop(doc_id, None)
    candidates = [c for c, _ in votes.most_common(MAX_CANDIDATES)]
    verified = [
        (shared_share(fp, other), cand)
        for cand, other in zip(candidates, _load(r, candidates), strict=True)
        if other is not None
    ]
    verified = [(share, cand) for share, cand in verified if share >= VERSION_SHARE]
    if not verified:
        found = r.get(GROUP_OF_KEY.format(doc_id))  # a redelivery keeps its group
        if not found:
            return None
        return GroupJoin(as_text(found), frozenset(group_members(r, as_text(found))), False)
    best = max(verified)[1]
    group = get_or_set(r, GROUP_OF_KEY.format(best), best, ttl_s)
    group = get_or_set(r, GROUP_OF_KEY.format(doc_id), group, ttl_s)
    pipe = r.pipeline(transaction=True)
    pipe.sadd(MEMBERS_KEY.format(group), best)
    pipe.sadd(MEMBERS_KEY.format(group), doc_id)
    pipe.expire(MEMBERS_KEY.format(group), ttl_s)
    pipe.smembers(MEMBERS_KEY.format(group))
    _, joined, _, members = pipe.execute()
    return GroupJoin(group, frozenset(as_text(m) for m in members), bool(joined))


def group_members(r: redis.Redis, group: str) -> set[str]:
    """Return the doc ids of a syndication group."""
    return {as_text(m) for m in r.smembers(MEMBERS_KEY.format(group))}


def changed_by_join(r: redis.Redis, doc_id: str, join: GroupJoin) -> set[str]:
    """Return the other members whose group fields changed when ``doc_id`` joined.

    The original's count changes with every new member; the others only point at
    another original when the newcomer outranks it. A member already there (a redelivery,
    a reprocess that may have changed its credit or date) may have changed anything.
    """
    others = join.members - {doc_id}
    if not join.joined:
        return set(others)
    metas = read_meta(r, join.members)
    before, after = choose_original(others, metas), choose_original(join.members, metas)
    if before != after:
        return set(others)
    return {after} if after is not None else set()


def read_meta(r: redis.Redis, doc_ids: Iterable[str]) -> dict[str, DocMeta]:
    """Return the stored metadata of the given articles (those still in Redis)."""
    ids = list(dict.fromkeys(doc_ids))
    pipe = r.pipeline(transaction=False)
    for doc_id in ids:
        pipe.hmget(FP_KEY.format(doc_id), "url", "published", "agencies", "own_site")
    out: dict[str, DocMeta] = {}
    for doc_id, (url, published, agencies, own) in zip(ids, pipe.execute(), strict=True):
        if url is not None:
            out[doc_id] = DocMeta(
                url.decode(), float(published), tuple(json.loads(agencies)), own == b"1"
            )
    return out


def group_views(r: redis.Redis, doc_ids: Sequence[str]) -> dict[str, GroupView]:
    """Return the current group view of each article that belongs to a group."""
    pipe = r.pipeline(transaction=False)
    for doc_id in doc_ids:
        pipe.get(GROUP_OF_KEY.format(doc_id))
    group_of = {d: g.decode() for d, g in zip(doc_ids, pipe.execute(), strict=True) if g}
    pipe = r.pipeline(transaction=False)
    groups = sorted(set(group_of.values()))
    for group in groups:
        pipe.smembers(MEMBERS_KEY.format(group))
    members = {g: {m.decode() for m in ms} for g, ms in zip(groups, pipe.execute(), strict=True)}
    metas = read_meta(r, (m for ms in members.values() for m in ms))
    originals = {g: o for g, ms in members.items() if (o := choose_original(ms, metas))}
    needed = sorted({*group_of, *originals.values()})
    fps = dict(zip(needed, _load(r, needed), strict=True))
    views: dict[str, GroupView] = {}
    for doc_id, group in group_of.items():
        original = originals.get(group)
        count = len(members[group]) - 1
        if original is None or count < 1:
            continue
        if doc_id == original:
            views[doc_id] = GroupView(group, original, "original", count, None)
            continue
        mine, theirs = fps.get(doc_id), fps.get(original)
        if mine is None or theirs is None:
            continue
        relation, shared = relation_to(mine, theirs)
        views[doc_id] = GroupView(group, original, relation, None, shared)
    return views


def _fp_fields(fp: Fingerprint, meta: DocMeta) -> dict[Any, Any]:
    return {
        "shingles": fp.shingles.astype("<u4").tobytes(),
        "signature": fp.signature.astype("<u4").tobytes(),
        "paras": " ".join(fp.paragraphs),
        "url": meta.url,
        "published": repr(meta.published_s),
        "agencies": json.dumps(list(meta.agencies)),
        "own_site": "1" if meta.own_site else "0",
    }


def _load(r: redis.Redis, doc_ids: Sequence[str]) -> list[Fingerprint | None]:
    pipe = r.pipeline(transaction=False)
    for doc_id in doc_ids:
        pipe.hmget(FP_KEY.format(doc_id), "shingles", "paras", "signature")
    out: list[Fingerprint | None] = []
    for shingles, paras, signature in pipe.execute():
        if shingles is None:
            out.append(None)  # expired since it was indexed
            continue
        out.append(
            Fingerprint(
                np.frombuffer(shingles, dtype="<u4").astype(np.uint32),
                tuple(paras.decode().split()),
                np.frombuffer(signature or b"", dtype="<u4").astype(np.uint32),
            )
        )
    return out
