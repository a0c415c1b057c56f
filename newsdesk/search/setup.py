"""Create or upgrade the articles index template, versioned index and alias, idempotently.

The alias (``articles``) is what everything reads and writes; the concrete index is
``articles-v<N>``. Setup creates whatever is missing and leaves what exists, so it is
safe to run on every start (the compose ``setup`` service does exactly that).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from elasticsearch import ApiError, Elasticsearch

MAPPING_VERSION = 1
TEMPLATE_FILE = f"articles-v{MAPPING_VERSION}.json"


class IndexSetupError(RuntimeError):
    """The existing index cannot take the current mapping; a reindex is needed."""


@dataclass(frozen=True)
class SetupReport:
    """What ``ensure_index`` found and did."""

    alias: str
    index: str
    created_index: bool
    updated_mapping: bool


def load_template(alias: str, *, replicas: int = 0) -> dict[str, Any]:
    """Return the index template body from the packaged JSON, with patterns for ``alias``."""
    text = resources.files("newsdesk.search").joinpath(TEMPLATE_FILE).read_text("utf-8")
    body: dict[str, Any] = json.loads(text)
    body = copy.deepcopy(body)
    body["index_patterns"] = [f"{alias}-v*"]
    body["template"]["settings"]["number_of_replicas"] = replicas
    return body


def index_name(alias: str, version: int = MAPPING_VERSION) -> str:
    """Return the concrete index name for a mapping version, e.g. ``articles-v1``."""
    return f"{alias}-v{version}"


def ensure_index(es: Elasticsearch, alias: str, *, replicas: int = 0) -> SetupReport:
    """Return a report after making sure template, index and alias exist and match.

    Raises IndexSetupError when the live index has an incompatible mapping.
    """
    template = load_template(alias, replicas=replicas)
    es.indices.put_index_template(name=alias, **template)
    existing = _alias_targets(es, alias)
    if not existing:
        index = index_name(alias)
        if not es.indices.exists(index=index):
            es.indices.create(index=index, aliases={alias: {"is_write_index": True}})
            return SetupReport(alias, index, created_index=True, updated_mapping=False)
        es.indices.put_alias(index=index, name=alias, is_write_index=True)
        existing = [index]
    index = sorted(existing)[-1]
    try:
        # New optional fields can be added to a live index; changed types cannot.
        es.indices.put_mapping(index=index, **template["template"]["mappings"])
    except ApiError as exc:
        raise IndexSetupError(
            f"index {index} cannot take the mapping in {TEMPLATE_FILE}: {exc}; "
            "run `newsdesk reindex` to build a new index version"
        ) from exc
    return SetupReport(alias, index, created_index=False, updated_mapping=True)


def _alias_targets(es: Elasticsearch, alias: str) -> list[str]:
    if not es.indices.exists_alias(name=alias):
        return []
    return list(es.indices.get_alias(name=alias).keys())
