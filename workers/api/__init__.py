"""The HTTP search API and the search page served by ``newsdesk api``."""

from workers.api.app import create_api

__all__ = ["create_api"]
