"""An article's relations to others: copies, versions, spun copies, inherited credit, story.

The process stage calls :func:`enrich_relations` once per article: it records the
article's fingerprints in Redis and joins it to a syndication group, a spun-copy link
and a story there. The fields that describe those relations (``copies_count``,
``story_size``, the original, the story id) then change as later articles arrive, so the
documents never keep a copy of them: :func:`relation_fields` derives them from Redis at
bulk-flush time, and the articles already indexed whose fields changed are listed in a
Redis set that the flush drains with partial updates (see ``newsdesk.stages.index``).
``story_id`` and ``story_size`` move in coarse steps above 10 articles (see
``newsdesk.enrich.stories``): exact values made every member change with each report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from newsdesk.enrich.fingerprints import fingerprint
from newsdesk.enrich.spinning import extract_anchors, link_spun, spun_links
from newsdesk.enrich.stories import assign_story, build_story_doc, story_views
from newsdesk.enrich.syndication import (
    DIRTY_KEY,
    RELATIONS_TTL_S,
    DocMeta,
    as_text,
    changed_by_join,
    group_views,
    link_copies,
    read_meta,
)
from newsdesk.models import Article
from newsdesk.urls import url_id

# Always present in a derived view (None clears a field in a partial update).
RELATION_FIELDS = (
    "syndication_group",
    "relation",
    "copy_of",
    "copies_count",
    "shared_passages",
    "spun_copy_of",
    "spun_confidence",
    "story_id",
    "story_size",
)
ENTITY_KINDS = ("people", "organizations", "places")


def enrich_relations(article: Article, *, r: redis.Redis, ttl_s: int = RELATIONS_TTL_S) -> Article:
    """Return the article with its relation fields, after recording it in the Redis indexes."""
    doc_id = url_id(article.url)
    published_s = (article.published_at or article.fetched_at).timestamp()
    own_site = any(e.startswith("site:") for e in article.agency_evidence)
    meta = DocMeta(article.url, published_s, article.agencies, own_site)
    join = link_copies(r, doc_id, fingerprint(article.body), meta, ttl_s=ttl_s)
    members = join.members - {doc_id} if join else frozenset()
    anchors = extract_anchors(article.body)
    spun = link_spun(r, doc_id, anchors, published_s, exclude=members, ttl_s=ttl_s)
    linked = sorted(members)
    if spun is not None and spun.doc_id == doc_id:
        linked.append(spun.source_id)
    names = entity_names(article) or [a[2:] for a in anchors if a.startswith("n:")]
    story_doc = build_story_doc(r, article.title, article.body, published_s, names)
    # Articles whose derived fields this one changed: in its group the original (its
    # count) or every member (a new original), a later article it turned out to be the
    # source of, and (queued by assign_story) its story's members when the story's
    # shown size and id move.
    dirty = changed_by_join(r, doc_id, join) if join else set()
    if spun is not None:
        dirty.add(spun.doc_id)
    dirty.discard(doc_id)
    assign_story(r, doc_id, story_doc, linked=linked, also_dirty=dirty, ttl_s=ttl_s)
    return apply_fields(article, relation_fields(r, [doc_id]).get(doc_id, {}))


def entity_names(article: Article) -> list[str]:
    """Return the article's people, organisations and places, if entity extraction ran.

    Reads the lists from the article itself or from an ``entities`` record on it.
    """
    holder = getattr(article, "entities", None) or article
    names: list[str] = []
    for kind in ENTITY_KINDS:
        values = holder.get(kind, ()) if isinstance(holder, Mapping) else getattr(holder, kind, ())
        names.extend(str(v) for v in values or ())
    return names


def relation_fields(r: redis.Redis, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Return each article's relation fields as Redis knows them now.

    Articles Redis no longer knows (past the TTL) are left out, so nothing clears their
    fields. ``agency`` and ``agency_evidence`` appear only when an uncredited article
    inherits the credit of the article it copies, updates or spins.
    """
    ids = list(dict.fromkeys(doc_ids))
    groups = group_views(r, ids)
    spun = spun_links(r, ids)
    stories = story_views(r, ids)
    # A spin points at the original text: through its source's own spin (a spin of a
    # spin), then to the original of the source's group (a spin of a copy).
    hops = spun_links(r, [link.source_id for link in spun.values()])
    step = {d: hops[s.source_id].source_id if s.source_id in hops else s.source_id
            for d, s in spun.items()}  # fmt: skip
    source_groups = group_views(r, list(step.values()))
    spun_of = {d: source_groups[s].original if s in source_groups else s for d, s in step.items()}
    metas = read_meta(r, [*ids, *(v.original for v in groups.values()), *spun_of.values()])
    out: dict[str, dict[str, Any]] = {}
    for doc_id in ids:
        if doc_id not in metas:
            continue  # expired from Redis: what the index holds is all there is to know
        fields: dict[str, Any] = dict.fromkeys(RELATION_FIELDS)
        view = groups.get(doc_id)
        if view is not None:
            fields["syndication_group"] = view.group
            fields["relation"] = view.relation
            fields["copies_count"] = view.copies_count
            fields["shared_passages"] = view.shared_passages
            if view.original != doc_id:
                fields["copy_of"] = view.original
        # A copy or version of the spin's own original is no spin (arrival order can
        # record the link before the group exists).
        same_text = view is not None and view.original == spun_of.get(doc_id)
        if doc_id in spun_of and spun_of[doc_id] != doc_id and not same_text:
            fields["spun_copy_of"] = spun_of[doc_id]
            fields["spun_confidence"] = spun[doc_id].confidence
        if doc_id in stories:
            fields["story_id"], fields["story_size"] = stories[doc_id]
        fields.update(_inherited_agency(doc_id, fields, metas))
        out[doc_id] = fields
    return out


def apply_fields(article: Article, fields: Mapping[str, Any]) -> Article:
    """Return the article with derived relation fields (and any inherited credit) set."""
    changes: dict[str, Any] = {name: fields.get(name) for name in RELATION_FIELDS}
    if "agency" in fields:
        changes["agencies"] = tuple(fields["agency"])
        changes["agency_evidence"] = tuple(fields["agency_evidence"])
    return dataclasses.replace(article, **changes)


def patch_source(source: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return a document source with the derived fields written over it (None removes)."""
    patched = dict(source)
    for name, value in fields.items():
        if value is None:
            patched.pop(name, None)
        else:
            patched[name] = value
    return patched


def mark_dirty(r: redis.Redis, doc_ids: Iterable[str]) -> None:
    """Queue articles whose derived fields must be rewritten in the index."""
    ids = list(doc_ids)
    if ids:
        r.sadd(DIRTY_KEY, *ids)


def pop_dirty(r: redis.Redis, count: int) -> list[str]:
    """Take up to ``count`` articles off the rewrite queue."""
    popped: list[bytes] = r.spop(DIRTY_KEY, count) or []  # type: ignore[assignment]
    return [as_text(d) for d in popped]


def _inherited_agency(
    doc_id: str, fields: Mapping[str, Any], metas: Mapping[str, DocMeta]
) -> dict[str, Any]:
    own = metas.get(doc_id)
    if own is None or own.agencies:
        return {}
    if fields["copy_of"]:
        kind = "copy_of" if fields["relation"] == "copy" else "version_of"
        source = fields["copy_of"]
    elif fields["spun_copy_of"]:
        kind, source = "spun_copy_of", fields["spun_copy_of"]
    else:
        return {}
    credited = metas.get(source)
    if credited is None or not credited.agencies:
        return {}
    return {
        "agency": list(credited.agencies),
        "agency_evidence": [f"{kind}: {source} ({credited.url})"],
    }
