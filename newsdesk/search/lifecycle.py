"""Index lifecycle: rebuild the articles index under a new version, and prune old documents.

A reindex builds ``<alias>-v<N+1>`` from the current mapping file, copies the live
index into it with the ``_reindex`` API, checks the counts and moves the alias in one
``update_aliases`` call, so searches never see a half-built or missing index. Until
that call nothing readers use has changed: any failure (a rejected document, a lost
connection, Ctrl-C) deletes the new index and leaves the alias where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from newsdesk.search.es_tasks import ProgressCallback, TaskFailedError, wait_for_task
from newsdesk.search.setup import (
    alias_targets,
    index_name,
    index_version,
    load_template,
    pages_alias,
)

COPY_BATCH_DOCS = 500
# Workers stamp indexed_at with their own clock: look back far enough to cover skew.
CATCH_UP_MARGIN_S = 300.0


class LifecycleError(RuntimeError):
    """A reindex or prune could not be done; the alias is as it was."""


@dataclass(frozen=True)
class ReindexReport:
    """What a reindex did."""

    alias: str
    old_index: str
    new_index: str
    copied: int
    old_count: int
    new_count: int
    deleted_old: bool
    # Problems after the swap: the new index is live, the old one is kept.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PruneReport:
    """What a prune deleted (or would delete, on a dry run)."""

    cutoff: datetime
    articles: int
    pages: int
    dry_run: bool


def current_index(es: Elasticsearch, alias: str) -> str:
    """Return the newest index behind ``alias``; raise LifecycleError if the alias is missing."""
    targets = alias_targets(es, alias)
    if not targets:
        raise LifecycleError(f"alias {alias!r} does not exist: run `newsdesk setup` first")
    return max(targets, key=lambda name: index_version(name) or 0)


def next_version(es: Elasticsearch, alias: str) -> int:
    """Return one above the highest ``<alias>-v<N>`` that exists, in the alias or not."""
    existing = es.indices.get(index=f"{alias}-v*", allow_no_indices=True, expand_wildcards="all")
    versions = [index_version(name) or 0 for name in existing if name.startswith(f"{alias}-v")]
    return max(versions, default=0) + 1


def reindex(
    es: Elasticsearch,
    alias: str,
    *,
    to_version: int | None = None,
    template: dict[str, Any] | None = None,
    delete_old: bool = False,
    replicas: int = 0,
    before_swap: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
    poll_interval_s: float = 0.5,
) -> ReindexReport:
    """Return the report of building a new index version and moving ``alias`` to it.

    ``template`` defaults to the current mapping file; ``before_swap`` gets the new
    index's name once it holds every document (``--reprocess`` rewrites them there).
    Raises LifecycleError (or whatever interrupted it) after deleting the new index.
    """
    old = current_index(es, alias)
    version = to_version if to_version is not None else next_version(es, alias)
    new = index_name(alias, version)
    if es.indices.exists(index=new):
        raise LifecycleError(f"index {new} already exists; pick another --to-version")
    body = template or load_template(alias, replicas=replicas, version=version)
    if template is None:
        # A stale template would merge fields the current mapping dropped into the index.
        es.indices.put_index_template(name=alias, **body)
    settings = dict(body["template"]["settings"])
    try:
        # No refreshes or replicas while copying: the index is not read until the swap.
        es.indices.create(
            index=new,
            settings={**settings, "refresh_interval": "-1", "number_of_replicas": 0},
            mappings=body["template"]["mappings"],
        )
        started = datetime.now(UTC)
        copy = _copy(es, old, new, phase="copy", on_progress=on_progress, poll_s=poll_interval_s)
        # Flushes kept writing to the old index during the copy: bring those over too.
        caught_up_at = datetime.now(UTC)
        es.indices.refresh(index=old)
        _copy(es, old, new, since=started, phase="catch-up", poll_s=poll_interval_s)
        es.indices.put_settings(
            index=new,
            settings={
                "refresh_interval": settings.get("refresh_interval", "1s"),
                "number_of_replicas": settings.get("number_of_replicas", replicas),
            },
        )
        old_count, new_count = _verify_counts(es, old, new)
        if before_swap is not None:
            before_swap(new)
            es.indices.refresh(index=new)
        _swap(es, alias, new)
    except BaseException:
        # It did not exist before: whatever is there now (even from a create that Ctrl-C
        # cut short) is ours to remove.
        _drop_unless_live(es, alias, new)
        raise
    warnings: list[str] = []
    try:
        # Writes that resolved the alias just before the swap landed in the old index; add
        # the ones the new index lacks (create, never overwriting what arrived since).
        es.indices.refresh(index=old)
        _copy(es, old, new, since=caught_up_at, op_type="create", phase="after-swap", poll_s=0.2)
    except (LifecycleError, ApiError) as exc:
        warnings.append(f"{new} is live, but copying the last writes from {old} failed: {exc}")
    deleted = delete_old and not warnings
    if deleted:
        es.indices.delete(index=old)
    copied = int(copy.get("created", 0)) + int(copy.get("updated", 0))
    return ReindexReport(
        alias, old, new, copied, old_count, new_count, deleted, warnings=tuple(warnings)
    )


def prune(
    es: Elasticsearch,
    alias: str,
    *,
    older_than_s: float,
    dry_run: bool = False,
    now: datetime | None = None,
    poll_interval_s: float = 0.5,
) -> PruneReport:
    """Return what was deleted: articles published and raw pages fetched before the cutoff.

    A raw page goes with its article (an old story found only today is pruned as old),
    so a later reprocess cannot bring a pruned article back.
    """
    if older_than_s <= 0:
        raise LifecycleError("the age to prune must be positive")
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=older_than_s)
    before = {"lt": cutoff.isoformat()}
    articles_query = _either({"range": {"published_at": before}}, _undated_fetched(before))
    pages_query = _either({"range": {"published_at": before}}, {"range": {"fetched_at": before}})
    targets = ((alias, articles_query), (pages_alias(alias), pages_query))
    counts: list[int] = []
    for index, query in targets:
        # A missing pages alias (raw pages never kept) counts as empty, not as an error.
        if dry_run:
            found = es.count(index=index, query=query, ignore_unavailable=True)
            counts.append(int(found["count"]))
            continue
        started = es.delete_by_query(
            index=index,
            query=query,
            conflicts="proceed",
            refresh=True,
            ignore_unavailable=True,
            wait_for_completion=False,
        )
        response = _wait(es, started["task"], phase="prune", poll_s=poll_interval_s)
        counts.append(int(response.get("deleted", 0)))
    return PruneReport(cutoff, counts[0], counts[1], dry_run)


def _copy(
    es: Elasticsearch,
    source: str,
    dest: str,
    *,
    phase: str,
    since: datetime | None = None,
    op_type: str = "index",
    on_progress: ProgressCallback | None = None,
    poll_s: float,
) -> dict[str, Any]:
    """Copy documents (those indexed since ``since``) from one index to another."""
    source_body: dict[str, Any] = {"index": source, "size": COPY_BATCH_DOCS}
    if since is not None:
        lookback = since - timedelta(seconds=CATCH_UP_MARGIN_S)
        source_body["query"] = {"range": {"indexed_at": {"gte": lookback.isoformat()}}}
    started = es.reindex(
        source=source_body,
        dest={"index": dest, "op_type": op_type},
        # A "create" pass skips what exists; any other conflict is a failure.
        conflicts="proceed" if op_type == "create" else "abort",
        wait_for_completion=False,
    )
    return _wait(es, started["task"], phase=phase, on_progress=on_progress, poll_s=poll_s)


def _wait(
    es: Elasticsearch,
    task_id: str,
    *,
    phase: str,
    on_progress: ProgressCallback | None = None,
    poll_s: float,
) -> dict[str, Any]:
    """Return the task's response; raise LifecycleError if it failed."""
    try:
        return wait_for_task(es, task_id, phase=phase, on_progress=on_progress, poll_s=poll_s)
    except TaskFailedError as exc:
        raise LifecycleError(str(exc)) from exc


def _verify_counts(es: Elasticsearch, old: str, new: str) -> tuple[int, int]:
    """Return both counts; raise LifecycleError when the new index lacks documents."""
    es.indices.refresh(index=f"{old},{new}")
    old_count = int(es.count(index=old)["count"])
    new_count = int(es.count(index=new)["count"])
    # More is fine (an article indexed since the catch-up); fewer means something was lost.
    if new_count < old_count:
        raise LifecycleError(f"{new} has {new_count} documents, {old} has {old_count}")
    return old_count, new_count


def _swap(es: Elasticsearch, alias: str, new: str) -> None:
    """Point ``alias`` at ``new`` alone, in one atomic call."""
    actions: list[dict[str, Any]] = [
        {"remove": {"index": index, "alias": alias}} for index in alias_targets(es, alias)
    ]
    actions.append({"add": {"index": new, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)


def _drop_unless_live(es: Elasticsearch, alias: str, new: str) -> None:
    """Delete the half-built index, unless the swap went through before the interruption."""
    # Ctrl-C can land after Elasticsearch applied the swap but before the reply came back.
    if new in alias_targets(es, alias):
        return
    es.indices.delete(index=new, ignore_unavailable=True)


def _either(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _undated_fetched(before: dict[str, str]) -> dict[str, Any]:
    """Return the clause for an article without a publication date, fetched before."""
    return {
        "bool": {
            "must_not": [{"exists": {"field": "published_at"}}],
            "filter": [{"range": {"fetched_at": before}}],
        }
    }
