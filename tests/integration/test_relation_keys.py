"""What the relation step keeps in Redis for an article: binary ids in compact sorted sets.

An article's id goes into some 150 buckets and postings for a week, so their encoding is
most of the relation step's memory (33 KB per article with hex ids in sets, 21 KB now).
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from newsdesk.enrich.fingerprints import LSH_BANDS, fingerprint
from newsdesk.enrich.relations import DIRTY_KEY, enrich_relations, pop_dirty
from newsdesk.enrich.spinning import ANCHORS_OF_KEY, extract_anchors
from newsdesk.enrich.stories import TERM_KEY
from newsdesk.enrich.syndication import FP_KEY, LSH_KEY, PARA_KEY, doc_key
from newsdesk.models import Article
from newsdesk.urls import url_id

WHEN = datetime(2026, 3, 2, 8, tzinfo=UTC)
PARAGRAPHS = [
    f"BRENMOOR (AP) \u2014 Paragraph {i} of the harbour dredging story says the dredger "
    f"Marlin moved {i * 100} tonnes of silt from berth {i} on Tuesday, the port said, and "
    f"that work on berth {i + 1} would start once the {i}th survey of the channel was read."
    for i in range(1, 9)
]


def _article(url: str, body: str) -> Article:
    return Article(
        url=url, title="Dredging at Brenmoor harbour", body=body, feed_ids=("f",),
        feed_names=("F",), source="S", fetched_at=WHEN, published_at=WHEN,
    )  # fmt: skip


def test_buckets_and_postings_hold_the_32_byte_id_in_listpack_sorted_sets(
    r: redis.Redis,
) -> None:
    body = "\n".join(PARAGRAPHS)
    article = _article("https://wire.example/dredging", body)
    enrich_relations(article, r=r)
    doc_id = url_id(article.url)
    raw = bytes.fromhex(doc_id)
    fp = fingerprint(body)
    bands = list(r.scan_iter(match=LSH_KEY + b"*"))
    paragraphs = list(r.scan_iter(match=PARA_KEY + b"*"))
    postings = list(r.scan_iter(match=TERM_KEY + b"*"))
    assert (len(bands), len(paragraphs)) == (LSH_BANDS, len(fp.paragraphs))
    assert len(postings) > 10
    for key in (*bands, *paragraphs, *postings):
        assert r.zrange(key, 0, -1) == [raw], key
        assert r.object("encoding", key) == b"listpack", key
        assert 0 < r.ttl(key) <= 7 * 86_400
    # The anchor sequence as 8-byte digests; no MinHash signature (only its own is used).
    assert r.strlen(doc_key(ANCHORS_OF_KEY, doc_id)) == 8 * len(extract_anchors(body))
    assert set(r.hkeys(doc_key(FP_KEY, doc_id))) == {
        b"shingles",
        b"paras",
        b"url",
        b"published",
        b"agencies",
        b"own_site",
    }
    assert r.hstrlen(doc_key(FP_KEY, doc_id), "paras") == 8 * len(fp.paragraphs)


def test_a_copy_with_other_paragraph_breaks_is_found_through_the_bands(r: redis.Redis) -> None:
    original = _article("https://wire.example/dredging", "\n".join(PARAGRAPHS))
    # Reflowed into three paragraphs: no paragraph hash in common, the same words.
    reflowed = "\n".join(" ".join(PARAGRAPHS[i : i + 3]) for i in range(0, 8, 3))
    copy = _article("https://paper.example/dredging", reflowed)
    assert not set(fingerprint(reflowed).paragraphs) & set(fingerprint(original.body).paragraphs)
    enrich_relations(original, r=r)
    found = enrich_relations(copy, r=r)
    assert (found.relation, found.copy_of) == ("copy", url_id(original.url))


def test_rewrites_queued_by_the_previous_release_still_come_out_as_ids(r: redis.Redis) -> None:
    hex_id = url_id("https://wire.example/queued-before")
    r.sadd(DIRTY_KEY, hex_id)  # text, as the previous release queued them
    r.sadd(DIRTY_KEY, bytes.fromhex(url_id("https://wire.example/queued-now")))
    popped = set(pop_dirty(r, 10))
    assert popped == {hex_id, url_id("https://wire.example/queued-now")}
