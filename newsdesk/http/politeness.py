"""Per-host politeness shared by every worker: a few parallel requests, spaced out.

Celery spreads a feed's articles over every worker at once, which to a small news site
looks like an attack. A Redis semaphore per host name (a sorted set of holder tokens
scored by expiry, so a crashed worker's slot frees itself) caps the parallel requests,
and a "next request not before" key spaces them out. Both are checked and taken in one
Lua call, so two workers can never both take the last slot.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import redis

from newsdesk.errors import TransientError
from newsdesk.settings import FetchLimits
from newsdesk.state.redis_state import PREFIX

# Added to a slot's lifetime beyond the longest a fetch can take, so a slow but live
# fetch never loses its slot to the expiry meant for crashed workers.
SLOT_MARGIN_S = 5.0
# A waiting fetch re-checks at least this often (a slot may free up early).
MAX_POLL_S = 0.25
# How soon a fetch that gave up on a busy host is tried again (doubled at most by jitter).
BUSY_RETRY_S = 2.0

# KEYS: holders ZSET, next-request key. ARGV: now_ms, token, max_holders, ttl_ms,
# min_delay_ms. Returns 0 when the slot is taken, else the milliseconds to wait, negated
# when it is the spacing (not a full house) that makes the caller wait.
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local max_holders = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local min_delay = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if max_holders > 0 and redis.call('ZCARD', KEYS[1]) >= max_holders then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(first[2]) - now)
end
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_at > now then
  return -(next_at - now)
end
if max_holders > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if min_delay > 0 then
  redis.call('SET', KEYS[2], now + min_delay, 'PX', min_delay)
end
return 0
"""


def host_key(url: str) -> str:
    """Return the host name politeness is counted by (lower case; port ignored)."""
    return (urlsplit(url).hostname or "").lower()


def slot_ttl_s(limits: FetchLimits) -> float:
    """Return how long a slot lives: the longest one fetch can take, plus a margin."""
    return limits.connect_timeout_s + limits.read_timeout_s + limits.total_timeout_s + SLOT_MARGIN_S


@contextlib.contextmanager
def host_slot(
    r: redis.Redis,
    url: str,
    limits: FetchLimits,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Iterator[None]:
    """Hold one of the URL host's request slots for the block.

    Waits up to ``limits.host_slot_wait_s`` for a slot, then raises
    TransientError(reason="host_busy") with ``retry_after_s`` set, so the task is
    retried later instead of keeping a worker waiting.
    """
    host = host_key(url)
    if not host or (limits.host_max_concurrency <= 0 and limits.host_min_delay_s <= 0):
        yield
        return
    holders, next_key = f"{PREFIX}host:{host}:slots", f"{PREFIX}host:{host}:next"
    token = uuid.uuid4().hex
    ttl_ms = int(slot_ttl_s(limits) * 1000)
    give_up_at = clock() + limits.host_slot_wait_s
    args = (token, limits.host_max_concurrency, ttl_ms, int(limits.host_min_delay_s * 1000))
    while True:
        wait_ms = int(r.eval(_ACQUIRE_LUA, 2, holders, next_key, int(clock() * 1000), *args))
        if wait_ms == 0:
            break
        wait_s = abs(wait_ms) / 1000
        left_s = give_up_at - clock()
        if left_s <= 0:
            why = (
                f"all {limits.host_max_concurrency} request slots are taken"
                if wait_ms > 0
                else f"requests are spaced {limits.host_min_delay_s:g} s apart"
            )
            # A slot's expiry is only the worst case (a crashed holder); holders usually
            # finish within seconds. Jitter, so tasks that gave up together come back apart.
            base_s = max(min(wait_s, BUSY_RETRY_S), limits.host_min_delay_s)
            retry_s = base_s * (1 + (rng or random).random())
            raise TransientError(
                f"{url}: host {host} is busy: {why}", reason="host_busy", retry_after_s=retry_s
            )
        sleep(min(wait_s, left_s, MAX_POLL_S))
    try:
        yield
    finally:
        if limits.host_max_concurrency > 0:
            r.zrem(holders, token)
