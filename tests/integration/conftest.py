"""A real Celery worker, in a thread of the test process, on the session's Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from newsdesk.settings import Settings
from workers.services import services


@pytest.fixture(scope="session")
def celery_app(base_settings: Settings) -> Celery:
    """Return the production Celery app pointed at the session's Redis."""
    from workers.app import app

    app.conf.broker_url = base_settings.redis_url
    services.configure(base_settings)
    return app


@pytest.fixture(scope="session")
def worker(celery_app: Celery) -> Iterator[None]:
    """Run a real worker consuming every queue (solo pool: one task at a time, no eager mode)."""
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ):
        yield
