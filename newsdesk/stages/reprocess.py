"""Reprocess: rebuild articles from their stored raw pages, without fetching anything.

After a fix to extraction or enrichment, ``newsdesk reprocess`` runs the same stage
functions as the pipeline (``process_page``, ``add_text_facets``, the relations step)
on the pages kept in ``<alias>-pages`` and overwrites each article (op ``index``, same
``_id``). It runs in the calling process: a maintenance command, not pipeline traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from elasticsearch import Elasticsearch

from newsdesk.enrich.entities import EntityExtractor
from newsdesk.enrich.relations import (
    RELATION_FIELDS,
    enrich_relations,
    patch_source,
    relation_fields,
)
from newsdesk.enrich.syndication import read_meta
from newsdesk.errors import PermanentError
from newsdesk.models import Article
from newsdesk.search.documents import build_article_document
from newsdesk.search.pages import RawPageError, iter_raw_pages, page_from_document, pages_query
from newsdesk.search.setup import pages_alias
from newsdesk.stages.enrich import add_text_facets
from newsdesk.stages.index import sync_relations
from newsdesk.stages.process import process_page
from newsdesk.urls import url_id

MAX_FAILURES_KEPT = 50
# Evidence of a credit inherited from another article (see relations._inherited_agency).
_INHERITED_EVIDENCE = ("copy_of:", "version_of:", "spun_copy_of:")


@dataclass
class ReprocessSummary:
    """How reprocessing ended for each page: outcome counts and the first failures."""

    total: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)

    def add(self, outcome: str, url: str = "", detail: str = "") -> None:
        """Count one page's outcome, keeping the URL and detail of early failures."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if outcome.startswith("failed") and len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append({"outcome": outcome, "url": url, "detail": detail})


@dataclass(frozen=True)
class _Rebuilt:
    page_id: str  # the raw page's _id: the article's id when it was fetched
    article: Article
    in_redis: bool  # the relation indexes still know it (within their TTL)


@dataclass(frozen=True)
class _Run:
    """What every step of one reprocessing run needs."""

    r: redis.Redis
    es: Elasticsearch
    alias: str
    target: str
    extractor: EntityExtractor
    min_body_chars: int
    summary: ReprocessSummary


def reprocess_pages(
    r: redis.Redis,
    es: Elasticsearch,
    alias: str,
    *,
    extractor: EntityExtractor,
    min_body_chars: int,
    since: datetime | None = None,
    feed: str | None = None,
    target: str | None = None,
    batch_docs: int = 200,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReprocessSummary:
    """Return the outcomes of rebuilding the articles of the raw pages that match.

    Pages come from ``<alias>-pages``; articles are written to ``target`` (default: the
    alias; a reindex passes its new index). Elasticsearch errors are raised as they
    come: running it again is safe, since every write is an overwrite.
    """
    query = pages_query(since=since, feed=feed)
    found = es.count(index=pages_alias(alias), query=query, ignore_unavailable=True)
    total = int(found["count"])
    run = _Run(r, es, alias, target or alias, extractor, min_body_chars, ReprocessSummary(total))
    if not total:
        return run.summary
    batch: list[_Rebuilt] = []
    pages = iter_raw_pages(es, pages_alias(alias), query, batch_docs=batch_docs)
    for done, (page_id, source) in enumerate(pages, start=1):
        rebuilt = _rebuild(run, page_id, source)
        if rebuilt is not None:
            batch.append(rebuilt)
        if len(batch) >= batch_docs:
            _write(run, batch)
            batch = []
        if on_progress is not None:
            on_progress(done, total)
    _write(run, batch)
    # Articles this run changed the relations of (a new original, a bigger story).
    sync_relations(r, es, run.target)
    es.indices.refresh(index=run.target)
    return run.summary


def _rebuild(run: _Run, page_id: str, source: dict[str, Any]) -> _Rebuilt | None:
    """Return the article rebuilt from one raw page, or None after counting its failure."""
    url = str(source.get("url", page_id))
    try:
        page, html = page_from_document(source)
        article = process_page(page, html, min_body_chars=run.min_body_chars)
    except RawPageError as exc:
        run.summary.add("failed:raw_page_unreadable", url, str(exc))
        return None
    except PermanentError as exc:
        run.summary.add(f"failed:{exc.reason}", url, exc.detail or str(exc))
        return None
    article = add_text_facets(article, run.extractor)
    # The relation indexes expire after a week. Re-running the step for an article they
    # still know is idempotent; for an older one it would re-insert it alone (its
    # copies and story gone from Redis) and grow Redis, so its indexed relations stay.
    in_redis = bool(read_meta(run.r, [url_id(article.url)]))
    if in_redis:
        article = enrich_relations(article, r=run.r)
    return _Rebuilt(page_id, article, in_redis)


def _write(run: _Run, batch: list[_Rebuilt]) -> None:
    """Overwrite a batch of articles in one bulk request and count each one's outcome."""
    if not batch:
        return
    docs = [(item, *build_article_document(item.article)) for item in batch]
    live = relation_fields(run.r, [doc_id for item, doc_id, _ in docs if item.in_redis])
    kept = _indexed_relations(run.es, run.target, [i.page_id for i in batch if not i.in_redis])
    operations: list[dict[str, Any]] = []
    for item, doc_id, source in docs:
        fields = live.get(doc_id, {}) if item.in_redis else kept.get(item.page_id, {})
        if item.article.agencies:  # its own credit beats one inherited from a copy
            fields = {k: v for k, v in fields.items() if k not in ("agency", "agency_evidence")}
        operations.append({"index": {"_index": run.target, "_id": doc_id}})
        operations.append(patch_source(source, fields))
    for item, doc_id, source in docs:
        if doc_id != item.page_id:
            # The canonical URL now reads differently: the old document is a stale twin.
            operations.append({"delete": {"_index": run.target, "_id": item.page_id}})
        # Prune drops a page with its article: keep the page's date in step.
        operations.append({"update": {"_index": pages_alias(run.alias), "_id": item.page_id}})
        operations.append({"doc": {"published_at": source.get("published_at")}})
    items = run.es.bulk(operations=operations, refresh=False)["items"]
    # The article items come first, in order; the deletes and page updates may miss.
    for (item, doc_id, _), result in zip(docs, items[: len(docs)], strict=True):
        status = int(result["index"]["status"])
        if status in (200, 201):
            run.summary.add("reindexed:new_id" if doc_id != item.page_id else "reindexed")
        else:
            error = result["index"].get("error") or {}
            reason = error.get("type", f"status_{status}")
            detail = str(error.get("reason"))
            run.summary.add(f"failed:es_rejected_{reason}", item.article.url, detail)


def _indexed_relations(
    es: Elasticsearch, index: str, doc_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Return the relation fields (and any inherited credit) the indexed documents hold."""
    ids = list(doc_ids)
    if not ids:
        return {}
    wanted = [*RELATION_FIELDS, "agency", "agency_evidence"]
    found = es.mget(index=index, ids=ids, source_includes=wanted)["docs"]
    out: dict[str, dict[str, Any]] = {}
    for doc in found:
        if not doc.get("found"):
            continue
        held = doc.get("_source") or {}
        fields = {name: held.get(name) for name in RELATION_FIELDS if held.get(name) is not None}
        evidence = held.get("agency_evidence") or []
        if evidence and all(str(e).startswith(_INHERITED_EVIDENCE) for e in evidence):
            fields["agency"], fields["agency_evidence"] = held.get("agency"), evidence
        out[doc["_id"]] = fields
    return out
