"""The ``newsdesk`` command line."""

from __future__ import annotations

import logging
import sys

import typer

from workers.cli import api, dlq, feeds, lifecycle, ops, run, search, story, worker
from workers.logs import configure_logging

app = typer.Typer(
    name="newsdesk",
    help="News feeds in, cleaned and searchable articles out (Celery + Redis + Elasticsearch).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(feeds.app, name="feeds")
app.add_typer(dlq.app, name="dlq")
app.add_typer(worker.worker_app, name="worker")
app.add_typer(worker.scheduler_app, name="scheduler")
app.command("run")(run.run)
app.command("ingest")(run.ingest)
app.command("demo")(run.demo)
app.command("setup")(ops.setup)
app.command("status")(ops.status)
app.command("search")(search.search)
app.command("story")(story.story)
app.command("api")(api.api)
app.command("reindex")(lifecycle.reindex_command)
app.command("reprocess")(lifecycle.reprocess_command)
app.command("prune")(lifecycle.prune_command)


def main() -> None:
    """Entry point of the ``newsdesk`` console script."""
    # Text until a command reads its settings (load_settings applies NEWSDESK_LOG_FORMAT).
    configure_logging("text", logging.WARNING)
    sys.exit(app())
