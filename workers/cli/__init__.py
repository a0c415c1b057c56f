"""The ``newsdesk`` command line."""

from __future__ import annotations

import logging
import sys

import typer

from workers.cli import api, dlq, feeds, ops, run, search, story, worker

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


def main() -> None:
    """Entry point of the ``newsdesk`` console script."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sys.exit(app())
