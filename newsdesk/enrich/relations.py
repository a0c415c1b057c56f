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

from newsdesk.enrich.fingerprints import Fingerprint, fingerprint
from newsdesk.enrich.spinning import (
    SpunLink,
    choose_spin,
    extract_anchors,
    queue_anchors,
    queue_candidates,
    queue_record,
    queue_spun_links,
)
from newsdesk.enrich.stories import (
    best_match,
    queue_index_terms,
    queue_join,
    queue_shown,
    queue_story_doc,
    queue_story_of,
)
from newsdesk.enrich.syndication import (
    DIRTY_KEY,
    RAW_ID_BYTES,
    RELATIONS_TTL_S,
    DocMeta,
    GroupView,
    as_text,
    best_copy,
    changed_by_join,
    choose_original,
    group_view,
    hex_id,
    queue_fingerprint,
    queue_fingerprints,
    queue_group_of,
    queue_members,
    queue_meta,
    raw_id,
)
from newsdesk.enrich.syndication import queue_join as queue_group_join
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
    fp = fingerprint(article.body)
    anchors = extract_anchors(article.body)
    names = entity_names(article) or [a[2:] for a in anchors if a.startswith("n:")]
    # Round trip 1: index the fingerprint and the anchors, reading back what they match,
    # and look up the term frequencies that weigh the story profile.
    pipe = r.pipeline(transaction=False)
    read_copies = queue_fingerprint(pipe, doc_id, fp, meta, ttl_s=ttl_s)
    read_votes = queue_anchors(pipe, doc_id, anchors, published_s, ttl_s=ttl_s)
    read_profile = queue_story_doc(pipe, article.title, article.body, published_s, names)
    replies = iter(pipe.execute())
    copies, votes, story_doc = read_copies(replies), read_votes(replies), read_profile(replies)
    best = best_copy(fp, copies.candidates)
    grouped = best is not None or copies.earlier_group is not None
    # Round trip 2: join the group and index the story terms, reading the candidates
    # back; load the spin candidates too unless group members must be left out first.
    pipe = r.pipeline(transaction=False)
    read_join = queue_group_join(pipe, doc_id, best, ttl_s=ttl_s) if grouped else None
    read_stories = queue_index_terms(pipe, doc_id, story_doc, ttl_s=ttl_s)
    read_spins = None if grouped else queue_candidates(pipe, votes.top())
    replies = iter(pipe.execute())
    join = read_join(replies) if read_join else None
    story_candidates = read_stories(replies)
    members = join.members - {doc_id} if join else frozenset()
    if read_spins is None:  # a third round trip, after the group is known
        pipe = r.pipeline(transaction=False)
        if votes.short(members):
            revote = queue_anchors(pipe, doc_id, anchors, published_s, ttl_s=ttl_s, without=members)
            votes = revote(iter(pipe.execute()))
        read_spins = queue_candidates(pipe, votes.top(members))
        replies = iter(pipe.execute())
    spins = read_spins(replies)
    spun = choose_spin(doc_id, anchors, published_s, spins, related={doc_id, *members})
    if spun is not None:
        spun = _record(r, spun, ttl_s)
    linked = sorted(members)
    if spun is not None and spun.doc_id == doc_id:
        linked.append(spun.source_id)
    # Articles whose derived fields this one changed: in its group the original (its
    # count) or every member (a new original), a later article it turned out to be the
    # source of, and (queued by the story join) its story's members when the story's
    # shown size and id move.
    dirty = changed_by_join(doc_id, join) if join else set()
    if spun is not None:
        dirty.add(spun.doc_id)
    dirty.discard(doc_id)
    story_best = next(iter(linked), None) or best_match(story_doc, story_candidates)
    pipe = r.pipeline(transaction=False)
    queue_join(pipe, doc_id, story_doc, story_best, also_dirty=dirty, ttl_s=ttl_s)
    pipe.execute()
    return apply_fields(article, relation_fields(r, [doc_id]).get(doc_id, {}))


def _record(r: redis.Redis, link: SpunLink, ttl_s: int) -> SpunLink | None:
    """Return the link once recorded, or None if a stronger one was recorded before."""
    pipe = r.pipeline(transaction=False)
    read = queue_record(pipe, link, ttl_s=ttl_s)
    return link if read(iter(pipe.execute())) else None


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
    state = _RelationState.read(r, ids)
    out: dict[str, dict[str, Any]] = {}
    for doc_id in ids:
        if doc_id not in state.metas:
            continue  # expired from Redis: what the index holds is all there is to know
        fields: dict[str, Any] = dict.fromkeys(RELATION_FIELDS)
        view = state.group_view(doc_id)
        if view is not None:
            fields["syndication_group"] = view.group
            fields["relation"] = view.relation
            fields["copies_count"] = view.copies_count
            fields["shared_passages"] = view.shared_passages
            if view.original != doc_id:
                fields["copy_of"] = view.original
        # A copy or version of the spin's own original is no spin (arrival order can
        # record the link before the group exists).
        spun_of = state.spun_of(doc_id)
        same_text = view is not None and view.original == spun_of
        if spun_of is not None and spun_of != doc_id and not same_text:
            fields["spun_copy_of"] = spun_of
            fields["spun_confidence"] = state.spun[doc_id].confidence
        if doc_id in state.story_of and state.story_of[doc_id] in state.shown:
            fields["story_id"], fields["story_size"] = state.shown[state.story_of[doc_id]]
        fields.update(_inherited_agency(doc_id, fields, state.metas))
        out[doc_id] = fields
    return out


@dataclasses.dataclass
class _RelationState:
    """What Redis holds about a batch of articles and those their fields point at."""

    group_of: dict[str, str]
    members: dict[str, frozenset[str]]
    metas: dict[str, DocMeta]
    fps: dict[str, Fingerprint]
    spun: dict[str, SpunLink]
    step: dict[str, str]  # a spin's source, or the source's own source (a spin of a spin)
    story_of: dict[str, str]
    shown: dict[str, tuple[str, int]]

    @classmethod
    def read(cls, r: redis.Redis, ids: list[str]) -> _RelationState:
        """Read it in up to five round trips for the whole batch (two without copies or spins)."""
        pipe = r.pipeline(transaction=False)
        read_groups, read_spun = queue_group_of(pipe, ids), queue_spun_links(pipe, ids)
        read_stories, read_metas = queue_story_of(pipe, ids), queue_meta(pipe, ids)
        replies = iter(pipe.execute())
        group_of, spun = read_groups(replies), read_spun(replies)
        story_of, metas = read_stories(replies), read_metas(replies)
        state = cls(group_of, {}, metas, {}, spun, {}, story_of, {})
        # 2: the groups' members, the stories' shown values, the sources' own spins.
        pipe = r.pipeline(transaction=False)
        read_members = queue_members(pipe, sorted(set(group_of.values())))
        read_shown = queue_shown(pipe, sorted(set(story_of.values())))
        read_hops = queue_spun_links(pipe, sorted({s.source_id for s in spun.values()}))
        read_fps = queue_fingerprints(pipe, sorted(group_of))
        replies = iter(pipe.execute())
        state.members, state.shown = read_members(replies), read_shown(replies)
        hops, state.fps = read_hops(replies), read_fps(replies)
        state.step = {d: hops[s.source_id].source_id if s.source_id in hops else s.source_id
                      for d, s in spun.items()}  # fmt: skip
        # 3: the members' metadata (to choose originals) and the spin targets' groups.
        targets = sorted(set(state.step.values()) - set(group_of))
        state._more(r, [m for ms in state.members.values() for m in ms], targets=targets)
        # 4: the originals' fingerprints and the spin targets' group members; 5: theirs.
        originals = {o for ms in state.members.values() if (o := choose_original(ms, metas))}
        pipe = r.pipeline(transaction=False)
        read_fps = queue_fingerprints(pipe, sorted(originals - state.fps.keys()))
        new_groups = {state.group_of[t] for t in state.step.values() if t in state.group_of}
        read_members = queue_members(pipe, sorted(new_groups - state.members.keys()))
        replies = iter(pipe.execute())
        state.fps |= read_fps(replies)
        added = read_members(replies)
        state.members |= added
        state._more(r, [m for ms in added.values() for m in ms])
        return state

    def _more(self, r: redis.Redis, ids: Iterable[str], *, targets: Sequence[str] = ()) -> None:
        """Read the metadata of ``ids`` and ``targets`` not read yet, and the targets' groups."""
        pipe = r.pipeline(transaction=False)
        read_metas = queue_meta(pipe, sorted({*ids, *targets} - self.metas.keys()))
        read_groups = queue_group_of(pipe, targets)
        replies = iter(pipe.execute())
        self.metas |= read_metas(replies)
        self.group_of |= read_groups(replies)

    def group_view(self, doc_id: str) -> GroupView | None:
        """Return the article's place in its group, if it has one."""
        group = self.group_of.get(doc_id)
        if group is None or group not in self.members:
            return None
        return group_view(doc_id, group, self.members[group], self.metas, self.fps)

    def spun_of(self, doc_id: str) -> str | None:
        """Return the original text a spin points at: the original of its source's group."""
        target = self.step.get(doc_id)
        if target is None:
            return None
        group = self.group_of.get(target)
        members = self.members.get(group, frozenset()) if group else frozenset()
        original = choose_original(members, self.metas)
        # As group_view: a group needs two members, and the target its own metadata.
        if original is None or len(members) < 2 or target not in self.metas:
            return target
        return original


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
        r.sadd(DIRTY_KEY, *map(raw_id, ids))


def pop_dirty(r: redis.Redis, count: int) -> list[str]:
    """Take up to ``count`` articles off the rewrite queue."""
    popped: list[bytes] = r.spop(DIRTY_KEY, count) or []  # type: ignore[assignment]
    # Ids queued by an older release are text (64 hex digits), not bytes.
    return [hex_id(d) if len(d) == RAW_ID_BYTES else as_text(d) for d in popped]


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
