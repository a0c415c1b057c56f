"""The one client built from settings: URL, credentials and timeout come from them."""

from __future__ import annotations

import pytest

from newsdesk.search.client import es_client_for
from newsdesk.settings import Settings


def test_a_client_is_built_from_the_settings() -> None:
    settings = Settings(es_url="http://127.0.0.1:9", es_username="elastic", es_password="pw")
    es = es_client_for(settings, request_timeout_s=5)
    assert es.transport.node_pool.get().base_url == "http://127.0.0.1:9"
    assert es._headers["authorization"].startswith("Basic ")


def test_no_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="NEWSDESK_ES_URL"):
        es_client_for(Settings(es_url=None))
