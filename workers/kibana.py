"""Import the bundled Kibana saved objects (data view, searches, dashboards) into Kibana."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from newsdesk.settings import Settings

# Shipped as package data so the app image finds them where the code is installed.
KIBANA_DIR = Path(__file__).resolve().parent / "kibana_objects"
READY_TIMEOUT_S = 300.0


class KibanaImportError(RuntimeError):
    """Kibana never became ready, or rejected the import; the message says which."""


def saved_object_files(directory: Path = KIBANA_DIR) -> list[Path]:
    """Return the NDJSON files to import, in import order: by file name, byte-wise.

    Each file is one import request, so an object may only reference objects in its own file
    or in a file that sorts before it (Kibana answers ``missing_references`` otherwise).
    Within a file, Kibana resolves references regardless of line order.
    """
    return sorted(directory.glob("*.ndjson"), key=lambda path: path.name)


def import_saved_objects(
    kibana_url: str,
    settings: Settings,
    *,
    directory: Path = KIBANA_DIR,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> int:
    """Return how many objects were imported (overwriting), after waiting for Kibana."""
    files = saved_object_files(directory)
    if not files:
        raise KibanaImportError(f"no saved objects (*.ndjson) found in {directory}")
    auth = (settings.es_username, settings.es_password or "") if settings.es_username else None
    with httpx.Client(base_url=kibana_url.rstrip("/"), auth=auth, timeout=30.0) as client:
        _wait_ready(client, kibana_url, ready_timeout_s)
        imported = 0
        for path in files:
            response = client.post(
                "/api/saved_objects/_import",
                params={"overwrite": "true"},
                headers={"kbn-xsrf": "newsdesk"},
                files={"file": (path.name, path.read_bytes(), "application/ndjson")},
            )
            if response.status_code != 200 or not response.json().get("success", False):
                raise KibanaImportError(
                    f"Kibana rejected {path.name}: HTTP {response.status_code} "
                    f"{_describe_errors(response)}"
                )
            imported += int(response.json().get("successCount", 0))
    return imported


def _describe_errors(response: httpx.Response) -> str:
    """Return Kibana's per-object import errors in one line, else the start of the body."""
    try:
        errors = response.json().get("errors") or []
        described = []
        for entry in errors:
            error = entry.get("error") or {}
            text = f"{entry.get('type')}/{entry.get('id')}: {error.get('type')}"
            text += "".join(f" {r.get('type')}/{r.get('id')}" for r in error.get("references", []))
            if error.get("message"):
                text += f" ({error['message']})"
            described.append(text)
    except (ValueError, AttributeError):
        described = []
    return "; ".join(described)[:1000] if described else response.text[:500]


def _wait_ready(client: httpx.Client, kibana_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = client.get("/api/status")
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = str(exc) or type(exc).__name__
        time.sleep(2.0)
    raise KibanaImportError(
        f"Kibana at {kibana_url} was not ready after {timeout_s:.0f} s ({last})"
    )
