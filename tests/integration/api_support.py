"""For the API and page tests: hand-written articles indexed through the real index
stage, and the API served by a real uvicorn on a free loopback port.

Not a test module: ``test_api.py`` and ``test_search_page.py`` import it. Story ids and
``copy_of`` are set afterwards with partial updates, the way a later enrichment stage
would add them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
import uvicorn
from elasticsearch import Elasticsearch

from newsdesk.models import Article
from newsdesk.search.query import FACET_FIELDS
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.stages.index import flush_index_batch, queue_for_index
from newsdesk.urls import url_id
from workers.api import create_api

ALIAS = "articles"
FETCHED_AT = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
XSS_TITLE = '<img src=x onerror="window.__xss=1">Harbour gala <b>night</b>'
TIDE_NOTICES = 6  # articles with the same date: only the url tiebreaker orders them


def _article(slug: str, title: str, body: str, source: str, **extra: object) -> Article:
    host = source.lower().replace(" ", "") + ".example"
    fields: dict[str, object] = {
        "feed_ids": (source.lower().replace(" ", "-"),),
        "feed_names": (source,),
        "language": "en",
        **extra,
    }
    return Article(
        url=f"https://{host}/news/{slug}",
        title=title,
        body=body,
        source=source,
        fetched_at=FETCHED_AT,
        **fields,  # type: ignore[arg-type]
    )


def _at(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


ARTICLES: list[Article] = [
    _article(
        "ferry-timetable", "Harbour ferry timetable changes from Monday",
        "The morning harbour ferry will leave twenty minutes earlier from Monday, the "
        "operator said, so that commuters reach the east quay before the tide turns.",
        "Lakeside Post", tags=("transport", "harbour"), authors=("Mira Stone",),
        section="Transport", published_at=_at(2),
    ),
    _article(
        "ferry-strike-off", "Ferry crew strike called off after late talks",
        "A strike by ferry crews planned for Thursday was called off after talks that ran "
        "past midnight. The union said the new rota answered its safety concerns.",
        "Lakeside Post", tags=("transport",), authors=("Mira Stone", "Tom Reed"),
        agencies=("Reuters",), section="Transport", published_at=_at(4, 7),
    ),
    _article(
        "ferry-strike-averted", "Ferry strike averted, says union",
        "The ferry strike will not go ahead, the crews' union said on Wednesday night, "
        "after the operator agreed to hire two more deckhands for the winter timetable.",
        "Valley Courier", tags=("transport", "labour"), agencies=("AP",),
        section="Business", published_at=_at(4, 12),
    ),
    _article(
        "ferries-on-time", "Strike over: ferries sail on time",
        "Ferries sailed on time on Thursday morning, a day after the strike was averted. "
        "Passengers said the crossing was calmer than the talks had been.",
        "Metro Ledger", tags=("transport",), authors=("Ana Ruiz",), published_at=_at(5),
    ),
    _article(
        "ferry-strike-averted-wire", "Ferry strike averted, says union",
        "The ferry strike will not go ahead, the crews' union said on Wednesday night, "
        "after the operator agreed to hire two more deckhands for the winter timetable.",
        "Northwire", tags=("wire",), agencies=("AP",), published_at=_at(4, 13),
    ),
    _article(
        "library-sundays", "Library extends Sunday opening hours",
        "The central library will open from ten until four on Sundays from April, after a "
        "petition signed by more than two thousand readers.",
        "Valley Courier", tags=("culture",), authors=("Ben Okafor",), section="Community",
        published_at=datetime(2026, 2, 10, 9, 30, tzinfo=UTC),
    ),
    _article(
        "bibliotheque-dimanche", "La bibliothèque ouvre le dimanche",
        "La bibliothèque centrale ouvrira ses portes le dimanche à partir du mois d'avril, "
        "après une pétition signée par plus de deux mille lecteurs.",
        "Le Petit Lac", tags=("culture",), language="fr",
        published_at=datetime(2026, 2, 11, 10, 0, tzinfo=UTC),
    ),
    _article(
        "draft-budget", "Council publishes draft budget",
        "The council published its draft budget for next year. Street cleaning and the "
        "harbour wall repairs take the largest share of new spending.",
        "Metro Ledger", tags=("council",), section="City Hall",
    ),
    _article(
        "gala", XSS_TITLE,
        '<script>window.__xss = 2</script> The harbour gala raised money for the lifeboat '
        'crew. <img src=x onerror="window.__xss=3"> Guests danced on the quay until late.',
        "Lakeside Post", tags=("culture", "<i>events</i>"), authors=('<b onclick="x()">Eve</b>',),
        published_at=_at(1, 20),
    ),
    *[
        _article(
            f"tide-notice-{n}", f"Harbour tide notice {n}",
            f"High water at the harbour is expected at {n} o'clock; moorings on the west "
            "pontoon must be checked before then.",
            "Lakeside Post", tags=("harbour", "notices"), published_at=_at(3, 6),
        )
        for n in range(1, TIDE_NOTICES + 1)
    ],
]  # fmt: skip


@dataclass(frozen=True)
class Corpus:
    """The indexed articles, by slug (the last part of their URL) to document id."""

    ids: dict[str, str]

    def id(self, slug: str) -> str:
        """Return the document id of the article with this slug."""
        return self.ids[slug]


STORY_FERRY = "story-ferry-strike"


def build_corpus(r: redis.Redis, es: Elasticsearch) -> Corpus:
    """Return the corpus after indexing it into a fresh ``articles`` alias."""
    for name in es.indices.get(index=f"{ALIAS}-v*", allow_no_indices=True):
        es.indices.delete(index=name)
    keys = list(r.scan_iter(match="newsdesk:*", count=1000))
    if keys:
        r.delete(*keys)
    ensure_index(es, ALIAS)
    for article in ARTICLES:
        queue_for_index(r, article, feed_id=article.feed_ids[0], run_id=None)
    result = flush_index_batch(r, es, ALIAS, batch_id="api-corpus", max_docs=len(ARTICLES))
    assert [i.outcome for i in result.results] == ["indexed"] * len(ARTICLES)
    ids = {a.url.rsplit("/", 1)[1]: url_id(a.url) for a in ARTICLES}
    # What a story-clustering stage would write: one story of four ferry articles, one of
    # them a wire copy of another; every other article is its own story of one.
    es.indices.put_mapping(index=f"{ALIAS}-v1", properties={"copy_of": {"type": "keyword"}})
    ferry = ("ferry-strike-off", "ferry-strike-averted", "ferries-on-time",
             "ferry-strike-averted-wire")  # fmt: skip
    for slug, doc_id in ids.items():
        story = STORY_FERRY if slug in ferry else f"story-{slug}"
        size = len(ferry) if slug in ferry else 1
        if slug == "draft-budget":
            continue  # an article no stage has clustered yet: no story_id at all
        es.update(index=ALIAS, id=doc_id, doc={"story_id": story, "story_size": size})
    es.update(
        index=ALIAS,
        id=ids["ferry-strike-averted-wire"],
        doc={"copy_of": ids["ferry-strike-averted"]},
    )
    es.indices.refresh(index=ALIAS)
    _fill_missing_facets(es, [ids["ferry-timetable"], ids["library-sundays"]])
    return Corpus(ids=ids)


def _fill_missing_facets(es: Elasticsearch, doc_ids: list[str]) -> None:
    """Give two articles a sample value for every facet the hand-written fields don't set.

    Facets added to FACET_FIELDS later (e.g. by an enrichment stage) are then tested
    like the rest without editing this corpus; a facet missing from the mapping fails here.
    """
    counts = es.search(
        index=ALIAS, size=0, aggs={f: {"terms": {"field": f, "size": 1}} for f in FACET_FIELDS}
    )["aggregations"]
    for facet in (f for f in FACET_FIELDS if not counts[f]["buckets"]):
        doc: dict[str, object] = {facet.rsplit(".", 1)[-1]: f"{facet}-sample"}
        for part in reversed(facet.split(".")[:-1]):
            doc = {part: doc}
        for doc_id in doc_ids:
            es.update(index=ALIAS, id=doc_id, doc=doc)
    es.indices.refresh(index=ALIAS)


@contextlib.contextmanager
def serve_api(settings: Settings, *, start_timeout_s: float = 20.0) -> Iterator[str]:
    """Yield the base URL of the API served by uvicorn in a thread on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_api(settings), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline_s = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline_s:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
