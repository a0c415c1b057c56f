"""Typed, frozen runtime settings read once from ``NEWSDESK_*`` environment variables.

Every default lives here, with units in the names. Components receive plain values
from this object; nothing else in the code base reads the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "NEWSDESK_"

# HTTP status codes worth another try later; anything else in 4xx/5xx is permanent.
RETRY_HTTP_CODES: tuple[int, ...] = (408, 425, 429, 500, 502, 503, 504, 522, 524)

HTML_CONTENT_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml")


class SettingsError(ValueError):
    """A NEWSDESK_* variable holds a value that cannot be used."""


@dataclass(frozen=True)
class FetchLimits:
    """Limits applied to every outbound HTTP request."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    total_timeout_s: float = 30.0
    max_page_bytes: int = 5_000_000
    max_feed_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = "Newsdesk/0.1 (+https://github.com/newsdesk/newsdesk)"


@dataclass(frozen=True)
class Settings:
    """All runtime configuration of Newsdesk; build it with :meth:`from_env`."""

    redis_url: str | None = None
    es_url: str | None = None
    es_username: str | None = None
    es_password: str | None = field(default=None, repr=False)
    es_ca_certs: str | None = None
    # True only for the embedded 7.9 engine; never for a configured cluster.
    es_compat_7x: bool = False
    index_alias: str = "articles"
    feeds_path: Path = Path("feeds.yaml")
    data_dir: Path = Path(".newsdesk")
    kibana_url: str | None = None
    log_level: str = "INFO"
    scheduler_tick_s: float = 1.0
    default_interval_s: int = 900
    interval_jitter_ratio: float = 0.1
    max_backoff_s: int = 86_400
    seen_ttl_s: int = 90 * 86_400
    page_ttl_s: int = 86_400
    bulk_max_docs: int = 200
    bulk_delay_s: float = 1.0
    heartbeat_ttl_s: int = 60
    min_body_chars: int = 200
    fetch: FetchLimits = FetchLimits()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Return settings from ``NEWSDESK_*`` variables; raise SettingsError naming a bad one."""
        source = os.environ if env is None else env
        values: dict[str, object] = {}
        fetch_values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            if f.name == "fetch":
                continue
            raw = source.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _convert(ENV_PREFIX + f.name.upper(), raw, f.type)
        for f in dataclasses.fields(FetchLimits):
            name = f"{ENV_PREFIX}FETCH_{f.name.upper()}"
            raw = source.get(name)
            if raw is not None and raw != "":
                fetch_values[f.name] = _convert(name, raw, f.type)
        settings = cls(**values, fetch=FetchLimits(**fetch_values))  # type: ignore[arg-type]
        settings.validate()
        return settings

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with the given fields replaced (used by the CLI and the embedded stack)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> None:
        """Raise SettingsError if values are out of range."""
        if self.bulk_max_docs < 1:
            raise SettingsError(f"{ENV_PREFIX}BULK_MAX_DOCS must be >= 1, got {self.bulk_max_docs}")
        if not 0 <= self.interval_jitter_ratio < 1:
            raise SettingsError(f"{ENV_PREFIX}INTERVAL_JITTER_RATIO must be in [0, 1)")
        for name in ("redis_url", "es_url", "kibana_url"):
            url = getattr(self, name)
            if url is not None and "://" not in url:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be a URL, got {url!r}")

    def to_env(self) -> dict[str, str]:
        """Return the ``NEWSDESK_*`` variables that reproduce these settings in a child process."""
        env: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "fetch":
                for g in dataclasses.fields(FetchLimits):
                    env[f"{ENV_PREFIX}FETCH_{g.name.upper()}"] = str(getattr(value, g.name))
            elif value is not None:
                env[ENV_PREFIX + f.name.upper()] = (
                    str(value).lower() if isinstance(value, bool) else str(value)
                )
        return env

    def redacted(self) -> dict[str, object]:
        """Return the settings as a dict safe to log: passwords and URL credentials hidden."""
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "es_password" and value:
                value = "***"
            elif isinstance(value, str) and "@" in value and "://" in value:
                scheme, rest = value.split("://", 1)
                value = f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
            elif dataclasses.is_dataclass(value):
                value = dataclasses.asdict(value)  # type: ignore[arg-type]
            elif isinstance(value, Path):
                value = str(value)
            out[f.name] = value
        return out


def _convert(name: str, raw: str, type_name: object) -> object:
    """Convert one raw environment string to the field's declared type."""
    type_text = str(type_name)
    try:
        if type_text.startswith("bool"):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true/false")
        if type_text.startswith("int"):
            return int(raw)
        if type_text.startswith("float"):
            return float(raw)
        if type_text.startswith("Path"):
            return Path(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a valid {type_text}: {exc}") from exc
    return raw
