"""Load ``feeds.yaml`` into frozen :class:`Feed` records, or explain exactly what is wrong.

``feeds.yaml`` is data edited by hand, so every problem is reported at once, each naming
the file, the line, the feed and the field. The YAML is walked as a composed node tree
rather than loaded into dicts because only nodes remember their line numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import gc
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from newsdesk.urls import url_identity

DEFAULT_INTERVAL_S = 900
MIN_INTERVAL_S = 30
MAX_INTERVAL_S = 7 * 86_400
FEED_FIELDS: tuple[str, ...] = ("name", "url", "interval", "tags", "language", "enabled")
DEFAULT_FIELDS: tuple[str, ...] = ("interval", "tags", "language", "enabled")
TOP_LEVEL_FIELDS: tuple[str, ...] = ("defaults", "feeds")

_DURATION_HINT = "use 30s, 5m, 1h, 1d"
# Units in descending order, each at most once: "1h30m", "2d", "45s", "1d 12h".
_DURATION_RE = re.compile(
    r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?", re.I | re.A
)
_UNIT_S = (86_400, 3_600, 60, 1)
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}", re.ASCII)
_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_NULL_TAG = "tag:yaml.org,2002:null"
# libyaml (CSafeLoader) composes the same node tree, lines included, about ten times
# faster. Its errors differ (other wording, byte offsets, a UnicodeError on a lone
# surrogate), so a file it rejects is read again by the pure-Python loader, whose
# messages are the ones documented; PyYAML built without libyaml only has that one.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)
# Each URL is checked, then compared by identity, on every reload of the whole file:
# remembering identities leaves a reload after a small edit to pay for the edited URLs.
_url_identity = functools.lru_cache(maxsize=32_768)(url_identity)


class FeedConfigError(ValueError):
    """The feeds file cannot be used; ``problems`` holds one message per problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def slugify(name: str) -> str:
    """Return the lowercase, dash-separated slug of a feed name (empty if it has no letters)."""
    # NFKC first so a composed "é" and "e" + combining accent give the same id; \w keeps
    # non-Latin names ("Новая газета") instead of reducing them to nothing.
    return re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", name).casefold()).strip("-")


@dataclasses.dataclass(frozen=True)
class Feed:
    """One configured feed, validated and with defaults applied."""

    name: str
    url: str
    interval_s: int = DEFAULT_INTERVAL_S
    tags: tuple[str, ...] = ()
    language: str | None = None
    enabled: bool = True

    @property
    def feed_id(self) -> str:
        """Return the stable id used for this feed's state: the slug of its name."""
        # Derived from the name, not the URL, so a feed that moves keeps its history.
        return slugify(self.name)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict of this feed."""
        # vars(), not dataclasses.asdict(): the fields are flat, and asdict's recursive copy
        # took 30 µs a feed, a fifth of sending its poll and 0.3 s of a 10,000-feed reload.
        return {**vars(self), "tags": list(self.tags)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Feed:
        """Return the feed decoded from :meth:`to_json` output; raises TypeError on bad keys."""
        return cls(**{**data, "tags": tuple(data.get("tags", ()))})


def parse_duration_s(value: str | int) -> int:
    """Return seconds for "30s", "5m", "1h30m", "1d" or plain seconds; raises ValueError."""
    text = value.strip() if isinstance(value, str) else ""
    match = _DURATION_RE.fullmatch(text)
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif text.isascii() and text.isdigit():
        seconds = int(text)
    elif match and any(match.groups()):
        pairs = zip(match.groups(), _UNIT_S, strict=True)
        seconds = sum(int(number) * unit_s for number, unit_s in pairs if number)
    else:
        raise ValueError(f"{value!r} is not a duration ({_DURATION_HINT})")
    if seconds < 0:
        raise ValueError(f"{value!r} is negative")
    return seconds


def feeds_fingerprint(path: Path) -> tuple[int, int]:
    """Return (mtime_ns, size) of the feeds file so a change is cheap to notice; raises OSError."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def load_feeds(path: Path, *, default_interval_s: int = DEFAULT_INTERVAL_S) -> list[Feed]:
    """Return the feeds configured in a YAML file; raises FeedConfigError naming every problem."""
    try:
        # utf-8-sig: editors on Windows still save a byte-order mark at the start.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FeedConfigError([f"{path}: feeds file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedConfigError([f"{path}: cannot read feeds file: {exc}"]) from exc
    return parse_feeds(text, str(path), default_interval_s=default_interval_s)


def parse_feeds(
    text: str, source: str = "feeds.yaml", *, default_interval_s: int = DEFAULT_INTERVAL_S
) -> list[Feed]:
    """Return the feeds described by YAML text; raises FeedConfigError naming every problem."""
    # A 10,000-feed file composes into some 200,000 objects, none of them in cycles; the
    # collector's repeated passes over them took 60 % of the parse, so it waits until after.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_feeds(text, source, default_interval_s)
    finally:
        if gc_was_enabled:
            gc.enable()


def _parse_feeds(text: str, source: str, default_interval_s: int) -> list[Feed]:
    """Return the feeds described by YAML text; raises FeedConfigError naming every problem."""
    root = _compose(text, source)
    if not isinstance(root, MappingNode):
        line = f"{_line(root)}" if root is not None else "1"
        raise FeedConfigError([f"{source}:{line}: the top level must be a mapping with 'feeds:'"])
    check = _Checker(source)
    top = check.fields(root, "", TOP_LEVEL_FIELDS)
    defaults: dict[str, Any] = {"interval": default_interval_s, "tags": (), "enabled": True}
    defaults_node = top.get("defaults")
    if isinstance(defaults_node, MappingNode):
        for field, node in check.fields(defaults_node, "defaults", DEFAULT_FIELDS).items():
            defaults[field] = check.value(field, node, "defaults")
    elif defaults_node is not None and defaults_node.tag != _NULL_TAG:
        check.add(defaults_node, "defaults", "must be a mapping of interval, tags, ...")
    feeds_node = top.get("feeds")
    feeds: list[Feed] = []
    if isinstance(feeds_node, SequenceNode):
        feeds = _parse_feed_list(check, feeds_node, defaults)
    elif feeds_node is None:
        check.add(root, "", "missing the required 'feeds:' list")
    elif feeds_node.tag != _NULL_TAG:  # an empty `feeds:` is a valid, empty list
        check.add(feeds_node, "feeds", "must be a list of feeds, each starting with '- name:'")
    if check.problems:
        # Sorted by line, as an editor shows them; each feed is checked key by key first.
        raise FeedConfigError([text for _, text in sorted(check.problems, key=lambda p: p[0])])
    return feeds


def _line(node: Node) -> int:
    """Return the 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _compose(text: str, source: str) -> Node | None:
    """Return the YAML document's root node; raises FeedConfigError on a syntax error."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, UnicodeError):
            pass  # reported below, in the pure-Python loader's words
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}:" if mark else ""
        raise FeedConfigError([f"{source}:{line} invalid YAML: {exc.problem}"]) from exc
    except yaml.reader.ReaderError as exc:
        # Control characters pasted from web pages or word processors end up here.
        line_no = text.count("\n", 0, exc.position) + 1
        raise FeedConfigError([f"{source}:{line_no}: invalid YAML: {exc}"]) from exc


class _Checker:
    """Collects problems while walking the node tree, so all of them are reported at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[int, str]] = []

    def add(self, node: Node, where: str, message: str) -> None:
        """Record one problem at the node's line."""
        prefix = f"{self.source}:{_line(node)}: " + (f"{where}: " if where else "")
        self.problems.append((_line(node), prefix + message))

    def fields(self, node: MappingNode, where: str, allowed: tuple[str, ...]) -> dict[str, Node]:
        """Return the mapping's known fields, recording unknown and repeated ones."""
        found: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            if key in key_lines:
                # PyYAML would silently keep the last one, hiding a half-finished edit.
                first = key_lines[key]
                self.add(key_node, where, f"field '{key}' given twice (first at line {first})")
                continue
            key_lines[key] = _line(key_node)
            if key in allowed:
                found[key] = value_node
            elif key == "<<":
                self.add(key_node, where, "YAML merge keys are not supported; use 'defaults:'")
            elif key in FEED_FIELDS:
                self.add(key_node, where, f"field '{key}' cannot have a default")
            else:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(allowed)
                self.add(key_node, where, f"unknown field '{key}' ({hint})")
        return found

    def value(self, field: str, node: Node, where: str) -> Any:
        """Return the field's validated value, or None after recording why it is invalid."""
        try:
            return _field_value(field, node)
        except ValueError as exc:
            self.add(node, where, f"{field}: {exc}")
            return None


def _text(node: Node, *, required: bool = False) -> str | None:
    """Return a scalar's stripped source text, None when empty; raises ValueError otherwise."""
    if not isinstance(node, ScalarNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
        raise ValueError(f"must be a single value, not {kind}")
    # The raw text, not the YAML 1.1 type: `language: no` is Norwegian, not False.
    text = None if node.tag == _NULL_TAG else str(node.value).strip()
    if required and not text:
        raise ValueError("must not be empty")
    return text


def _tags(node: Node) -> tuple[str, ...]:
    """Return tags written as one string or a list of strings; raises ValueError otherwise."""
    items = node.value if isinstance(node, SequenceNode) else [node]
    tags = [_text(item) for item in items]
    if isinstance(node, SequenceNode) and not all(tags):
        raise ValueError("every tag must be a non-empty string")
    return tuple(tag for tag in tags if tag)


def _field_value(field: str, node: Node) -> Any:
    """Return one field's validated value; raises ValueError saying what is wrong."""
    if field == "tags":
        return _tags(node)
    text = _text(node, required=field != "language")
    value: Any = text
    if text is None or field == "name":
        pass
    elif field == "url":
        _url_identity(text)  # raises ValueError naming what is wrong with the URL
    elif field == "interval":
        value = parse_duration_s(text)
        if not MIN_INTERVAL_S <= value <= MAX_INTERVAL_S:
            raise ValueError(f"{text!r} is outside the allowed range of 30s to 7d")
    elif field == "language":
        if not _LANGUAGE_RE.fullmatch(text.lower()):
            raise ValueError(f"{text!r} is not a 2-3 letter language code such as 'en' or 'deu'")
        value = text.lower()
    elif field == "enabled":
        if text.lower() not in _BOOLEANS:
            raise ValueError(f"{text!r} is not true or false")
        value = _BOOLEANS[text.lower()]
    return value


def _parse_feed_list(check: _Checker, node: SequenceNode, defaults: dict[str, Any]) -> list[Feed]:
    """Return the feeds of the list, recording problems and duplicates in the checker."""
    feeds: list[Feed] = []
    # The first feed seen per (kind, key): its display name and line, for duplicate messages.
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for index, item in enumerate(node.value, start=1):
        where = f"feed #{index}"
        if not isinstance(item, MappingNode):
            check.add(item, where, "each feed must be a mapping with at least name and url")
            continue
        name_nodes = [v for k, v in item.value if isinstance(k, ScalarNode) and k.value == "name"]
        name = check.value("name", name_nodes[0], where) if name_nodes else None
        where = f'feed "{name}"' if name else where
        nodes = check.fields(item, where, FEED_FIELDS)
        values = {f: check.value(f, n, where) for f, n in nodes.items() if f != "name"}
        for field in ("name", "url"):
            if field not in nodes:
                check.add(item, where, f"{field}: is required")
        feed_id = slugify(name) if name else ""
        if name and not feed_id:
            check.add(nodes["name"], where, f"name: {name!r} needs a letter or digit")
        # Names are compared by feed id, so "Harbor Gazette" and "harbor-gazette" clash; URLs
        # by identity, so http/https or tracking-tag variants of one feed clash too.
        keys = [("name", feed_id)] if name else []
        keys += [("url", _url_identity(values["url"]))] if values.get("url") else []
        for kind, key in filter(lambda pair: pair[1], keys):
            if (kind, key) not in seen:
                seen[(kind, key)] = (name or where, _line(nodes[kind]))
                continue
            other, line = seen[(kind, key)]
            same_name = other.casefold() == str(name).casefold()
            what = "URL" if kind == "url" else "name" if same_name else f"feed id '{key}'"
            check.add(nodes[kind], where, f'{kind}: same {what} as feed "{other}" at line {line}')
        if name and values.get("url"):
            merged = {**defaults, **values}
            tags = dict.fromkeys((*(defaults["tags"] or ()), *(values.get("tags") or ())))
            interval_s, language = merged["interval"], merged.get("language")
            feeds.append(
                Feed(name, merged["url"], interval_s, tuple(tags), language, merged["enabled"])
            )
    return feeds
