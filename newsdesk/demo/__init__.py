"""Bundled demo news site: fictional outlets, feeds and hostile routes served on loopback."""
