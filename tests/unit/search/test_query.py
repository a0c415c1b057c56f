from datetime import UTC, datetime

import pytest

from newsdesk.search.query import FACET_FIELDS, build_search_body


def test_text_goes_through_simple_query_string() -> None:
    body = build_search_body('harbour "strike" -ferry ((')
    clause = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert clause["query"] == 'harbour "strike" -ferry (('
    assert set(body["aggs"]) == set(FACET_FIELDS)


def test_filters_and_date_range() -> None:
    since = datetime(2026, 2, 1, tzinfo=UTC)
    body = build_search_body(None, filters={"source": ["A"], "tags": []}, since=since)
    filters = body["query"]["bool"]["filter"]
    assert {"terms": {"source": ["A"]}} in filters
    assert {"range": {"published_at": {"gte": "2026-02-01T00:00:00+00:00"}}} in filters
    assert body["sort"][0]["published_at"]["order"] == "desc"


def test_unknown_facet_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown facet"):
        build_search_body("x", filters={"colour": ["red"]})
