"""The Celery application; ``celery -A workers.app`` and ``newsdesk worker`` use ``app``."""

from __future__ import annotations

from celery import Celery

from newsdesk.settings import Settings
from workers import routing
from workers.celery_config import celery_config


def create_app(settings: Settings) -> Celery:
    """Return a Celery app configured for ``settings`` with every stage task registered."""
    app = Celery("newsdesk", include=routing.TASK_MODULES)
    app.conf.update(celery_config(settings))
    return app


# Celery connects lazily: building the app reads settings but opens no connection.
app = create_app(Settings.from_env())
