"""Thin Celery wrappers over the plain stage functions in ``newsdesk.stages``."""
