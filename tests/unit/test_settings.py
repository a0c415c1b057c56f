from pathlib import Path

import pytest

from newsdesk.settings import Settings, SettingsError


def test_defaults_and_overrides_from_env() -> None:
    s = Settings.from_env({
        "NEWSDESK_REDIS_URL": "redis://h:1/0", "NEWSDESK_BULK_MAX_DOCS": "50",
        "NEWSDESK_ES_COMPAT_7X": "yes", "NEWSDESK_FEEDS_PATH": "/c/feeds.yaml",
        "NEWSDESK_FETCH_MAX_PAGE_BYTES": "1000",
    })  # fmt: skip
    assert s.redis_url == "redis://h:1/0"
    assert s.bulk_max_docs == 50
    assert s.es_compat_7x is True
    assert s.feeds_path == Path("/c/feeds.yaml")
    assert s.fetch.max_page_bytes == 1000
    assert s.index_alias == "articles"


def test_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="NEWSDESK_BULK_MAX_DOCS"):
        Settings.from_env({"NEWSDESK_BULK_MAX_DOCS": "many"})
    with pytest.raises(SettingsError, match="NEWSDESK_ES_URL"):
        Settings.from_env({"NEWSDESK_ES_URL": "localhost:9200"})


def test_env_round_trip_and_redaction() -> None:
    s = Settings.from_env({
        "NEWSDESK_ES_URL": "https://user:secret@es.example:9200", "NEWSDESK_ES_PASSWORD": "pw",
    })  # fmt: skip
    assert Settings.from_env(s.to_env()) == s
    shown = s.redacted()
    assert shown["es_password"] == "***"
    assert "secret" not in str(shown)
