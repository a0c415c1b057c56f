"""Service outages seen by the pipeline, kept in Redis for ``newsdesk status``.

An outage of Elasticsearch is opened by the first flush that cannot reach it and closed
by the next flush that succeeds, whichever workers those are: the open outage lives in
Redis, not in a worker's memory. A Redis outage cannot be written while it lasts, so the
scheduler remembers it and records it, start and end, once Redis answers again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

import redis

from newsdesk.state.redis_state import PREFIX

OUTAGES_KEY = PREFIX + "outages"  # LIST of outage JSON, newest first, capped
MAX_OUTAGES = 100
ELASTICSEARCH = "elasticsearch"
REDIS = "redis"

# KEYS: open-outage key, outages list. ARGV: outage JSON, cap. Only the first caller
# opens an outage: twenty flushes failing at once are one outage, not twenty.
_START_LUA = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
  return 1
end
return 0
"""
# KEYS: open-outage key, outages list. ARGV: ended_at. Returns the open outage's JSON
# (nil when none is open); the caller rewrites it with its end, here in the same call.
_END_LUA = """
local open = redis.call('GET', KEYS[1])
if not open then return nil end
redis.call('DEL', KEYS[1])
local outage = cjson.decode(open)
outage['ended_at'] = tonumber(ARGV[1])
local closed = cjson.encode(outage)
local at = redis.call('LPOS', KEYS[2], open)
if at then
  redis.call('LSET', KEYS[2], at, closed)
else
  redis.call('LPUSH', KEYS[2], closed)
end
return closed
"""


@dataclass(frozen=True)
class Outage:
    """One period during which a service could not be reached."""

    service: str
    started_at: float
    ended_at: float | None
    error: str

    @property
    def duration_s(self) -> float | None:
        """Return how long it lasted, or None while it lasts."""
        return None if self.ended_at is None else self.ended_at - self.started_at

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict, with the duration."""
        return asdict(self) | {"duration_s": self.duration_s}


def open_key(service: str) -> str:
    """Return the key holding a service's outage while it lasts."""
    return f"{PREFIX}outage:open:{service}"


def start_outage(r: redis.Redis, service: str, error: str, *, now_s: float | None = None) -> bool:
    """Open an outage of ``service`` unless one is open; return True if this call opened it."""
    outage = Outage(service, time.time() if now_s is None else now_s, None, error[:500])
    raw = json.dumps(asdict(outage))
    return bool(r.eval(_START_LUA, 2, open_key(service), OUTAGES_KEY, raw, MAX_OUTAGES))


def end_outage(r: redis.Redis, service: str, *, now_s: float | None = None) -> Outage | None:
    """Close the open outage of ``service``; return it, or None if none was open."""
    ended = time.time() if now_s is None else now_s
    raw = r.eval(_END_LUA, 2, open_key(service), OUTAGES_KEY, ended)
    return _decode(raw) if raw else None


def record_outage(
    r: redis.Redis, service: str, started_at: float, ended_at: float, error: str
) -> None:
    """Record an outage known only after it ended (Redis itself was the one down)."""
    pipe = r.pipeline(transaction=True)
    pipe.lpush(OUTAGES_KEY, json.dumps(asdict(Outage(service, started_at, ended_at, error[:500]))))
    pipe.ltrim(OUTAGES_KEY, 0, MAX_OUTAGES - 1)
    pipe.execute()


def recent_outages(r: redis.Redis, limit: int = 10) -> list[Outage]:
    """Return the latest outages, newest first; open ones have ``ended_at`` None."""
    return [_decode(raw) for raw in r.lrange(OUTAGES_KEY, 0, limit - 1)]


def _decode(raw: str | bytes) -> Outage:
    data = json.loads(raw)
    return Outage(data["service"], float(data["started_at"]), data.get("ended_at"), data["error"])
