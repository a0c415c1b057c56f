"""Prefork children hand freed heap back after each task; other pools never trim."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter, so the signal is sent exactly as a new prefork child sees it.
CHILD_START = """
from celery.signals import worker_process_init
from workers import signals
before = signals.release_free_heap()
worker_process_init.send(sender=None)
print(before, signals.release_free_heap())
"""


def test_only_a_process_started_as_a_pool_child_trims() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD_START], capture_output=True, text=True, check=True
    )
    # Debian and the python:*-slim images use glibc, which has malloc_trim.
    assert done.stdout.split() == ["False", "True"]
