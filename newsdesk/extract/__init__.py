"""Main text and metadata extraction from article pages."""
