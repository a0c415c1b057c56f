"""Enrichment computed from processed articles, after extraction and before indexing."""
