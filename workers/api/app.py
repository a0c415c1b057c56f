"""The FastAPI application: search API, status endpoints, metrics and the search page.

Clients are built in the lifespan hook and closed when the server stops; importing this
module or calling :func:`create_api` connects to nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import redis
from elasticsearch import ApiError, TransportError
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from newsdesk.settings import Settings
from workers.api import search, status
from workers.api.services import build_api_services
from workers.metrics import render, scrape_registry

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The page only ever loads its own script and stylesheet; even if some text from the
# index slipped through as markup, the browser would refuse to run it.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DESCRIPTION = (
    "Search the articles Newsdesk indexed: full text with highlights, facet filters and "
    "counts, date range, story collapsing and cursor pagination; plus feed status and "
    "a health check. The search page is served at `/`."
)


def create_api(settings: Settings) -> FastAPI:
    """Return the API application for ``settings``; its clients open when it starts serving.

    Raises ValueError at once if the Redis or Elasticsearch URL is unset.
    """
    if not settings.redis_url or not settings.es_url:
        raise ValueError("the API needs NEWSDESK_REDIS_URL and NEWSDESK_ES_URL to be set")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_api_services(settings)
        app.state.services = services
        try:
            yield
        finally:
            services.close()

    app = FastAPI(title="Newsdesk", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.include_router(search.router)
    app.include_router(status.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    # Pipeline-wide state from Redis (the same series every worker serves) and this
    # process's own statistics, for Prometheus.
    registry = scrape_registry(lambda: app.state.services.redis)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        body, content_type = render(registry, request.headers.get("accept"))
        return Response(body, media_type=content_type)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path == "/" or request.url.path.startswith("/static/"):
            response.headers["Content-Security-Policy"] = PAGE_CSP
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    _add_error_handlers(app, settings.index_alias)
    return app


def _add_error_handlers(app: FastAPI, alias: str) -> None:
    """Turn an unreachable or unprepared dependency into a 503 that says which and why."""

    @app.exception_handler(redis.RedisError)
    async def redis_down(_request: Request, exc: redis.RedisError) -> JSONResponse:
        return _unavailable("redis", f"Redis is not reachable: {exc}")

    @app.exception_handler(TransportError)
    async def es_down(_request: Request, exc: TransportError) -> JSONResponse:
        return _unavailable("elasticsearch", f"Elasticsearch is not reachable: {exc}")

    @app.exception_handler(ApiError)
    async def es_error(_request: Request, exc: ApiError) -> JSONResponse:
        if exc.status_code == 404 and exc.error == "index_not_found_exception":
            return _unavailable(
                "elasticsearch", f"the index alias {alias!r} does not exist: run `newsdesk setup`"
            )
        log.error("Elasticsearch refused a request: %s", exc)
        return JSONResponse(
            {"detail": f"Elasticsearch error: {exc.message}", "dependency": "elasticsearch"},
            status_code=502,
        )


def _unavailable(dependency: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": message, "dependency": dependency}, status_code=503)
