"""Create or upgrade the articles index template, versioned index and alias, idempotently.

The alias (``articles``) is what everything reads and writes; the concrete index is
``articles-v<N>``. Setup creates whatever is missing and leaves what exists, so it is
safe to run on every start (the compose ``setup`` service does exactly that). Raw pages
get the same treatment under their own alias, ``<alias>-pages`` → ``<alias>-pages-v<N>``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from elasticsearch import ApiError, Elasticsearch

MAPPING_VERSION = 1
ARTICLES_KIND = "articles"
PAGES_KIND = "pages"
PAGES_SUFFIX = "-pages"
_VERSION_RE = re.compile(r"-v(\d+)$")


class IndexSetupError(RuntimeError):
    """The existing index cannot take the current mapping; a reindex is needed."""


@dataclass(frozen=True)
class SetupReport:
    """What ``ensure_index`` found and did."""

    alias: str
    index: str
    created_index: bool
    updated_mapping: bool
    pages_index: str | None = None


def pages_alias(alias: str) -> str:
    """Return the alias of the raw pages kept for ``alias``, e.g. ``articles-pages``."""
    return alias + PAGES_SUFFIX


def index_version(index: str) -> int | None:
    """Return the version number of a concrete index name (``articles-v3`` → 3), if any."""
    match = _VERSION_RE.search(index)
    return int(match.group(1)) if match else None


def template_file(version: int | None = None, *, kind: str = ARTICLES_KIND) -> str:
    """Return the packaged mapping file for ``version``, else the newest one (the current).

    A reindex to version N+1 needs no new file: the current mapping defines the target.
    """
    files: dict[int, str] = {}
    for entry in resources.files("newsdesk.search").iterdir():
        stem = entry.name.removesuffix(".json")
        number = index_version(stem)
        if entry.name.endswith(".json") and stem.startswith(f"{kind}-v") and number is not None:
            files[number] = entry.name
    if not files:
        raise IndexSetupError(f"no {kind}-v<N>.json mapping file is packaged")
    return files[version] if version in files else files[max(files)]


def load_template(
    alias: str, *, replicas: int = 0, kind: str = ARTICLES_KIND, version: int | None = None
) -> dict[str, Any]:
    """Return the index template body from the packaged JSON, with patterns for ``alias``."""
    name = template_file(version, kind=kind)
    text = resources.files("newsdesk.search").joinpath(name).read_text("utf-8")
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

    The raw pages' template, index and alias are ensured too. Raises IndexSetupError when
    a live index has an incompatible mapping.
    """
    report = _ensure(es, alias, ARTICLES_KIND, replicas)
    pages_report = _ensure(es, pages_alias(alias), PAGES_KIND, replicas)
    return SetupReport(
        report.alias,
        report.index,
        report.created_index,
        report.updated_mapping,
        pages_index=pages_report.index,
    )


def alias_targets(es: Elasticsearch, alias: str) -> list[str]:
    """Return the concrete indices behind ``alias`` (empty when it does not exist)."""
    if not es.indices.exists_alias(name=alias):
        return []
    return list(es.indices.get_alias(name=alias).keys())


def _ensure(es: Elasticsearch, alias: str, kind: str, replicas: int) -> SetupReport:
    template = load_template(alias, replicas=replicas, kind=kind)
    es.indices.put_index_template(name=alias, **template)
    existing = alias_targets(es, alias)
    if not existing:
        index = index_name(alias)
        if not es.indices.exists(index=index):
            es.indices.create(index=index, aliases={alias: {"is_write_index": True}})
            return SetupReport(alias, index, created_index=True, updated_mapping=False)
        es.indices.put_alias(index=index, name=alias, is_write_index=True)
        existing = [index]
    # By number: after a reindex to v10, "v9" sorts after "v10" as text.
    index = max(existing, key=lambda name: index_version(name) or 0)
    try:
        # New optional fields can be added to a live index; changed types cannot.
        es.indices.put_mapping(index=index, **template["template"]["mappings"])
    except ApiError as exc:
        raise IndexSetupError(
            f"index {index} cannot take the mapping in {template_file(kind=kind)}: {exc}; "
            "run `newsdesk reindex` to build a new index version"
        ) from exc
    return SetupReport(alias, index, created_index=False, updated_mapping=True)
