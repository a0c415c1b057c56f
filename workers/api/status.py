"""GET /feeds (per-feed state kept in Redis) and GET /healthz (are Redis and ES usable)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import redis
from elasticsearch import ApiError, TransportError
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from newsdesk.state.redis_state import FEEDS_KEY, SCHEDULE_KEY, feed_status
from workers.api.services import ApiServices, get_services

HEALTH_TIMEOUT_S = 2.0

router = APIRouter()
Services = Annotated[ApiServices, Depends(get_services)]


class FeedInfo(BaseModel):
    """A feed's configuration as the scheduler last loaded it, and its polling state."""

    feed_id: str
    name: str | None = None
    url: str | None = None
    enabled: bool | None = None
    interval_s: int | None = None
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    scheduled: bool = Field(description="Whether the scheduler will poll it again.")
    next_due_at: str | None = None
    last_poll_at: str | None = None
    last_outcome: str | None = None
    last_http_status: int | None = None
    last_error: str | None = None
    failures: int = 0
    items_seen: int = 0
    indexed: int = 0
    failed: int = 0
    status: dict[str, str] = Field(description="The raw status hash, counters included.")


class FeedsResponse(BaseModel):
    """Every feed known to the scheduler."""

    feeds: list[FeedInfo]


class Check(BaseModel):
    """Whether one dependency answered, and what it said."""

    ok: bool
    detail: str


class Health(BaseModel):
    """``ok`` when Redis and Elasticsearch both work; ``down`` names those that do not."""

    status: str
    down: list[str]
    checks: dict[str, Check]


@router.get("/feeds", response_model=FeedsResponse, tags=["status"])
def feeds(services: Services) -> FeedsResponse:
    """Return every configured or scheduled feed with its last poll and counters."""
    r = services.redis
    configs = {_text(k): json.loads(v) for k, v in r.hgetall(FEEDS_KEY).items()}
    scheduled = cast(list[tuple[bytes, float]], r.zrange(SCHEDULE_KEY, 0, -1, withscores=True))
    due_s = {_text(m): float(s) for m, s in scheduled}
    result = []
    for feed_id in sorted(configs.keys() | due_s.keys()):
        config = configs.get(feed_id, {})
        st = feed_status(r, feed_id)
        result.append(
            FeedInfo(
                feed_id=feed_id,
                name=config.get("name") or st.get("name"),
                url=config.get("url") or st.get("url"),
                enabled=config.get("enabled"),
                interval_s=config.get("interval_s"),
                tags=list(config.get("tags", [])),
                language=config.get("language"),
                scheduled=feed_id in due_s,
                next_due_at=_iso(due_s.get(feed_id)),
                last_poll_at=_iso(st.get("last_poll_at")),
                last_outcome=st.get("last_outcome") or None,
                last_http_status=_int(st.get("last_http_status")),
                last_error=st.get("last_error") or None,
                failures=_int(st.get("failures")) or 0,
                items_seen=_int(st.get("items_seen")) or 0,
                indexed=_count(st, "articles:indexed"),
                failed=_count(st, "articles:failed"),
                status=st,
            )
        )
    return FeedsResponse(feeds=result)


@router.get("/healthz", response_model=Health, tags=["status"],
            responses={503: {"model": Health, "description": "A dependency is down."}})  # fmt: skip
def healthz(services: Services) -> JSONResponse:
    """Return 200 when Redis answers a ping and the cluster is yellow or green, else 503."""
    checks = {"redis": _check_redis(services.redis), "elasticsearch": _check_es(services)}
    down = [name for name, check in checks.items() if not check.ok]
    health = Health(status="down" if down else "ok", down=down, checks=checks)
    return JSONResponse(health.model_dump(), status_code=503 if down else 200)


def _check_redis(r: redis.Redis) -> Check:
    try:
        r.ping()
    except redis.RedisError as exc:
        return Check(ok=False, detail=f"Redis is not reachable: {exc}")
    return Check(ok=True, detail="pong")


def _check_es(services: ApiServices) -> Check:
    try:
        # No retries: a health check must answer quickly, and say "down" when it is.
        health = services.es.options(
            request_timeout=HEALTH_TIMEOUT_S, max_retries=0
        ).cluster.health()
    except (TransportError, ApiError) as exc:
        return Check(ok=False, detail=f"Elasticsearch is not reachable: {exc}")
    status = str(health.get("status"))
    return Check(ok=status in ("green", "yellow"), detail=f"cluster status {status}")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _iso(epoch_s: float | str | None) -> str | None:
    if epoch_s in (None, ""):
        return None
    return datetime.fromtimestamp(float(epoch_s), tz=UTC).isoformat()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _count(status: dict[str, str], prefix: str) -> int:
    return sum(int(v) for k, v in status.items() if k == prefix or k.startswith(prefix + ":"))
