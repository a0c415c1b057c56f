"""Typed, frozen runtime settings read once from ``NEWSDESK_*`` environment variables.

Every default lives here, with units in the names. Components receive plain values
from this object; nothing else in the code base reads the environment.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "NEWSDESK_"

# HTTP status codes worth another try later; anything else in 4xx/5xx is permanent.
RETRY_HTTP_CODES: tuple[int, ...] = (408, 425, 429, 500, 502, 503, 504, 522, 524)

HTML_CONTENT_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml")

LOG_FORMATS: tuple[str, ...] = ("text", "json")

# Cloud metadata and link-local ranges stay closed whatever allow_networks says: one
# redirect to 169.254.169.254 would hand out the instance's credentials.
NEVER_ALLOWED_NETWORKS: tuple[str, ...] = (
    "169.254.0.0/16",
    "fe80::/10",
    "fd00:ec2::254/128",  # AWS instance metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud instance metadata (inside CGNAT space)
)


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
    max_url_chars: int = 2_048
    user_agent: str = "Newsdesk/0.1 (+https://github.com/newsdesk/newsdesk)"
    # CIDR ranges opened on top of the public internet (intranet feeds, tests on loopback).
    allow_networks: tuple[str, ...] = ()
    # Politeness towards one host (by name): parallel requests, and spacing between them.
    host_max_concurrency: int = 2
    host_min_delay_s: float = 0.5
    host_slot_wait_s: float = 5.0

    def __post_init__(self) -> None:
        """Check the ranges and caps; raise SettingsError naming the variable."""
        # A list from the caller still compares equal to the tuple read back from the env.
        object.__setattr__(self, "allow_networks", tuple(self.allow_networks))
        name = f"{ENV_PREFIX}FETCH_ALLOW_NETWORKS"
        for cidr in self.allow_networks:
            try:
                network = ipaddress.ip_network(cidr)
            except ValueError as exc:
                raise SettingsError(f"{name}: {cidr!r} is not a CIDR range: {exc}") from exc
            # Opening 0.0.0.0/0 keeps the metadata ranges closed; naming one is a mistake.
            if any(_inside(network, closed) for closed in NEVER_ALLOWED_NETWORKS):
                raise SettingsError(f"{name}: {cidr} is link-local/metadata and never allowed")
        if self.max_url_chars < 16 or self.host_max_concurrency < 0 or self.host_min_delay_s < 0:
            raise SettingsError(
                f"{ENV_PREFIX}FETCH_MAX_URL_CHARS must be >= 16 and "
                f"{ENV_PREFIX}FETCH_HOST_* values must not be negative"
            )


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
    # "text" for people at a terminal; "json" (one object per line) for log collectors.
    log_format: str = "text"
    # Prometheus endpoint of workers and the scheduler (0 turns it off). Loopback unless
    # told otherwise: compose opens it to the private network only.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9808
    scheduler_tick_s: float = 1.0
    default_interval_s: int = 900
    # Each poll comes up to this fraction of its interval early, never late, so feeds added
    # together drift apart without missing their freshness target.
    interval_jitter_ratio: float = 0.1
    max_backoff_s: int = 86_400
    seen_ttl_s: int = 90 * 86_400
    page_ttl_s: int = 86_400
    bulk_max_docs: int = 200
    bulk_delay_s: float = 1.0
    # Keep each fetched page (compressed) in <alias>-pages, so `newsdesk reprocess` can
    # re-run extraction after a fix without fetching anything again.
    keep_raw_pages: bool = True
    heartbeat_ttl_s: int = 60
    # How long a task taken by a worker may stay unacknowledged before the broker hands it
    # to another worker (a killed worker's tasks come back after this). Keep it above the
    # longest retry countdown and task run time, or live tasks are delivered twice.
    visibility_timeout_s: int = 2 * 3600
    min_body_chars: int = 200
    max_entries_per_poll: int = 500
    # Every Nth poll of a feed that keeps answering 304 is made without validators, to
    # catch servers whose 304 hides new items (0 turns the check off).
    conditional_check_every: int = 10
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
        if self.visibility_timeout_s < 1:
            raise SettingsError(f"{ENV_PREFIX}VISIBILITY_TIMEOUT_S must be >= 1 second")
        if not 0 <= self.interval_jitter_ratio < 1:
            raise SettingsError(f"{ENV_PREFIX}INTERVAL_JITTER_RATIO must be in [0, 1)")
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"{ENV_PREFIX}LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                f"got {self.log_format!r}"
            )
        if not 0 <= self.metrics_port <= 65_535:
            raise SettingsError(f"{ENV_PREFIX}METRICS_PORT must be in [0, 65535] (0: off)")
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
                    item = getattr(value, g.name)
                    text = ",".join(item) if isinstance(item, tuple) else str(item)
                    env[f"{ENV_PREFIX}FETCH_{g.name.upper()}"] = text
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


def _inside(network: ipaddress.IPv4Network | ipaddress.IPv6Network, other: str) -> bool:
    """Return True if ``network`` lies within the CIDR range ``other`` (same IP version)."""
    outer = ipaddress.ip_network(other)
    if isinstance(network, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return network.subnet_of(outer)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return network.subnet_of(outer)
    return False


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
        if type_text.startswith(("Path", "tuple")):
            # Lists (tuple[str, ...]) are comma-separated: "10.0.0.0/8,fd00::/8".
            return Path(raw) if type_text.startswith("Path") else _split_list(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a valid {type_text}: {exc}") from exc
    return raw


def _split_list(raw: str) -> tuple[str, ...]:
    """Return the non-empty, stripped items of a comma-separated list."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())
