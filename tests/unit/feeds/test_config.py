"""Loading feeds.yaml: good files, defaults, and error messages that point at the line."""

from __future__ import annotations

import gc
import os
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from newsdesk.feeds import config
from newsdesk.feeds.config import (
    DEFAULT_INTERVAL_S,
    Feed,
    FeedConfigError,
    feeds_fingerprint,
    load_feeds,
    parse_duration_s,
    parse_feeds,
    slugify,
)

pytestmark = pytest.mark.unit

GOOD = """\
defaults:
  interval: 10m
  tags: [local]
  language: EN
feeds:
  - name: Harbor Gazette
    url: " https://harbor-gazette.example/rss.xml "
    tags: [politics, local]
  - name: Valley Courier
    url: https://valley-courier.example/feed
    interval: 1h30m
    tags: weather
    language: no
    enabled: false
  - name: Mill Town Ledger
    url: http://ledger.example/atom
    interval: 45
    language: ~
"""


def problems_of(text: str, source: str = "feeds.yaml") -> list[str]:
    """Return the problems parse_feeds reports for the text, failing if it accepts it."""
    with pytest.raises(FeedConfigError) as caught:
        parse_feeds(textwrap.dedent(text), source)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_good_file_with_defaults_merged(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(GOOD, encoding="utf-8")
    gazette, courier, ledger = load_feeds(path)

    assert gazette == Feed(
        name="Harbor Gazette",
        url="https://harbor-gazette.example/rss.xml",
        interval_s=600,
        tags=("local", "politics"),
        language="en",
        enabled=True,
    )
    assert gazette.feed_id == "harbor-gazette"
    # `language: no` is Norwegian; YAML 1.1 would have made it False
    assert courier.language == "no"
    assert (courier.interval_s, courier.tags, courier.enabled) == (
        5400,
        ("local", "weather"),
        False,
    )
    # integer seconds, and an explicit empty language overriding the default
    assert (ledger.interval_s, ledger.language) == (45, None)


def test_without_defaults_the_built_in_interval_applies() -> None:
    feeds = parse_feeds("feeds:\n  - name: A\n    url: https://a.example/rss\n")
    assert feeds == [Feed("A", "https://a.example/rss", DEFAULT_INTERVAL_S, (), None, True)]
    custom = parse_feeds(
        "feeds:\n  - {name: A, url: 'https://a.example/'}\n", default_interval_s=60
    )
    assert custom[0].interval_s == 60


@pytest.mark.parametrize("text", ["feeds:\n", "feeds: []\n", "defaults: {interval: 5m}\nfeeds:\n"])
def test_empty_feed_list_is_allowed(text: str) -> None:
    assert parse_feeds(text) == []


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_bytes(b"\xef\xbb\xbffeeds:\n  - name: A\n    url: https://a.example/\n")
    assert [feed.name for feed in load_feeds(path)] == ["A"]


def test_feed_json_round_trip() -> None:
    feed = Feed("Harbor Gazette", "https://h.example/rss", 300, ("a", "b"), "en", False)
    data = feed.to_json()
    assert data["tags"] == ["a", "b"]
    assert Feed.from_json(data) == feed
    assert Feed.from_json({"name": "X", "url": "https://x.example/"}).interval_s == 900


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "feeds.yaml"
    with pytest.raises(FeedConfigError, match=re.escape(f"{missing}: feeds file not found")):
        load_feeds(missing)


def test_unreadable_encoding_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_bytes(b"feeds:\n  - name: Caf\xe9\n")
    with pytest.raises(FeedConfigError, match=r"feeds\.yaml: cannot read feeds file"):
        load_feeds(path)


def test_errors_name_the_loaded_path(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "feeds.yaml"
    path.parent.mkdir()
    path.write_text("feeds:\n  - name: A\n    url: ftp://a.example/\n", encoding="utf-8")
    with pytest.raises(FeedConfigError) as caught:
        load_feeds(path)
    assert caught.value.problems[0].startswith(f'{path}:3: feed "A": url: ')


def test_yaml_syntax_error_has_the_line() -> None:
    text = """\
    feeds:
      - name: A
        url: https://a.example/
      - name: "B
        url: https://b.example/
    """
    [problem] = problems_of(text)
    assert problem.startswith("feeds.yaml:")
    assert "invalid YAML" in problem
    assert problem.split(":")[1] in {"4", "5", "6"}

    [bad_indent] = problems_of("feeds:\n  - name: A\n   url: x\n")
    assert bad_indent.startswith("feeds.yaml:3: invalid YAML")


def test_control_character_reports_its_line() -> None:
    [problem] = problems_of("feeds:\n  - name: A\x07\n")
    assert problem.startswith("feeds.yaml:2: invalid YAML")


def test_control_character_after_accented_text_reports_its_line() -> None:
    # libyaml reports a byte offset; read as a character offset it points lines too far.
    [problem] = problems_of("feeds:\n  - name: Café Crème\n  - name: Zürich\x07\n")
    assert problem.startswith("feeds.yaml:3: invalid YAML")


def test_lone_surrogate_reports_its_line() -> None:
    # libyaml cannot even encode this one (UnicodeEncodeError); the message stays the same.
    [problem] = problems_of("feeds:\n  - name: A\ud800\n")
    assert problem.startswith("feeds.yaml:2: invalid YAML")


def test_parsing_leaves_the_garbage_collector_as_it_found_it() -> None:
    # The parse pauses the collector (its passes over the node tree were most of the cost).
    assert gc.isenabled()
    parse_feeds(GOOD)
    problems_of("feeds:\n  - name: A\x07\n")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_feeds(GOOD)
        assert not gc.isenabled()
    finally:
        gc.enable()


BROKEN_BUT_VALID_YAML = """\
defaults:
  interval: often
feeds:
  - name: A
    url: https://a.example/
    interval: 5m
    interval: 10m
  - name: "Ça va"
    url: https://a.example/?utm_source=x
    tags: [a, "b c", 'd']
  - {name: C, url: "ftp://c.example/", enabled: maybe}
  - name: >-
      Folded
      name
"""


@pytest.mark.parametrize("text", [GOOD, BROKEN_BUT_VALID_YAML])
def test_libyaml_and_pure_python_loaders_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if yaml.__with_libyaml__:
        assert config._FAST_LOADER is yaml.CSafeLoader

    def outcome() -> list[Feed] | list[str]:
        try:
            return parse_feeds(text)
        except FeedConfigError as exc:
            return exc.problems

    fast = outcome()
    monkeypatch.setattr(config, "_FAST_LOADER", None)
    assert outcome() == fast


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "feeds.yaml:1: the top level must be a mapping with 'feeds:'"),
        ("# only a comment\n", "feeds.yaml:1: the top level must be a mapping with 'feeds:'"),
        ("- name: A\n", "feeds.yaml:1: the top level must be a mapping with 'feeds:'"),
        ("defaults: {}\n", "feeds.yaml:1: missing the required 'feeds:' list"),
        ("feeds:\n  A: https://a.example/\n", "feeds.yaml:2: feeds: must be a list of feeds"),
        ("defaults: 5m\nfeeds: []\n", "feeds.yaml:1: defaults: must be a mapping"),
        ("feeds:\n  - https://a.example/\n", "feeds.yaml:2: feed #1: each feed must be a mapping"),
    ],
)
def test_structure_errors(text: str, expected: str) -> None:
    [problem] = problems_of(text)
    assert problem.startswith(expected)


def test_the_documented_interval_message() -> None:
    text = """\
    feeds:
      - name: Harbor Gazette
        url: https://harbor-gazette.example/rss
        interval: 5 minutes
    """
    assert problems_of(text) == [
        "feeds.yaml:4: feed \"Harbor Gazette\": interval: '5 minutes' is not a duration "
        "(use 30s, 5m, 1h, 1d)"
    ]


@pytest.mark.parametrize(
    ("field_line", "expected"),
    [
        ("interval: 10s", "interval: '10s' is outside the allowed range of 30s to 7d"),
        ("interval: 8d", "interval: '8d' is outside the allowed range"),
        ("interval: 1.5h", "interval: '1.5h' is not a duration"),
        ("interval: [5m]", "interval: must be a single value, not a list"),
        ("interval:", "interval: must not be empty"),
        ("language: english", "language: 'english' is not a 2-3 letter language code"),
        ("language: en-US", "language: 'en-US' is not a 2-3 letter language code"),
        ("enabled: maybe", "enabled: 'maybe' is not true or false"),
        ("tags: [a, '']", "tags: every tag must be a non-empty string"),
        ("tags: {a: b}", "tags: must be a single value, not a mapping"),
        ("url: ftp://a.example/feed", "url: URL 'ftp://a.example/feed' has scheme 'ftp'"),
        ("url: a.example/feed", "url: URL 'a.example/feed' has no scheme"),
        ("url: https:///feed", "url: URL 'https:///feed' has no host"),
        ("url: ''", "url: must not be empty"),
    ],
)
def test_field_errors_name_file_line_feed_and_field(field_line: str, expected: str) -> None:
    url_line = "" if field_line.startswith("url:") else "    url: https://h.example/\n"
    text = f"# a comment\nfeeds:\n  - name: Harbor Gazette\n{url_line}    {field_line}\n"
    line = text.splitlines().index(f"    {field_line}") + 1
    [problem] = problems_of(text)
    assert problem.startswith(f'feeds.yaml:{line}: feed "Harbor Gazette": {expected}')


def test_missing_and_empty_name_or_url() -> None:
    text = """\
    feeds:
      - url: https://a.example/
      - name: B
      - name: ""
        url: https://c.example/
      - name: "!!!"
        url: https://d.example/
    """
    assert problems_of(text) == [
        "feeds.yaml:2: feed #1: name: is required",
        'feeds.yaml:3: feed "B": url: is required',
        "feeds.yaml:4: feed #3: name: must not be empty",
        "feeds.yaml:6: feed \"!!!\": name: '!!!' needs a letter or digit",
    ]


def test_unknown_field_suggests_the_closest() -> None:
    text = """\
    defualts:
      interval: 5m
    feeds:
      - name: A
        url: https://a.example/
        intreval: 5m
        Tags: [x]
        colour: blue
    """
    assert problems_of(text) == [
        "feeds.yaml:1: unknown field 'defualts' (did you mean 'defaults'?)",
        "feeds.yaml:6: feed \"A\": unknown field 'intreval' (did you mean 'interval'?)",
        "feeds.yaml:7: feed \"A\": unknown field 'Tags' (did you mean 'tags'?)",
        "feeds.yaml:8: feed \"A\": unknown field 'colour' "
        "(known: name, url, interval, tags, language, enabled)",
    ]


def test_defaults_are_validated_too() -> None:
    text = """\
    defaults:
      interval: often
      url: https://a.example/
      langauge: en
    feeds: []
    """
    assert problems_of(text) == [
        "feeds.yaml:2: defaults: interval: 'often' is not a duration (use 30s, 5m, 1h, 1d)",
        "feeds.yaml:3: defaults: field 'url' cannot have a default",
        "feeds.yaml:4: defaults: unknown field 'langauge' (did you mean 'language'?)",
    ]


def test_repeated_field_and_merge_key() -> None:
    text = """\
    feeds:
      - name: A
        url: https://a.example/
        interval: 5m
        interval: 10m
      - <<: {interval: 5m}
        name: B
        url: https://b.example/
    """
    assert problems_of(text) == [
        "feeds.yaml:5: feed \"A\": field 'interval' given twice (first at line 4)",
        "feeds.yaml:6: feed \"B\": YAML merge keys are not supported; use 'defaults:'",
    ]


def test_duplicate_names_and_urls_name_both_lines() -> None:
    text = """\
    feeds:
      - name: Harbor Gazette
        url: https://harbor.example/rss
      - name: harbor gazette
        url: https://other.example/rss
      - name: Harbor-Gazette!
        url: https://third.example/rss
      - name: Valley Courier
        url: http://HARBOR.example/rss?utm_source=feedly#top
    """
    assert problems_of(text) == [
        'feeds.yaml:4: feed "harbor gazette": name: same name as feed "Harbor Gazette" at line 2',
        "feeds.yaml:6: feed \"Harbor-Gazette!\": name: same feed id 'harbor-gazette' as feed "
        '"Harbor Gazette" at line 2',
        'feeds.yaml:9: feed "Valley Courier": url: same URL as feed "Harbor Gazette" at line 3',
    ]


def test_several_problems_are_reported_together() -> None:
    text = """\
    defaults:
      interval: 1s
    feeds:
      - name: A
        url: mailto:desk@a.example
        language: english
      - name: B
        url: https://b.example/
        enabled: sometimes
      - name: C
    """
    problems = problems_of(text)
    assert [problem.split(":")[1] for problem in problems] == ["2", "5", "6", "9", "10"]
    assert "defaults: interval" in problems[0]
    assert 'feed "C": url: is required' in problems[4]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86_400),
        ("1h30m", 5400),
        ("1d 12h", 129_600),
        ("2H", 7200),
        (" 90 ", 90),
        ("90", 90),
        (45, 45),
        (0, 0),
    ],
)
def test_parse_duration_s(value: str | int, seconds: int) -> None:
    assert parse_duration_s(value) == seconds


@pytest.mark.parametrize(
    "value", ["5 minutes", "1.5h", "", "h", "30m1h", "1h1h", "-5m", "5 m s", "\u0665m", True, -1]
)
def test_parse_duration_s_rejects(value: str | int) -> None:
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration_s(value)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Harbor Gazette", "harbor-gazette"),
        ("  The_Daily  News (Evening) ", "the-daily-news-evening"),
        ("Le Monde \u2014 \u00c9conomie", "le-monde-\u00e9conomie"),
        ("Le Monde \u2014 E\u0301conomie", "le-monde-\u00e9conomie"),
        (
            "\u041d\u043e\u0432\u0430\u044f \u0433\u0430\u0437\u0435\u0442\u0430",
            "\u043d\u043e\u0432\u0430\u044f-\u0433\u0430\u0437\u0435\u0442\u0430",
        ),
        ("!!!", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_feed_id_survives_a_url_change() -> None:
    old = Feed("Harbor Gazette", "https://old.example/rss")
    new = Feed("Harbor Gazette", "https://new.example/feed")
    assert old.feed_id == new.feed_id == "harbor-gazette"


def test_fingerprint_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds: []\n", encoding="utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert feeds_fingerprint(path) == (1_000_000_000, len("feeds: []\n"))
    path.write_text("feeds: []\n# edited\n", encoding="utf-8")
    os.utime(path, ns=(2_000_000_000, 2_000_000_000))
    assert feeds_fingerprint(path) == (2_000_000_000, len("feeds: []\n# edited\n"))
    with pytest.raises(FileNotFoundError):
        feeds_fingerprint(tmp_path / "missing.yaml")
