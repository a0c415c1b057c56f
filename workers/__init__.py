"""Celery application, worker processes, scheduler and the ``newsdesk`` CLI."""
