"""Pipeline state kept in Redis."""
