"""Static checks of docker-compose.yml, which cannot be started on machines without Docker.

The schema catches structure errors; the other tests catch what it cannot see: commands
the CLI does not have, files the mounts expect, NEWSDESK_* names the settings ignore,
dependencies that can never be satisfied, and ports opened beyond the loopback address.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import typer.main
import yaml
from jsonschema import Draft7Validator
from typer.testing import CliRunner

from newsdesk.settings import FetchLimits, Settings

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PATH = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE_PATH = REPO_ROOT / ".env.example"
FEEDS_EXAMPLE_PATH = REPO_ROOT / "config" / "feeds.example.yaml"
# The repository is cloned with ../shared beside it.
SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "compose-spec.json"

APP_EXECUTABLE = "newsdesk"
ENV_PREFIX = "NEWSDESK_"
ONE_SHOT_RESTART = "no"
RESTART_POLICIES = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
LOOPBACK = "127.0.0.1"
# Stands in for a secret that Compose requires (${NAME:?...}); letters and digits only.
SECRET_PLACEHOLDER = "Placeholder0123456789"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)
FEED_KEYS = frozenset({"name", "url", "interval", "tags", "language", "enabled"})
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")


def _load_compose() -> dict[str, Any]:
    """Return docker-compose.yml parsed the way PyYAML sees it (anchors and merges resolved)."""
    with COMPOSE_PATH.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    assert isinstance(loaded, dict), f"{COMPOSE_PATH} is not a mapping"
    return loaded


def _load_env_example() -> dict[str, str]:
    """Return the KEY=VALUE lines of .env.example."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE_PATH.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            key, sep, value = stripped.partition("=")
            assert sep, f".env.example: {line!r} is not KEY=VALUE"
            values[key.strip()] = value.strip()
    return values


COMPOSE = _load_compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE.get("services", {})
# Newsdesk services are the ones built from this repository.
APP_SERVICES = {name: svc for name, svc in SERVICES.items() if "build" in svc}


def _strings(node: object) -> Iterator[str]:
    """Yield every string in a loaded YAML tree, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Apply Compose interpolation, env playing .env; a required but empty value gets a stand-in."""

    def replace(match: re.Match[str]) -> str:
        current = env.get(match["name"])
        op, arg = match["op"], match["arg"]
        if op in (":-", "-"):
            return current if current or (op == "-" and current is not None) else arg
        if op in (":?", "?"):
            return current or SECRET_PLACEHOLDER
        return current or ""

    return INTERPOLATION.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """Return a service's environment as a mapping, whichever syntax it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _command_lines() -> list[tuple[str, list[str]]]:
    """Return (label, argv) for every app command and every `newsdesk` healthcheck."""
    lines: list[tuple[str, list[str]]] = []
    for name, svc in APP_SERVICES.items():
        command = svc.get("command")
        assert isinstance(command, list), f"{name}: write `command` as a list, not a shell string"
        lines.append((f"{name}.command", [_interpolate(str(word), {}) for word in command]))
    for name, svc in SERVICES.items():
        test = (svc.get("healthcheck") or {}).get("test")
        if (
            isinstance(test, list)
            and len(test) > 1
            and test[0] == "CMD"
            and test[1] == APP_EXECUTABLE
        ):
            lines.append((f"{name}.healthcheck", [str(word) for word in test[2:]]))
    return lines


COMMAND_LINES = _command_lines()


def _cli_app() -> Any:
    """Return the Typer app; imported per test so a broken CLI fails only the CLI tests."""
    from workers.cli import app  # noqa: PLC0415 - see docstring

    return app


# Typer bundles its own copy of Click; reach its ClickException through a public class.
CLICK_ERROR: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)


def _command_words(argv: list[str]) -> list[str]:
    """Return the leading words of argv up to the first option: the (sub)command path."""
    words: list[str] = []
    for word in argv:
        if word.startswith("-"):
            break
        words.append(word)
    return words


def test_compose_file_matches_the_compose_spec_schema() -> None:
    if not SCHEMA_PATH.is_file():
        message = f"compose schema not found at {SCHEMA_PATH} (clone the repo beside ../shared)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # The file declares draft-07 by a URL jsonschema does not recognise; name it explicitly.
    validator = Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(COMPOSE), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )
    # `version` is obsolete; Compose v2 warns about it on every command.
    assert "version" not in COMPOSE


@pytest.mark.parametrize(
    ("label", "argv"), COMMAND_LINES, ids=[label for label, _ in COMMAND_LINES]
)
def test_command_exists_in_the_cli(label: str, argv: list[str]) -> None:
    result = CliRunner().invoke(_cli_app(), [*_command_words(argv), "--help"])
    assert result.exit_code == 0, (
        f"{label}: `newsdesk {' '.join(argv)}` --help failed:\n{result.output}"
    )


@pytest.mark.parametrize(
    ("label", "argv"), COMMAND_LINES, ids=[label for label, _ in COMMAND_LINES]
)
def test_command_options_parse(label: str, argv: list[str]) -> None:
    """Parse the whole command line (options, values, choices) without running the command."""
    if not _command_words(argv):
        return  # only root options such as --help, covered by the test above
    # Typer ships its own copy of Click, so groups are recognised by their API, not by class.
    command: Any = typer.main.get_command(_cli_app())
    name, parent, rest = APP_EXECUTABLE, None, list(argv)
    while hasattr(command, "get_command") and rest and not rest[0].startswith("-"):
        group_ctx = command.context_class(command, info_name=name, parent=parent)
        sub_name = rest.pop(0)
        sub = command.get_command(group_ctx, sub_name)
        assert sub is not None, f"{label}: `{sub_name}` is not a subcommand of `{name}`"
        command, name, parent = sub, sub_name, group_ctx
    try:
        with command.make_context(name, rest, parent=parent):
            pass
    except CLICK_ERROR as exc:
        message = exc.format_message()  # type: ignore[attr-defined]
        pytest.fail(f"{label}: `newsdesk {' '.join(argv)}` is rejected: {message}")


def test_bind_mounted_paths_exist() -> None:
    for name, svc in SERVICES.items():
        mounts: list[tuple[str, str]] = []
        for volume in svc.get("volumes", []):
            if isinstance(volume, dict):
                if volume.get("type") == "bind":
                    mounts.append((volume["source"], volume["target"]))
            elif volume.startswith((".", "/")):
                source, target = volume.split(":")[:2]
                mounts.append((source, target))
        for source, _ in mounts:
            assert (REPO_ROOT / source).exists(), f"{name}: bind mount source {source} is missing"
        # A file that the app reads from inside a mounted folder must exist on the host,
        # or ship as its documented .example twin that users copy.
        for key, value in _environment(svc).items():
            if not (key.startswith(ENV_PREFIX) and key.endswith("_PATH")):
                continue
            for source, target in mounts:
                if value.startswith(target.rstrip("/") + "/"):
                    host = REPO_ROOT / source / value[len(target.rstrip("/")) + 1 :]
                    example = host.with_name(f"{host.stem}.example{host.suffix}")
                    assert host.exists() or example.exists(), (
                        f"{name}: {key}={value}: neither {host} nor {example}"
                    )


def test_newsdesk_variables_are_settings_fields() -> None:
    known = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings) if f.name != "fetch"}
    known |= {f"{ENV_PREFIX}FETCH_{f.name.upper()}" for f in dataclasses.fields(FetchLimits)}
    used = {
        key for svc in SERVICES.values() for key in _environment(svc) if key.startswith(ENV_PREFIX)
    }
    used |= {m["name"] for text in _strings(COMPOSE) for m in INTERPOLATION.finditer(text)}
    unknown = sorted(name for name in used if name.startswith(ENV_PREFIX) and name not in known)
    assert not unknown, f"not fields of newsdesk.settings.Settings: {unknown}"


@pytest.mark.parametrize("service_name", sorted(APP_SERVICES))
def test_app_environment_is_accepted_by_settings(service_name: str) -> None:
    env = {
        k: _interpolate(v, _load_env_example())
        for k, v in _environment(SERVICES[service_name]).items()
    }
    Settings.from_env({k: v for k, v in env.items() if k.startswith(ENV_PREFIX)})


def test_dependencies_exist_and_can_be_satisfied() -> None:
    for name, svc in SERVICES.items():
        depends = svc.get("depends_on", {})
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, spec in depends.items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            condition = spec.get("condition")
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], (
                    f"{name} waits for {target} to be healthy, it has no healthcheck"
                )
            if condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == ONE_SHOT_RESTART, (
                    f"{target} must be a one-shot"
                )
            # `docker compose up` skips services behind a profile, so nothing may wait on them.
            if not svc.get("profiles"):
                assert not SERVICES[target].get("profiles"), f"{name} depends on profiled {target}"


def test_long_running_services_have_healthchecks() -> None:
    for name, svc in SERVICES.items():
        restart = svc.get("restart")
        # Quoted "no": a bare `no` is the boolean false in YAML 1.1.
        assert isinstance(restart, str), f"{name}: set `restart` explicitly, as a string"
        assert RESTART_POLICIES.match(restart), f"{name}: unknown restart policy {restart!r}"
        if restart != ONE_SHOT_RESTART:
            test = (svc.get("healthcheck") or {}).get("test")
            assert test and test not in ("NONE", ["NONE"]), (
                f"{name} runs for good but has no healthcheck"
            )


def test_ports_are_published_on_loopback_by_default() -> None:
    # Checked with the Compose defaults and with .env.example, which users copy.
    for env in ({}, _load_env_example()):
        for name, svc in SERVICES.items():
            for port in svc.get("ports", []):
                if isinstance(port, dict):
                    host_ip = _interpolate(str(port.get("host_ip", "")), env)
                else:
                    host_ip = _interpolate(str(port), env).rsplit(":", 2)[0]
                assert host_ip == LOOPBACK, (
                    f"{name}: port {port} is published on {host_ip or 'all interfaces'}"
                )


def test_dollars_meant_for_the_container_shell_are_escaped() -> None:
    # Compose replaces $NAME and ${NAME} itself (and rejects ${!NAME}); a variable meant
    # for the shell in the container must be written $$NAME.
    for text in _strings(COMPOSE):
        leftover = INTERPOLATION.sub("", text.replace("$$", ""))
        assert "$" not in leftover, f"unescaped $ in {text[:80]!r}"


def test_env_example_documents_every_interpolated_variable() -> None:
    env_example = _load_env_example()
    defaults: dict[str, set[str]] = {}
    required: set[str] = set()
    bare: set[str] = set()
    for text in _strings(COMPOSE):
        for match in INTERPOLATION.finditer(text.replace("$$", "")):
            if match["op"] in (":?", "?"):
                required.add(match["name"])
            elif match["op"]:
                defaults.setdefault(match["name"], set()).add(match["arg"])
            else:
                bare.add(match["name"])
    used = required | bare | set(defaults)
    assert sorted(used - set(env_example)) == [], (
        "interpolated in compose but missing from .env.example"
    )
    assert sorted(set(env_example) - used) == [], (
        "in .env.example but never used by docker-compose.yml"
    )
    for name in required:
        assert env_example[name] == "", f".env.example must not ship a value for the secret {name}"
    for name, found in defaults.items():
        assert len(found) == 1, f"{name} has different defaults in docker-compose.yml: {found}"
        value, default = env_example[name], found.pop()
        assert value in ("", default), (
            f"{name}: .env.example says {value!r}, compose says {default!r}"
        )


def test_stack_version_matches_the_python_client_minor() -> None:
    # A newer client minor may call endpoints an older server lacks (docs: TEST-ENGINES.md).
    stack = _load_env_example()["STACK_VERSION"]
    client = importlib.metadata.version("elasticsearch")
    assert stack.split(".")[:2] == client.split(".")[:2], (
        f"STACK_VERSION {stack} vs elasticsearch client {client}"
    )


def test_feeds_example_is_well_formed() -> None:
    data = yaml.safe_load(FEEDS_EXAMPLE_PATH.read_text(encoding="utf-8"))
    assert set(data) <= {"defaults", "feeds"}
    assert set(data["defaults"]) <= FEED_KEYS - {"name", "url"}
    names, urls = [], []
    for feed in data["feeds"]:
        assert set(feed) <= FEED_KEYS and {"name", "url"} <= set(feed), feed
        parts = urlsplit(feed["url"])
        assert parts.scheme in ("http", "https"), feed["url"]
        # Reserved example domains only: the example must never hit a real site.
        assert (parts.hostname or "").endswith(EXAMPLE_DOMAINS), feed["url"]
        for interval in (feed.get("interval"), data["defaults"].get("interval")):
            assert interval is None or re.fullmatch(r"\d+[smhd]", str(interval)), interval
        names.append(feed["name"])
        urls.append(feed["url"])
    assert len(set(names)) == len(names), "feed names must be unique"
    assert len(set(urls)) == len(urls), "feed URLs must be unique"
