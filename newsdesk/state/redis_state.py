"""Pipeline state kept in Redis: per-feed validators and status, the seen-URL gate,
page bodies in transit, and the due-time schedule.

Every check-and-set here is a single atomic Redis command or script, never a read
followed by a write, so two workers can never both claim the same article or feed.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import redis

from newsdesk.http.fetch import Validators

PREFIX = "newsdesk:"
SCHEDULE_KEY = PREFIX + "schedule"  # ZSET feed_id -> next due time (epoch seconds)
FEEDS_KEY = PREFIX + "feeds"  # HASH feed_id -> feed JSON, as last loaded from feeds.yaml
# Pages wait compressed; the raw-page document reuses these bytes (same zlib stream).
PAGE_ZLIB_LEVEL = 6

# Pop due feeds and push them a lease into the future in one step: a feed being polled
# is not handed out again by the next tick, and if its poll dies the lease expires and
# the feed comes back on its own.
_POP_DUE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[3], member)
end
return due
"""


# SET NX each seen key to the claimant; a key already holding the same claimant counts
# as claimed too (the same poll, redelivered).
_CLAIM_LUA = """
local won = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'EX', tonumber(ARGV[2])) then
    won[i] = 1
  elseif redis.call('GET', key) == ARGV[1] then
    won[i] = 1
  else
    won[i] = 0
  end
end
return won
"""


def feed_key(feed_id: str) -> str:
    """Return the key of a feed's status hash."""
    return f"{PREFIX}feed:{feed_id}"


def seen_key(url_id: str) -> str:
    """Return the key of the seen-gate for one article."""
    return f"{PREFIX}seen:{url_id}"


def page_key(url_id: str) -> str:
    """Return the key under which a fetched page body waits for processing."""
    return f"{PREFIX}page:{url_id}"


def load_validators(r: redis.Redis, feed_id: str) -> Validators:
    """Return the ETag/Last-Modified remembered for a feed (empty when never fetched)."""
    etag, last_modified = r.hmget(feed_key(feed_id), ["etag", "last_modified"])
    return Validators(etag=_text(etag), last_modified=_text(last_modified))


def save_validators(r: redis.Redis, feed_id: str, validators: Validators) -> None:
    """Remember the validators of the latest successful feed fetch."""
    mapping: dict[Any, Any] = {
        "etag": validators.etag or "",
        "last_modified": validators.last_modified or "",
    }
    r.hset(feed_key(feed_id), mapping=mapping)


def update_feed_status(
    r: redis.Redis, feed_id: str, fields: Mapping[str, Any], incr: Mapping[str, int] | None = None
) -> None:
    """Set fields and bump counters of a feed's status hash in one round trip."""
    pipe = r.pipeline(transaction=True)
    if fields:
        pipe.hset(feed_key(feed_id), mapping={k: str(v) for k, v in fields.items()})
    for name, amount in (incr or {}).items():
        pipe.hincrby(feed_key(feed_id), name, amount)
    pipe.execute()


def feed_status(r: redis.Redis, feed_id: str) -> dict[str, str]:
    """Return a feed's status hash as text."""
    raw = r.hgetall(feed_key(feed_id))
    return {_text(k) or "": _text(v) or "" for k, v in raw.items()}


def claim_articles(r: redis.Redis, url_ids: Sequence[str], ttl_s: int, claimant: str) -> list[str]:
    """Return the ids this claimant is first to see, in order, claiming them in one step.

    The seen gate holds the claimant's id (a poll task's id, which a redelivered task
    keeps), so a poll killed after claiming and before enqueueing its fetches finds its
    own claims again when it is run a second time, instead of losing those articles.
    """
    ids = list(dict.fromkeys(url_ids))
    if not ids:
        return []
    keys = [seen_key(u) for u in ids]
    claimed = r.register_script(_CLAIM_LUA)(keys=keys, args=[claimant, ttl_s])
    return [u for u, won in zip(ids, claimed, strict=True) if won]


def release_article(r: redis.Redis, url_id: str) -> None:
    """Forget an article so a later poll may enqueue it again (used when enqueueing failed)."""
    r.delete(seen_key(url_id))


def store_page(r: redis.Redis, key: str, body: bytes, ttl_s: int) -> None:
    """Store a zlib-compressed page body under ``key`` until processing picks it up."""
    r.set(key, zlib.compress(body, PAGE_ZLIB_LEVEL), ex=ttl_s)


def load_compressed_page(r: redis.Redis, key: str) -> bytes | None:
    """Return a stored page body still zlib-compressed, or None if it expired or never was."""
    raw = r.get(key)
    if raw is None:
        return None
    return raw if isinstance(raw, bytes) else raw.encode("latin-1")


def load_page(r: redis.Redis, key: str) -> bytes | None:
    """Return a stored page body, or None if it expired or was never stored."""
    packed = load_compressed_page(r, key)
    return None if packed is None else unpack_page(packed)


def unpack_page(packed: bytes) -> bytes:
    """Return the page body from the compressed form it waits in."""
    return zlib.decompress(packed)


def schedule_feed(r: redis.Redis, feed_id: str, due_s: float, *, only_if_new: bool = False) -> None:
    """Set a feed's next due time; with ``only_if_new`` keep an existing schedule."""
    r.zadd(SCHEDULE_KEY, {feed_id: due_s}, nx=only_if_new)


def unschedule_feeds(r: redis.Redis, feed_ids: list[str]) -> None:
    """Remove feeds (deleted or disabled in the config) from the schedule."""
    if feed_ids:
        r.zrem(SCHEDULE_KEY, *feed_ids)
        r.hdel(FEEDS_KEY, *feed_ids)


def scheduled_feed_ids(r: redis.Redis) -> set[str]:
    """Return the ids of every feed in the schedule."""
    return {_text(m) or "" for m in r.zrange(SCHEDULE_KEY, 0, -1)}


def pop_due_feeds(r: redis.Redis, now_s: float, limit: int, lease_s: float) -> list[str]:
    """Return up to ``limit`` due feed ids, leasing each for ``lease_s`` seconds."""
    result = r.eval(_POP_DUE_LUA, 1, SCHEDULE_KEY, now_s, limit, now_s + lease_s)
    return [_text(m) or "" for m in result]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text or None
