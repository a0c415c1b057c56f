"""Newsdesk: news feeds in, cleaned and enriched articles in Elasticsearch out."""

__version__ = "0.1.0"
