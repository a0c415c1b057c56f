"""``newsdesk api``: the HTTP search API and search page."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer

from workers.cli.common import DATA_DIR_OPTION, console, load_settings, services_or_embedded
from workers.logs import redact_url


class _Stopped(Exception):
    """SIGTERM arrived; raised so the embedded engines are stopped on the way out."""


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stopped


def api(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
    data_dir: Path | None = DATA_DIR_OPTION,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve the search API (OpenAPI at /openapi.json, docs at /docs) and the page at /."""
    settings = load_settings(data_dir=data_dir)
    import uvicorn

    from workers.api import create_api

    with services_or_embedded(settings) as (resolved, _stack):
        app = create_api(resolved)
        shown = f"[{host}]" if ":" in host else host
        console.print(
            f"search page on http://{shown}:{port}/ (API docs at /docs); "
            f"Redis {redact_url(resolved.redis_url or '')}, "
            f"Elasticsearch {redact_url(resolved.es_url or '')}. Ctrl-C to stop.",
            highlight=False,
        )
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with
        # the handler it found: with SIGTERM's default that would kill the process before
        # the embedded engines started above are stopped, so ours raises instead.
        signal.signal(signal.SIGTERM, _stop)
        try:
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level="info" if verbose else "warning",
                access_log=verbose,
                # No logging config of uvicorn's own: its records reach the root handler,
                # in NEWSDESK_LOG_FORMAT like every other line.
                log_config=None,
            )
        except (KeyboardInterrupt, _Stopped):
            console.print("stopping")
