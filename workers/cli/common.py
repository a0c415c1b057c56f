"""Helpers shared by the CLI commands: settings, output, and service connections."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import redis
import typer
from elasticsearch import Elasticsearch
from rich.console import Console

from newsdesk.search.client import es_client_for
from newsdesk.settings import Settings, SettingsError
from workers.embedded_stack import EmbeddedStack, EmbeddedStartError
from workers.logs import configure_logging, redact_url

# soft_wrap: never break long paths and URLs when output goes to a pipe or a log.
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

FEEDS_OPTION = typer.Option(
    None, "--feeds", help="Feeds file (default: $NEWSDESK_FEEDS_PATH or ./feeds.yaml)."
)
DATA_DIR_OPTION = typer.Option(
    None,
    "--data-dir",
    help="Where the embedded Redis/Elasticsearch keep data (default: .newsdesk).",
)
JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit with ``code``."""
    # Messages often name a service URL; its password must not reach a terminal or log.
    console.print(f"[bold red]error:[/] {redact_url(message)}", highlight=False)
    raise typer.Exit(code)


def load_settings(
    feeds: Path | None = None, data_dir: Path | None = None, verbose: bool = False
) -> Settings:
    """Return settings from the environment with CLI overrides; exit 2 on a bad variable.

    Also switches this process's logs to ``NEWSDESK_LOG_FORMAT``.
    """
    if verbose:
        logging.getLogger().setLevel(logging.INFO)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        fail(str(exc))
    configure_logging(settings.log_format, secrets=[settings.es_password])
    changes: dict[str, Any] = {}
    if feeds is not None:
        changes["feeds_path"] = feeds
    if data_dir is not None:
        changes["data_dir"] = data_dir
    return settings.with_overrides(**changes) if changes else settings


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout."""
    out.print_json(json.dumps(data, default=str))


def connect_redis(settings: Settings) -> redis.Redis:
    """Return a Redis client for ``settings``; exit 3 if Redis does not answer."""
    if not settings.redis_url:
        fail("NEWSDESK_REDIS_URL is not set")
    client = redis.Redis.from_url(settings.redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        fail(f"Redis at {settings.redis_url} is not reachable: {exc}", code=3)
    return client


def connect_es(settings: Settings) -> Elasticsearch:
    """Return an Elasticsearch client for ``settings``; exit 3 if it does not answer."""
    if not settings.es_url:
        fail("NEWSDESK_ES_URL is not set")
    es = es_client_for(settings)
    try:
        es.info()
    except Exception as exc:  # noqa: BLE001 - any failure here means "not usable"; say why
        fail(f"Elasticsearch at {settings.es_url} is not reachable: {exc}", code=3)
    return es


@contextlib.contextmanager
def services_or_embedded(
    settings: Settings, *, persist: bool = True
) -> Iterator[tuple[Settings, EmbeddedStack]]:
    """Yield settings whose Redis/ES URLs are set, starting embedded engines for unset ones."""
    stack = EmbeddedStack(settings, persist=persist, status=console)
    try:
        resolved = stack.__enter__()
    except EmbeddedStartError as exc:
        fail(str(exc), code=3)
    try:
        yield resolved, stack
    finally:
        stack.close()
