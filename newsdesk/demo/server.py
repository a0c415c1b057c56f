"""LoopbackSite: the demo news site on a free loopback port, for `newsdesk demo` and tests."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from newsdesk.demo.content import BASE_URL_PLACEHOLDER, SITE_ROOT, SiteContent
from newsdesk.demo.handler import SiteServer
from newsdesk.lifecycle import StartStop

FEEDS_TEMPLATE_NAME = "feeds.yaml.template"
_STOP_TIMEOUT_S = 5.0

RequestRecord = tuple[str, str, dict[str, str]]


class LoopbackSite(StartStop):
    """The bundled demo site served by a threaded HTTP server in a background thread."""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = (root or SITE_ROOT).resolve()
        self.host = host
        self.port = port
        self.content = SiteContent(self.root)
        self._server: SiteServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        self._log_lock = threading.Lock()
        self._log: list[RequestRecord] = []

    @property
    def base_url(self) -> str:
        """Return the base URL (http://127.0.0.1:PORT); raises RuntimeError before start()."""
        if self._base_url is None:
            raise RuntimeError("LoopbackSite is not started")
        return self._base_url

    @property
    def request_log(self) -> list[RequestRecord]:
        """Return a snapshot of (method, path with query, lower-cased headers) per request."""
        with self._log_lock:
            return list(self._log)

    def start(self) -> str:
        """Bind, serve in a daemon thread and return the base URL (idempotent)."""
        if self._base_url is not None:
            return self._base_url
        server = SiteServer((self.host, self.port), self)
        bound_port = server.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._server = server
        self._base_url = f"http://{host}:{bound_port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-site-{bound_port}",
            daemon=True,
        )
        self._thread.start()
        return self._base_url

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self._base_url = None
        if server is None:
            return
        server.shutdown()
        # Handler threads are daemons: a request stuck in /slow does not hold up shutdown.
        server.server_close()
        if thread is not None:
            thread.join(_STOP_TIMEOUT_S)

    def url(self, path: str) -> str:
        """Return the absolute URL of a site path."""
        return self.base_url + "/" + path.lstrip("/")

    def record_request(self, method: str, path: str, headers: dict[str, str]) -> None:
        """Append one request to the log; called from handler threads."""
        with self._log_lock:
            self._log.append((method, path, headers))

    def clear_log(self) -> None:
        """Forget all recorded requests."""
        with self._log_lock:
            self._log.clear()

    def hits(self, path: str) -> int:
        """Return how many requests hit path; without a '?' in path the query string is ignored."""
        exact = "?" in path
        with self._log_lock:
            paths = [logged for _, logged, _ in self._log]
        return sum(1 for logged in paths if (logged if exact else logged.split("?", 1)[0]) == path)

    def requests_for(self, path: str) -> list[RequestRecord]:
        """Return the logged requests whose path, without its query string, equals path."""
        with self._log_lock:
            return [record for record in self._log if record[1].split("?", 1)[0] == path]

    def mutate(self, path: str, new_text: str) -> None:
        """Serve new_text at path (new or existing) from now on, changing its ETag."""
        self.content.mutate(path, new_text)

    def hide(self, path: str) -> None:
        """Make path answer 404 from now on, as if the outlet deleted the page."""
        self.content.mutate(path, None)

    def reset(self, path: str | None = None) -> None:
        """Undo mutate()/hide() for one path, or for all paths when path is None."""
        self.content.reset(path)


def render_feeds_yaml(base_url: str, dest: Path) -> Path:
    """Write the demo feeds.yaml for base_url to dest (file or directory) and return its path."""
    if dest.is_dir():
        dest = dest / "feeds.yaml"
    template = (SITE_ROOT / FEEDS_TEMPLATE_NAME).read_text(encoding="utf-8")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(template.replace(BASE_URL_PLACEHOLDER, base_url.rstrip("/")), encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    """Serve the demo site until SIGINT/SIGTERM, printing the base URL as the first stdout line."""
    parser = argparse.ArgumentParser(
        prog="python -m newsdesk.demo.server", description=main.__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--root", type=Path, default=None, help="site directory (default: bundled site)"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    # Test fixtures read the bound address from stdout and stop the process with SIGTERM.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with LoopbackSite(args.root, args.host, args.port) as site:
        sys.stdout.write(site.base_url + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
