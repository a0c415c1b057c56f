"""Real Elasticsearch and Redis servers on loopback for tests, the demo and `newsdesk run`."""
