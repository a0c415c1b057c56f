"""A worker that starts loads no extraction or NLP library: only the cpu pool children do.

Celery imports every task module of the app when a worker starts, so one module-level
import in a task is paid by every worker: the io worker and the prefork parent, which
never process a page, would carry trafilatura, spaCy, YAKE and scipy (~75 MiB each).
"""

from __future__ import annotations

import json
import subprocess
import sys

# What the process stage needs and nothing else does.
HEAVY_MODULES = (
    "spacy",
    "thinc",
    "trafilatura",
    "htmldate",
    "justext",
    "py3langid",
    "yake",
    "networkx",
    "datasketch",
    "scipy",
)

# In a fresh interpreter: what `celery -A workers.app worker` loads before its first task.
WORKER_START = f"""
import json, sys
from workers.app import app
app.loader.import_default_modules()
import celery.apps.worker, celery.concurrency.prefork, celery.concurrency.thread
print(json.dumps(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)))
"""


def test_starting_a_worker_imports_no_extraction_or_nlp_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORKER_START], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# `newsdesk worker start` (the path docker-compose takes) starts the worker inside the CLI.
CLI_WORKER_START = "import workers.cli\n" + WORKER_START


def test_starting_a_worker_from_the_cli_imports_no_extraction_or_nlp_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLI_WORKER_START], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_task_modules_are_still_the_apps() -> None:
    # Guards the test above: it must look at the modules the worker really includes.
    from workers.app import app  # noqa: PLC0415

    assert "tasks.process_article" in app.conf.include
