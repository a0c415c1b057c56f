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
    """Return the NDJSON files to import, in name order."""
    return sorted(directory.glob("*.ndjson"))


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
                    f"Kibana rejected {path.name}: "
                    f"HTTP {response.status_code} {response.text[:500]}"
                )
            imported += int(response.json().get("successCount", 0))
    return imported


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
