"""How many Redis round trips the relation step makes: a few per article, not one per lookup.

A connection class counts every packed send to the real server (a pipeline is one).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from newsdesk.enrich.relations import enrich_relations, relation_fields
from newsdesk.enrich.syndication import TOP_LUA
from newsdesk.models import Article
from newsdesk.urls import url_id

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
NAMES = ("Mara Ellison", "Tomas Reyland", "Ilse Varga", "Brenmoor", "Lakeport", "Ostmark")
WORDS = ("harbour", "quota", "fleet", "talks", "minister", "boats", "trawler", "season",
         "winter", "catch", "port", "fees", "ministry", "crews", "deck", "nets", "herring",
         "cod", "agreement", "council", "union", "strike", "ferry", "island", "coast",
         "weather", "storm", "fuel", "prices", "market", "buyers", "auction")  # fmt: skip


class _CountingConnection(redis.Connection):
    sends = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        type(self).sends += 1
        super().send_packed_command(command, check_health)


@pytest.fixture
def counted(r: redis.Redis) -> Iterator[redis.Redis]:
    """Return a client of the test Redis whose connections count their round trips."""
    kwargs = r.connection_pool.connection_kwargs
    pool = redis.ConnectionPool(connection_class=_CountingConnection, **kwargs)
    client = redis.Redis(connection_pool=pool)
    client.ping()  # connecting sends its own commands (CLIENT SETINFO): not counted
    yield client
    client.close()
    pool.disconnect()


def _body(seed: int) -> str:
    # Reports of one event share its names and some words, never a sentence.
    rng = random.Random(seed)
    lines = []
    for i in range(8):
        words = rng.choices(WORDS, k=24)
        words[rng.randrange(24)] = rng.choice(NAMES)
        lines.append(f"{rng.choice(NAMES)} said {' '.join(words)} on Tuesday, {seed + i} of them.")
    return "\n".join(lines)


def _article(url: str, body: str, minutes: int) -> Article:
    when = START + timedelta(minutes=minutes)
    return Article(
        url=url, title="Fishing talks at Lakeport", body=body, feed_ids=("f",),
        feed_names=("F",), source="S", fetched_at=when, published_at=when,
    )  # fmt: skip


def _enrich(client: redis.Redis, article: Article) -> tuple[int, Article]:
    before = _CountingConnection.sends
    enriched = enrich_relations(article, r=client)
    return _CountingConnection.sends - before, enriched


def test_an_article_costs_a_few_round_trips_whatever_it_matches(counted: redis.Redis) -> None:
    # Five round trips with no copy or spin to record: index; join the group and read the
    # candidates; join the story; the article's own fields in two. A copy reads its spin
    # candidates once its group is known, a spin records its link, and their fields take
    # a read or three more. One round trip per lookup made 22 on the synthetic site.
    plain = 0
    for n in range(20):
        sends, article = _enrich(counted, _article(f"https://p{n}.example/a", _body(n), n))
        if article.relation is None and article.spun_copy_of is None:
            assert sends == 5, n
            plain += 1
        assert sends <= 9, n
    assert plain >= 10
    copy = _article("https://copy.example/a", _body(3), 30)
    for _ in range(2):  # the second time, as a redelivered task
        sends, article = _enrich(counted, copy)
        assert article.relation == "copy" and sends <= 9


def test_relation_fields_read_a_batch_in_at_most_five_round_trips(counted: redis.Redis) -> None:
    urls = [f"https://p{n}.example/a" for n in range(40)]
    for n, url in enumerate(urls):
        enrich_relations(_article(url, _body(n % 25), n), r=counted)
    before = _CountingConnection.sends
    fields = relation_fields(counted, [url_id(u) for u in urls])
    assert _CountingConnection.sends - before <= 5
    assert len(fields) == 40
    assert any(f["copy_of"] for f in fields.values())  # copies, so groups were read too


# Votes over lists given as JSON, ranked by the scripts' own TOP: what the relation
# scripts do with the members of buckets, anchors and terms.
_VOTE_LUA = (
    TOP_LUA
    + """
local votes, order = {}, {}
for _, list in ipairs(cjson.decode(ARGV[1])) do
  for _, member in ipairs(list) do vote(votes, order, member) end
end
local picked, qualified = top(votes, order, tonumber(ARGV[2]), tonumber(ARGV[3]))
return {qualified, picked}
"""
)


def test_votes_in_redis_rank_as_counter_most_common_does(r: redis.Redis) -> None:
    rng = random.Random(7)
    for _ in range(50):
        lists = [rng.sample(WORDS, rng.randint(0, 12)) for _ in range(rng.randint(1, 30))]
        least, n = rng.randint(1, 4), rng.randint(1, 15)
        votes: Counter[str] = Counter()
        for members in lists:
            votes.update(members)
        expected = [m for m, c in votes.most_common(n) if c >= least]
        qualified, picked = r.eval(_VOTE_LUA, 0, json.dumps(lists), least, n)
        assert [p.decode() for p in picked] == expected
        assert qualified == sum(1 for c in votes.values() if c >= least)
