"""Which indexed articles a new one queues for a rewrite: O(n) for a story or group of n.

Each test drains the rewrite queue after every article, as a bulk flush does, and
counts what it took: the sum over a story's growth must stay linear in its size.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import redis

from newsdesk.enrich.fingerprints import fingerprint
from newsdesk.enrich.relations import DIRTY_KEY, enrich_relations, pop_dirty, relation_fields
from newsdesk.enrich.stories import STORY_MEMBERS_KEY, StoryDoc, queue_join, shown_story_size
from newsdesk.enrich.syndication import (
    RELATIONS_TTL_S,
    DocMeta,
    GroupJoin,
    best_copy,
    changed_by_join,
    doc_key,
    queue_fingerprint,
    raw_id,
)
from newsdesk.enrich.syndication import queue_join as queue_group_join
from newsdesk.models import Article
from newsdesk.urls import url_id

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
STORY = StoryDoc({"dredging": 0.8, "harbour": 0.6}, START.timestamp())
BODY = "\n".join(
    f"Paragraph {i} of the harbour dredging story says the dredger Marlin moved "
    f"{i * 100} tonnes of silt from berth {i} on Tuesday, the port said."
    for i in range(1, 7)
)


# Article ids are hex SHA-256 digests; the tests name their articles.
NAMES: dict[str, str] = {}


def _id(name: str) -> str:
    doc_id = hashlib.sha256(name.encode()).hexdigest()
    NAMES[doc_id] = name
    return doc_id


def _drain(r: redis.Redis) -> set[str]:
    return {NAMES[d] for d in pop_dirty(r, 100_000)}


def _join(r: redis.Redis, name: str, best: str | None, minutes: int) -> tuple[str, int]:
    doc = StoryDoc(STORY.terms, STORY.published_s + 60 * minutes)
    pipe = r.pipeline(transaction=False)
    read = queue_join(pipe, _id(name), doc, _id(best) if best else None, ttl_s=RELATIONS_TTL_S)
    story_id, size = read(iter(pipe.execute()))
    return NAMES[story_id], size


def _link_copies(r: redis.Redis, name: str, meta: DocMeta) -> GroupJoin | None:
    fp = fingerprint(BODY)
    pipe = r.pipeline(transaction=False)
    read = queue_fingerprint(pipe, _id(name), fp, meta, ttl_s=RELATIONS_TTL_S)
    copies = read(iter(pipe.execute()))
    best = best_copy(fp, copies.candidates)
    if best is None and copies.earlier_group is None:
        return None
    pipe = r.pipeline(transaction=False)
    read_join = queue_group_join(pipe, _id(name), best, ttl_s=RELATIONS_TTL_S)
    join = read_join(iter(pipe.execute()))
    if join is None:
        return None
    metas = {NAMES[d]: meta for d, meta in join.metas.items()}
    members = frozenset(NAMES[d] for d in join.members)
    return GroupJoin(NAMES[join.group], members, join.joined, metas)


def test_a_growing_story_rewrites_its_members_only_when_its_shown_size_changes(
    r: redis.Redis,
) -> None:
    first = "doc-0"
    total = 0
    for n in range(1, 261):
        doc_id = f"doc-{n - 1}"
        assert _join(r, doc_id, first if n > 1 else None, n) == (first, shown_story_size(n))
        queued = _drain(r)
        crossed = shown_story_size(n) != shown_story_size(n - 1)
        # Every other member when the size documents hold changes (the Lua script
        # computes it: this holds it equal to shown_story_size), else none.
        assert queued == ({f"doc-{i}" for i in range(n - 1)} if crossed else set()), n
        total += len(queued)
    # 1 + 2 + ... + 9, then 11 + 14 + 19 + ... + 249 at the steps; exact sizes: 33,670.
    assert total == 45 + sum(s - 1 for s in (12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120,
                                              150, 200, 250))  # fmt: skip
    assert total < 5 * 260


def test_steps_above_a_thousand_are_the_same_in_redis(r: redis.Redis) -> None:
    _join(r, "doc-0", None, 0)
    members = {raw_id(_id(f"filler-{i}")): STORY.published_s + i for i in range(1, 1_199)}
    r.zadd(doc_key(STORY_MEMBERS_KEY, _id("doc-0")), members)
    _drain(r)
    queued = []
    for n in range(1_200, 1_203):
        assert _join(r, f"doc-{n}", "doc-0", 2_000 + n) == ("doc-0", 1_200)
        queued.append(len(_drain(r)))
    assert queued == [1_199, 0, 0]


def test_a_late_earlier_report_takes_over_the_story_id_at_the_next_step(
    r: redis.Redis,
) -> None:
    for n in range(12):
        _join(r, f"doc-{n}", "doc-0" if n else None, n)
    _drain(r)
    # Thirteen members, still shown as twelve: the earliest report waits for a step.
    assert _join(r, "early", "doc-0", -60) == ("doc-0", 12)
    assert _drain(r) == set()
    assert _join(r, "early", "doc-0", -60) == ("doc-0", 12)  # redelivered: nothing
    assert _join(r, "doc-13", "doc-0", 13) == ("doc-0", 12)
    assert _join(r, "doc-14", "doc-0", 14) == ("early", 15)
    assert _drain(r) == {"early", "doc-13", *(f"doc-{n}" for n in range(12))}


def test_small_stories_take_the_earliest_report_id_at_once(r: redis.Redis) -> None:
    _join(r, "doc-0", None, 0)
    assert _join(r, "doc-1", "doc-0", 5) == ("doc-0", 2)
    assert _join(r, "early", "doc-1", -5) == ("early", 3)
    assert _drain(r) == {"doc-0", "doc-1"}


def _meta(url: str, minutes: int, agencies: tuple[str, ...] = (), own: bool = False) -> DocMeta:
    return DocMeta(url, START.timestamp() + 60 * minutes, agencies, own)


def test_a_new_copy_rewrites_only_the_original_unless_it_is_the_new_original(
    r: redis.Redis,
) -> None:
    assert _link_copies(r, "wire", _meta("https://wire.example/a", 0, ("AP",))) is None
    for n in range(1, 21):
        join = _link_copies(r, f"copy-{n}", _meta(f"https://p{n}.example/a", n))
        assert join is not None and join.joined and len(join.members) == n + 1
        assert changed_by_join(f"copy-{n}", join) == {"wire"}  # its copies_count
    # The agency's own site outranks a credited copy: every member's copy_of changes.
    own = _link_copies(r, "own", _meta("https://ap.example/a", 30, ("AP",), own=True))
    assert own is not None
    assert changed_by_join("own", own) == {"wire", *(f"copy-{n}" for n in range(1, 21))}
    # A redelivery or a reprocess may have changed the article's credit: all of them.
    again = _link_copies(r, "copy-3", _meta("https://p3.example/a", 3))
    assert again is not None and not again.joined
    assert changed_by_join("copy-3", again) == own.members - {"copy-3"}


def _article(url: str, minutes: int, agencies: tuple[str, ...] = ()) -> Article:
    when = START + timedelta(minutes=minutes)
    return Article(
        url=url, title="Dredging at Lakeport harbour", body=BODY, feed_ids=("f",),
        feed_names=("F",), source="S", fetched_at=when, published_at=when, agencies=agencies,
    )  # fmt: skip


def test_copies_of_one_wire_story_cost_linear_rewrites_and_agree_on_the_size(
    r: redis.Redis,
) -> None:
    copies = 30
    urls = ["https://wire.example/dredging", *(f"https://p{n}.example/d" for n in range(copies))]
    enrich_relations(_article(urls[0], 0, ("AP",)), r=r)
    total = len(pop_dirty(r, 100_000))
    for n, url in enumerate(urls[1:], start=1):
        enrich_relations(_article(url, n), r=r)
        total += len(pop_dirty(r, 100_000))
        fields = relation_fields(r, [url_id(u) for u in urls[: n + 1]])
        assert {f["story_size"] for f in fields.values()} == {shown_story_size(n + 1)}
        assert fields[url_id(urls[0])]["copies_count"] == n
    # Story steps up to 31 members plus one count per copy; every member each time
    # (exact sizes) would be 1 + 2 + ... + 30 = 465.
    assert total <= 45 + 11 + 14 + 19 + 24 + 29 + copies
    assert r.scard(DIRTY_KEY) == 0
