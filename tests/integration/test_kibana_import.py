"""The Kibana import request, checked against a loopback server standing in for Kibana.

No Kibana runs in these tests: Kibana 9 cannot use the embedded Elasticsearch 7.9.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from newsdesk.settings import Settings
from workers.kibana import KibanaImportError, import_saved_objects, saved_object_files


class FakeKibana(BaseHTTPRequestHandler):
    """Answers /api/status 503 a few times, then 200; records import requests."""

    status_failures_left: ClassVar[int] = 2
    imports: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        if self.path == "/api/status" and FakeKibana.status_failures_left > 0:
            FakeKibana.status_failures_left -= 1
            self._reply(503, {"status": "unavailable"})
        else:
            self._reply(200, {"status": {"overall": {"level": "available"}}})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeKibana.imports.append(
            {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        count = body.count(b'"attributes"')
        self._reply(200, {"success": True, "successCount": count})

    def _reply(self, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def kibana_url() -> Iterator[str]:
    FakeKibana.status_failures_left = 2
    FakeKibana.imports = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_waits_for_kibana_and_posts_multipart_ndjson(kibana_url: str) -> None:
    settings = Settings(es_username="elastic", es_password="s3cret-password")
    count = import_saved_objects(kibana_url, settings, ready_timeout_s=30)

    files = saved_object_files()
    assert len(FakeKibana.imports) == len(files)
    request = FakeKibana.imports[0]
    assert request["path"] == "/api/saved_objects/_import?overwrite=true"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["kbn-xsrf"]
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    assert headers["authorization"].startswith("Basic ")
    assert b'name="file"; filename="newsdesk.ndjson"' in request["body"]
    assert files[0].read_bytes() in request["body"]
    assert count == sum(len(f.read_text().splitlines()) for f in files)


def test_import_gives_up_with_a_clear_error() -> None:
    unused_port_url = "http://127.0.0.1:1"
    with pytest.raises(KibanaImportError, match=r"127\.0\.0\.1:1 was not ready"):
        import_saved_objects(unused_port_url, Settings(), ready_timeout_s=1)
